"""The tf_keras kit: slim's pieces on tf_keras' classes, drawn and computed by TF's own ops as slim does (its batch
norm and average pool already are TF's). Imported only when `zoo.nn.kit("tf_keras")` is asked for; the migration
guide's shim⇄native checks need this Keras (`DeterministicRandomTestTool` reaches only TF's stateful random ops)."""
import tensorflow as tf
import tf_keras

from zoo.nn import mixins
from zoo.nn.per_keras import Kit, keras_class


class Initializer(tf_keras.initializers.Initializer):
    """tf_keras' draws for the slim initializers: TF's stateful ops; unseeded, TF's global seed, as slim draws
    (so `DeterministicRandomTestTool` reaches them)."""

    @staticmethod
    def seed_of(seed):
        return seed

    @staticmethod
    def draw_truncated_normal(shape, mean, std, dtype, seed):
        return tf.random.truncated_normal(shape, mean, std, dtype or tf.float32, seed=seed)

    @staticmethod
    def draw_uniform(shape, lo, hi, dtype, seed):
        return tf.random.uniform(shape, lo, hi, dtype or tf.float32, seed=seed)


TruncatedNormal = keras_class(mixins.TruncatedNormal, Initializer, module=__name__)
VarianceScaling = keras_class(mixins.VarianceScaling, Initializer, module=__name__)
LocalResponseNormalization = keras_class(mixins.LocalResponseNormalization, tf_keras.layers.Layer, module=__name__,
                                         lrn=staticmethod(tf.nn.local_response_normalization))
FullyConnectedConv2D = keras_class(mixins.FullyConnectedConv2D, tf_keras.layers.Conv2D, module=__name__,
                                   tensor_ops=tf)
BatchNormalization = tf_keras.layers.BatchNormalization  # fused: already TF's statistics
AveragePooling2D = tf_keras.layers.AveragePooling2D  # TF's own pool

KIT = Kit("tf_keras", tf_keras, TruncatedNormal, VarianceScaling, LocalResponseNormalization, BatchNormalization,
          AveragePooling2D, FullyConnectedConv2D)
