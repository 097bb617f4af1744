"""MobileNet v1 (depth multipliers 1.0/0.75/0.5/0.25), v2 (1.0/1.4/0.35), v3 large/small (1.0/0.75, and the
minimalistic 1.0 variants) and EdgeTPU (1.0), 1001 ImageNet classes (0 = background), inception preprocessing; any
input resolution (224, 192, 160, 128, ...) via image_size."""
from zoo.lazy import Lazy
from zoo.models.mobilenet.arch import VARIANTS, root_scope, v3_layers
from zoo.slim_names import SlimMapping
from zoo.spec import ModelSpec, register

_FAMILIES = {  # family -> (slim net, slim arg scope, native builder, paper)
    "v1": ("slim:mobilenet_v1", "slim:mobilenet_v1_arg_scope", "mobilenet_v1", "Howard et al. 2017"),
    "v2": ("slim:mobilenet_v2", "slim:mobilenet_v2_arg_scope", "mobilenet_v2", "Sandler et al. 2018"),
    "v3": ("slim_v3:mobilenet_v3", "slim_v3:mobilenet_v3_arg_scope", "mobilenet_v3", "Howard et al. 2019"),
}
_HERE = "zoo.models.mobilenet."
# The parity battery runs for one width of each version (and v1 0.25, v2 0.35: the smallest, finegrain mode); the
# others differ only in widths (`battery_by`: the forward check). The JAX/PyTorch cases skip the width variants.
_TESTS = {
    "mobilenet_v1_025": dict(backends_by="mobilenet_v1"),
    "mobilenet_v1_075": dict(battery_by="mobilenet_v1"),
    "mobilenet_v1_050": dict(battery_by="mobilenet_v1"),
    "mobilenet_v2": dict(keras_applications="MobileNetV2"),
    "mobilenet_v2_035": dict(backends_by="mobilenet_v2"),
    "mobilenet_v2_140": dict(battery_by="mobilenet_v2"),
    "mobilenet_v3_small": dict(backends_by="mobilenet_v3_large"),
    "mobilenet_v3_large_075": dict(battery_by="mobilenet_v3_large"),
    "mobilenet_v3_small_075": dict(battery_by="mobilenet_v3_small"),
    "mobilenet_v3_large_minimalistic": dict(battery_by="mobilenet_edgetpu"),  # relu, no SE: EdgeTPU's blocks
    "mobilenet_v3_small_minimalistic": dict(battery_by="mobilenet_edgetpu"),
    "mobilenet_v1": dict(keras_applications="MobileNet"),
}


def _root_and_features(family, fixed):
    """The root scope and the end point of the last feature map before the head's pooling (include_top=False):
    v1's last pointwise conv, v2's and v3's `Conv_1` (v2: `layer_19`)."""
    if family == "v1":
        return "MobilenetV1", "Conv2d_13_pointwise"
    if family == "v2":
        return "MobilenetV2", "layer_19"
    layers = v3_layers(fixed["conv_defs"])
    last_conv = [i for i, layer in enumerate(layers) if layer[:2] == ("conv", "Conv_1")][0]
    return root_scope(fixed["conv_defs"]), f"layer_{last_conv + 1}"


for _name, (_family, _fixed, _params) in VARIANTS.items():
    _net, _scope, _native, _paper = _FAMILIES[_family]
    _root, _features = _root_and_features(_family, _fixed)
    register(ModelSpec(
        name=_name,
        slim_net=Lazy(_HERE + _net, **_fixed),
        slim_arg_scope=Lazy(_HERE + _scope),
        native=Lazy(f"{_HERE}native:{_native}", **_fixed),
        mapping=SlimMapping(root=_root, head_scopes=("Logits/Conv2d_1c_1x1",)),
        image_size=224, max_image_size=256 if _family == "v1" else None, num_classes=1001, preprocessing="inception",
        num_params=_params, feature_scope=_features, paper=_paper,
        batch_norm=True, pretrained=True, test_image_size=64, **_TESTS.get(_name, {})))
