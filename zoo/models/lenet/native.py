"""LeNet as a native Keras model; layer names are the slim scopes under `LeNet/`."""
import tf_keras
from tf_keras import layers

from zoo.layers import slim_l2, truncated_normal


def lenet(num_classes=10, input_shape=(28, 28, 1), dropout_keep_prob=0.5, weight_decay=0.0, name="LeNet"):
    """Output: logits, or with num_classes 0/None the 1024-d fc3 features (as slim)."""
    dense = dict(kernel_initializer=truncated_normal(0.1), kernel_regularizer=slim_l2(weight_decay))
    inputs = layers.Input(shape=input_shape, name="images")
    x = layers.Conv2D(32, 5, padding="same", activation="relu", name="conv1", **dense)(inputs)
    x = layers.MaxPooling2D(2, 2, name="pool1")(x)
    x = layers.Conv2D(64, 5, padding="same", activation="relu", name="conv2", **dense)(x)
    x = layers.MaxPooling2D(2, 2, name="pool2")(x)
    x = layers.Flatten(name="Flatten")(x)
    x = layers.Dense(1024, activation="relu", name="fc3", **dense)(x)
    if num_classes:
        x = layers.Dropout(1.0 - dropout_keep_prob, name="dropout3")(x)
        x = layers.Dense(num_classes, name="fc4", **dense)(x)
    return tf_keras.Model(inputs, x, name=name)
