"""Keras 3 layers a migrated model needs beyond the kit: the tf.compat.v1.layers spellings of the weight layers
(their variables are `kernel` / `bias`, where slim's are `weights` / `biases`), and slim's layer / instance norm.

Each says its TF1 variable names in `slim_weights`, which `zoo.checkpoints.mapping` reads, so a migrated model maps
to its TF1 checkpoint by the one naming rule whichever library built the original.
"""
import functools

from keras import layers, ops

from zoo.nn import register

_register = functools.partial(register, package="zoo.migration")


def _tf1_layers_variant(base, weights: dict):
    cls = type(base.__name__, (base,), {
        "slim_weights": weights,
        "__doc__": f"`keras.layers.{base.__name__}` whose TF1 variables are named as tf.compat.v1.layers names "
                   f"them: {weights}.",
        "__module__": __name__})
    return _register(cls)


Conv2D = _tf1_layers_variant(layers.Conv2D, {"kernel": "kernel", "bias": "bias"})
Dense = _tf1_layers_variant(layers.Dense, {"kernel": "kernel", "bias": "bias"})
Conv2DTranspose = _tf1_layers_variant(layers.Conv2DTranspose, {"kernel": "kernel", "bias": "bias"})
DepthwiseConv2D = _tf1_layers_variant(layers.DepthwiseConv2D, {"kernel": "depthwise_kernel", "bias": "bias"})
SeparableConv2D = _tf1_layers_variant(layers.SeparableConv2D, {"depthwise_kernel": "depthwise_kernel",
                                                               "pointwise_kernel": "pointwise_kernel",
                                                               "bias": "bias"})


@_register
class MomentsNormalization(layers.Layer):
    """slim's `layer_norm` / `instance_norm`: statistics over `axes`, gamma and beta over the channels (Keras'
    LayerNormalization shapes its parameters by the normalized axes instead), computed in TF's
    `nn.batch_normalization` order so that the migrated model rounds as the TF1 graph does."""

    slim_weights = {"beta": "beta", "gamma": "gamma"}

    def __init__(self, axes=(1, 2, 3), epsilon=1e-12, center=True, scale=True, **kwargs):
        super().__init__(**kwargs)
        self.axes, self.epsilon, self.center, self.scale = list(axes), float(epsilon), center, scale

    def build(self, input_shape):
        channels = (input_shape[-1],)
        self.beta = self.add_weight(name="beta", shape=channels, initializer="zeros") if self.center else None
        self.gamma = self.add_weight(name="gamma", shape=channels, initializer="ones") if self.scale else None

    def call(self, x):
        mean = ops.mean(x, axis=self.axes, keepdims=True)
        variance = ops.mean(ops.square(x - ops.stop_gradient(mean)), axis=self.axes, keepdims=True)
        inv = ops.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            inv = inv * self.gamma
        shift = self.beta - mean * inv if self.beta is not None else -mean * inv
        return x * inv + shift

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale}
