"""Small native Keras pieces that reproduce slim semantics exactly."""
import tensorflow as tf
import tf_keras


def slim_l2(weight_decay):
    """Keras regularizer equal to `slim.l2_regularizer(weight_decay)`.

    slim's is weight_decay * tf.nn.l2_loss(w) = weight_decay * sum(w**2) / 2, Keras' L2(c) is c * sum(w**2);
    slim returns no loss at all for 0, so neither do we.
    """
    if not weight_decay:
        return None
    return tf_keras.regularizers.L2(weight_decay / 2.0)


@tf_keras.utils.register_keras_serializable(package="zoo")
class TruncatedNormal(tf_keras.initializers.Initializer):
    """TF1's `truncated_normal_initializer`: a stateful op seeded from the global seed.

    tf_keras 2.x initializers are stateless and draw their seed from Python's `random`, so neither
    `tf.random.set_seed` nor `DeterministicRandomTestTool` reaches them. This one draws exactly as slim's
    initializer does, which makes native and slim models initialise identically under the same seed.
    """

    def __init__(self, mean=0.0, stddev=1.0, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None, **kwargs):
        return tf.random.truncated_normal(shape, self.mean, self.stddev, dtype or tf.float32, seed=self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


def truncated_normal(stddev):
    return TruncatedNormal(stddev=stddev)


@tf_keras.utils.register_keras_serializable(package="zoo")
class VarianceScaling(tf_keras.initializers.Initializer):
    """tf-slim's `variance_scaling_initializer` (He by default; `xavier()` is factor 1, FAN_AVG, uniform),
    drawn the same way: fans over every dimension but the last, truncated normal with stddev
    sqrt(1.3 * factor / n) or uniform with limit sqrt(3 * factor / n), stateful and globally seeded."""

    def __init__(self, factor=2.0, mode="FAN_IN", uniform=False, seed=None):
        self.factor, self.mode, self.uniform, self.seed = factor, mode, uniform, seed

    def __call__(self, shape, dtype=None, **kwargs):
        dtype = dtype or tf.float32
        shape = [int(d) for d in shape]
        fan_in = float(shape[-2]) if len(shape) > 1 else float(shape[-1]) if shape else 1.0
        fan_out = float(shape[-1]) if shape else 1.0
        for d in shape[:-2]:
            fan_in *= d
            fan_out *= d
        n = {"FAN_IN": fan_in, "FAN_OUT": fan_out, "FAN_AVG": (fan_in + fan_out) / 2.0}[self.mode]
        if self.uniform:
            limit = (3.0 * self.factor / n) ** 0.5
            return tf.random.uniform(shape, -limit, limit, dtype, seed=self.seed)
        return tf.random.truncated_normal(shape, 0.0, (1.3 * self.factor / n) ** 0.5, dtype, seed=self.seed)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode, "uniform": self.uniform, "seed": self.seed}


def xavier():
    """slim's default weights initializer for conv2d / fully_connected."""
    return VarianceScaling(1.0, "FAN_AVG", uniform=True)


@tf_keras.utils.register_keras_serializable(package="zoo")
class LocalResponseNormalization(tf_keras.layers.Layer):
    """`tf.nn.lrn` as a layer (CifarNet's norm1/norm2); Keras has none built in."""

    def __init__(self, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5, **kwargs):
        super().__init__(**kwargs)
        self.depth_radius, self.bias, self.alpha, self.beta = depth_radius, bias, alpha, beta

    def call(self, inputs):
        return tf.nn.local_response_normalization(inputs, self.depth_radius, self.bias, self.alpha, self.beta)

    def get_config(self):
        return {**super().get_config(), "depth_radius": self.depth_radius, "bias": self.bias,
                "alpha": self.alpha, "beta": self.beta}
