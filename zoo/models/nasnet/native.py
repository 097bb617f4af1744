"""NASNet-A and PNASNet-5, native (one builder for Keras 3 and tf_keras), cell by cell as slim_utils builds them
from the same `CellSpec` data. Layers holding weights are named after their slim scopes (these nets have no root
scope): `cell_stem_0-comb_iter_0-left-separable_5x5_1`, `reduction_cell_1-prev_bn`, `final_layer-FC`; the layer
giving each of slim's end points is named after it (`Stem`, `Cell_3`, `Reduction_Cell_0`, `global_pool`, `Logits`,
`AuxLogits`).

As slim builds it by default (its evaluation graph), a native model has no auxiliary head and no drop-path.
Slim adds both only to training graphs; here they are structure, chosen when building: `aux_head=True` adds the
head (a second output), `drop_path_keep_prob<1` adds drop-path and a `global_step` weight (slim's, mapped to
the checkpoint's `global_step`) that its schedule reads, so a model resuming a TF1 training checkpoint continues
the schedule where the checkpoint left it. Whoever trains it advances `global_step` once per step, as slim's
optimizer did (`model.get_layer("global_step").global_step.assign_add(1)`; zoo's train.py builds the default,
evaluation structure and has no drop-path option).

Drop-path's noise: one [batch, 1, 1, 1] uniform draw per non-identity operation, all of a cell's drawn by one
layer before the cell's operations run, in slim's order. A functional model runs independent branches in an
order of its own; drawing per cell keeps the random ops in slim's sequence, so that under
`DeterministicRandomTestTool` a tf_keras native draws exactly the masks the slim graph draws.
"""
import functools

from zoo.models.nasnet import arch
from zoo.nn import KerasBase, keras_class, kit as kit_of


# ------------------------------------------------------------------------------------------- drop-path layers

class GlobalStep(KerasBase):
    """Holds slim's `global_step` (int64, not trained) and gives it as a float32 scalar to the drop-path
    layers; its input only places it in the graph."""
    slim_weights = {"global_step": ""}  # zoo.checkpoints.mapping: the weight is the layer's scope itself

    def build(self, input_shape):
        self.global_step = self.add_weight(name="global_step", shape=(), dtype="int64", trainable=False,
                                           initializer="zeros")

    def call(self, inputs):
        return self.tensor_ops.cast(self.global_step, "float32")

    def compute_output_shape(self, input_shape):
        return ()


class DropPathNoise(KerasBase):
    """`count` draws of uniform [batch, 1, 1, 1] noise, in order, when training (zeros otherwise)."""

    def __init__(self, count, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.count, self.seed = count, seed
        self.seed_generator = self.noise.seed_generator(seed)

    def call(self, inputs, training=None):
        if not training:
            return [self.tensor_ops.zeros_like(inputs[:, :1, :1, :1]) for _ in range(self.count)]
        shape = (self.tensor_ops.shape(inputs)[0], 1, 1, 1)
        return [self.noise.uniform(self, shape) for _ in range(self.count)]

    def compute_output_shape(self, input_shape):
        return [(input_shape[0], 1, 1, 1)] * self.count

    def get_config(self):
        return {**super().get_config(), "count": self.count, "seed": self.seed}


class DropPath(KerasBase):
    """slim's drop_path at the scheduled keep probability (arch.drop_path_keep_prob): inputs
    [net, noise, step]; training: net * (1 / keep) * floor(keep + noise), in float32 as the original."""

    def __init__(self, keep_prob, cell_num, total_num_cells, total_training_steps, **kwargs):
        super().__init__(**kwargs)
        self.keep_prob, self.cell_num = keep_prob, cell_num
        self.total_num_cells, self.total_training_steps = total_num_cells, total_training_steps

    def call(self, inputs, training=None):
        net, noise, step = inputs
        if not training:
            return net
        ops = self.tensor_ops
        ratio = ops.minimum(1.0, step / float(self.total_training_steps))
        keep = arch.drop_path_keep_prob(self.keep_prob, self.cell_num, self.total_num_cells, ratio)
        mask = ops.cast(ops.floor(keep + noise), net.dtype)
        return net * ops.cast(1.0 / keep, net.dtype) * mask

    def compute_output_shape(self, input_shapes):
        return input_shapes[0]

    def get_config(self):
        return {**super().get_config(), "keep_prob": self.keep_prob, "cell_num": self.cell_num,
                "total_num_cells": self.total_num_cells, "total_training_steps": self.total_training_steps}


class _Keras3Noise:
    """Keras 3's drop-path noise: `keras.random` (any backend), from a seed generator per layer."""

    @staticmethod
    def seed_generator(seed):
        import keras

        return keras.random.SeedGenerator(seed)

    @staticmethod
    def uniform(layer, shape):
        import keras

        return keras.random.uniform(shape, seed=layer.seed_generator)


class _TFNoise:
    """tf_keras' drop-path noise: TF's stateful `tf.random.uniform`, which `DeterministicRandomTestTool` reaches
    (as slim's)."""

    @staticmethod
    def seed_generator(seed):
        return None

    @staticmethod
    def uniform(layer, shape):
        import tensorflow as tf

        return tf.random.uniform(shape, dtype=tf.float32)


@functools.lru_cache(maxsize=None)
def _drop_path_layers(keras_name):
    """(GlobalStep, DropPathNoise, DropPath) of one Keras (`zoo.nn.keras_class`): Keras 3 computes with
    `keras.ops` and draws with `keras.random`, tf_keras with TF's ops and stateful random op."""
    k = kit_of(keras_name)
    if keras_name == "keras":
        tensor_ops, noise = k.keras.ops, _Keras3Noise
    else:
        import tensorflow as tf

        tensor_ops, noise = tf, _TFNoise
    return tuple(keras_class(logic, k.layers.Layer, tensor_ops=tensor_ops, noise=noise)
                 for logic in (GlobalStep, DropPathNoise, DropPath))


# ------------------------------------------------------------------------------------------- the builder

class _Builder:
    """One net's shared settings and its layer-making helpers (the native side of slim's arg scope)."""

    def __init__(self, k, config, weight_decay, bn_decay, bn_epsilon, total_num_cells, step):
        self.k, self.L, self.config = k, k.layers, config
        self.weight_decay, self.bn_decay, self.bn_epsilon = weight_decay, bn_decay, bn_epsilon
        self.total_num_cells, self.step = total_num_cells, step
        self.GlobalStep, self.DropPathNoise, self.DropPath = _drop_path_layers(k.name)

    @property
    def drop_path_on(self):
        return self.step is not None

    def _init(self):
        return self.k.VarianceScaling(mode="FAN_OUT")  # He, fan-out, truncated normal: slim's arg scope

    def conv(self, x, filters, kernel, name, stride=1, padding="same"):
        return self.L.Conv2D(filters, kernel, stride, padding=padding, use_bias=False,
                             kernel_initializer=self._init(), kernel_regularizer=self.k.l2(self.weight_decay),
                             name=name)(x)

    def separable(self, x, filters, kernel, stride, name):
        return self.L.SeparableConv2D(
            filters, kernel, stride, padding="same", depth_multiplier=1, use_bias=False,
            depthwise_initializer=self._init(), pointwise_initializer=self._init(),
            depthwise_regularizer=self.k.l2(self.weight_decay), pointwise_regularizer=self.k.l2(self.weight_decay),
            name=name)(x)

    def bn(self, x, name):
        return self.k.BatchNormalization(momentum=self.bn_decay, epsilon=self.bn_epsilon, name=name)(x)

    def relu(self, x, name):
        return self.L.ReLU(name=name)(x)

    def dense(self, x, units, name):
        return self.L.Dense(units, kernel_initializer=self._init(), kernel_regularizer=self.k.l2(self.weight_decay),
                            name=name)(x)

    # -- slim_utils' pieces ---------------------------------------------------------------------------------
    def factorized_reduction(self, x, filters, stride, scope):
        if stride == 1:
            return self.bn(self.conv(x, filters, 1, f"{scope}-path_conv"), f"{scope}-path_bn")
        path1 = self.L.AveragePooling2D(1, stride, padding="valid", name=f"{scope}-path1_pool")(x)
        path1 = self.conv(path1, filters // 2, 1, f"{scope}-path1_conv")
        shifted = self.L.ZeroPadding2D(((0, 1), (0, 1)), name=f"{scope}-path2_pad")(x)
        shifted = self.L.Cropping2D(((1, 0), (1, 0)), name=f"{scope}-path2_shift")(shifted)
        path2 = self.L.AveragePooling2D(1, stride, padding="valid", name=f"{scope}-path2_pool")(shifted)
        path2 = self.conv(path2, filters // 2 + filters % 2, 1, f"{scope}-path2_conv")
        joined = self.L.Concatenate(axis=3, name=f"{scope}-path_concat")([path1, path2])
        return self.bn(joined, f"{scope}-final_path_bn")

    def match_previous(self, prev, x, filters, scope):
        if prev is None:
            return x
        if prev.shape[2] != x.shape[2]:
            return self.factorized_reduction(self.relu(prev, f"{scope}-prev_relu"), filters, 2, scope)
        if prev.shape[3] != filters:
            prev = self.conv(self.relu(prev, f"{scope}-prev_relu"), filters, 1, f"{scope}-prev_1x1")
            return self.bn(prev, f"{scope}-prev_bn")
        return prev

    def apply_op(self, x, op, stride, filters, scope, cell_num, noise):
        if op.kind == "separable":
            for n in range(1, op.layers + 1):
                name = f"{op.kernel}x{op.kernel}_{n}"
                x = self.relu(x, f"{scope}-relu_{name}")
                x = self.separable(x, filters, op.kernel, stride if n == 1 else 1, f"{scope}-separable_{name}")
                x = self.bn(x, f"{scope}-bn_sep_{name}")
        elif op.kind == "none":
            if stride > 1 or x.shape[3] != filters:
                x = self.conv(self.relu(x, f"{scope}-relu"), filters, 1, f"{scope}-1x1", stride=stride)
                x = self.bn(x, f"{scope}-bn_1")
        else:
            pool = self.k.AveragePooling2D if op.kind == "avg_pool" else self.L.MaxPooling2D
            projecting = x.shape[3] != filters
            x = pool(op.kernel, stride, padding="same", name=f"{scope}-{op.kind}")(x)
            if projecting:
                x = self.bn(self.conv(x, filters, 1, f"{scope}-1x1"), f"{scope}-bn_1")
        if op.kind != "none" and self.drop_path_on:
            x = self.DropPath(self.config.drop_path_keep_prob, cell_num, self.total_num_cells,
                              self.config.total_training_steps, name=f"{scope}-drop_path")([x, next(noise), self.step])
        return x

    def concat_unused(self, states, used, scope, name):
        last = states[-1]
        states = list(states)
        for i, state in enumerate(states):
            if used[i] or (state.shape[2] == last.shape[2] and state.shape[3] == last.shape[3]):
                continue
            states[i] = self.factorized_reduction(state, last.shape[3], 2 if state.shape[2] != last.shape[2] else 1,
                                                  f"{scope}-cell_output-reduction_{i}")
        return self.L.Concatenate(axis=3, name=name)([s for s, u in zip(states, used) if not u])

    def cell(self, x, prev, spec, scope, filter_scaling, stride, cell_num, name=None):
        """slim_utils.build_cell (slim); the cell's output layer is `name` (an end point) or `<scope>-cell_output`."""
        filters = int(self.config.num_conv_filters * filter_scaling)
        prev = self.match_previous(prev, x, filters, scope)
        noise = None
        if self.drop_path_on:
            count = sum(op.kind != "none" for combo in spec.combos for op in combo[::2])
            noise = iter(self.DropPathNoise(count, name=f"{scope}-drop_path_noise")(x))
        x = self.conv(self.relu(x, f"{scope}-relu"), filters, 1, f"{scope}-1x1")
        states = [self.bn(x, f"{scope}-beginning_bn"), prev]
        for i, (left_op, left, right_op, right) in enumerate(spec.combos):
            base = f"{scope}-comb_iter_{i}"
            branches = [self.apply_op(states[index], op, stride if index < 2 else 1, filters, f"{base}-{side}",
                                      cell_num, noise)
                        for side, op, index in (("left", left_op, left), ("right", right_op, right))]
            states.append(self.L.Add(name=f"{base}-combine")(branches))
        return self.concat_unused(states, spec.used, scope, name or f"{scope}-cell_output")

    def aux_head(self, x, num_classes, scope):
        """slim's _aux_head: 5x5/3 VALID average pool, 1x1 to 128, a conv of 768 over the whole map, dense."""
        a = f"{scope}-aux_logits"
        x = self.L.AveragePooling2D(5, 3, padding="valid", name=f"{a}-AvgPool")(self.relu(x, f"{scope}-relu"))
        x = self.relu(self.bn(self.conv(x, 128, 1, f"{a}-proj"), f"{a}-aux_bn0"), f"{a}-relu_0")
        x = self.conv(x, 768, tuple(x.shape[1:3]), f"{a}-Conv", padding="valid")
        x = self.relu(self.bn(x, f"{a}-aux_bn1"), f"{a}-relu_1")
        x = self.dense(self.L.Flatten(name=f"{a}-Flatten")(x), num_classes, f"{a}-FC")
        return self.L.Identity(name="AuxLogits")(x)

    def classifier(self, x, num_classes):
        x = self.L.GlobalAveragePooling2D(name="global_pool")(self.relu(x, "final_layer-Relu"))
        if not num_classes:
            return x
        if self.config.dense_dropout_keep_prob < 1.0:
            x = self.L.Dropout(1.0 - self.config.dense_dropout_keep_prob, name="final_layer-dropout")(x)
        return self.L.Identity(name="Logits")(self.dense(x, num_classes, "final_layer-FC"))


# ------------------------------------------------------------------------------------------- the nets

def _arg_scope_defaults(variant):
    """(weight decay, batch-norm decay, epsilon): the defaults of slim's `<variant>_arg_scope`."""
    return arch.ARG_SCOPES[variant]


def nasnet(k, num_classes=1001, input_shape=(224, 224, 3), variant="nasnet_mobile", weight_decay=None,
           drop_path_keep_prob=1.0, aux_head=False, **options):
    """Returns (inputs, logits) or, with `aux_head` and classes, (inputs, [logits, aux logits]); num_classes 0
    returns the global pool. `drop_path_keep_prob` < 1 adds drop-path (slim trains CIFAR and the Large nets at
    0.6 / 0.7 / 0.6, see `arch.CONFIGS`); `options`: total_training_steps (where the drop-path schedule
    reaches full strength), dense_dropout_keep_prob, num_cells, num_conv_filters (NASNet-A N@F: N = num_cells / 3),
    each defaulting to the original's."""
    wd, bn_decay, bn_epsilon = _arg_scope_defaults(variant)
    config = arch.config_for(variant, drop_path_keep_prob=drop_path_keep_prob, **options)
    pnasnet = variant.startswith("pnasnet")
    imagenet = variant != "nasnet_cifar"
    total_num_cells = (config.num_cells + arch.NUM_STEM_CELLS if pnasnet else
                       config.num_cells + 2 + (arch.NUM_STEM_CELLS if imagenet else 0))
    L = k.layers
    inputs = L.Input(input_shape, name="images")
    step = None
    if config.drop_path_keep_prob < 1.0:
        step = _drop_path_layers(k.name)[0](name="global_step")(inputs)
    b = _Builder(k, config, wd if weight_decay is None else weight_decay, bn_decay, bn_epsilon, total_num_cells,
                 step)
    stem_spec = arch.PNASNET_5 if pnasnet else arch.NASNET_A_REDUCTION
    normal_spec = arch.PNASNET_5 if pnasnet else arch.NASNET_A_NORMAL
    if imagenet:
        x = b.bn(b.conv(inputs, int(32 * config.stem_multiplier), 3, "conv0", stride=2, padding="valid"), "conv0_bn")
        outputs = [None, x]
        filter_scaling = 1.0 / config.filter_scaling_rate ** arch.NUM_STEM_CELLS
        for n in range(arch.NUM_STEM_CELLS):
            last = n == arch.NUM_STEM_CELLS - 1
            x = b.cell(x, outputs[-2], stem_spec, f"cell_stem_{n}", filter_scaling, 2, n, "Stem" if last else None)
            outputs.append(x)
            filter_scaling *= config.filter_scaling_rate
    else:
        x = b.conv(inputs, int(config.num_conv_filters * config.stem_multiplier), 3, "l1_stem_3x3")
        x = L.Identity(name="Stem")(b.bn(x, "l1_stem_bn"))
        outputs = [None, x]
    reductions = arch.calc_reduction_layers(config.num_cells, config.num_reduction_layers)
    aux_cells = arch.aux_cells_of(config) if aux_head and num_classes else []
    filter_scaling, cell_num = 1.0, arch.NUM_STEM_CELLS if imagenet else 0
    prev, aux = None, None
    for n in range(config.num_cells):
        reduce = n in reductions
        if config.skip_reduction_layer_input:
            prev = outputs[-2]
        if reduce:
            filter_scaling *= config.filter_scaling_rate
        if reduce and not pnasnet:
            r = reductions.index(n)
            x = b.cell(x, outputs[-2], arch.NASNET_A_REDUCTION, f"reduction_cell_{r}", filter_scaling, 2,
                       cell_num, f"Reduction_Cell_{r}")
            cell_num += 1
            outputs.append(x)
        if not config.skip_reduction_layer_input and not (pnasnet and reduce):
            prev = outputs[-2]
        x = b.cell(x, prev, normal_spec, f"cell_{n}", filter_scaling, 2 if pnasnet and reduce else 1, cell_num,
                   f"Cell_{n}")
        cell_num += 1
        if n in aux_cells:
            aux = b.aux_head(x, num_classes, f"aux_{n}")
        outputs.append(x)
    logits = b.classifier(x, num_classes)
    return inputs, (logits if aux is None else [logits, aux])
