import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import zoo  # noqa: E402,F401  (sets up tf_keras before TensorFlow resolves tf.keras)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")


def random_images(arch, batch=4, seed=0, image_size=None):
    spec = zoo.get_spec(arch)
    size = image_size or spec.image_size
    return np.random.RandomState(seed).uniform(-1, 1, (batch, size, size, spec.channels)).astype(np.float32)


def _randomize_batch_norm(graph, seed=0):
    """Non-trivial batch-norm parameters and statistics, so that parity tests exercise them."""
    rng = np.random.RandomState(seed)
    ranges = {"gamma": (0.5, 1.5), "beta": (-0.5, 0.5), "moving_mean": (-0.5, 0.5), "moving_variance": (0.5, 1.5)}
    values = {}
    for name, value in graph.read().items():
        kind = name.rsplit("/", 1)[-1]
        if "BatchNorm/" in name and kind in ranges:
            values[name] = rng.uniform(*ranges[kind], size=value.shape).astype(value.dtype)
    graph.assign(values)


@pytest.fixture(scope="session")
def tf1_checkpoints(tmp_path_factory):
    """Per architecture: a TF1 checkpoint written by `tf.compat.v1.train.Saver` from the slim graph
    (random weights, batch-norm statistics randomized), and that graph."""
    cache = {}

    def get(arch, image_size=None, **kwargs):
        key = (arch, image_size, tuple(sorted(kwargs.items())))
        if key not in cache:
            graph = zoo.create_model(arch, "slim", image_size=image_size, **kwargs)
            _randomize_batch_norm(graph)
            prefix = graph.save(str(tmp_path_factory.mktemp(arch) / "model.ckpt"))
            cache[key] = (prefix, graph)
        return cache[key]

    return get
