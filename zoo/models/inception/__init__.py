"""Inception v1 (224x224), v2 (224x224, batch norm) and v3 (299x299, auxiliary logits) from `tf_slim.nets`;
Inception v4 and Inception-ResNet v2 (299x299, auxiliary logits) written after research/slim
(zoo/models/inception/slim.py). Published TF-Slim checkpoints have 1001 classes; inception preprocessing."""
from zoo.lazy import Lazy
from zoo.slim_names import SlimMapping
from zoo.spec import ModelSpec, register

_TF_SLIM, _SLIM, _NATIVE = "tf_slim.nets.", "zoo.models.inception.slim:", "zoo.models.inception.native:"
# Every variant: batch norm, published weights; gradients, batch-norm updates and native -> TF1 on Keras 3 only.
_FAMILY = dict(num_classes=1001, preprocessing="inception", batch_norm=True, pretrained=True, keras3_only=True)


def _register(name, slim_net, slim_arg_scope, **facts):
    register(ModelSpec(name=name, slim_net=Lazy(slim_net), slim_arg_scope=Lazy(slim_arg_scope),
                       native=Lazy(_NATIVE + name), **_FAMILY, **facts))


# v1, v2, v4 have no layer or op that v3 and Inception-ResNet v2 lack: their JAX/PyTorch cases are v3's.
_register("inception_v1", _TF_SLIM + "inception_v1:inception_v1", _TF_SLIM + "inception_v1:inception_v1_arg_scope",
          mapping=SlimMapping(root="InceptionV1", head_scopes=("Logits/Conv2d_0c_1x1",)),
          image_size=224, min_image_size=193, max_image_size=224, num_params=6_633_209, feature_scope="Mixed_5c",
          paper="Szegedy et al. 2014",
          backends_by="inception_v3")  # test at 224: its 7x7 VALID average pool needs 224x224
_register("inception_v2", _TF_SLIM + "inception_v2:inception_v2", _TF_SLIM + "inception_v2:inception_v2_arg_scope",
          mapping=SlimMapping(root="InceptionV2", head_scopes=("Logits/Conv2d_1c_1x1",)),
          image_size=224, max_image_size=256, num_params=11_199_137, feature_scope="Mixed_5c",
          paper="Ioffe & Szegedy 2015", test_image_size=64, backends_by="inception_v3")
_register("inception_v3", _TF_SLIM + "inception_v3:inception_v3", _TF_SLIM + "inception_v3:inception_v3_arg_scope",
          mapping=SlimMapping(root="InceptionV3", head_scopes=("Logits/Conv2d_1c_1x1", "AuxLogits/Conv2d_2b_1x1")),
          image_size=299, min_image_size=107, max_image_size=346, num_params=27_182_194, feature_scope="Mixed_7c",
          paper="Szegedy et al. 2015", test_image_size=160, keras_applications="InceptionV3")
# v4 / Inception-ResNet v2: the heads pool (and the aux heads convolve) the whole map, so any size above the
# minimum builds (no max_image_size); the minimum is where the aux head's 5x5/3 VALID pool still fits (Mixed_6h /
# PreAuxLogits at least 5x5), which is the size the parity cases use. Parameter counts: the TF1 graph's variables at
# 299 with 1001 classes, batch-norm statistics included (published, trainable only: 42.7M and 55.8M).
_register("inception_v4", _SLIM + "inception_v4", _SLIM + "inception_v4_arg_scope",
          mapping=SlimMapping(root="InceptionV4", head_scopes=("Logits/Logits", "AuxLogits/Aux_logits")),
          image_size=299, min_image_size=107, num_params=46_074_066, feature_scope="Mixed_7d",
          paper="Szegedy et al. 2016", test_image_size=107, backends_by="inception_v3")
_register("inception_resnet_v2", _SLIM + "inception_resnet_v2", _SLIM + "inception_resnet_v2_arg_scope",
          mapping=SlimMapping(root="InceptionResnetV2", head_scopes=("Logits/Logits", "AuxLogits/Logits")),
          image_size=299, min_image_size=107, num_params=59_244_594, feature_scope="Conv2d_7b_1x1",
          paper="Szegedy et al. 2016", test_image_size=107, heavy=True)
