"""zoo: TF-Slim reference architectures in three implementations (slim, shim, native) with checkpoint
mappers. Importing zoo first sets TensorFlow up for tf_keras (see zoo.compat)."""
from zoo import compat  # noqa: F401  (must run before TensorFlow resolves tf.keras)
from zoo import models  # noqa: F401  (registers the architectures)
from zoo.api import create_model, load_checkpoint, read_weights, save_checkpoint, slim_variables
from zoo.checkpoints import CheckpointError, CheckpointMismatchError, LoadReport
from zoo.registry import IMPLS, get_spec, list_models
from zoo.weights import list_pretrained

__all__ = ["IMPLS", "CheckpointError", "CheckpointMismatchError", "LoadReport", "create_model", "get_spec",
           "list_models", "list_pretrained", "load_checkpoint", "read_weights", "save_checkpoint", "slim_variables"]
