"""ResNet v1 and v2, 50/101/152/200 layers. Published TF-Slim checkpoints: 1000 classes for v1, 1001 for v2;
v1 takes VGG preprocessing (mean subtraction), v2 inception preprocessing."""
from zoo.lazy import Lazy
from zoo.models.resnet.arch import NAMES
from zoo.slim_names import SlimMapping
from zoo.spec import ModelSpec, register

# Variables' total size (BN statistics included) with the published class counts, as the TF1 graph counts it.
PARAMS = {"resnet_v1_50": 25_610_152, "resnet_v1_101": 44_654_504, "resnet_v1_152": 60_344_232,
          "resnet_v1_200": 64_849_832, "resnet_v2_50": 25_615_849, "resnet_v2_101": 44_677_609,
          "resnet_v2_152": 60_382_697, "resnet_v2_200": 64_896_489}

# The 50-layer nets run the parity battery; the deeper ones differ only in block counts (the forward check).
_APPLICATIONS = {"resnet_v1_50": "ResNet50", "resnet_v1_101": "ResNet101", "resnet_v1_152": "ResNet152",
                 "resnet_v2_50": "ResNet50V2", "resnet_v2_101": "ResNet101V2", "resnet_v2_152": "ResNet152V2"}

for _name in NAMES:
    _, _version, _depth = _name.split("_")
    register(ModelSpec(
        name=_name, slim_net=Lazy.made_by("zoo.models.resnet.slim:NETS.__getitem__", _name),
        slim_arg_scope=Lazy("zoo.models.resnet.slim:resnet_arg_scope"),
        native=Lazy("zoo.models.resnet.native:resnet", version=_version, depth=int(_depth)),
        mapping=SlimMapping(root=_name, head_scopes=("logits",)),
        image_size=224, num_classes=1000 if _version == "v1" else 1001,
        preprocessing="vgg" if _version == "v1" else "inception", num_params=PARAMS[_name],
        feature_scope="block4" if _version == "v1" else "postnorm",
        paper="He et al. 2015" if _version == "v1" else "He et al. 2016 (identity mappings)",
        batch_norm=True, pretrained=_depth != "200", test_image_size=32,
        battery_by="" if _depth == "50" else f"resnet_{_version}_50", heavy=int(_depth) >= 152,
        keras_applications=_APPLICATIONS.get(_name, "")))
