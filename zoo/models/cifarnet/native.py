"""CifarNet, native: one builder for Keras 3 and tf_keras; layer names are the slim scopes under `CifarNet/`."""


def cifarnet(k, num_classes=10, input_shape=(32, 32, 3), dropout_keep_prob=0.5, weight_decay=0.004):
    """Output: logits, or with num_classes 0/None the 192-d fc4 features (as slim)."""
    L = k.layers

    def lrn(name):
        return k.LocalResponseNormalization(4, bias=1.0, alpha=0.001 / 9.0, beta=0.75, name=name)

    conv = dict(padding="same", activation="relu", kernel_initializer=k.truncated_normal(5e-2))
    fc = dict(activation="relu", kernel_initializer=k.truncated_normal(0.04), bias_initializer=k.constant(0.1),
              kernel_regularizer=k.l2(weight_decay))
    inputs = L.Input(shape=input_shape, name="images")
    x = L.Conv2D(64, 5, name="conv1", **conv)(inputs)
    x = L.MaxPooling2D(2, 2, name="pool1")(x)
    x = lrn("norm1")(x)
    x = L.Conv2D(64, 5, name="conv2", **conv)(x)
    x = lrn("norm2")(x)
    x = L.MaxPooling2D(2, 2, name="pool2")(x)
    x = L.Flatten(name="Flatten")(x)
    x = L.Dense(384, name="fc3", **fc)(x)
    x = L.Dropout(1.0 - dropout_keep_prob, name="dropout3")(x)
    x = L.Dense(192, name="fc4", **fc)(x)
    if num_classes:
        x = L.Dense(num_classes, kernel_initializer=k.truncated_normal(1 / 192.0), name="logits")(x)
        x = L.Identity(name="Logits")(x)  # slim's end point of the scope 'logits'
    return inputs, x
