"""AlexNet v2 and OverFeat, native (one builder each for Keras 3 and tf_keras): slim's layer names (`conv1`,
`pool1`, ..., `fc6`-`fc8`: VGG's classifier head, convolution kernels computed as matmuls) and initializers (fc
layers truncated normal 0.005 with bias 0.1; AlexNet's convolutions also start at bias 0.1)."""
from zoo.models.vgg.native import classifier, conv


def alexnet_v2(k, num_classes=1000, input_shape=(224, 224, 3), dropout_keep_prob=0.5, weight_decay=0.0005):
    L = k.layers
    inputs = L.Input(shape=input_shape, name="images")
    x = conv(k, inputs, 64, 11, "conv1", weight_decay, stride=4, padding="valid", bias=0.1)
    x = L.MaxPooling2D(3, 2, name="pool1")(x)
    x = conv(k, x, 192, 5, "conv2", weight_decay, bias=0.1)
    x = L.MaxPooling2D(3, 2, name="pool2")(x)
    for name, filters in (("conv3", 384), ("conv4", 384), ("conv5", 256)):
        x = conv(k, x, filters, 3, name, weight_decay, bias=0.1)
    x = L.MaxPooling2D(3, 2, name="pool5")(x)
    return inputs, classifier(k, x, 5, (4096, 4096), num_classes, dropout_keep_prob, weight_decay,
                              initializer=lambda: k.truncated_normal(0.005), bias=0.1)


def overfeat(k, num_classes=1000, input_shape=(231, 231, 3), dropout_keep_prob=0.5, weight_decay=0.0005):
    L = k.layers
    inputs = L.Input(shape=input_shape, name="images")
    x = conv(k, inputs, 64, 11, "conv1", weight_decay, stride=4, padding="valid")
    x = L.MaxPooling2D(2, 2, name="pool1")(x)
    x = conv(k, x, 256, 5, "conv2", weight_decay, padding="valid")
    x = L.MaxPooling2D(2, 2, name="pool2")(x)
    for name, filters in (("conv3", 512), ("conv4", 1024), ("conv5", 1024)):
        x = conv(k, x, filters, 3, name, weight_decay)
    x = L.MaxPooling2D(2, 2, name="pool5")(x)
    return inputs, classifier(k, x, 6, (3072, 4096), num_classes, dropout_keep_prob, weight_decay,
                              initializer=lambda: k.truncated_normal(0.005), bias=0.1)
