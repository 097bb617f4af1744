"""Checkpoint converters (the checkpoint-migration guide's scenarios), all writing atomically.

- tf1_to_tf2 / tf2_to_tf1: any checkpoint, name-based <-> object-based in `var_list` dict form.
- tf1_to_native: a TF1 checkpoint through an architecture's mapping into the native Keras model, saved as
  that model's TF2 object-based checkpoint (`tf.train.Checkpoint(model=...)`, what train.py writes).
- native_to_tf1: the reverse, e.g. a train.py checkpoint for a pipeline that still needs TF1 names.
"""
from typing import Any, Optional, Tuple

import tensorflow as tf

from zoo.api import create_model
from zoo.checkpoints.engine import LoadReport
from zoo.checkpoints.io import (VAR_LIST, CheckpointError, CheckpointReader, PathLike, check_destination,
                                write_checkpoint, write_object_checkpoint)
from zoo.native import native_object_values  # noqa: F401  (importable from here as before)


def tf1_to_tf2(src: PathLike, dst: PathLike, overwrite: bool = False) -> str:
    """Name-based -> object-based `tf.train.Checkpoint(var_list={name: variable})`. Returns dst prefix."""
    check_destination(dst, overwrite)
    reader = CheckpointReader(src)
    if reader.kind != "tf1":
        raise CheckpointError(f"{reader.prefix!r} is already a TF2 object-based checkpoint ({reader.kind}).")
    with tf.init_scope():
        variables = {k: tf.Variable(reader.get(k)) for k in reader.keys()}
    return write_object_checkpoint({VAR_LIST: variables}, dst, overwrite)


def tf2_to_tf1(src: PathLike, dst: PathLike, overwrite: bool = False) -> str:
    """Object-based `var_list` form -> name-based (the names unescaped). Returns dst prefix."""
    check_destination(dst, overwrite)
    reader = CheckpointReader(src)
    if reader.kind == "tf2-object":
        raise CheckpointError(
            f"{reader.prefix!r} is an object-based checkpoint of a model, not the var_list form: its keys "
            "carry no variable names. If it is a zoo native model's (train.py's), convert it with "
            "--model NAME (native_to_tf1).")
    return write_checkpoint({k: reader.get(k) for k in reader.keys()}, dst, overwrite)


def tf1_to_native(arch: str, src: PathLike, dst: PathLike, num_classes: Optional[int] = None, keras: str = "keras",
                  overwrite: bool = False, **load_options: Any) -> Tuple[str, LoadReport]:
    """TF1 checkpoint -> native model (strict mapping, report) -> TF2 object checkpoint. Returns (prefix,
    report)."""
    check_destination(dst, overwrite)
    model = create_model(arch, "native", num_classes=num_classes, checkpoint=src, keras=keras, **load_options)
    return write_object_checkpoint({"model": model}, dst, overwrite), model.load_report


def native_to_tf1(arch: str, src: PathLike, dst: PathLike, num_classes: Optional[int] = None,
                  keras: Optional[str] = None, overwrite: bool = False) -> str:
    """A native model's TF2 object checkpoint (e.g. train.py's workdir) -> TF1 name-based checkpoint."""
    check_destination(dst, overwrite)
    return write_checkpoint(native_object_values(arch, src, num_classes, keras), dst, overwrite)
