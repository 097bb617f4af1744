"""Finding, reading and atomically writing checkpoints.

Readers see TF1 name-based checkpoints as they are, and TF2 object-based checkpoints written in the
`var_list` dict form (`tf.train.Checkpoint(var_list={name: var})`) by their original names, with TF2's
escaping (`/` -> `.S`, `.` -> `..`) undone, so one engine serves both.
"""
import contextlib
import glob
import os
import shutil

from typing import Any, Dict, Iterator, List, Mapping, Optional, Union

import numpy as np
import tensorflow as tf

from zoo import fs
from zoo.fs import OLD, TMP  # noqa: F401  (where tests and tools have found them)
from zoo.ownership import owned

PathLike = Union[str, "os.PathLike[str]"]

OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
VAR_LIST = "var_list"
_VALUE_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"


class CheckpointError(ValueError):
    """A checkpoint could not be found, read or matched; the message says what to do."""


def escape_name(name: str) -> str:
    """A variable name as a TF2 checkpoint key component: '.' -> '..', '/' -> '.S'."""
    return name.replace(".", "..").replace("/", ".S")


def unescape_name(component: str) -> str:
    out, i = [], 0
    while i < len(component):
        if component[i] == "." and i + 1 < len(component):
            out.append({".": ".", "S": "/"}.get(component[i + 1], "." + component[i + 1]))
            i += 2
        else:
            out.append(component[i])
            i += 1
    return "".join(out)


def resolve_checkpoint(path: PathLike) -> str:
    """Return the checkpoint prefix for `path`: a prefix, a directory (its latest), a train.py workdir (its
    `checkpoints/` latest), or a shard file."""
    path = os.fspath(path)
    if os.path.isdir(path) and os.path.isdir(os.path.join(path, "checkpoints")) and not any(
            f.endswith(".index") for f in os.listdir(path)):
        path = os.path.join(path, "checkpoints")
    if os.path.isdir(path):
        if any(f.startswith(OLD) for f in os.listdir(path)):
            sweep(path)  # an overwrite killed half-way: its journal puts the old checkpoint back
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
    directory = os.path.dirname(os.path.abspath(path))
    if any(f.startswith(OLD) for f in (os.listdir(directory) if os.path.isdir(directory) else ())):
        sweep(directory)  # an overwrite killed half-way: its journal puts the old checkpoint back
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

    def keys(self) -> List[str]:
        return sorted(self.shapes)

    def get(self, key: str) -> np.ndarray:
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

    def keys(self) -> List[str]:
        return sorted(self._arrays)

    def get(self, key: str) -> np.ndarray:
        return self._arrays[key]


def _first_line(error):
    text = getattr(error, "message", None) or str(error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__


def _prefix_files(prefix):
    directory, base = os.path.split(prefix)
    return sorted(f for f in os.listdir(directory) if f == base + ".index" or f.startswith(base + ".data-"))


def _move(names, source_dir, target_dir, rename=lambda f: f):
    """Data shards first, the .index last: a reader never sees an index whose data is not in place."""
    for f in sorted(names, key=lambda f: f.endswith(".index")):
        os.replace(os.path.join(source_dir, f), os.path.join(target_dir, rename(f)))


def roll_back(journal: str, directory: str) -> Optional[str]:
    """Put back what an overwrite moved into `journal`, unless the new checkpoint is complete. Journal files: PREFIX
    (the checkpoint's name), and MOVED once every old file is aside (before that the new files never moved in, so
    nothing in `directory` is removed); other journals are `zoo.fs`'s (an export's). Returns what was done."""
    def read(name):
        path = os.path.join(journal, name)
        return open(path).read().strip() if os.path.exists(path) else None

    prefix, moved = read("PREFIX"), read("MOVED") is not None
    if not prefix:
        return fs.roll_back_item(journal, directory)
    prefix = os.path.join(directory, prefix)
    if os.path.exists(prefix + ".index"):
        return None  # the old index never left, or the new checkpoint is complete
    if moved:  # the new data may be in place without its index: it goes, the old comes back
        for f in _prefix_files(prefix):
            os.remove(os.path.join(directory, f))
    _move([f for f in os.listdir(journal) if f.startswith(os.path.basename(prefix) + ".")], journal, directory)
    return f"restored {prefix} (an overwrite of it was interrupted)"


def sweep(directory: str) -> List[str]:
    """`zoo.fs.sweep` with checkpoint journals rolled back too: what killed writers left in `directory`."""
    return fs.sweep(directory, roll_back)


def check_destination(prefix: PathLike, overwrite: bool = False) -> str:
    """Refuse to write over an existing checkpoint unless `overwrite` (before any work is done)."""
    prefix = os.path.abspath(os.fspath(prefix))
    if os.path.isdir(os.path.dirname(prefix)):
        sweep(os.path.dirname(prefix))  # an interrupted overwrite is finished or undone before judging
    if os.path.exists(prefix + ".index") and not overwrite:
        raise FileExistsError(f"{prefix} already exists (a checkpoint); pass --overwrite (overwrite=True) to "
                              "replace it, or choose another destination.")
    return prefix


@contextlib.contextmanager
def atomic_prefix(prefix: PathLike, overwrite: bool = False) -> Iterator[str]:
    """Yield a temporary prefix in `prefix`'s directory; on success move its files to `prefix`.

    The new checkpoint is written completely under the temporary name first. Replacing an existing one
    (`overwrite`) moves the old files into a `.zoo-old-*` journal (index first) before the new ones move in (data
    first, index last), then deletes the journal: a kill at any moment leaves the old or the new checkpoint, and
    `sweep` (run by the next writer, and by a reader that finds no index) finishes the job.
    """
    prefix = os.path.abspath(os.fspath(prefix))
    directory = os.path.dirname(prefix)
    os.makedirs(directory, exist_ok=True)
    check_destination(prefix, overwrite)
    tmp_dir = fs.temporary_dir(directory)
    journal = None
    with contextlib.ExitStack() as owner_locks:  # held until the temporaries are gone
        owner_locks.enter_context(owned(tmp_dir))
        try:
            yield os.path.join(tmp_dir, "ckpt")
            written = [f for f in os.listdir(tmp_dir) if f.startswith("ckpt.")]
            if not any(f.endswith(".index") for f in written):
                raise CheckpointError(f"Writing {prefix!r} produced no .index file")
            check_destination(prefix, overwrite)  # another writer may have finished first
            old = _prefix_files(prefix)
            if old:
                journal = fs.temporary_dir(directory, fs.OLD)
                owner_locks.enter_context(owned(journal))
                fs.write_text(os.path.join(journal, "PREFIX"), os.path.basename(prefix))
                for f in sorted(old, key=lambda f: not f.endswith(".index")):  # the index first: unreadable, not mixed
                    os.replace(os.path.join(directory, f), os.path.join(journal, f))
                open(os.path.join(journal, "MOVED"), "w").close()
            _move(written, tmp_dir, directory, rename=lambda f: os.path.basename(prefix) + f[len("ckpt"):])
        finally:
            if journal:
                roll_back(journal, directory)  # nothing to do when the new checkpoint is complete
                shutil.rmtree(journal, ignore_errors=True)
            shutil.rmtree(tmp_dir, ignore_errors=True)


def _write_state_file(prefix):
    """The `checkpoint` file naming `prefix` as the latest (what tf.train.latest_checkpoint reads), only in a
    directory that holds no other checkpoint: a train.py workdir's state file belongs to its CheckpointManager."""
    directory, name = os.path.split(prefix)
    others = [f for f in os.listdir(directory) if f.endswith(".index") and f != name + ".index"]
    if others:
        return
    fs.write_text(os.path.join(directory, "checkpoint"),
                  f'model_checkpoint_path: "{name}"\nall_model_checkpoint_paths: "{name}"\n')


def write_checkpoint(values: Mapping[str, Any], prefix: PathLike, overwrite: bool = False) -> str:
    """Write {name: array} as a TF1 name-based checkpoint at `prefix`, atomically (see `atomic_prefix`), plus a
    `checkpoint` state file naming it when the directory holds no other checkpoint. Returns the prefix."""
    prefix = os.path.abspath(os.fspath(prefix))
    names = sorted(values)
    with atomic_prefix(prefix, overwrite) as tmp, tf.init_scope():
        tf.raw_ops.SaveV2(prefix=tmp, tensor_names=names, shape_and_slices=[""] * len(names),
                          tensors=[tf.convert_to_tensor(np.asarray(values[n])) for n in names])
    _write_state_file(prefix)
    return prefix


def write_object_checkpoint(trackable_kwargs: Dict[str, Any], prefix: PathLike, overwrite: bool = False) -> str:
    """Write a TF2 object-based checkpoint of `tf.train.Checkpoint(**trackable_kwargs)` atomically."""
    prefix = os.path.abspath(os.fspath(prefix))
    with atomic_prefix(prefix, overwrite) as tmp:
        tf.train.Checkpoint(**trackable_kwargs).write(tmp)
    _write_state_file(prefix)
    return prefix
