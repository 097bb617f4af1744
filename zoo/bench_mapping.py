"""Time the checkpoint engine: map a TF1 checkpoint into a native model (plan, read, assign)."""
import tempfile
import time

import numpy as np


def time_mapping(arch="resnet_v1_50", repeats=3, log=print):
    """Write a TF1 checkpoint of `arch` from its native model, then time `load_checkpoint` into a fresh
    native model; returns (parameters, best seconds)."""
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
    log(f"{arch}: mapped {params:,} parameters in {min(times):.3f} s (best of {repeats}; all {times})")
    return params, min(times)


if __name__ == "__main__":
    time_mapping()
