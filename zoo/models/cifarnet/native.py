"""CifarNet as a native Keras model; layer names are the slim scopes under `CifarNet/`."""
import tf_keras
from tf_keras import layers

from zoo.layers import LocalResponseNormalization, slim_l2, truncated_normal


def _lrn(name):
    return LocalResponseNormalization(4, bias=1.0, alpha=0.001 / 9.0, beta=0.75, name=name)


def cifarnet(num_classes=10, input_shape=(32, 32, 3), dropout_keep_prob=0.5, weight_decay=0.004,
             name="CifarNet"):
    """Output: logits, or with num_classes 0/None the 192-d fc4 features (as slim)."""
    conv = dict(padding="same", activation="relu", kernel_initializer=truncated_normal(5e-2))
    fc = dict(activation="relu", kernel_initializer=truncated_normal(0.04), bias_initializer=tf_keras.initializers.Constant(0.1),
              kernel_regularizer=slim_l2(weight_decay))
    inputs = layers.Input(shape=input_shape, name="images")
    x = layers.Conv2D(64, 5, name="conv1", **conv)(inputs)
    x = layers.MaxPooling2D(2, 2, name="pool1")(x)
    x = _lrn("norm1")(x)
    x = layers.Conv2D(64, 5, name="conv2", **conv)(x)
    x = _lrn("norm2")(x)
    x = layers.MaxPooling2D(2, 2, name="pool2")(x)
    x = layers.Flatten(name="Flatten")(x)
    x = layers.Dense(384, name="fc3", **fc)(x)
    x = layers.Dropout(1.0 - dropout_keep_prob, name="dropout3")(x)
    x = layers.Dense(192, name="fc4", **fc)(x)
    if num_classes:
        x = layers.Dense(num_classes, kernel_initializer=truncated_normal(1 / 192.0), name="logits")(x)
    return tf_keras.Model(inputs, x, name=name)
