"""NASNet-A (CIFAR 32x32 with 10 classes; Mobile 224 and Large 331 with 1001) and PNASNet-5 (Mobile 224, Large
331), inception preprocessing for the ImageNet nets. The published checkpoints have no root scope (`cell_0/...`,
`final_layer/FC/...`); each holds its training graph's auxiliary head (`aux_<cell>/...`) and `global_step`, which
the default (evaluation) build does not use."""
from zoo.lazy import Lazy
from zoo.models.nasnet.arch import CONFIGS, aux_cells_of
from zoo.slim_names import SlimMapping
from zoo.spec import ModelSpec, register

# name -> (image size, classes, preprocessing, the TF1 evaluation graph's variables' total size at that size,
# batch-norm moving statistics included; the first top-level scope of its checkpoints)
VARIANTS = {
    "nasnet_cifar": (32, 10, "cifarnet", 3_383_786, "l1_stem_3x3"),
    "nasnet_mobile": (224, 1001, "inception", 5_327_773, "conv0"),
    "nasnet_large": (331, 1001, "inception", 88_953_851, "conv0"),
    "pnasnet_mobile": (224, 1001, "inception", 5_099_232, "conv0"),
    "pnasnet_large": (331, 1001, "inception", 86_238_977, "conv0"),
}

# NASNet-A's and PNASNet-5's cells are data read by one builder: NASNet Mobile, with both cell kinds, factorized
# reductions and the ImageNet stem, runs the parity battery at 32 -> 15 (conv0, VALID) -> 8 -> 4 (stem cells) -> 2 -> 1
# (reduction cells); its aux head (training graphs only) needs a 5x5 map: left out there. PNASNet-5's cell is one more
# CellSpec for the same builder; NASNet CIFAR adds the CIFAR stem and runs without its drop-path there (keep 0.6 by
# default; it trains and resumes in tests/test_nasnet.py). The Large nets: one full-resolution forward check each.
_TESTS = {
    "nasnet_mobile": dict(test_image_size=32, test_kwargs={"aux_head": False}, keras_applications="NASNetMobile"),
    "pnasnet_mobile": dict(test_image_size=32, test_kwargs={"aux_head": False}, backends_by="nasnet_mobile"),
    "nasnet_cifar": dict(test_kwargs={"aux_head": False, "drop_path_keep_prob": 1.0}, backends_by="nasnet_mobile"),
    "nasnet_large": dict(battery_by="nasnet_mobile", heavy=True, keras_applications="NASNetLarge"),
    "pnasnet_large": dict(battery_by="pnasnet_mobile", heavy=True),
}

for _name, (_size, _classes, _prep, _params, _anchor) in VARIANTS.items():
    _config = CONFIGS[_name]
    _aux = f"aux_{aux_cells_of(_config)[0]}/aux_logits/FC"
    register(ModelSpec(
        name=_name, slim_net=Lazy.made_by("zoo.models.nasnet.slim:registry_net", _name),
        slim_arg_scope=Lazy(f"zoo.models.nasnet.slim:{_name}_arg_scope"),
        native=Lazy("zoo.models.nasnet.native:nasnet", variant=_name),
        mapping=SlimMapping(root="", head_scopes=("final_layer/FC", _aux), anchor=_anchor),
        image_size=_size, num_classes=_classes, preprocessing=_prep, num_params=_params,
        feature_scope=f"Cell_{_config.num_cells - 1}",
        paper="Zoph et al. 2018" if _name.startswith("nasnet") else "Liu et al. 2018",
        batch_norm=True, pretrained=_name != "nasnet_cifar", keras3_only=True, **_TESTS[_name]))
