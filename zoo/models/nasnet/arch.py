"""NASNet-A and PNASNet-5 as data: the searched cells (`CellSpec`), the five configurations, their options and the
schedule arithmetic that slim (slim.py, slim_utils.py) and native (native.py) share. Pure Python: no TensorFlow."""
import collections

# The activation values of bounded-activation nets are clipped to this range after each operation.
CLIP_BY_VALUE_CAP = 6


class Op(collections.namedtuple("Op", "kind kernel layers", defaults=(1, 1))):
    """One operation of a cell: kind "separable" (`layers` stacked ReLU-separable-BN, only the first strided),
    "avg_pool", "max_pool" (SAME) or "none" (identity, a strided or projecting 1x1 conv if shapes demand it)."""


SEP3, SEP5, SEP7 = Op("separable", 3, 2), Op("separable", 5, 2), Op("separable", 7, 2)
AVG3, MAX3, IDENTITY = Op("avg_pool", 3), Op("max_pool", 3), Op("none")


class CellSpec(collections.namedtuple("CellSpec", "combos used")):
    """`combos`: five (left op, left state index, right op, right state index); states 0 and 1 are the cell's inputs
    (the 1x1-projected current input and the matched previous layer), state 2 + i the output of combination i.
    `used`: one flag per state (7): a state consumed by some combination is not part of the cell's output."""


NASNET_A_NORMAL = CellSpec(
    combos=((SEP5, 0, SEP3, 1),
            (SEP5, 1, SEP3, 1),
            (AVG3, 0, IDENTITY, 1),
            (AVG3, 1, AVG3, 1),
            (SEP3, 0, IDENTITY, 0)),
    used=(1, 0, 0, 0, 0, 0, 0))

NASNET_A_REDUCTION = CellSpec(
    combos=((SEP5, 0, SEP7, 1),
            (MAX3, 0, SEP7, 1),
            (AVG3, 0, SEP5, 1),
            (IDENTITY, 3, AVG3, 2),
            (SEP3, 2, MAX3, 0)),
    used=(1, 1, 1, 0, 0, 0, 0))

PNASNET_5 = CellSpec(
    combos=((SEP5, 1, MAX3, 1),
            (SEP7, 0, MAX3, 0),
            (SEP5, 0, SEP3, 0),
            (SEP3, 4, MAX3, 0),
            (SEP3, 1, IDENTITY, 0)),
    used=(1, 1, 0, 0, 0, 0, 0))


class Config(collections.namedtuple("Config", (
        "stem_multiplier dense_dropout_keep_prob num_cells filter_scaling_rate num_conv_filters drop_path_keep_prob "
        "use_aux_head num_reduction_layers skip_reduction_layer_input total_training_steps use_bounded_activation "
        "data_format"), defaults=(False, "NHWC"))):
    """The originals' HParams. num_cells counts the normal cells (NASNet adds its reduction cells between them; PNASNet
    makes the cells at the reduction indices strided). skip_reduction_layer_input: the normal cell right after a NASNet
    reduction cell takes as its previous input the output two cells before the reduction (not the one just before
    it); PNASNet keeps the previous input of its strided cells otherwise. total_training_steps: where the drop-path
    schedule reaches its final strength. Override with `config._replace(...)`."""


NASNET_CIFAR_CONFIG = Config(
    stem_multiplier=3.0, dense_dropout_keep_prob=1.0, num_cells=18, filter_scaling_rate=2.0, num_conv_filters=32,
    drop_path_keep_prob=0.6, use_aux_head=1, num_reduction_layers=2, skip_reduction_layer_input=0,
    total_training_steps=937500)  # 600 epochs at batch size 32
NASNET_MOBILE_CONFIG = Config(
    stem_multiplier=1.0, dense_dropout_keep_prob=0.5, num_cells=12, filter_scaling_rate=2.0, num_conv_filters=44,
    drop_path_keep_prob=1.0, use_aux_head=1, num_reduction_layers=2, skip_reduction_layer_input=0,
    total_training_steps=250000)
NASNET_LARGE_CONFIG = Config(
    stem_multiplier=3.0, dense_dropout_keep_prob=0.5, num_cells=18, filter_scaling_rate=2.0, num_conv_filters=168,
    drop_path_keep_prob=0.7, use_aux_head=1, num_reduction_layers=2, skip_reduction_layer_input=1,
    total_training_steps=250000)
PNASNET_MOBILE_CONFIG = Config(
    stem_multiplier=1.0, dense_dropout_keep_prob=0.5, num_cells=9, filter_scaling_rate=2.0, num_conv_filters=54,
    drop_path_keep_prob=1.0, use_aux_head=1, num_reduction_layers=2, skip_reduction_layer_input=1,
    total_training_steps=250000)
PNASNET_LARGE_CONFIG = Config(
    stem_multiplier=3.0, dense_dropout_keep_prob=0.5, num_cells=12, filter_scaling_rate=2.0, num_conv_filters=216,
    drop_path_keep_prob=0.6, use_aux_head=1, num_reduction_layers=2, skip_reduction_layer_input=1,
    total_training_steps=250000)
CONFIGS = {"nasnet_cifar": NASNET_CIFAR_CONFIG, "nasnet_mobile": NASNET_MOBILE_CONFIG,
           "nasnet_large": NASNET_LARGE_CONFIG, "pnasnet_mobile": PNASNET_MOBILE_CONFIG,
           "pnasnet_large": PNASNET_LARGE_CONFIG}
# variant -> the defaults of its arg scope: (weight decay, batch-norm decay, batch-norm epsilon)
ARG_SCOPES = {"nasnet_cifar": (5e-4, 0.9, 1e-5), "nasnet_mobile": (4e-5, 0.9997, 1e-3),
              "nasnet_large": (5e-5, 0.9997, 1e-3), "pnasnet_mobile": (4e-5, 0.9997, 1e-3),
              "pnasnet_large": (4e-5, 0.9997, 1e-3)}
# The originals' hyper-parameters a user may change (the registry's slim net and the native take them by name).
OPTIONS = ("drop_path_keep_prob", "total_training_steps", "dense_dropout_keep_prob", "num_cells", "num_conv_filters")


def config_for(variant, **overrides):
    """The variant's `Config` with `OPTIONS` overridden (None keeps the original's value)."""
    unknown = sorted(set(overrides) - set(OPTIONS))
    if unknown:
        raise TypeError(f"{variant} takes no option {unknown}; its options: {list(OPTIONS)}")
    return CONFIGS[variant]._replace(**{key: v for key, v in overrides.items() if v is not None})

# Stem cells: two stride-2 cells before the first normal cell of the ImageNet nets, at 1/4 and 1/2 of the base width.
NUM_STEM_CELLS = 2


def calc_reduction_layers(num_cells, num_reduction_layers):
    """Cell indices at which the resolution halves: evenly spaced, e.g. 18 cells, 2 reductions -> [6, 12]."""
    return [int(num_cells * k / (num_reduction_layers + 1)) for k in range(1, num_reduction_layers + 1)]


def drop_path_keep_prob(keep_prob, cell_num, total_num_cells, step_ratio):
    """The scheduled keep probability (the original's "v3" drop-connect): 1 - keep_prob is scaled by the cell's position
    (cell_num + 1) / total_num_cells, then by the training progress `step_ratio` = min(1, step / total_training_steps).
    Pure arithmetic: works on Python numbers, and on a tensor `step_ratio` builds the original's ops."""
    layer_keep_prob = 1 - (cell_num + 1) / float(total_num_cells) * (1 - keep_prob)
    return 1 - step_ratio * (1 - layer_keep_prob)


def aux_cells_of(config):
    """The aux head follows the last cell before the second reduction."""
    reductions = calc_reduction_layers(config.num_cells, config.num_reduction_layers)
    return [reductions[1] - 1] if len(reductions) >= 2 else []
