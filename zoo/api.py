"""The public entry points: create a model in any implementation, move TF1 checkpoints in and out."""
import functools
import weakref

import numpy as np
import tensorflow as tf

from zoo import preprocessing
from zoo.checkpoints import plan_load, write_checkpoint
from zoo.checkpoints.frozen import frozen_graph_reader
from zoo.registry import check_impl, get_spec
from zoo.shim import SlimShim
from zoo.slim_graph import SlimGraphModel

LOAD_OPTIONS = ("exclude_scopes", "ignore_missing_vars", "use_ema", "assignment_map", "head", "strict")
_BUILD_ARGUMENTS = weakref.WeakKeyDictionary()  # native model -> (arch, kwargs it was built with)


def build_arguments(model):
    """(arch, kwargs) that `create_model` built this native model with."""
    try:
        return _BUILD_ARGUMENTS[model]
    except (KeyError, TypeError):
        raise TypeError(f"{getattr(model, 'name', model)!r} was not built by zoo.create_model") from None


def create_model(name, impl="native", num_classes=None, checkpoint=None, image_size=None, frozen_graph=None,
                 include_top=True, pooling=None, pretrained=None, **kwargs):
    """Build `name` as "native" (tf_keras Model), "shim" (tf_keras Model running the slim code) or "slim"
    (`SlimGraphModel`: the slim net in its own TF1 graph and session).

    checkpoint: a TF1 name-based checkpoint prefix or directory (or a TF2 one in var_list form), loaded
    strictly through the architecture's mapping; frozen_graph: a release's *_frozen.pb whose Const nodes
    carry slim names, loaded the same way. Options for the load (see `load_checkpoint`) may be passed here.
    include_top=False (native only) returns the features at the architecture's last feature map, pooled
    with pooling="avg"|"max" (keras.applications semantics); the checkpoint's head is then not needed.
    pretrained: True (the architecture's default published weights), a tag from weights_manifest.json
    (`"imagenet_192"`; or name the model `"mobilenet_v1_025.imagenet_192"`), or a local tarball, checkpoint
    or frozen .pb path. Published weights are downloaded once into $ZOO_HOME, hash-checked, and set the
    default num_classes and image_size; a different num_classes gets a freshly initialised head.
    Other keyword arguments (weight_decay, dropout_keep_prob, ...) go to the architecture.
    The returned model carries `load_report` when weights were loaded, `pretrained_cfg` (the manifest
    entry, or None) and `preprocess(image)` (one uint8 HWC image → the model's input).
    """
    if "." in name:
        name, tag = name.split(".", 1)
        pretrained = tag if pretrained in (None, True) else pretrained
    spec = get_spec(name)
    check_impl(impl)
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
    if not include_top or pooling:
        if impl != "native":
            raise ValueError("include_top=False / pooling are for impl='native'; slim and shim run the "
                             "original net (pass num_classes=0 for slim's own feature output).")
        if include_top:
            raise ValueError("pooling= applies with include_top=False.")
        load_options.setdefault("exclude_scopes", spec.mapping.head_variable_scopes)
    num_classes = spec.num_classes if num_classes is None else num_classes
    image_size = image_size or spec.image_size
    if impl == "slim":
        model = SlimGraphModel(name, num_classes=num_classes, image_size=image_size, **kwargs)
    elif impl == "shim":
        model = SlimShim(name, num_classes=num_classes, **kwargs)
        model(tf.zeros([1, image_size, image_size, spec.channels]))  # create the variables now
    else:
        model = spec.native(num_classes=num_classes, input_shape=(image_size, image_size, spec.channels),
                            **kwargs)
        model.arch = name
        _BUILD_ARGUMENTS[model] = (name, dict(kwargs, num_classes=num_classes, image_size=image_size))
    if frozen_graph is not None:
        checkpoint = frozen_graph_reader(frozen_graph)
    report = load_checkpoint(model, checkpoint, **load_options) if checkpoint is not None else None
    if not include_top:
        from zoo.features import backbone

        model = backbone(model, pooling)
    if report is not None:
        model.load_report = report
    model.pretrained_cfg = entry
    model.preprocess = functools.partial(preprocessing.preprocess, _preprocessing_name(spec, entry),
                                         image_size=image_size)
    return model


def _preprocessing_name(spec, entry):
    return entry["preprocessing"]["name"] if entry else spec.preprocessing


def slim_variables(model):
    """{slim_name: variable} for a model of any implementation."""
    if isinstance(model, (SlimShim, SlimGraphModel)):
        return model.slim_variables()
    arch = getattr(model, "arch", None)
    if arch is None:
        raise TypeError(f"{type(model).__name__} {getattr(model, 'name', '')!r} was not made by "
                        "zoo.create_model; cannot map it to slim names.")
    return get_spec(arch).mapping.native_variables(model)


def _head_scopes(model):
    return get_spec(model.arch).mapping.head_variable_scopes


def load_checkpoint(model, checkpoint, **options):
    """Load a TF1 name-based checkpoint (path, `CheckpointReader` or `ArrayReader`) into `model` (any
    implementation); returns the `LoadReport`.

    Strict by default. Options: exclude_scopes, ignore_missing_vars, use_ema, assignment_map,
    head ("strict" | "auto" | "reinit"), strict. See `zoo.checkpoints.plan_load`.
    """
    variables = slim_variables(model)
    shapes = {name: tuple(v.shape.as_list()) for name, v in variables.items()}
    report, values = plan_load(checkpoint, shapes, head_scopes=_head_scopes(model), **options)
    if isinstance(model, SlimGraphModel):
        model.assign(values)
    else:
        for name, value in values.items():
            variables[name].assign(value)
    return report


def read_weights(model):
    """{slim_name: numpy array} for a model of any implementation."""
    if isinstance(model, SlimGraphModel):
        return model.read()
    return {name: np.asarray(v.numpy()) for name, v in slim_variables(model).items()}


def save_checkpoint(model, prefix):
    """Write `model`'s weights as a TF1 name-based checkpoint (what `tf.compat.v1.train.Saver` restores
    into the slim net), atomically. Returns the prefix."""
    return write_checkpoint(read_weights(model), prefix)
