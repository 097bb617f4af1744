"""CifarNet (slim `cifarnet`): 32x32 RGB, 10 classes."""
from zoo.checkpoints.mapping import SlimMapping
from zoo.models.cifarnet import native, slim
from zoo.registry import ModelSpec, register

register(ModelSpec(
    name="cifarnet", slim_net=slim.cifarnet, slim_arg_scope=slim.cifarnet_arg_scope, native=native.cifarnet,
    mapping=SlimMapping(root="CifarNet", head_scopes=("logits",)),
    image_size=32, min_image_size=4, channels=3, num_classes=10, preprocessing="cifarnet", num_params=1_756_426, feature_scope="fc4",
    paper="TF-Slim's CIFAR-10 model (after cuda-convnet)"))
