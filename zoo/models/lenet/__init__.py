"""LeNet (slim `lenet`): 28x28 digits, 10 classes."""
from zoo.lazy import Lazy
from zoo.slim_names import SlimMapping
from zoo.spec import ModelSpec, register

register(ModelSpec(
    name="lenet", slim_net=Lazy("zoo.models.lenet.slim:lenet"),
    slim_arg_scope=Lazy("zoo.models.lenet.slim:lenet_arg_scope"), native=Lazy("zoo.models.lenet.native:lenet"),
    mapping=SlimMapping(root="LeNet", head_scopes=("fc4",)),
    image_size=28, min_image_size=4, channels=1, num_classes=10, preprocessing="lenet", num_params=3_274_634,
    feature_scope="fc3", paper="LeCun et al. 1998, as in TF-Slim",
    test_kwargs={"weight_decay": 0.01}))  # regularization on, so that the parity cases compare loss terms too
