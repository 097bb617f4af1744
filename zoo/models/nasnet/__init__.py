"""NASNet-A (CIFAR 32x32 with 10 classes; Mobile 224 and Large 331 with 1001) and PNASNet-5 (Mobile 224, Large
331), inception preprocessing for the ImageNet nets. The published checkpoints have no root scope (`cell_0/...`,
`final_layer/FC/...`); each holds its training graph's auxiliary head (`aux_<cell>/...`) and `global_step`, which
the default (evaluation) build does not use."""
import functools

from zoo.checkpoints.mapping import SlimMapping
from zoo.models.nasnet import native, slim
from zoo.registry import ModelSpec, register

# name -> (slim net, slim arg scope, image size, classes, preprocessing, the TF1 evaluation graph's variables'
# total size at that size, batch-norm moving statistics included; the first top-level scope of its checkpoints)
VARIANTS = {
    "nasnet_cifar": (slim.nasnet_cifar, slim.nasnet_cifar_arg_scope, 32, 10, "cifarnet", 3_383_786, "l1_stem_3x3"),
    "nasnet_mobile": (slim.nasnet_mobile, slim.nasnet_mobile_arg_scope, 224, 1001, "inception", 5_327_773, "conv0"),
    "nasnet_large": (slim.nasnet_large, slim.nasnet_large_arg_scope, 331, 1001, "inception", 88_953_851, "conv0"),
    "pnasnet_mobile": (slim.pnasnet_mobile, slim.pnasnet_mobile_arg_scope, 224, 1001, "inception", 5_099_232,
                       "conv0"),
    "pnasnet_large": (slim.pnasnet_large, slim.pnasnet_large_arg_scope, 331, 1001, "inception", 86_238_977,
                      "conv0"),
}


def _slim_net(variant):
    """The slim net as the registry calls it, taking the native's options by the same names (`slim.OPTIONS`;
    unset: the original's) into the net's `Config`; slim builds its auxiliary head and drop-path only when
    training, as the original (`aux_head=False` leaves the head out)."""
    fn = VARIANTS[variant][0]

    def net(images, num_classes=VARIANTS[variant][3], is_training=True, final_endpoint=None, aux_head=True,
            **options):
        config = slim.config_for(variant, **options)._replace(use_aux_head=int(aux_head))
        return fn(images, num_classes, is_training, final_endpoint, config=config)

    net.default_image_size = fn.default_image_size
    net.__name__ = variant
    return net


for _name, (_net, _scope, _size, _classes, _prep, _params, _anchor) in VARIANTS.items():
    _config = slim.CONFIGS[_name]
    _aux = f"aux_{slim.aux_cells_of(_config)[0]}/aux_logits/FC"
    register(ModelSpec(
        name=_name, slim_net=_slim_net(_name), slim_arg_scope=_scope,
        native=functools.partial(native.nasnet, variant=_name),
        mapping=SlimMapping(root="", head_scopes=("final_layer/FC", _aux), anchor=_anchor),
        image_size=_size, num_classes=_classes, preprocessing=_prep, num_params=_params,
        feature_scope=f"Cell_{_config.num_cells - 1}",
        paper="Zoph et al. 2018" if _name.startswith("nasnet") else "Liu et al. 2018"))
