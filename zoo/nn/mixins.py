"""The slim pieces both Kerases need, written once without Keras: each Keras' module (`zoo.nn.keras3`,
`zoo.nn.tf_keras`) puts them on its own base classes with `keras_class` and supplies the few operations that
differ (the class attributes each one names below)."""
from typing import Dict, Sequence

from zoo.nn.per_keras import KerasBase


def fans(shape: Sequence[int]) -> Dict[str, float]:
    """tf-slim's variance_scaling fans: over every dimension but the last (as TF1 computes them)."""
    fan_in = float(shape[-2]) if len(shape) > 1 else float(shape[-1]) if shape else 1.0
    fan_out = float(shape[-1]) if shape else 1.0
    for d in shape[:-2]:
        fan_in *= d
        fan_out *= d
    return {"FAN_IN": fan_in, "FAN_OUT": fan_out, "FAN_AVG": (fan_in + fan_out) / 2.0}


class TruncatedNormal(KerasBase):
    """TF1's `truncated_normal_initializer` (normal cut at two standard deviations). On tf_keras it is TF's
    stateful op seeded from the global seed, exactly as slim draws it, so `DeterministicRandomTestTool` gives shim
    and native the same weights; on Keras 3 it is NumPy's generator with a fresh integer seed (`zoo.nn.keras3`).
    Its Keras' base supplies `draw_truncated_normal(shape, mean, std, dtype, seed)` and `seed_of(seed)`."""

    def __init__(self, mean=0.0, stddev=1.0, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None, **kwargs):
        return self.draw_truncated_normal(shape, self.mean, self.stddev, dtype, self.seed_of(self.seed))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(KerasBase):
    """tf-slim's `variance_scaling_initializer` (He by default; `xavier()` is factor 1, FAN_AVG, uniform):
    truncated normal with stddev sqrt(1.3 * factor / n) or uniform with limit sqrt(3 * factor / n). Its Keras'
    base supplies `draw_truncated_normal`, `draw_uniform(shape, low, high, dtype, seed)` and `seed_of`."""

    def __init__(self, factor=2.0, mode="FAN_IN", uniform=False, seed=None):
        self.factor, self.mode, self.uniform, self.seed = factor, mode, uniform, seed

    def __call__(self, shape, dtype=None, **kwargs):
        n = fans([int(d) for d in shape])[self.mode]
        if self.uniform:
            limit = (3.0 * self.factor / n) ** 0.5
            return self.draw_uniform(shape, -limit, limit, dtype, self.seed_of(self.seed))
        return self.draw_truncated_normal(shape, 0.0, (1.3 * self.factor / n) ** 0.5, dtype, self.seed_of(self.seed))

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode, "uniform": self.uniform, "seed": self.seed}


class LocalResponseNormalization(KerasBase):
    """`tf.nn.lrn` as a layer (CifarNet's norm1/norm2); neither Keras has one built in. Its Keras supplies
    `lrn(inputs, depth_radius, bias, alpha, beta)`."""

    def __init__(self, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5, **kwargs):
        super().__init__(**kwargs)
        self.depth_radius, self.bias, self.alpha, self.beta = depth_radius, bias, alpha, beta

    def call(self, inputs):
        return self.lrn(inputs, self.depth_radius, self.bias, self.alpha, self.beta)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "depth_radius": self.depth_radius, "bias": self.bias,
                "alpha": self.alpha, "beta": self.beta}


class FullyConnectedConv2D(KerasBase):
    """slim's fully connected layer as VGG, AlexNet v2 and OverFeat write it: a convolution whose kernel covers
    its whole input (fc6: 7x7 VALID on a 7x7 map; fc7/fc8: 1x1 on 1x1). On such an input it is a matrix
    product of the flattened input with the kernel, computed so: the weights keep the convolution's shape (the
    published checkpoints map unchanged, both ways), while the step runs as keras.applications' Flatten + Dense
    does, without TF's convolution kernels for this shape (slow on CPU, backward above all). A larger input
    (fully convolutional use) takes the convolution. Its Keras supplies `tensor_ops` (reshape, matmul, add)."""

    def _covers(self, input_shape):
        one_by_one = tuple(self.kernel_size) == (1, 1)
        return (tuple(input_shape[1:3]) == tuple(self.kernel_size) and (self.padding == "valid" or one_by_one)
                and self.data_format == "channels_last" and tuple(self.dilation_rate) == (1, 1)
                and getattr(self, "groups", 1) == 1)

    def call(self, inputs):
        if not self._covers(inputs.shape):
            return super().call(inputs)
        ops = self.tensor_ops
        flat = ops.reshape(inputs, (-1, self.kernel.shape[0] * self.kernel.shape[1] * self.kernel.shape[2]))
        outputs = ops.matmul(flat, ops.reshape(self.kernel, (-1, self.filters)))
        if self.use_bias:
            outputs = ops.add(outputs, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return ops.reshape(outputs, (-1, 1, 1, self.filters))
