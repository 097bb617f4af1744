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


@pytest.fixture(scope="session")
def tf1_checkpoints(tmp_path_factory):
    """Per architecture: a TF1 checkpoint written by `tf.compat.v1.train.Saver` from the slim graph."""
    cache = {}

    def get(arch, **kwargs):
        key = (arch, tuple(sorted(kwargs.items())))
        if key not in cache:
            graph = zoo.create_model(arch, "slim", **kwargs)
            prefix = graph.save(str(tmp_path_factory.mktemp(arch) / "model.ckpt"))
            cache[key] = (prefix, graph)
        return cache[key]

    return get
