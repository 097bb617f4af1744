"""VGG-16 / VGG-19, native (one builder for Keras 3 and tf_keras), fully connected layers as convolutions (as
TF-Slim has them, so the published fc6/fc7/fc8 weights load unchanged); layer names `conv1.conv1_1`, `fc6`, ...
are the slim scopes."""

CONVS = {16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}


def vgg(k, depth, num_classes=1000, input_shape=(224, 224, 3), dropout_keep_prob=0.5, weight_decay=0.0005):
    L = k.layers

    def conv(x, filters, kernel, name, padding="same", relu=True):
        return L.Conv2D(filters, kernel, padding=padding, activation="relu" if relu else None,
                        kernel_initializer=k.xavier(), kernel_regularizer=k.l2(weight_decay), name=name)(x)

    inputs = L.Input(shape=input_shape, name="images")
    x = inputs
    for block, (repeats, filters) in enumerate(zip(CONVS[depth], (64, 128, 256, 512, 512)), start=1):
        for r in range(1, repeats + 1):
            x = conv(x, filters, 3, f"conv{block}-conv{block}_{r}")
        x = L.MaxPooling2D(2, 2, name=f"pool{block}")(x)
    x = conv(x, 4096, 7, "fc6", padding="valid")
    x = L.Dropout(1 - dropout_keep_prob, name="dropout6")(x)
    x = conv(x, 4096, 1, "fc7")
    x = L.Dropout(1 - dropout_keep_prob, name="dropout7")(x)
    x = conv(x, num_classes, 1, "fc8", relu=False)
    return inputs, L.Flatten(name="fc8-squeezed")(x)
