"""Finding, reading and atomically writing checkpoints.

Readers see TF1 name-based checkpoints as they are, and TF2 object-based checkpoints written in the
`var_list` dict form (`tf.train.Checkpoint(var_list={name: var})`) by their original names, with TF2's
escaping (`/` -> `.S`, `.` -> `..`) undone, so one engine serves both.
"""
import contextlib
import glob
import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf

OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
VAR_LIST = "var_list"
_VALUE_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"


class CheckpointError(ValueError):
    """A checkpoint could not be found, read or matched; the message says what to do."""


def escape_name(name):
    """A variable name as a TF2 checkpoint key component: '.' -> '..', '/' -> '.S'."""
    return name.replace(".", "..").replace("/", ".S")


def unescape_name(component):
    out, i = [], 0
    while i < len(component):
        if component[i] == "." and i + 1 < len(component):
            out.append({".": ".", "S": "/"}.get(component[i + 1], "." + component[i + 1]))
            i += 2
        else:
            out.append(component[i])
            i += 1
    return "".join(out)


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
        "file. Check the path; a checkpoint is named by its prefix (e.g. model.ckpt-1000), not a file.")


class CheckpointReader:
    """Keys, shapes, dtypes and values of one checkpoint, with errors that name the file.

    kind: "tf1" (name-based), "tf2-var-list" (object-based, var_list dict form; keys are the original
    names) or "tf2-object" (object-based, any other object graph; keys are the raw object paths).
    """

    def __init__(self, path):
        self.prefix = resolve_checkpoint(path)
        try:
            reader = tf.train.load_checkpoint(self.prefix)
            raw_shapes = reader.get_variable_to_shape_map()
            raw_dtypes = reader.get_variable_to_dtype_map()
        except (tf.errors.OpError, ValueError) as e:
            raise CheckpointError(
                f"Cannot read checkpoint {self.prefix!r}: {_first_line(e)}. Its .index file is unreadable or "
                "not a TensorFlow checkpoint; copy or export it again.") from e
        self._reader = reader
        raw_keys = [k for k in raw_shapes if k != OBJECT_GRAPH_KEY]
        if OBJECT_GRAPH_KEY not in raw_shapes:
            self.kind, self._storage = "tf1", {k: k for k in raw_keys}
        elif raw_keys and all(k.startswith(VAR_LIST + "/") and k.endswith(_VALUE_SUFFIX) for k in raw_keys):
            self.kind = "tf2-var-list"
            self._storage = {unescape_name(k[len(VAR_LIST) + 1:-len(_VALUE_SUFFIX)]): k for k in raw_keys}
        else:
            self.kind, self._storage = "tf2-object", {k: k for k in raw_keys}
        self.shapes = {k: tuple(raw_shapes[s]) for k, s in self._storage.items()}
        self.dtypes = {k: tf.as_dtype(raw_dtypes[s]) for k, s in self._storage.items()}

    def __contains__(self, key):
        return key in self.shapes

    def keys(self):
        return sorted(self.shapes)

    def get(self, key):
        try:
            return self._reader.get_tensor(self._storage[key])
        except (tf.errors.OpError, ValueError, IndexError) as e:  # IndexError: a truncated shard
            shards = glob.glob(glob.escape(self.prefix) + ".data-*")
            what = ("its data shard is missing: only the .index file is there" if not shards else
                    f"its data shard ({os.path.basename(shards[0])}) is truncated or corrupt")
            raise CheckpointError(
                f"Cannot read {key!r} from checkpoint {self.prefix!r}: {what} ({_first_line(e)}). Copy the "
                "complete checkpoint (.index and every .data-* shard) again.") from e


class ArrayReader:
    """A `CheckpointReader` over arrays already in memory (e.g. a frozen graph's weight constants), so
    the engine plans and reports them exactly like checkpoint keys."""

    kind = "arrays"

    def __init__(self, arrays, origin):
        self.prefix = origin
        self._arrays = dict(arrays)
        self.shapes = {k: tuple(np.shape(v)) for k, v in self._arrays.items()}
        self.dtypes = {k: tf.as_dtype(np.asarray(v).dtype) for k, v in self._arrays.items()}

    def __contains__(self, key):
        return key in self._arrays

    def keys(self):
        return sorted(self._arrays)

    def get(self, key):
        return self._arrays[key]


def _first_line(error):
    text = getattr(error, "message", None) or str(error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__


@contextlib.contextmanager
def atomic_prefix(prefix):
    """Yield a temporary prefix in `prefix`'s directory; on success move its files to `prefix`.

    Data shards move first and the .index last, so an interrupted write never leaves a readable half
    checkpoint under `prefix`; on failure nothing is left behind.
    """
    prefix = os.path.abspath(os.fspath(prefix))
    directory = os.path.dirname(prefix)
    os.makedirs(directory, exist_ok=True)
    tmp_dir = tempfile.mkdtemp(prefix=".tmp-", dir=directory)
    try:
        yield os.path.join(tmp_dir, "ckpt")
        written = sorted((f for f in os.listdir(tmp_dir) if f.startswith("ckpt.")),
                         key=lambda f: f.endswith(".index"))
        if not any(f.endswith(".index") for f in written):
            raise CheckpointError(f"Writing {prefix!r} produced no .index file")
        for f in written:
            os.replace(os.path.join(tmp_dir, f), prefix + f[len("ckpt"):])
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


def _write_state_file(prefix):
    """The `checkpoint` file naming `prefix` as the latest (what tf.train.latest_checkpoint reads)."""
    directory, name = os.path.split(prefix)
    text = f'model_checkpoint_path: "{name}"\nall_model_checkpoint_paths: "{name}"\n'
    tmp = os.path.join(directory, f".checkpoint.tmp-{os.getpid()}")
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, os.path.join(directory, "checkpoint"))


def write_checkpoint(values, prefix):
    """Write {name: array} as a TF1 name-based checkpoint at `prefix`, atomically, plus a `checkpoint`
    state file naming it, so the directory resolves to it. Returns the absolute prefix."""
    prefix = os.path.abspath(os.fspath(prefix))
    names = sorted(values)
    with atomic_prefix(prefix) as tmp, tf.init_scope():
        tf.raw_ops.SaveV2(prefix=tmp, tensor_names=names, shape_and_slices=[""] * len(names),
                          tensors=[tf.convert_to_tensor(np.asarray(values[n])) for n in names])
    _write_state_file(prefix)
    return prefix


def write_object_checkpoint(trackable_kwargs, prefix):
    """Write a TF2 object-based checkpoint of `tf.train.Checkpoint(**trackable_kwargs)` atomically."""
    prefix = os.path.abspath(os.fspath(prefix))
    with atomic_prefix(prefix) as tmp:
        tf.train.Checkpoint(**trackable_kwargs).write(tmp)
    _write_state_file(prefix)
    return prefix
