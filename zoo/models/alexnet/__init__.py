"""AlexNet v2 ("One weird trick", Krizhevsky 2014) and OverFeat (Sermanet et al. 2014), slim =
`tf_slim.nets.alexnet` / `tf_slim.nets.overfeat`: 1000 classes; no published TF-Slim weights, and slim's
preprocessing factory names no preprocessing for them: VGG's (mean subtraction), as for the other 2014 nets. Their fc6 is a VALID convolution over the last pooled map, so each takes only
the input sizes at which that map is exactly fc6's kernel: 195-226 px (AlexNet v2), 231-262 px (OverFeat)."""
from zoo.lazy import Lazy
from zoo.slim_names import SlimMapping
from zoo.spec import ModelSpec, register

register(ModelSpec(
    name="alexnet_v2", slim_net=Lazy("tf_slim.nets.alexnet:alexnet_v2"),
    slim_arg_scope=Lazy("tf_slim.nets.alexnet:alexnet_v2_arg_scope"),
    native=Lazy("zoo.models.alexnet.native:alexnet_v2"), mapping=SlimMapping(root="alexnet_v2", head_scopes=("fc8",)),
    image_size=224, min_image_size=195, max_image_size=226, num_classes=1000, preprocessing="vgg",
    num_params=50_303_912, feature_scope="pool5", paper="Krizhevsky 2014",
    test_image_size=195, keras3_only=True))  # fc6 is a 5x5 VALID conv over pool5: 195 is the smallest input
register(ModelSpec(
    name="overfeat", slim_net=Lazy("zoo.models.alexnet.slim:overfeat"),
    slim_arg_scope=Lazy("zoo.models.alexnet.slim:overfeat_arg_scope"),
    native=Lazy("zoo.models.alexnet.native:overfeat"), mapping=SlimMapping(root="overfeat", head_scopes=("fc8",)),
    image_size=231, min_image_size=231, max_image_size=262, num_classes=1000, preprocessing="vgg",
    num_params=145_704_424, feature_scope="pool5", paper="Sermanet et al. 2014",
    # AlexNet v2's builder pieces; fc6 is 6x6 VALID: 231x231, the default, is the smallest input
    battery_by="alexnet_v2", heavy=True, keras3_only=True))
