"""MobileNet v1 (depth multipliers 1.0/0.75/0.5/0.25), v2 (1.0/1.4/0.35), v3 large/small (1.0/0.75, and the
minimalistic 1.0 variants) and EdgeTPU (1.0), 1001 ImageNet classes (0 = background), inception preprocessing; any
input resolution (224, 192, 160, 128, ...) via image_size."""
import functools

from zoo.checkpoints.mapping import SlimMapping
from zoo.models.mobilenet import native, slim, slim_v3
from zoo.registry import ModelSpec, register


def _variant(fn, **fixed):
    wrapped = functools.partial(fn, **fixed)
    wrapped.default_image_size = getattr(fn, "default_image_size", 224)
    return wrapped


# name -> (family, fixed arguments as in slim's nets_factory, variables' total size with 1001 classes as the
# TF1 graph counts it, batch-norm moving statistics included)
VARIANTS = {
    "mobilenet_v1": ("v1", dict(depth_multiplier=1.0), 4_254_889),
    "mobilenet_v1_075": ("v1", dict(depth_multiplier=0.75), 2_602_745),
    "mobilenet_v1_050": ("v1", dict(depth_multiplier=0.5), 1_343_049),
    "mobilenet_v1_025": ("v1", dict(depth_multiplier=0.25), 475_801),
    "mobilenet_v2": ("v2", dict(depth_multiplier=1.0), 3_540_265),
    "mobilenet_v2_140": ("v2", dict(depth_multiplier=1.4), 6_158_505),
    "mobilenet_v2_035": ("v2", dict(depth_multiplier=0.35, finegrain_classification_mode=True), 1_692_489),
    # v3: mobilenet_v3.large / small / large_minimalistic / small_minimalistic / edge_tpu; the 0.75 releases
    # (v3-large_224_0.75_float, v3-small_224_0.75_float) keep the last conv at full depth (finegrain mode).
    "mobilenet_v3_large": ("v3", dict(conv_defs="large"), 5_508_713),
    "mobilenet_v3_large_075": ("v3", dict(conv_defs="large", depth_multiplier=0.75,
                                          finegrain_classification_mode=True), 4_013_897),
    "mobilenet_v3_small": ("v3", dict(conv_defs="small"), 2_555_993),
    "mobilenet_v3_small_075": ("v3", dict(conv_defs="small", depth_multiplier=0.75,
                                          finegrain_classification_mode=True), 2_052_577),
    "mobilenet_v3_large_minimalistic": ("v3", dict(conv_defs="large_minimalistic"), 3_949_969),
    "mobilenet_v3_small_minimalistic": ("v3", dict(conv_defs="small_minimalistic"), 2_057_873),
    "mobilenet_edgetpu": ("v3", dict(conv_defs="edgetpu"), 4_131_593),
}

_FAMILIES = {  # family -> (slim net, slim arg scope, native builder, paper)
    "v1": (slim.mobilenet_v1, slim.mobilenet_v1_arg_scope, native.mobilenet_v1, "Howard et al. 2017"),
    "v2": (slim.mobilenet_v2, slim.mobilenet_v2_arg_scope, native.mobilenet_v2, "Sandler et al. 2018"),
    "v3": (slim_v3.mobilenet_v3, slim_v3.mobilenet_v3_arg_scope, native.mobilenet_v3, "Howard et al. 2019"),
}


def _root_and_features(family, fixed):
    """The root scope and the end point of the last feature map before the head's pooling (include_top=False):
    v1's last pointwise conv, v2's and v3's `Conv_1` (v2: `layer_19`)."""
    if family == "v1":
        return "MobilenetV1", "Conv2d_13_pointwise"
    if family == "v2":
        return "MobilenetV2", "layer_19"
    layers = slim_v3.v3_layers(fixed["conv_defs"])
    last_conv = [i for i, layer in enumerate(layers) if layer[:2] == ("conv", "Conv_1")][0]
    return slim_v3.root_scope(fixed["conv_defs"]), f"layer_{last_conv + 1}"


for _name, (_family, _fixed, _params) in VARIANTS.items():
    _net, _scope, _native, _paper = _FAMILIES[_family]
    _root, _features = _root_and_features(_family, _fixed)
    register(ModelSpec(
        name=_name,
        slim_net=_variant(_net, **_fixed),
        slim_arg_scope=_scope,
        native=functools.partial(_native, **_fixed),
        mapping=SlimMapping(root=_root, head_scopes=("Logits/Conv2d_1c_1x1",)),
        image_size=224, max_image_size=256 if _family == "v1" else None, num_classes=1001, preprocessing="inception",
        num_params=_params, feature_scope=_features, paper=_paper))
