"""VGG-A (11 layers), VGG-16 and VGG-19 (slim = `tf_slim.nets.vgg`), 1000 classes, VGG preprocessing; input
224 to 255 pixels (fc6 is a 7x7 VALID convolution, so the classifier needs exactly 7x7 features)."""
from zoo.lazy import Lazy
from zoo.slim_names import SlimMapping
from zoo.spec import ModelSpec, register

# name suffix -> variables' total size with 1000 classes, as the TF1 graph counts it; keras.applications' name
# VGG-16 runs the parity battery (fc6 is a 7x7 VALID conv: 224x224, the default, is the smallest input); VGG-19 and
# VGG-A only depth differs: the forward check.
for _depth, _params, _applications in (("a", 132_863_336, ""), ("16", 138_357_544, "VGG16"),
                                       ("19", 143_667_240, "VGG19")):
    register(ModelSpec(
        name=f"vgg_{_depth}", slim_net=Lazy(f"tf_slim.nets.vgg:vgg_{_depth}"),
        slim_arg_scope=Lazy("tf_slim.nets.vgg:vgg_arg_scope"), native=Lazy("zoo.models.vgg.native:vgg", depth=_depth),
        mapping=SlimMapping(root=f"vgg_{_depth}", head_scopes=("fc8",)),
        image_size=224, min_image_size=224, max_image_size=255, num_classes=1000, preprocessing="vgg",
        num_params=_params, feature_scope="pool5", paper="Simonyan & Zisserman 2014",
        pretrained=_depth != "a", battery_by="" if _depth == "16" else "vgg_16", heavy=True, keras3_only=True,
        keras_applications=_applications))
