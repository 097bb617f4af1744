"""MobileNet v1 (depth multipliers 1.0/0.75/0.5/0.25) and v2 (1.0/1.4/0.35), 1001 ImageNet classes
(0 = background), inception preprocessing; any input resolution (224, 192, 160, 128, ...) via image_size."""
import functools

from zoo.checkpoints.mapping import SlimMapping
from zoo.models.mobilenet import native, slim
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
}

for _name, (_family, _fixed, _params) in VARIANTS.items():
    _v1 = _family == "v1"
    register(ModelSpec(
        name=_name,
        slim_net=_variant(slim.mobilenet_v1 if _v1 else slim.mobilenet_v2, **_fixed),
        slim_arg_scope=slim.mobilenet_v1_arg_scope if _v1 else slim.mobilenet_v2_arg_scope,
        native=functools.partial(native.mobilenet_v1 if _v1 else native.mobilenet_v2, **_fixed),
        mapping=SlimMapping(root="MobilenetV1" if _v1 else "MobilenetV2", head_scopes=("Logits/Conv2d_1c_1x1",)),
        image_size=224, max_image_size=256 if _v1 else None, num_classes=1001, preprocessing="inception", num_params=_params,
        feature_scope="Conv2d_13_pointwise" if _v1 else "Conv_1",
        paper="Howard et al. 2017" if _v1 else "Sandler et al. 2018"))
