"""zoo: TF-Slim reference architectures in three implementations (slim, shim, native Keras 3 / tf_keras) with
checkpoint mappers.

Importing zoo changes nothing global: `tf.keras` stays what it was, no environment variable is set, and
TensorFlow is imported only when a name below is first used (so `python -m zoo --help` stays fast).
"""
import importlib

_PUBLIC = {
    "create_model": "zoo.api", "load_checkpoint": "zoo.api", "read_weights": "zoo.api",
    "save_checkpoint": "zoo.api", "slim_variables": "zoo.api",
    "CheckpointError": "zoo.checkpoints", "CheckpointMismatchError": "zoo.checkpoints", "LoadReport": "zoo.checkpoints",
    "IMPLS": "zoo.registry", "get_spec": "zoo.registry", "list_models": "zoo.registry",
    "list_pretrained": "zoo.weights", "migrate": "zoo.migration", "NativeModel": "zoo.native", "native_class": "zoo.native",
}
__all__ = sorted(_PUBLIC)
__version__ = "0.2.0"


def __getattr__(name):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'zoo' has no attribute {name!r}")
    if name == "NativeModel":
        value = importlib.import_module("zoo.native").native_class("keras")
    else:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + __all__)
