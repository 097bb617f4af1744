"""MobileNet v1/v2/v3/EdgeTPU as data: layer tables and the depth arithmetic that slim (slim.py, slim_v3.py) and
native (native.py) share, and the registry's variants. Pure Python: no TensorFlow."""
import collections

# MobileNet v1 body: ("conv" | "sep", stride, depth)
V1_LAYERS = [("conv", 2, 32), ("sep", 1, 64), ("sep", 2, 128), ("sep", 1, 128), ("sep", 2, 256),
             ("sep", 1, 256), ("sep", 2, 512)] + [("sep", 1, 512)] * 5 + [("sep", 2, 1024), ("sep", 1, 1024)]

# MobileNet v2 body after the first conv: (expansion factor, output depth, repeats, first stride)
V2_BLOCKS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
             (6, 320, 1, 1)]


def v1_depth(d, depth_multiplier, min_depth=8):
    return max(int(d * depth_multiplier), min_depth)


def make_divisible(v, divisor=8, min_value=None):
    """mobilenet.py's rounding: nearest multiple of `divisor`, never more than 10% below `v`."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class Block(collections.namedtuple(
        "Block", "scope expansion depth kernel stride activation squeeze fused residual",
        defaults=(3, 1, "relu6", None, False, True))):
    """One conv_blocks.expanded_conv as built: scope, expansion depth (None: no 1x1 expansion, as when it would not
    widen), output depth, depthwise kernel, stride, inner activation ("relu6" | "relu" | "hard_swish"), squeeze
    depth of a squeeze-excite after the depthwise (None: none), fused (the expansion is a kxk conv carrying the
    stride and there is no depthwise: MobileNet EdgeTPU), residual (added when the stride is 1 and depths match).
    v2 and v3 (zoo.models.mobilenet.slim_v3) share it, in slim and native alike."""


def v2_layers(depth_multiplier, finegrain_classification_mode=False):
    """(first conv depth, [Block] for the expanded_conv blocks, last conv depth) — the one place v2's depth
    arithmetic lives (slim and native share it). finegrain_classification_mode keeps the last conv at 1280
    channels for multipliers below 1 (as nets_factory's mobilenet_v2_035 and the published 0.35 checkpoints do)."""
    first = make_divisible(32 * depth_multiplier)
    blocks, depth, index = [], first, 0
    for factor, out, repeats, stride in V2_BLOCKS:
        out = make_divisible(out * depth_multiplier)
        for r in range(repeats):
            expansion = make_divisible(depth * factor) if factor > 1 else depth
            scope = "expanded_conv" if index == 0 else f"expanded_conv_{index}"
            blocks.append(Block(scope, expansion if expansion > depth else None, out, stride=stride if r == 0 else 1))
            depth, index = out, index + 1
    last = make_divisible(1280 * (1.0 if finegrain_classification_mode and depth_multiplier < 1 else
                                  depth_multiplier))
    return first, blocks, last


HS, RE = "hard_swish", "relu"

# (kernel, expansion factor, output depth, stride, activation, squeeze-excite) per expanded_conv block.
_LARGE = [(3, 1, 16, 1, RE, False), (3, 4, 24, 2, RE, False), (3, 3, 24, 1, RE, False),
          (5, 3, 40, 2, RE, True), (5, 3, 40, 1, RE, True), (5, 3, 40, 1, RE, True),
          (3, 6, 80, 2, HS, False), (3, 2.5, 80, 1, HS, False), (3, 184 / 80., 80, 1, HS, False),
          (3, 184 / 80., 80, 1, HS, False), (3, 6, 112, 1, HS, True), (3, 6, 112, 1, HS, True),
          (5, 6, 160, 2, HS, True), (5, 6, 160, 1, HS, True), (5, 6, 160, 1, HS, True)]
_SMALL = [(3, 1, 16, 2, RE, True), (3, 72. / 16, 24, 2, RE, False), (3, 88. / 24, 24, 1, RE, False),
          (5, 4, 40, 2, HS, True), (5, 6, 40, 1, HS, True), (5, 6, 40, 1, HS, True),
          (5, 3, 48, 1, HS, True), (5, 3, 48, 1, HS, True), (5, 6, 96, 2, HS, True),
          (5, 6, 96, 1, HS, True), (5, 6, 96, 1, HS, True)]


def _minimalistic(blocks):
    """The minimalistic variants: the same depths with 3x3 kernels, relu and no squeeze-excite."""
    return [(3, factor, depth, stride, RE, False) for _, factor, depth, stride, _, _ in blocks]


# (kernel, expansion factor, output depth, stride, fused, residual) per EdgeTPU block; activation relu throughout.
_EDGETPU = ([(3, 1, 16, 1, True, True), (3, 8, 32, 2, True, True)] + [(3, 4, 32, 1, True, True)] * 3 +
            [(3, 8, 48, 2, True, True)] + [(3, 4, 48, 1, True, True)] * 3 +
            [(3, 8, 96, 2, False, True)] + [(3, 4, 96, 1, False, True)] * 3 + [(3, 8, 96, 1, False, False)] +
            [(3, 4, 96, 1, False, True)] * 3 + [(5, 8, 160, 2, False, True)] + [(5, 4, 160, 1, False, True)] * 3 +
            [(3, 8, 192, 1, False, True)])

# conv_defs name -> (root scope, first conv (depth, activation), blocks, last conv (depth, activation),
# head conv after the 1x1 pool (depth, activation) or None)
CONV_DEFS = {
    "large": ("MobilenetV3", (16, HS), _LARGE, (960, HS), (1280, HS)),
    "small": ("MobilenetV3", (16, HS), _SMALL, (576, HS), (1024, HS)),
    "large_minimalistic": ("MobilenetV3", (16, RE), _minimalistic(_LARGE), (960, RE), (1280, RE)),
    "small_minimalistic": ("MobilenetV3", (16, RE), _minimalistic(_SMALL), (576, RE), (1024, RE)),
    "edgetpu": ("MobilenetEdgeTPU", (32, RE), [(k, f, d, s, RE, False, fused, res) for k, f, d, s, fused, res
                                               in _EDGETPU], (1280, RE), None),
}


def root_scope(conv_defs):
    return CONV_DEFS[conv_defs][0]


def v3_layers(conv_defs, depth_multiplier=1.0, finegrain_classification_mode=False):
    """The network's layers in order, one per end point `layer_<i + 1>`: ("conv", scope, depth, kernel, stride,
    activation, batch_norm), ("pool",) (the average pool to 1x1) or a `Block` — the one place v3's depth
    arithmetic lives (slim and native share it)."""
    _, (first, first_act), blocks, (last, last_act), head = CONV_DEFS[conv_defs]

    def scaled(d, keep=False):
        return d if keep else make_divisible(d * depth_multiplier)

    depth = scaled(first)
    layers = [("conv", "Conv", depth, 3, 2, first_act, True)]
    for index, (kernel, factor, out, stride, act, se, *edge) in enumerate(blocks):
        fused, residual = edge or (False, True)
        out, expansion = scaled(out), make_divisible(depth * factor)
        expansion = expansion if expansion > depth else None
        squeeze = make_divisible((expansion or depth) / 4) if se else None
        layers.append(Block("expanded_conv" if index == 0 else f"expanded_conv_{index}", expansion, out, kernel,
                            stride, act, squeeze, fused, residual))
        depth = out
    final = finegrain_classification_mode and head is None  # the multiplier spares the very last conv only
    layers.append(("conv", "Conv_1", scaled(last, final), 1, 1, last_act, True))
    if head is not None:
        layers.append(("pool",))
        layers.append(("conv", "Conv_2", scaled(head[0], finegrain_classification_mode), 1, 1, head[1], False))
    return layers


# name -> (family, fixed arguments as in slim's nets_factory, variables' total size with 1001 classes as the
# TF1 graph counts it, batch-norm moving statistics included)
VARIANTS = {
    "mobilenet_v1": ("v1", dict(depth_multiplier=1.0), 4_254_889),
    "mobilenet_v1_075": ("v1", dict(depth_multiplier=0.75), 2_602_745),
    "mobilenet_v1_050": ("v1", dict(depth_multiplier=0.5), 1_343_049),
    "mobilenet_v1_025": ("v1", dict(depth_multiplier=0.25), 475_801),
    "mobilenet_v2": ("v2", dict(depth_multiplier=1.0), 3_540_265),
    "mobilenet_v2_140": ("v2", dict(depth_multiplier=1.4), 6_158_505),
    "mobilenet_v2_035": ("v2", dict(depth_multiplier=0.35, finegrain_classification_mode=True), 1_692_489),
    # v3: mobilenet_v3.large / small / large_minimalistic / small_minimalistic / edge_tpu; the 0.75 releases
    # (v3-large_224_0.75_float, v3-small_224_0.75_float) keep the last conv at full depth (finegrain mode).
    "mobilenet_v3_large": ("v3", dict(conv_defs="large"), 5_508_713),
    "mobilenet_v3_large_075": ("v3", dict(conv_defs="large", depth_multiplier=0.75,
                                          finegrain_classification_mode=True), 4_013_897),
    "mobilenet_v3_small": ("v3", dict(conv_defs="small"), 2_555_993),
    "mobilenet_v3_small_075": ("v3", dict(conv_defs="small", depth_multiplier=0.75,
                                          finegrain_classification_mode=True), 2_052_577),
    "mobilenet_v3_large_minimalistic": ("v3", dict(conv_defs="large_minimalistic"), 3_949_969),
    "mobilenet_v3_small_minimalistic": ("v3", dict(conv_defs="small_minimalistic"), 2_057_873),
    "mobilenet_edgetpu": ("v3", dict(conv_defs="edgetpu"), 4_131_593),
}
