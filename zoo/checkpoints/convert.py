"""Checkpoint converters (the checkpoint-migration guide's scenarios), all writing atomically.

- tf1_to_tf2 / tf2_to_tf1: any checkpoint, name-based <-> object-based in `var_list` dict form.
- tf1_to_native: a TF1 checkpoint through an architecture's mapping into the native Keras model, saved as
  that model's TF2 object-based checkpoint (`tf.train.Checkpoint(model=...)`, what train.py writes).
- native_to_tf1: the reverse, e.g. a train.py checkpoint for a pipeline that still needs TF1 names.
"""
import numpy as np
import tensorflow as tf

from zoo.checkpoints.io import (VAR_LIST, CheckpointError, CheckpointReader, write_checkpoint,
                                write_object_checkpoint)


def tf1_to_tf2(src, dst):
    """Name-based -> object-based `tf.train.Checkpoint(var_list={name: variable})`. Returns dst prefix."""
    reader = CheckpointReader(src)
    if reader.kind != "tf1":
        raise CheckpointError(f"{reader.prefix!r} is already a TF2 object-based checkpoint ({reader.kind}).")
    with tf.init_scope():
        variables = {k: tf.Variable(reader.get(k)) for k in reader.keys()}
    return write_object_checkpoint({VAR_LIST: variables}, dst)


def tf2_to_tf1(src, dst):
    """Object-based `var_list` form -> name-based (the names unescaped). Returns dst prefix."""
    reader = CheckpointReader(src)
    if reader.kind == "tf2-object":
        raise CheckpointError(
            f"{reader.prefix!r} is an object-based checkpoint of a model, not the var_list form: its keys "
            "carry no variable names. If it is a zoo native model's (train.py's), convert it with "
            "--model NAME (native_to_tf1).")
    return write_checkpoint({k: reader.get(k) for k in reader.keys()}, dst)


def tf1_to_native(arch, src, dst, num_classes=None, keras="keras", **load_options):
    """TF1 checkpoint -> native model (strict mapping, report) -> TF2 object checkpoint. Returns (prefix,
    report)."""
    from zoo.api import create_model

    model = create_model(arch, "native", num_classes=num_classes, checkpoint=src, keras=keras, **load_options)
    return write_object_checkpoint({"model": model}, dst), model.load_report


def native_to_tf1(arch, src, dst, num_classes=None, keras="keras"):
    """A native model's TF2 object checkpoint (e.g. train.py's workdir) -> TF1 name-based checkpoint. `keras`:
    the Keras the model was trained with (their object graphs differ)."""
    from zoo.api import create_model, save_checkpoint

    reader = CheckpointReader(src)
    if reader.kind != "tf2-object":
        raise CheckpointError(f"{reader.prefix!r} is a {reader.kind} checkpoint, not a native model's "
                              "object-based one; use tf2_to_tf1 or load it with zoo.load_checkpoint.")
    model = create_model(arch, "native", num_classes=num_classes, keras=keras)
    before = [np.array(w) for w in model.get_weights()]
    try:
        status = tf.train.Checkpoint(model=model).read(reader.prefix)
        status.expect_partial().assert_existing_objects_matched()
    except (AssertionError, ValueError, tf.errors.OpError) as e:
        raise CheckpointError(f"{reader.prefix!r} does not fit native {arch!r} with num_classes="
                              f"{model.get_config()['num_classes']} (keras={keras!r}): "
                              f"{str(e).splitlines()[0]}") from e
    if all(np.array_equal(a, b) for a, b in zip(before, model.get_weights())):
        raise CheckpointError(f"{reader.prefix!r} holds no weights of a native {arch!r} model "
                              "(nothing was restored); is it another architecture's?")
    return save_checkpoint(model, dst)
