"""LeNet, native: one builder for Keras 3 and tf_keras; layer names are the slim scopes under `LeNet/`."""


def lenet(k, num_classes=10, input_shape=(28, 28, 1), dropout_keep_prob=0.5, weight_decay=0.0):
    """Output: logits, or with num_classes 0/None the 1024-d fc3 features (as slim)."""
    L = k.layers
    dense = dict(kernel_initializer=k.truncated_normal(0.1), kernel_regularizer=k.l2(weight_decay))
    inputs = L.Input(shape=input_shape, name="images")
    x = L.Conv2D(32, 5, padding="same", activation="relu", name="conv1", **dense)(inputs)
    x = L.MaxPooling2D(2, 2, name="pool1")(x)
    x = L.Conv2D(64, 5, padding="same", activation="relu", name="conv2", **dense)(x)
    x = L.MaxPooling2D(2, 2, name="pool2")(x)
    x = L.Flatten(name="Flatten")(x)
    x = L.Dense(1024, activation="relu", name="fc3", **dense)(x)
    if num_classes:
        x = L.Dropout(1.0 - dropout_keep_prob, name="dropout3")(x)
        x = L.Dense(num_classes, name="fc4", **dense)(x)
        x = L.Identity(name="Logits")(x)  # slim's end point of fc4's output
    return inputs, x
