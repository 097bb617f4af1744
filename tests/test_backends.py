"""Keras 3 natives on the JAX and PyTorch backends, for the parity cases (BACKEND_TABLE): a TF1 checkpoint written
by the slim graph loads strictly and gives the slim graph's logits; `.keras` save/load round-trips exactly; Google's
MobileNet v1 0.25 release gives its frozen graph's softmax on real photographs; and `fit` from a TF1 checkpoint
starts from the TensorFlow backend's loss.

One worker process per backend, both at once, runs every case (tests/backend_worker.py); the references come from this
process: the TF1 graph (`Session.run`), the release's frozen graph, and the TensorFlow backend's `fit`.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import zoo
from conftest import (BATTERY, RELEASE_PB, ROOT, assert_close_to_scale, case_images, heavy, release_graph_softmax,
                      release_photos)

BACKENDS = ("jax", "torch")
# What differs between backends is each layer type's and op's semantics, so the parity cases whose layers and ops
# another case has (`ModelSpec.backends_by`: the width variants MobileNet v1 0.25, v2 0.35, v3 small; Inception v1, v2
# and v4, which have no layer or op that Inception v3 and Inception-ResNet v2 lack; PNASNet Mobile and NASNet CIFAR,
# NASNet Mobile's builder and layers) run on the TensorFlow backend only; every other parity case runs here.
BACKEND_TABLE = [r for r in BATTERY if not zoo.get_spec(r[0]).backends_by]
# `.keras` round trips of the largest nets (hundreds of MB each) run on the TensorFlow backend only
# (tests/test_parity.py); the format and the loading code are the same for every net.
NO_ROUND_TRIP = {r[0] for r in BATTERY if heavy(r[0])}
PB = RELEASE_PB


def _migrated_source(arch, kwargs, size):
    """The Python module `zoo.migrate` writes for the architecture's slim code (translation only: its TensorFlow
    parity runs in tests/test_parity.py)."""
    from zoo.migration import from_net_fn, registered_net, translate

    spec = zoo.get_spec(arch)
    net_fn, arg_scope, shape, net_kwargs = registered_net(arch, (size or spec.image_size,) * 2 + (spec.channels,),
                                                          kwargs)
    return translate(from_net_fn(net_fn, shape, arg_scope=arg_scope, **net_kwargs)).source(arch)


@pytest.fixture(scope="module")
def runs(tf1_checkpoints, tmp_path_factory):
    """{backend: {name: npz}} from one worker process per backend, and the job it was given."""
    work = tmp_path_factory.mktemp("backends")
    cases = []
    for arch, kwargs, size in BACKEND_TABLE:
        prefix, _ = tf1_checkpoints(arch, image_size=size, **kwargs)
        images = str(work / f"{arch}.npy")
        np.save(images, case_images((arch, kwargs, size)))
        source = str(work / f"{arch}_migrated.py")
        with open(source, "w") as f:  # the slim code translated (on TensorFlow); each worker builds it
            f.write(_migrated_source(arch, kwargs, size))
        cases.append({"arch": arch, "kwargs": kwargs, "image_size": size, "checkpoint": prefix, "images": images,
                      "round_trip": arch not in NO_ROUND_TRIP, "migrated_source": source})
    job = {"cases": cases, "fine_tune": tf1_checkpoints("lenet")[0]}
    if os.path.exists(PB):
        np.save(work / "photos.npy", release_photos())
        job["release"] = {"frozen_graph": PB, "photos": str(work / "photos.npy")}
    with open(work / "job.json", "w") as f:
        json.dump(job, f)
    # Both workers at once: each is mostly single-threaded Python (building models, mapping), so side by side they
    # take little longer than one.
    procs, logs, worker = {}, [], os.path.join(ROOT, "tests", "backend_worker.py")
    results = {}
    try:
        for backend in BACKENDS:
            (work / backend).mkdir()
            logs.append(open(work / f"{backend}.stderr", "w"))
            procs[backend] = subprocess.Popen(
                [sys.executable, worker, str(work / "job.json"), str(work / backend)], stdout=subprocess.DEVNULL,
                stderr=logs[-1], cwd=ROOT, env=dict(os.environ, KERAS_BACKEND=backend))
        for backend, proc in procs.items():
            proc.wait(timeout=1800)
            assert proc.returncode == 0, \
                f"{backend} worker failed:\n{(work / f'{backend}.stderr').read_text()[-3000:]}"
            out = work / backend
            results[backend] = {f[len(backend) + 1:-4]: np.load(out / f) for f in os.listdir(out) if f.endswith(".npz")}
    finally:  # a failed or hung worker does not leave the other running
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for log in logs:
            log.close()
    return results, job


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", BACKEND_TABLE, ids=[c[0] for c in BACKEND_TABLE])
def test_tf1_checkpoint_into_keras3_native_on_backend(backend, case, runs, tf1_checkpoints):
    arch, kwargs, size = case
    _, graph = tf1_checkpoints(arch, image_size=size, **kwargs)
    result = runs[0][backend][arch]
    assert int(result["mapped"]) == len(graph.variables)
    # 1e-4 relative to the logits' scale: random batch-norm statistics make deep nets' logits reach ~1e3,
    # where float32's own spacing is ~1e-4 (the per-case scales are in the README).
    assert_close_to_scale(result["logits"], graph(case_images(case)), rtol=1e-4, err_msg=f"{backend} {arch}")
    # zoo.migrate's model of the slim code, built on this backend: the same logits, every variable loaded.
    assert int(result["migrated_mapped"]) == len([v for v in graph.variables if v.op.name != "global_step"])
    assert_close_to_scale(result["migrated"], graph(case_images(case)), rtol=1e-4, err_msg=f"{backend} {arch} migrated")
    if arch not in NO_ROUND_TRIP:
        np.testing.assert_array_equal(result["round_trip"], result["logits"])
        assert bool(result["same_class"])


@pytest.mark.skipif(not os.path.exists(PB), reason="../shared/pretrained is not present")
@pytest.mark.parametrize("backend", BACKENDS)
def test_release_weights_on_backend(backend, runs):
    expected = release_graph_softmax(np.load(runs[1]["release"]["photos"]))
    np.testing.assert_allclose(runs[0][backend]["release"]["softmax"], expected, rtol=0, atol=1e-4)


def test_jax_fine_tune_from_tf1_checkpoint_starts_at_the_tensorflow_loss(runs):
    """`fit` on the JAX backend from a TF1 checkpoint: first-step loss equal to the TensorFlow backend's
    (1e-4), and the loss goes down over the steps."""
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from backend_worker import fine_tune

    tensorflow = fine_tune(runs[1]["fine_tune"])["losses"]
    jax = runs[0]["jax"]["fine_tune"]["losses"]
    assert len(jax) == len(tensorflow) == 6
    np.testing.assert_allclose(jax[0], tensorflow[0], rtol=0, atol=1e-4)
    np.testing.assert_allclose(jax, tensorflow, rtol=1e-3)
    assert jax[-1] < jax[0]
