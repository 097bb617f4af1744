"""Inception v1 (224x224), v2 (224x224, batch norm) and v3 (299x299, auxiliary logits) from `tf_slim.nets`; Inception v4 and
Inception-ResNet v2 (299x299, auxiliary logits) written after research/slim (zoo/models/inception/slim.py).
Published TF-Slim checkpoints have 1001 classes; inception preprocessing."""
from zoo.lazy import Lazy
from zoo.registry import ModelSpec, register
from zoo.slim_names import SlimMapping

_SLIM, _NATIVE = "zoo.models.inception.slim:", "zoo.models.inception.native:"

register(ModelSpec(
    name="inception_v1", slim_net=Lazy("tf_slim.nets.inception_v1:inception_v1"),
    slim_arg_scope=Lazy("tf_slim.nets.inception_v1:inception_v1_arg_scope"),
    native=Lazy(_NATIVE + "inception_v1"), mapping=SlimMapping(root="InceptionV1", head_scopes=("Logits/Conv2d_0c_1x1",)),
    image_size=224, min_image_size=193, max_image_size=224, num_classes=1001, preprocessing="inception", num_params=6_633_209, feature_scope="Mixed_5c",
    paper="Szegedy et al. 2014"))
register(ModelSpec(
    name="inception_v2", slim_net=Lazy("tf_slim.nets.inception_v2:inception_v2"),
    slim_arg_scope=Lazy("tf_slim.nets.inception_v2:inception_v2_arg_scope"),
    native=Lazy(_NATIVE + "inception_v2"), mapping=SlimMapping(root="InceptionV2", head_scopes=("Logits/Conv2d_1c_1x1",)),
    image_size=224, max_image_size=256, num_classes=1001, preprocessing="inception", num_params=11_199_137,
    feature_scope="Mixed_5c", paper="Ioffe & Szegedy 2015"))
register(ModelSpec(
    name="inception_v3", slim_net=Lazy("tf_slim.nets.inception_v3:inception_v3"),
    slim_arg_scope=Lazy("tf_slim.nets.inception_v3:inception_v3_arg_scope"),
    native=Lazy(_NATIVE + "inception_v3"),
    mapping=SlimMapping(root="InceptionV3", head_scopes=("Logits/Conv2d_1c_1x1", "AuxLogits/Conv2d_2b_1x1")),
    image_size=299, min_image_size=107, max_image_size=346, num_classes=1001, preprocessing="inception", num_params=27_182_194, feature_scope="Mixed_7c",
    paper="Szegedy et al. 2015"))
# v4 / Inception-ResNet v2: the heads pool (and the aux heads convolve) the whole map, so any size above the
# minimum builds (no max_image_size); the minimum is where the aux head's 5x5/3 VALID pool still fits (Mixed_6h /
# PreAuxLogits at least 5x5). Parameter counts: the TF1 graph's variables at 299 with 1001 classes, batch-norm
# statistics included (published, trainable only: 42.7M and 55.8M).
register(ModelSpec(
    name="inception_v4", slim_net=Lazy(_SLIM + "inception_v4"), slim_arg_scope=Lazy(_SLIM + "inception_v4_arg_scope"),
    native=Lazy(_NATIVE + "inception_v4"),
    mapping=SlimMapping(root="InceptionV4", head_scopes=("Logits/Logits", "AuxLogits/Aux_logits")),
    image_size=299, min_image_size=107, num_classes=1001, preprocessing="inception", num_params=46_074_066,
    feature_scope="Mixed_7d", paper="Szegedy et al. 2016"))
register(ModelSpec(
    name="inception_resnet_v2", slim_net=Lazy(_SLIM + "inception_resnet_v2"), slim_arg_scope=Lazy(_SLIM + "inception_resnet_v2_arg_scope"),
    native=Lazy(_NATIVE + "inception_resnet_v2"),
    mapping=SlimMapping(root="InceptionResnetV2", head_scopes=("Logits/Logits", "AuxLogits/Logits")),
    image_size=299, min_image_size=107, num_classes=1001, preprocessing="inception", num_params=59_244_594,
    feature_scope="Conv2d_7b_1x1", paper="Szegedy et al. 2016"))
