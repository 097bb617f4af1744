"""Checkpoint converters (the checkpoint-migration guide's scenarios), all writing atomically.

- tf1_to_tf2 / tf2_to_tf1: any checkpoint, name-based <-> object-based in `var_list` dict form.
- tf1_to_native: a TF1 checkpoint through an architecture's mapping into the native Keras model, saved as
  that model's TF2 object-based checkpoint (`tf.train.Checkpoint(model=...)`, what train.py writes).
- native_to_tf1: the reverse, e.g. a train.py checkpoint for a pipeline that still needs TF1 names.
"""
import numpy as np
import tensorflow as tf

from zoo.checkpoints.io import (VAR_LIST, CheckpointError, CheckpointReader, check_destination, write_checkpoint,
                                write_object_checkpoint)

KERASES = ("keras", "tf_keras")


def tf1_to_tf2(src, dst, overwrite=False):
    """Name-based -> object-based `tf.train.Checkpoint(var_list={name: variable})`. Returns dst prefix."""
    check_destination(dst, overwrite)
    reader = CheckpointReader(src)
    if reader.kind != "tf1":
        raise CheckpointError(f"{reader.prefix!r} is already a TF2 object-based checkpoint ({reader.kind}).")
    with tf.init_scope():
        variables = {k: tf.Variable(reader.get(k)) for k in reader.keys()}
    return write_object_checkpoint({VAR_LIST: variables}, dst, overwrite)


def tf2_to_tf1(src, dst, overwrite=False):
    """Object-based `var_list` form -> name-based (the names unescaped). Returns dst prefix."""
    check_destination(dst, overwrite)
    reader = CheckpointReader(src)
    if reader.kind == "tf2-object":
        raise CheckpointError(
            f"{reader.prefix!r} is an object-based checkpoint of a model, not the var_list form: its keys "
            "carry no variable names. If it is a zoo native model's (train.py's), convert it with "
            "--model NAME (native_to_tf1).")
    return write_checkpoint({k: reader.get(k) for k in reader.keys()}, dst, overwrite)


def tf1_to_native(arch, src, dst, num_classes=None, keras="keras", overwrite=False, **load_options):
    """TF1 checkpoint -> native model (strict mapping, report) -> TF2 object checkpoint. Returns (prefix,
    report)."""
    from zoo.api import create_model

    check_destination(dst, overwrite)
    model = create_model(arch, "native", num_classes=num_classes, checkpoint=src, keras=keras, **load_options)
    return write_object_checkpoint({"model": model}, dst, overwrite), model.load_report


def native_object_values(arch, src, num_classes=None, keras=None) -> dict:
    """{slim_name: array} of a native model's TF2 object checkpoint (train.py's, or `tf1_to_native`'s).

    keras: the Keras it was trained with (their object graphs differ); None tries Keras 3, then tf_keras."""
    from zoo.api import create_model, read_weights

    reader = src if isinstance(src, CheckpointReader) else CheckpointReader(src)
    if reader.kind != "tf2-object":
        raise CheckpointError(f"{reader.prefix!r} is a {reader.kind} checkpoint, not a native model's "
                              "object-based one; use tf2_to_tf1 or load it with zoo.load_checkpoint.")
    problems = []
    for which in [keras] if keras else KERASES:
        model = create_model(arch, "native", num_classes=num_classes, keras=which)
        before = [np.array(w) for w in model.get_weights()]
        try:
            status = tf.train.Checkpoint(model=model).read(reader.prefix)
            status.expect_partial().assert_existing_objects_matched()
        except (AssertionError, ValueError, tf.errors.OpError) as e:
            problems.append(f"as {which}: {str(e).strip().splitlines()[0]}")
            continue
        if all(np.array_equal(a, b) for a, b in zip(before, model.get_weights())):
            problems.append(f"as {which}: nothing was restored")
            continue
        return read_weights(model)
    raise CheckpointError(f"{reader.prefix!r} does not fit a native {arch!r} with num_classes="
                          f"{model.get_config()['num_classes']} ({'; '.join(problems)}). Is it another "
                          "architecture's, or trained with another --num-classes?")


def native_to_tf1(arch, src, dst, num_classes=None, keras=None, overwrite=False):
    """A native model's TF2 object checkpoint (e.g. train.py's workdir) -> TF1 name-based checkpoint."""
    check_destination(dst, overwrite)
    return write_checkpoint(native_object_values(arch, src, num_classes, keras), dst, overwrite)
