"""The Keras 3 kit (any backend): slim's pieces on Keras 3's classes, and the two Keras 3 layers that differ from
TF's: batch norm (computed as TF's fused kernel) and the average pool (TF's SAME semantics on PyTorch too).
Imported only when `zoo.nn.kit("keras")` is asked for."""
import functools
import random

import keras
import numpy as np
from keras import ops

from zoo.nn import mixins
from zoo.nn.per_keras import Kit, keras_class, register


class Initializer(keras.initializers.Initializer):
    """Keras 3's draws for the slim initializers. Initial values are drawn by NumPy, not `keras.random`: on JAX
    every `keras.random.truncated_normal` of a new shape compiles an XLA program (~0.25 s here), which made
    building MobileNet v3 Large take 17 s, nearly all of it in its 64 kernels' initializers, before a checkpoint
    overwrote them. NumPy draws them in milliseconds, and one seed gives the same weights on every backend."""

    @staticmethod
    def seed_of(seed):
        # As Keras' own initializers: an unseeded draw takes an integer seed from Python's `random` (which
        # keras.utils.set_random_seed seeds), never Keras' global seed-generator variable, which would belong
        # to whatever tf.distribute strategy was in scope when it was first made.
        return random.randint(0, 2**31 - 1) if seed is None else seed

    @staticmethod
    def draw_truncated_normal(shape, mean, std, dtype, seed):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal(shape, dtype=np.float32)
        cut = np.abs(x) > 2.0
        while cut.any():  # redraw the tails, as TF's truncated_normal does
            x[cut] = rng.standard_normal(int(cut.sum()), dtype=np.float32)
            cut = np.abs(x) > 2.0
        return ops.convert_to_tensor(x * np.float32(std) + np.float32(mean), dtype=dtype)

    @staticmethod
    def draw_uniform(shape, lo, hi, dtype, seed):
        x = np.random.default_rng(seed).random(shape, dtype=np.float32)
        return ops.convert_to_tensor(np.float32(lo) + np.float32(hi - lo) * x, dtype=dtype)


def lrn(x, radius, bias, alpha, beta):
    """`tf.nn.lrn` on any backend: sqr_sum[..., d] = sum(x[..., d - radius : d + radius + 1] ** 2)."""
    channels = x.shape[-1]
    padded = ops.pad(ops.square(x), [[0, 0]] * (len(x.shape) - 1) + [[radius, radius]])
    window = sum(padded[..., i:i + channels] for i in range(2 * radius + 1))
    return x / ops.power(bias + alpha * window, beta)


def same_pads(size, pool_size, strides):
    """TF's SAME padding (before, after) per spatial dimension: the total split with the extra pixel after."""
    pads = []
    for n, k, s in zip(size, pool_size, strides):
        total = max((-(-n // s) - 1) * s + k - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


TruncatedNormal = keras_class(mixins.TruncatedNormal, Initializer, module=__name__)
VarianceScaling = keras_class(mixins.VarianceScaling, Initializer, module=__name__)
LocalResponseNormalization = keras_class(mixins.LocalResponseNormalization, keras.layers.Layer, module=__name__,
                                         lrn=staticmethod(lrn))
FullyConnectedConv2D = keras_class(mixins.FullyConnectedConv2D, keras.layers.Conv2D, module=__name__,
                                   tensor_ops=ops)


@register
class BatchNormalization(keras.layers.BatchNormalization):
    """Keras 3's batch norm computed as TF's fused kernel (which slim and tf_keras run) computes it, on
    every backend: y = (x - mean) * (rsqrt(var + eps) * gamma) + beta (Keras' own order,
    x * inv + (beta - mean * inv), rounds differently); in training the batch is normalized by its biased
    variance while the moving variance is updated with the unbiased one, var * n / (n - 1) (Keras
    updates with the biased one). On the TensorFlow backend it runs that kernel itself (`_fused`)."""

    def call(self, inputs, training=None, mask=None):
        if mask is not None or self.renorm:
            return super().call(inputs, training=training, mask=mask)
        update = training and self.trainable
        if (keras.backend.backend() == "tensorflow" and len(inputs.shape) == 4 and self.axis in (-1, 3)
                and not getattr(self, "synchronized", False)
                and keras.backend.standardize_dtype(inputs.dtype) in ("float16", "bfloat16", "float32")):
            return ops.cast(self._fused(inputs, update), self.compute_dtype)
        x = ops.cast(inputs, keras.backend.result_type(inputs.dtype, "float32"))
        if update:
            mean, variance = self._moments(x, None)
            n = ops.cast(ops.size(x), x.dtype) / float(x.shape[self.axis])
            self._update_moving(mean, variance * n / ops.maximum(n - 1.0, 1.0))
        else:
            mean = ops.cast(self.moving_mean, x.dtype)
            variance = ops.cast(self.moving_variance, x.dtype)
        factor = ops.rsqrt(variance + self.epsilon)
        if self.scale:
            factor = factor * ops.cast(self.gamma, x.dtype)
        y = (x - mean) * factor
        if self.center:
            y = y + ops.cast(self.beta, x.dtype)
        return ops.cast(y, self.compute_dtype)

    def _update_moving(self, mean, unbiased_variance):
        for moving, batch in ((self.moving_mean, mean), (self.moving_variance, unbiased_variance)):
            moving.assign(ops.cast(moving, batch.dtype) * self.momentum + batch * (1.0 - self.momentum))

    def _fused(self, x, update):
        """On the TensorFlow backend, TF's fused kernel itself (NHWC; x in float16, bfloat16 or float32,
        the statistics in float32): the op slim and tf_keras run, so grappler folds it into the
        convolution before it at inference, and its gradient is one kernel. Keras 3's composite ops held
        the Keras 3 native to 0.57-0.92x the slim graph in inference (README, "Which backend is
        fastest"). In training the kernel returns the batch variance with Bessel's correction, which
        updates the moving one."""
        import tensorflow as tf

        channels = x.shape[-1]
        gamma = ops.cast(self.gamma, "float32") if self.scale else tf.ones((channels,), tf.float32)
        beta = ops.cast(self.beta, "float32") if self.center else tf.zeros((channels,), tf.float32)
        if not update:
            y, _, _ = tf.compat.v1.nn.fused_batch_norm(
                x, gamma, beta, mean=ops.cast(self.moving_mean, "float32"),
                variance=ops.cast(self.moving_variance, "float32"), epsilon=self.epsilon, is_training=False)
            return y
        y, mean, unbiased_variance = tf.compat.v1.nn.fused_batch_norm(
            x, gamma, beta, epsilon=self.epsilon, is_training=True)
        self._update_moving(mean, unbiased_variance)
        return y


@register
class AveragePooling2D(keras.layers.AveragePooling2D):
    """Keras 3's average pool with TF's SAME semantics on every backend: the mean over the window's real
    pixels. Keras' PyTorch backend pads an uneven SAME window (stride 2 on an even size) by replicating
    the edge, which enters the mean (NASNet's strided 3x3 pools differed by ~5% of the logits); there
    it is computed as the zero-padded window sum over the count of real pixels. NHWC."""

    def call(self, inputs):
        if keras.backend.backend() != "torch" or self.padding != "same":
            return super().call(inputs)
        pads = same_pads(inputs.shape[1:3], self.pool_size, self.strides)
        if all(before == after for before, after in pads):  # torch pads evenly with zeros, excluded
            return super().call(inputs)
        spec = [(0, 0)] + list(pads) + [(0, 0)]
        pool = functools.partial(ops.average_pool, pool_size=self.pool_size, strides=self.strides,
                                 padding="valid", data_format="channels_last")
        ones = ops.ones((1,) + tuple(inputs.shape[1:3]) + (1,), inputs.dtype)
        return pool(ops.pad(inputs, spec)) / pool(ops.pad(ones, spec))


KIT = Kit("keras", keras, TruncatedNormal, VarianceScaling, LocalResponseNormalization, BatchNormalization,
          AveragePooling2D, FullyConnectedConv2D)
