"""The public entry points: create a model in any implementation, move TF1 checkpoints in and out.

`create_model` resolves where the weights come from (a checkpoint, a frozen graph or published weights), builds the
implementation asked for (all three offer one interface: zoo.implementation) and loads the weights through
`load_checkpoint`."""
from __future__ import annotations

import os
from typing import Any, Dict, NamedTuple, Optional, Union

from zoo.checkpoints import LoadReport, plan_load, write_checkpoint
from zoo.checkpoints.engine import as_reader
from zoo.checkpoints.frozen import frozen_graph_reader
from zoo.checkpoints.io import ArrayReader
from zoo.native import is_native, native_class, native_object_values
from zoo.nn import check_keras, keras_of
from zoo.registry import check_image_size, check_impl, get_spec
from zoo.slim_names import SlimMapping
from zoo.spec import ModelSpec

LOAD_OPTIONS = ("exclude_scopes", "ignore_missing_vars", "use_ema", "assignment_map", "head", "strict")
PathLike = Union[str, "os.PathLike[str]"]


def create_model(name: str, impl: str = "native", num_classes: Optional[int] = None, checkpoint: Any = None,
                 image_size: Optional[int] = None, frozen_graph: Optional[PathLike] = None, include_top: bool = True,
                 pooling: Optional[str] = None, pretrained: Union[None, bool, str, PathLike] = None,
                 keras: Optional[str] = None, **kwargs: Any) -> Any:
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
    keras = _keras_for(impl, keras)
    load_options = {k: kwargs.pop(k) for k in LOAD_OPTIONS if k in kwargs}
    source = _weights(name, checkpoint, frozen_graph, pretrained, num_classes, image_size, load_options)
    if (not include_top or pooling) and impl != "native":
        raise ValueError("include_top=False / pooling are for impl='native'; slim and shim run the "
                         "original net (pass num_classes=0 for slim's own feature output).")
    if not include_top:  # the head is not part of a headless model: its checkpoint keys are not needed
        load_options.setdefault("exclude_scopes", spec.mapping.head_variable_scopes)
    num_classes = spec.num_classes if source.num_classes is None else source.num_classes
    image_size = check_image_size(spec, source.image_size or spec.image_size)
    model = _build(spec, impl, keras, num_classes, image_size, source.entry, include_top, pooling, kwargs)
    if source.checkpoint is not None:
        model.load_report = load_checkpoint(model, source.checkpoint, **load_options)
    return model


class _Weights(NamedTuple):
    checkpoint: Any                # a checkpoint (prefix, reader) or None
    entry: Optional[dict]          # the manifest entry of published weights
    num_classes: Optional[int]
    image_size: Optional[int]


def _keras_for(impl: str, keras: Optional[str]) -> str:
    if keras is not None and impl != "native":
        if impl == "shim" and check_keras(keras) == "tf_keras":
            return "tf_keras"
        raise ValueError(f"keras={keras!r} applies to impl='native'; the shim is tf_keras only "
                         "(track_tf1_style_variables exists nowhere else) and slim is a TF1 graph.")
    return check_keras(keras or "keras")


def _weights(name: str, checkpoint: Any, frozen_graph: Any, pretrained: Any, num_classes: Optional[int],
             image_size: Optional[int], load_options: Dict[str, Any]) -> _Weights:
    """Where the weights come from, and the class count and input size they imply (published weights: theirs,
    unless given; a different class count loads with a fresh head)."""
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
    if frozen_graph is not None:
        checkpoint = frozen_graph_reader(frozen_graph)
    return _Weights(checkpoint, entry, num_classes, image_size)


def _build(spec: ModelSpec, impl: str, keras: str, num_classes: int, image_size: int, entry: Optional[dict],
           include_top: bool, pooling: Optional[str], kwargs: Dict[str, Any]) -> Any:
    """The implementation, without weights."""
    if impl == "slim":
        from zoo.slim_graph import SlimGraphModel

        return SlimGraphModel(spec.name, num_classes=num_classes, image_size=image_size, pretrained_cfg=entry,
                              **kwargs)
    if impl == "shim":
        from zoo.shim import SlimShim

        return SlimShim(spec.name, num_classes=num_classes, image_size=image_size, pretrained_cfg=entry, **kwargs)
    return native_class(keras)(spec.name, num_classes=num_classes, image_size=image_size, include_top=include_top,
                               pooling=pooling, pretrained_cfg=entry, **kwargs)


def slim_variables(model: Any) -> Dict[str, Any]:
    """{slim_name: variable} for a model of any implementation (native on either Keras, shim, slim graph), a model
    offering `slim_variables()` with an `arch` or a `slim_mapping` (zoo.implementation), or any Keras model whose
    layers are named by their absolute TF1 scopes (what `zoo.migrate` builds)."""
    method = getattr(model, "slim_variables", None)
    if method is not None and (getattr(model, "arch", None) is not None or _mapping(model) is not None):
        return method()
    try:
        keras_of(model)
    except TypeError:
        raise TypeError(f"{type(model).__name__} {getattr(model, 'name', '')!r} is neither a zoo model nor a Keras "
                        "model; cannot map it to TF1 names.") from None
    return SlimMapping(root="").native_variables(model)


def _mapping(model: Any) -> Optional[SlimMapping]:
    """The model's own `slim_mapping`, else its registered architecture's, else None (absolute TF1 names)."""
    mapping = getattr(model, "slim_mapping", None)
    if mapping is None and getattr(model, "arch", None):
        mapping = get_spec(model.arch).mapping
    return mapping


def _shape(variable: Any) -> tuple:
    return tuple(int(d) for d in variable.shape)


def load_checkpoint(model: Any, checkpoint: Any, **options: Any) -> LoadReport:
    """Load a checkpoint into `model` (any implementation); returns the `LoadReport`.

    checkpoint: a TF1 name-based checkpoint (prefix, directory, `CheckpointReader` or `ArrayReader`), a TF2 one
    in var_list form, or a native model's object-based checkpoint — a train.py workdir or its `checkpoints/` —
    read through a native model of the same architecture. Strict by default. Options: exclude_scopes,
    ignore_missing_vars, use_ema, assignment_map, head ("strict" | "auto" | "reinit"), strict. See
    `zoo.checkpoints.plan_load`; non-finite values are refused when strict. The head scopes ("auto", "reinit") are
    the model's `slim_mapping`'s when it has one (a model outside the registry may), else its architecture's, else
    none.
    """
    variables = slim_variables(model)
    shapes = {name: _shape(v) for name, v in variables.items()}
    mapping = _mapping(model)
    reader = as_reader(checkpoint)
    if reader.kind == "tf2-object" and getattr(model, "arch", None):
        classes = model.get_config()["num_classes"] if is_native(model) else model.num_classes
        reader = ArrayReader(native_object_values(model.arch, reader, num_classes=classes), reader.prefix)
    head_scopes = mapping.head_variable_scopes if mapping is not None else ()
    report, values = plan_load(reader, shapes, head_scopes=head_scopes, **options)
    assign = getattr(model, "assign", None)
    if assign is not None:  # the slim graph: one Session.run of prebuilt assign ops
        assign(values)
    else:
        for name, value in values.items():
            variables[name].assign(value)
    return report


def read_weights(model: Any) -> Dict[str, Any]:
    """{slim_name: numpy array} for a model of any implementation."""
    read = getattr(model, "read_weights", None)
    if read is not None:
        return read()
    import numpy as np

    return {name: np.array(v.numpy()) for name, v in slim_variables(model).items()}


def save_checkpoint(model: Any, prefix: PathLike, overwrite: bool = False) -> str:
    """Write `model`'s weights as a TF1 name-based checkpoint (what `tf.compat.v1.train.Saver` restores
    into the slim net), atomically; an existing checkpoint at `prefix` is replaced only with overwrite=True.
    Returns the prefix."""
    return write_checkpoint(read_weights(model), prefix, overwrite)
