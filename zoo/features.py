"""Feature extraction from native models (Keras 3 or tf_keras): slim end points by name and a fresh classifier
for fine-tuning — all through the slim-scope layer names, so nothing is per-architecture. (A headless backbone
with pooling is `create_model(..., include_top=False, pooling="avg")`, a `NativeModel` like any other.)"""
from zoo.api import slim_variables
from zoo.native import resolve_layer
from zoo.nn import keras_of, kit
from zoo.registry import get_spec
from zoo.slim_names import layer_name, under

__all__ = ["end_point_output", "end_points_model", "reset_classifier", "resolve_layer"]


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
    fresh = type(model).from_config({**model.get_config(), "num_classes": num_classes, "pretrained_cfg": None})
    heads = get_spec(model.arch).mapping.head_variable_scopes
    source, target = slim_variables(model), slim_variables(fresh)
    for name, variable in target.items():
        if not under(name, heads):
            variable.assign(source[name])
    return fresh
