"""The one layers API every native builder is written against, for both Kerases.

A builder takes a `Kit` and uses only what Keras 3 and tf_keras share (`kit.layers.Conv2D`, ...) plus the few
slim-semantics pieces defined here once per Keras: slim's L2, TF1's truncated-normal and variance-scaling
initializers, and local response normalization. So each network exists once, and `kit("keras")` builds it on
Keras 3 (any backend) while `kit("tf_keras")` builds the same network on tf_keras (the migration guide's
shim⇄native checks need that one: `DeterministicRandomTestTool` reaches only TF's stateful random ops).
"""
import dataclasses
import functools
import random
import types
from typing import Any

import numpy as np

KERASES = ("keras", "tf_keras")


def check_keras(keras: str) -> str:
    if keras not in KERASES:
        raise ValueError(f"keras={keras!r}; choose 'keras' (Keras 3, any backend) or 'tf_keras' (Keras 2).")
    return keras


@dataclasses.dataclass(frozen=True)
class Kit:
    name: str                     # "keras" | "tf_keras"
    keras: types.ModuleType       # the Keras package itself
    TruncatedNormal: type
    VarianceScaling: type
    LocalResponseNormalization: type
    BatchNormalization: type       # slim's batch norm (TF's fused semantics) in this Keras
    AveragePooling2D: type         # TF's average pool (SAME padding left out of the mean) in this Keras
    FullyConnectedConv2D: type     # a convolution whose kernel covers its input, computed as a matmul

    @property
    def layers(self) -> Any:
        return self.keras.layers

    @property
    def Model(self) -> type:
        return self.keras.Model

    def l2(self, weight_decay: float) -> Any:
        """`slim.l2_regularizer(wd)` = wd * sum(w**2) / 2, i.e. Keras L2(wd / 2); none at all for 0, as slim."""
        return self.keras.regularizers.L2(weight_decay / 2.0) if weight_decay else None

    def truncated_normal(self, stddev: float) -> Any:
        return self.TruncatedNormal(stddev=stddev)

    def xavier(self) -> Any:
        """slim's default weights initializer for conv2d / fully_connected."""
        return self.VarianceScaling(1.0, "FAN_AVG", uniform=True)

    def constant(self, value: float) -> Any:
        return self.keras.initializers.Constant(value)


def _fans(shape):
    """tf-slim's variance_scaling fans: over every dimension but the last (as TF1 computes them)."""
    fan_in = float(shape[-2]) if len(shape) > 1 else float(shape[-1]) if shape else 1.0
    fan_out = float(shape[-1]) if shape else 1.0
    for d in shape[:-2]:
        fan_in *= d
        fan_out *= d
    return {"FAN_IN": fan_in, "FAN_OUT": fan_out, "FAN_AVG": (fan_in + fan_out) / 2.0}


def _define(name, keras, register, truncated_normal, uniform, lrn, batch_normalization, seed_of, ops,
            average_pooling=None):
    """The slim pieces as classes of one Keras; `truncated_normal`/`uniform`/`lrn` are that Keras' ops, `ops`
    its `reshape`/`matmul` namespace, and `seed_of(seed)` the seed an unseeded initializer call uses."""
    Initializer: Any = keras.initializers.Initializer  # the bases, one Keras' (typed Any: either Keras)
    Layer: Any = keras.layers.Layer
    Conv2D: Any = keras.layers.Conv2D

    @register
    class TruncatedNormal(Initializer):
        """TF1's `truncated_normal_initializer` (normal cut at two standard deviations). On tf_keras it is
        TF's stateful op seeded from the global seed, exactly as slim draws it, so `DeterministicRandomTestTool`
        gives shim and native the same weights; on Keras 3 it is NumPy's generator with a fresh integer seed
        (`_keras3`)."""

        def __init__(self, mean=0.0, stddev=1.0, seed=None):
            self.mean, self.stddev, self.seed = mean, stddev, seed

        def __call__(self, shape, dtype=None, **kwargs):
            return truncated_normal(shape, self.mean, self.stddev, dtype, seed_of(self.seed))

        def get_config(self):
            return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}

    @register
    class VarianceScaling(Initializer):
        """tf-slim's `variance_scaling_initializer` (He by default; `xavier()` is factor 1, FAN_AVG, uniform):
        truncated normal with stddev sqrt(1.3 * factor / n) or uniform with limit sqrt(3 * factor / n)."""

        def __init__(self, factor=2.0, mode="FAN_IN", uniform=False, seed=None):
            self.factor, self.mode, self.uniform, self.seed = factor, mode, uniform, seed

        def __call__(self, shape, dtype=None, **kwargs):
            n = _fans([int(d) for d in shape])[self.mode]
            if self.uniform:
                limit = (3.0 * self.factor / n) ** 0.5
                return uniform(shape, -limit, limit, dtype, seed_of(self.seed))
            return truncated_normal(shape, 0.0, (1.3 * self.factor / n) ** 0.5, dtype, seed_of(self.seed))

        def get_config(self):
            return {"factor": self.factor, "mode": self.mode, "uniform": self.uniform, "seed": self.seed}

    @register
    class LocalResponseNormalization(Layer):
        """`tf.nn.lrn` as a layer (CifarNet's norm1/norm2); neither Keras has one built in."""

        def __init__(self, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5, **kwargs):
            super().__init__(**kwargs)
            self.depth_radius, self.bias, self.alpha, self.beta = depth_radius, bias, alpha, beta

        def call(self, inputs):
            return lrn(inputs, self.depth_radius, self.bias, self.alpha, self.beta)

        def compute_output_shape(self, input_shape):
            return input_shape

        def get_config(self):
            return {**super().get_config(), "depth_radius": self.depth_radius, "bias": self.bias,
                    "alpha": self.alpha, "beta": self.beta}

    @register
    class FullyConnectedConv2D(Conv2D):
        """slim's fully connected layer as VGG, AlexNet v2 and OverFeat write it: a convolution whose kernel covers
        its whole input (fc6: 7x7 VALID on a 7x7 map; fc7/fc8: 1x1 on 1x1). On such an input it is a matrix
        product of the flattened input with the kernel, computed so: the weights keep the convolution's shape (the
        published checkpoints map unchanged, both ways), while the step runs as keras.applications' Flatten + Dense
        does, without TF's convolution kernels for this shape (slow on CPU, backward above all). A larger input
        (fully convolutional use) takes the convolution."""

        def _covers(self, input_shape):
            one_by_one = tuple(self.kernel_size) == (1, 1)
            return (tuple(input_shape[1:3]) == tuple(self.kernel_size) and (self.padding == "valid" or one_by_one)
                    and self.data_format == "channels_last" and tuple(self.dilation_rate) == (1, 1)
                    and getattr(self, "groups", 1) == 1)

        def call(self, inputs):
            if not self._covers(inputs.shape):
                return super().call(inputs)
            flat = ops.reshape(inputs, (-1, self.kernel.shape[0] * self.kernel.shape[1] * self.kernel.shape[2]))
            outputs = ops.matmul(flat, ops.reshape(self.kernel, (-1, self.filters)))
            if self.use_bias:
                outputs = ops.add(outputs, self.bias)
            if self.activation is not None:
                outputs = self.activation(outputs)
            return ops.reshape(outputs, (-1, 1, 1, self.filters))

    return Kit(name, keras, TruncatedNormal, VarianceScaling, LocalResponseNormalization,
               batch_normalization(register), average_pooling(register) if average_pooling else
               keras.layers.AveragePooling2D, FullyConnectedConv2D)


def _same_pads(size, pool_size, strides):
    """TF's SAME padding (before, after) per spatial dimension: the total split with the extra pixel after."""
    pads = []
    for n, k, s in zip(size, pool_size, strides):
        total = max((-(-n // s) - 1) * s + k - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def _keras3():
    import keras
    from keras import ops

    def lrn(x, radius, bias, alpha, beta):
        # sqr_sum[..., d] = sum(x[..., d - radius : d + radius + 1] ** 2), as tf.nn.lrn, on any backend.
        channels = x.shape[-1]
        padded = ops.pad(ops.square(x), [[0, 0]] * (len(x.shape) - 1) + [[radius, radius]])
        window = sum(padded[..., i:i + channels] for i in range(2 * radius + 1))
        return x / ops.power(bias + alpha * window, beta)

    def batch_normalization(register):
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

        return BatchNormalization

    def average_pooling(register):
        @register
        class AveragePooling2D(keras.layers.AveragePooling2D):
            """Keras 3's average pool with TF's SAME semantics on every backend: the mean over the window's real
            pixels. Keras' PyTorch backend pads an uneven SAME window (stride 2 on an even size) by replicating
            the edge, which enters the mean (NASNet's strided 3x3 pools differed by ~5% of the logits); there
            it is computed as the zero-padded window sum over the count of real pixels. NHWC."""

            def call(self, inputs):
                if keras.backend.backend() != "torch" or self.padding != "same":
                    return super().call(inputs)
                pads = _same_pads(inputs.shape[1:3], self.pool_size, self.strides)
                if all(before == after for before, after in pads):  # torch pads evenly with zeros, excluded
                    return super().call(inputs)
                spec = [(0, 0)] + list(pads) + [(0, 0)]
                pool = functools.partial(ops.average_pool, pool_size=self.pool_size, strides=self.strides,
                                         padding="valid", data_format="channels_last")
                ones = ops.ones((1,) + tuple(inputs.shape[1:3]) + (1,), inputs.dtype)
                return pool(ops.pad(inputs, spec)) / pool(ops.pad(ones, spec))

        return AveragePooling2D

    def seed_of(seed):
        # As Keras' own initializers: an unseeded draw takes an integer seed from Python's `random` (which
        # keras.utils.set_random_seed seeds), never Keras' global seed-generator variable, which would belong
        # to whatever tf.distribute strategy was in scope when it was first made.
        return random.randint(0, 2**31 - 1) if seed is None else seed

    # Initial values are drawn by NumPy, not `keras.random`: on JAX every `keras.random.truncated_normal` of a new
    # shape compiles an XLA program (~0.25 s here), which made building MobileNet v3 Large take 17 s, nearly all
    # of it in its 64 kernels' initializers, before a checkpoint overwrote them. NumPy draws them in
    # milliseconds, and one seed now gives the same weights on every backend.
    def truncated_normal(shape, mean, std, dtype, seed):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal(shape, dtype=np.float32)
        cut = np.abs(x) > 2.0
        while cut.any():  # redraw the tails, as TF's truncated_normal does
            x[cut] = rng.standard_normal(int(cut.sum()), dtype=np.float32)
            cut = np.abs(x) > 2.0
        return ops.convert_to_tensor(x * np.float32(std) + np.float32(mean), dtype=dtype)

    def uniform(shape, lo, hi, dtype, seed):
        x = np.random.default_rng(seed).random(shape, dtype=np.float32)
        return ops.convert_to_tensor(np.float32(lo) + np.float32(hi - lo) * x, dtype=dtype)

    return _define(
        "keras", keras, keras.saving.register_keras_serializable(package="zoo"), truncated_normal, uniform, lrn,
        batch_normalization, seed_of, ops, average_pooling)


def _tf_keras():
    import tensorflow as tf
    import tf_keras

    return _define(
        "tf_keras", tf_keras, tf_keras.utils.register_keras_serializable(package="zoo"),
        lambda shape, mean, std, dtype, seed: tf.random.truncated_normal(shape, mean, std, dtype or tf.float32,
                                                                          seed=seed),
        lambda shape, lo, hi, dtype, seed: tf.random.uniform(shape, lo, hi, dtype or tf.float32, seed=seed),
        tf.nn.local_response_normalization,
        lambda register: tf_keras.layers.BatchNormalization,  # fused: already TF's statistics
        lambda seed: seed,  # unseeded: TF's global seed, as slim draws (DeterministicRandomTestTool reaches it)
        tf)


@functools.lru_cache(maxsize=None)
def kit(keras: str = "keras") -> Kit:
    """The `Kit` of one Keras: "keras" (Keras 3, whatever `KERAS_BACKEND` says) or "tf_keras"."""
    return _keras3() if check_keras(keras) == "keras" else _tf_keras()


def keras_of(model: Any) -> str:
    """"keras" or "tf_keras": which Keras a model or layer belongs to."""
    module = type(model).__module__
    for cls in type(model).__mro__:
        if cls.__module__.startswith("tf_keras."):
            return "tf_keras"
        if cls.__module__.startswith("keras."):
            return "keras"
    raise TypeError(f"{type(model).__name__} (module {module}) is neither a Keras 3 nor a tf_keras object.")
