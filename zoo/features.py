"""Feature extraction from native models: slim end points by name, a headless backbone with pooling, and a
fresh classifier for fine-tuning — all through the slim-scope layer names, so nothing is per-architecture."""
import tf_keras

from zoo.registry import get_spec


def resolve_layer(model, end_point):
    """The layer producing slim end point `end_point` ('resnet_v1_50/block3', 'block3', 'conv5/conv5_3',
    'Conv2d_13_pointwise', 'Mixed_6e'): the last layer named by that scope or inside it."""
    root = get_spec(model.arch).mapping.root
    relative = end_point[len(root) + 1:] if end_point.startswith(root + "/") else end_point
    name = relative.replace("/", ".")
    found = None
    for layer in model.layers:
        if layer.name == name or layer.name.startswith(name + "."):
            found = layer
    if found is None:
        scopes = sorted({l.name.split(".")[0] for l in model.layers if not l.name.startswith("images")})
        raise ValueError(f"No end point {end_point!r} in {model.name}; top-level scopes: {scopes}")
    return found


def end_points_model(model, end_points):
    """A multi-output model {end point: activation} sharing `model`'s layers and weights."""
    outputs = {ep: resolve_layer(model, ep).output for ep in end_points}
    return tf_keras.Model(model.inputs, outputs, name=f"{model.name}_end_points")


def backbone(model, pooling=None):
    """keras.applications' include_top=False: features at the architecture's last feature map, optionally
    pooled ("avg" | "max"); shares `model`'s weights."""
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"pooling={pooling!r}; choose None, 'avg' or 'max'.")
    x = resolve_layer(model, get_spec(model.arch).feature_scope).output
    if pooling and x.shape.rank == 4:
        pool = tf_keras.layers.GlobalAveragePooling2D if pooling == "avg" else tf_keras.layers.GlobalMaxPooling2D
        x = pool(name=f"{pooling}_pool")(x)
    features = tf_keras.Model(model.inputs, x, name=f"{model.name}_features")
    features.arch = model.arch
    return features


def reset_classifier(model, num_classes):
    """The same architecture with a freshly initialised `num_classes` head and every other weight copied
    (by slim name, so the copy is exact and checked)."""
    from zoo.api import create_model, slim_variables, build_arguments

    arch, kwargs = build_arguments(model)
    fresh = create_model(arch, "native", **{**kwargs, "num_classes": num_classes})
    heads = get_spec(arch).mapping.head_variable_scopes
    source, target = slim_variables(model), slim_variables(fresh)
    for name, variable in target.items():
        if not any(name.startswith(h + "/") for h in heads):
            variable.assign(source[name])
    return fresh
