"""CifarNet (slim `cifarnet`): 32x32 RGB, 10 classes."""
from zoo.lazy import Lazy
from zoo.slim_names import SlimMapping
from zoo.spec import ModelSpec, register

register(ModelSpec(
    name="cifarnet", slim_net=Lazy("zoo.models.cifarnet.slim:cifarnet"),
    slim_arg_scope=Lazy("zoo.models.cifarnet.slim:cifarnet_arg_scope"),
    native=Lazy("zoo.models.cifarnet.native:cifarnet"), mapping=SlimMapping(root="CifarNet", head_scopes=("logits",)),
    image_size=32, min_image_size=4, channels=3, num_classes=10, preprocessing="cifarnet", num_params=1_756_426,
    feature_scope="fc4", paper="TF-Slim's CIFAR-10 model (after cuda-convnet)",
    test_kwargs={"weight_decay": 0.004}))  # regularization on, so that the parity cases compare loss terms too
