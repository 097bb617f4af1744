"""Time the checkpoint engine: map a TF1 checkpoint into a native model (match, read, assign)."""
import tempfile
import time

import numpy as np


def mapping_seconds(model, repeats=3):
    """Best time to load a TF1 checkpoint of `model`'s own weights back into it."""
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
    """Write a TF1 checkpoint of `arch`, then time `load_checkpoint` into a fresh native model;
    returns (parameters, best seconds)."""
    import zoo

    source = zoo.create_model(arch)
    params = int(sum(np.prod(v.shape) for v in zoo.slim_variables(source).values()))
    with tempfile.TemporaryDirectory() as tmp:
        prefix = zoo.save_checkpoint(source, f"{tmp}/model.ckpt")
        target = zoo.create_model(arch)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            zoo.load_checkpoint(target, prefix)
            times.append(time.perf_counter() - start)
    log(f"{arch}: mapped {params:,} parameters in {min(times):.3f} s (best of {repeats}; all "
        f"{[round(t, 3) for t in times]})")
    return params, min(times)


if __name__ == "__main__":
    time_mapping()
