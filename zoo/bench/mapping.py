"""Time the checkpoint engine: map a TF1 checkpoint into a native model (match, read, assign)."""
import tempfile
import time

import numpy as np


def mapping_seconds(model, repeats=3):
    """Best time to load a TF1 checkpoint of `model`'s own weights back into it through the engine."""
    import zoo

    with tempfile.TemporaryDirectory() as tmp:
        prefix = zoo.save_checkpoint(model, f"{tmp}/model.ckpt")
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            zoo.load_checkpoint(model, prefix)
            times.append(time.perf_counter() - start)
    return min(times)


def time_mapping(arch="resnet_v1_50", repeats=3, log=print):
    """Returns (parameters, best seconds) for mapping a TF1 checkpoint into native `arch`."""
    import zoo

    model = zoo.create_model(arch)
    params = int(sum(np.prod(v.shape) for v in zoo.slim_variables(model).values()))
    seconds = mapping_seconds(model, repeats)
    log(f"{arch}: mapped {params:,} parameters in {seconds:.3f} s (best of {repeats})")
    return params, seconds


if __name__ == "__main__":
    time_mapping()
