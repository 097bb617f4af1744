"""Feature extraction from native models (Keras 3 or tf_keras): slim end points by name and a fresh classifier
for fine-tuning — all through the slim-scope layer names, so nothing is per-architecture. (A headless backbone
with pooling is `create_model(..., include_top=False, pooling="avg")`, a `NativeModel` like any other.)"""
from zoo.checkpoints.mapping import SEPARATOR, layer_name
from zoo.nn import keras_of, kit
from zoo.registry import get_spec


def resolve_layer(model, end_point: str, root: str = None):
    """The layer producing slim end point `end_point` ('resnet_v1_50/block3', 'block3', 'conv5/conv5_3',
    'Conv2d_13_pointwise', 'Mixed_6e'): the last layer named by that scope or inside it."""
    root = root or get_spec(model.arch).mapping.root
    relative = end_point[len(root) + 1:] if end_point.startswith(root + "/") else end_point
    name = layer_name(relative)
    found = None
    for layer in model.layers:
        if layer.name == name or layer.name.startswith(name + SEPARATOR):
            found = layer
    if found is None:
        scopes = sorted({l.name.split(SEPARATOR)[0] for l in model.layers if not l.name.startswith("images")})
        raise ValueError(f"No end point {end_point!r} in {model.name}; top-level scopes: {scopes}")
    return found


def _is_predictions(end_point: str) -> bool:
    return end_point.rsplit("/", 1)[-1] in ("Predictions", "predictions")  # resnets use lower case


def end_point_output(model, end_point: str):
    """The symbolic tensor of slim end point `end_point` in `model`. Every slim net's `Predictions` (ResNet's
    `predictions`) is the softmax of its logits; it is computed here rather than carried by every model."""
    config = model.get_config()
    if _is_predictions(end_point) and config["include_top"] and config["num_classes"]:
        return kit(keras_of(model)).layers.Softmax(name=layer_name(end_point))(model.outputs[0])
    return resolve_layer(model, end_point).output


def end_points_model(model, end_points):
    """A multi-output model {end point: activation} sharing `model`'s layers and weights."""
    outputs = {ep: end_point_output(model, ep) for ep in end_points}
    return kit(keras_of(model)).Model(model.inputs, outputs, name=f"{model.name}_end_points")


def reset_classifier(model, num_classes: int):
    """The same architecture (and Keras) with a freshly initialised `num_classes` head and every other weight
    copied (by slim name, so the copy is exact and checked)."""
    from zoo.api import slim_variables

    fresh = type(model).from_config({**model.get_config(), "num_classes": num_classes, "pretrained_cfg": None})
    heads = get_spec(model.arch).mapping.head_variable_scopes
    source, target = slim_variables(model), slim_variables(fresh)
    for name, variable in target.items():
        if not any(name.startswith(h + "/") for h in heads):
            variable.assign(source[name])
    return fresh
