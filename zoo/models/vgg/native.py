"""VGG-A (11 layers) / VGG-16 / VGG-19, native (one builder for Keras 3 and tf_keras), fully connected layers with
convolution kernels (as TF-Slim has them, so the published fc6/fc7/fc8 weights load unchanged) computed as matmuls;
layer names `conv1-conv1_1`, `fc6`, ... are the slim scopes. `classifier` is the fc6-fc8 head AlexNet v2 and
OverFeat share."""

# Convolutions per block (64, 128, 256, 512, 512 filters), by slim's name suffix.
CONVS = {"a": (1, 1, 2, 2, 2), "16": (2, 2, 3, 3, 3), "19": (2, 2, 4, 4, 4)}


def conv(k, x, filters, kernel, name, weight_decay, stride=1, padding="same", relu=True, initializer=None,
         bias=0.0, layer=None):
    """slim.conv2d under these nets' arg scopes: bias, ReLU, no batch norm."""
    return (layer or k.layers.Conv2D)(
        filters, kernel, stride, padding=padding, activation="relu" if relu else None,
        kernel_initializer=initializer or k.xavier(), bias_initializer=k.constant(bias),
        kernel_regularizer=k.l2(weight_decay), name=name)(x)


def classifier(k, x, kernel, widths, num_classes, dropout_keep_prob, weight_decay, initializer=None,
               bias=0.0):
    """fc6 (a `kernel` VALID convolution: the input must be exactly kernel x kernel), dropout6, fc7 (1x1),
    dropout7, fc8 (1x1, linear, zero bias), squeezed to [batch, classes]; each computed as the matmul it is
    (`Kit.FullyConnectedConv2D`)."""
    L, fc = k.layers, k.FullyConnectedConv2D
    for i, width in enumerate(widths):
        x = conv(k, x, width, kernel if i == 0 else 1, f"fc{6 + i}", weight_decay, padding="valid" if i == 0 else "same",
                 initializer=initializer and initializer(), bias=bias, layer=fc)
        x = L.Dropout(1 - dropout_keep_prob, name=f"dropout{6 + i}")(x)
    x = conv(k, x, num_classes, 1, "fc8", weight_decay, relu=False, initializer=initializer and initializer(),
             layer=fc)
    return L.Flatten(name="fc8-squeezed")(x)


def vgg(k, depth, num_classes=1000, input_shape=(224, 224, 3), dropout_keep_prob=0.5, weight_decay=0.0005):
    L = k.layers
    inputs = L.Input(shape=input_shape, name="images")
    x = inputs
    for block, (repeats, filters) in enumerate(zip(CONVS[str(depth)], (64, 128, 256, 512, 512)), start=1):
        for r in range(1, repeats + 1):
            x = conv(k, x, filters, 3, f"conv{block}-conv{block}_{r}", weight_decay)
        x = L.MaxPooling2D(2, 2, name=f"pool{block}")(x)
    return inputs, classifier(k, x, 7, (4096, 4096), num_classes, dropout_keep_prob, weight_decay)
