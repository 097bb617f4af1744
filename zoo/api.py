"""The public entry points: create a model in any implementation, move TF1 checkpoints in and out."""
import functools

import numpy as np

from zoo import preprocessing
from zoo.checkpoints import plan_load, write_checkpoint
from zoo.checkpoints.engine import as_reader
from zoo.checkpoints.io import ArrayReader
from zoo.checkpoints.frozen import frozen_graph_reader
from zoo.native import is_native, native_class
from zoo.nn import check_keras
from zoo.registry import check_image_size, check_impl, get_spec

LOAD_OPTIONS = ("exclude_scopes", "ignore_missing_vars", "use_ema", "assignment_map", "head", "strict")


def create_model(name: str, impl: str = "native", num_classes: int = None, checkpoint=None, image_size: int = None,
                 frozen_graph=None, include_top: bool = True, pooling: str = None, pretrained=None,
                 keras: str = None, **kwargs):
    """Build `name` in one implementation, optionally with weights.

    Args:
        name: a registered architecture (`list_models()`), or `"arch.tag"` for published weights.
        impl: "native" (a `NativeModel`: plain Keras), "shim" (a tf_keras Model running the slim code) or
            "slim" (`SlimGraphModel`: the slim net in its own TF1 graph and session).
        keras: for impl="native", which Keras: "keras" (default; Keras 3 on whatever `KERAS_BACKEND` says:
            tensorflow, jax or torch) or "tf_keras" (Keras 2; what the migration guide's shim<->native checks and
            tf.keras-2 code need). The shim is always tf_keras.
        num_classes, image_size: default to the architecture's (or the pretrained weights').
        checkpoint: a TF1 name-based checkpoint prefix or directory (or a TF2 one in var_list form), loaded
            strictly through the architecture's mapping; load options (see `load_checkpoint`) may be passed here.
        frozen_graph: a release's *_frozen.pb whose Const nodes carry slim names, loaded the same way.
        pretrained: True (the default published weights), a tag of weights_manifest.json ("imagenet_192"), or a
            local tarball, checkpoint or frozen .pb path. Downloads go to $ZOO_HOME, hash-checked; a different
            num_classes gets a freshly initialised head.
        include_top, pooling: (native) False returns the last feature map, pooled by "avg" | "max".
        **kwargs: the architecture's options (weight_decay, dropout_keep_prob, depth_multiplier, ...).

    Returns the model, carrying `load_report` when weights were loaded, `pretrained_cfg` and
    `preprocess(image)` (one uint8 HWC image -> the model's input).
    """
    if "." in name:
        name, tag = name.split(".", 1)
        pretrained = tag if pretrained in (None, True) else pretrained
    spec = get_spec(name)
    check_impl(impl)
    if keras is not None and impl != "native":
        if impl == "shim" and check_keras(keras) == "tf_keras":
            keras = None
        else:
            raise ValueError(f"keras={keras!r} applies to impl='native'; the shim is tf_keras only "
                             "(track_tf1_style_variables exists nowhere else) and slim is a TF1 graph.")
    keras = check_keras(keras or "keras")
    load_options = {k: kwargs.pop(k) for k in LOAD_OPTIONS if k in kwargs}
    if sum(x is not None for x in (checkpoint, frozen_graph)) + bool(pretrained) > 1:
        raise ValueError("Pass one of checkpoint=, frozen_graph= or pretrained=.")
    entry = None
    if pretrained:
        from zoo.weights import locate

        located = locate(name, pretrained)
        checkpoint, frozen_graph, entry = located.checkpoint, located.frozen_graph, located.entry
        if entry is not None:
            image_size = image_size or entry["input_size"]
            if num_classes is not None and num_classes != entry["num_classes"]:
                load_options.setdefault("head", "auto")
            num_classes = entry["num_classes"] if num_classes is None else num_classes
    if load_options and checkpoint is None and frozen_graph is None:
        raise ValueError(f"{sorted(load_options)} only apply with checkpoint= or frozen_graph=")
    if (not include_top or pooling) and impl != "native":
        raise ValueError("include_top=False / pooling are for impl='native'; slim and shim run the "
                         "original net (pass num_classes=0 for slim's own feature output).")
    num_classes = spec.num_classes if num_classes is None else num_classes
    image_size = check_image_size(spec, image_size or spec.image_size)
    if impl == "slim":
        from zoo.slim_graph import SlimGraphModel

        model = SlimGraphModel(name, num_classes=num_classes, image_size=image_size, **kwargs)
    elif impl == "shim":
        import tensorflow as tf

        from zoo.shim import SlimShim

        model = SlimShim(name, num_classes=num_classes, **kwargs)
        model(tf.zeros([1, image_size, image_size, spec.channels]))  # create the variables now
    else:
        if not include_top:  # the head is not part of a headless model: its checkpoint keys are not needed
            load_options.setdefault("exclude_scopes", spec.mapping.head_variable_scopes)
        model = native_class(keras)(name, num_classes=num_classes, image_size=image_size, include_top=include_top,
                                    pooling=pooling, pretrained_cfg=entry, **kwargs)
    if frozen_graph is not None:
        checkpoint = frozen_graph_reader(frozen_graph)
    if checkpoint is not None:
        model.load_report = load_checkpoint(model, checkpoint, **load_options)
    if not is_native(model):
        model.pretrained_cfg = entry
        model.preprocess = functools.partial(preprocessing.preprocess,
                                             preprocessing.preprocessing_for(spec, entry), image_size=image_size)
    return model


def slim_variables(model) -> dict:
    """{slim_name: variable} for a model of any implementation (native on either Keras, shim, slim graph)."""
    method = getattr(model, "slim_variables", None)
    if method is None or getattr(model, "arch", None) is None:
        raise TypeError(f"{type(model).__name__} {getattr(model, 'name', '')!r} was not made by "
                        "zoo.create_model; cannot map it to slim names.")
    return method()


def _is_slim_graph(model):
    from zoo.slim_graph import SlimGraphModel

    return isinstance(model, SlimGraphModel)


def _shape(variable):
    return tuple(int(d) for d in variable.shape)


def load_checkpoint(model, checkpoint, **options):
    """Load a checkpoint into `model` (any implementation); returns the `LoadReport`.

    checkpoint: a TF1 name-based checkpoint (prefix, directory, `CheckpointReader` or `ArrayReader`), a TF2 one
    in var_list form, or a native model's object-based checkpoint — a train.py workdir or its `checkpoints/` —
    read through a native model of the same architecture. Strict by default. Options: exclude_scopes,
    ignore_missing_vars, use_ema, assignment_map, head ("strict" | "auto" | "reinit"), strict. See
    `zoo.checkpoints.plan_load`; non-finite values are refused when strict.
    """
    variables = slim_variables(model)
    shapes = {name: _shape(v) for name, v in variables.items()}
    spec = get_spec(model.arch)
    reader = as_reader(checkpoint)
    if reader.kind == "tf2-object":
        from zoo.native import native_object_values

        classes = model.get_config()["num_classes"] if is_native(model) else model.num_classes
        reader = ArrayReader(native_object_values(model.arch, reader, num_classes=classes), reader.prefix)
    report, values = plan_load(reader, shapes, head_scopes=spec.mapping.head_variable_scopes, **options)
    if _is_slim_graph(model):  # one Session.run of prebuilt assign ops
        model.assign(values)
    else:
        for name, value in values.items():
            variables[name].assign(value)
    return report


def read_weights(model) -> dict:
    """{slim_name: numpy array} for a model of any implementation."""
    if _is_slim_graph(model):
        return model.read()
    return {name: np.array(v.numpy()) for name, v in slim_variables(model).items()}


def save_checkpoint(model, prefix, overwrite: bool = False) -> str:
    """Write `model`'s weights as a TF1 name-based checkpoint (what `tf.compat.v1.train.Saver` restores
    into the slim net), atomically; an existing checkpoint at `prefix` is replaced only with overwrite=True.
    Returns the prefix."""
    return write_checkpoint(read_weights(model), prefix, overwrite)
