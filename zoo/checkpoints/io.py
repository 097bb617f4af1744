"""Finding, reading and atomically writing TF1 name-based checkpoints."""
import os
import tempfile

import numpy as np
import tensorflow as tf


class CheckpointError(ValueError):
    """A checkpoint could not be found, read or matched; the message says what to do."""


def resolve_checkpoint(path):
    """Return the checkpoint prefix for `path`: a prefix, a directory (its latest), or a shard file."""
    path = os.fspath(path)
    if os.path.isdir(path):
        latest = tf.train.latest_checkpoint(path)
        if latest and os.path.exists(latest + ".index"):
            return latest
        indexes = sorted(f[:-len(".index")] for f in os.listdir(path) if f.endswith(".index"))
        if len(indexes) == 1:
            return os.path.join(path, indexes[0])
        if not indexes:
            raise CheckpointError(
                f"Directory {path!r} holds no checkpoint (no '*.index' file). Pass a checkpoint prefix "
                "such as DIR/model.ckpt-1000, or the directory a TF1 Saver wrote to.")
        raise CheckpointError(
            f"Directory {path!r} holds several checkpoints and no 'checkpoint' state file naming the "
            f"latest: {indexes}. Pass one prefix explicitly.")
    for suffix in (".index", ".meta"):
        if path.endswith(suffix):
            path = path[:-len(suffix)]
    if ".data-" in os.path.basename(path):
        path = path[:path.rindex(".data-")]
    if os.path.exists(path + ".index"):
        return path
    raise CheckpointError(
        f"No checkpoint at {path!r}: neither a directory nor a prefix with a '{os.path.basename(path)}.index' "
        "file. Check the path; a TF1 checkpoint is named by its prefix (e.g. model.ckpt-1000), not a file.")


class CheckpointReader:
    """Keys, shapes and values of one name-based checkpoint, with errors that name the file."""

    def __init__(self, path):
        self.prefix = resolve_checkpoint(path)
        try:
            self._reader = tf.train.load_checkpoint(self.prefix)
        except (tf.errors.OpError, ValueError) as e:
            raise CheckpointError(
                f"Cannot read checkpoint {self.prefix!r}: {_first_line(e)}. The index is unreadable or not a "
                "TensorFlow checkpoint; re-download or re-export it.") from e
        self.shapes = {k: tuple(v) for k, v in self._reader.get_variable_to_shape_map().items()}
        self.dtypes = {k: tf.as_dtype(v) for k, v in self._reader.get_variable_to_dtype_map().items()}

    def __contains__(self, key):
        return key in self.shapes

    def keys(self):
        return sorted(self.shapes)

    def get(self, key):
        try:
            return self._reader.get_tensor(key)
        except (tf.errors.OpError, ValueError) as e:
            raise CheckpointError(
                f"Cannot read {key!r} from checkpoint {self.prefix!r}: {_first_line(e)}. The data shard "
                f"({os.path.basename(self.prefix)}.data-*) is missing, truncated or corrupt; copy it again "
                "next to the .index file.") from e


def _first_line(error):
    text = getattr(error, "message", None) or str(error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__


def write_checkpoint(values, prefix):
    """Write {name: array} as a TF1 name-based checkpoint at `prefix`, atomically.

    The shards are written under a temporary prefix in the same directory and renamed into place, data
    first and index last, so an interrupted write never leaves a readable half checkpoint under `prefix`.
    A `checkpoint` state file naming `prefix` is written too, so the directory resolves to it.
    """
    prefix = os.path.abspath(os.fspath(prefix))
    directory = os.path.dirname(prefix)
    os.makedirs(directory, exist_ok=True)
    names = sorted(values)
    tmp_dir = tempfile.mkdtemp(prefix=".tmp-", dir=directory)
    tmp_prefix = os.path.join(tmp_dir, "ckpt")
    try:
        with tf.init_scope():
            tf.raw_ops.SaveV2(prefix=tmp_prefix, tensor_names=names, shape_and_slices=[""] * len(names),
                              tensors=[tf.convert_to_tensor(np.asarray(values[n])) for n in names])
        written = sorted(os.listdir(tmp_dir), key=lambda f: f.endswith(".index"))
        for f in written:
            os.replace(os.path.join(tmp_dir, f), prefix + f[len("ckpt"):])
    finally:
        for f in os.listdir(tmp_dir):
            os.remove(os.path.join(tmp_dir, f))
        os.rmdir(tmp_dir)
    tf.compat.v1.train.update_checkpoint_state(directory, prefix, all_model_checkpoint_paths=[prefix])
    return prefix
