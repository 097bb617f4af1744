"""Inception v1 (224x224) and v3 (299x299, auxiliary logits) from `tf_slim.nets`; published TF-Slim
checkpoints have 1001 classes; inception preprocessing."""

from tf_slim.nets import inception_v1 as slim_v1
from tf_slim.nets import inception_v3 as slim_v3

from zoo.checkpoints.mapping import SlimMapping
from zoo.models.inception import native
from zoo.registry import ModelSpec, register

register(ModelSpec(
    name="inception_v1", slim_net=slim_v1.inception_v1, slim_arg_scope=slim_v1.inception_v1_arg_scope,
    native=native.inception_v1, mapping=SlimMapping(root="InceptionV1", head_scopes=("Logits/Conv2d_0c_1x1",)),
    image_size=224, min_image_size=193, max_image_size=224, num_classes=1001, preprocessing="inception", num_params=6_633_209, feature_scope="Mixed_5c",
    paper="Szegedy et al. 2014"))
register(ModelSpec(
    name="inception_v3", slim_net=slim_v3.inception_v3, slim_arg_scope=slim_v3.inception_v3_arg_scope,
    native=native.inception_v3,
    mapping=SlimMapping(root="InceptionV3", head_scopes=("Logits/Conv2d_1c_1x1", "AuxLogits/Conv2d_2b_1x1")),
    image_size=299, min_image_size=107, max_image_size=346, num_classes=1001, preprocessing="inception", num_params=27_182_194, feature_scope="Mixed_7c",
    paper="Szegedy et al. 2015"))
