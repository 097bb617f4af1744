"""LeNet (slim `lenet`): 28x28 digits, 10 classes."""
from zoo.checkpoints.mapping import SlimMapping
from zoo.models.lenet import native, slim
from zoo.registry import ModelSpec, register

register(ModelSpec(
    name="lenet", slim_net=slim.lenet, slim_arg_scope=slim.lenet_arg_scope, native=native.lenet,
    mapping=SlimMapping(root="LeNet", head_scopes=("fc4",)),
    image_size=28, min_image_size=4, channels=1, num_classes=10, preprocessing="lenet", num_params=3_274_634, feature_scope="fc3",
    paper="LeCun et al. 1998, as in TF-Slim"))
