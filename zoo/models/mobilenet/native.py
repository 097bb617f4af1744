"""MobileNet v1 and v2, native (one builder for Keras 3 and tf_keras): DepthwiseConv2D / Conv2D /
BatchNormalization / ReLU6 with slim's epsilons, momenta, initializers and SAME padding. Layer names are the slim
scopes (see zoo.checkpoints.mapping): `Conv2d_1_depthwise`, `Conv2d_1_depthwise-BatchNorm`, `expanded_conv_3-expand`."""
from zoo.models.mobilenet.slim import V1_LAYERS, v1_depth, v2_layers


def _conv_bn(k, x, filters, kernel, stride, name, *, depthwise=False, activation=True, weight_decay, stddev,
             bn_momentum, bn_epsilon=0.001):
    """slim.conv2d / separable_conv2d(None) with normalizer_fn=batch_norm: no bias, BN, then relu6."""
    L = k.layers
    if depthwise:  # slim leaves depthwise weights unregularized at the published defaults
        x = L.DepthwiseConv2D(kernel, stride, padding="same", use_bias=False,
                              depthwise_initializer=k.truncated_normal(stddev), name=name)(x)
    else:
        x = L.Conv2D(filters, kernel, stride, padding="same", use_bias=False,
                     kernel_initializer=k.truncated_normal(stddev), kernel_regularizer=k.l2(weight_decay),
                     name=name)(x)
    x = k.BatchNormalization(momentum=bn_momentum, epsilon=bn_epsilon, name=f"{name}-BatchNorm")(x)
    return L.ReLU(6.0, name=f"{name}-Relu6")(x) if activation else x


def _classifier(k, x, num_classes, dropout_keep_prob, pool_size, pool_name, stddev, weight_decay):
    """slim's head: VALID average pool (stride 2, as slim.avg_pool2d), dropout, 1x1 conv with bias (L2
    regularized too: the arg scope covers every slim.conv2d), squeeze."""
    L = k.layers
    x = L.AveragePooling2D(pool_size, strides=2, padding="valid", name=f"Logits-{pool_name}")(x)
    if not num_classes:
        return x
    x = L.Dropout(1.0 - dropout_keep_prob, name="Logits-Dropout")(x)
    x = L.Conv2D(num_classes, 1, kernel_initializer=k.truncated_normal(stddev), kernel_regularizer=k.l2(weight_decay),
                 name="Logits-Conv2d_1c_1x1")(x)
    return L.Flatten(name="Logits-SpatialSqueeze")(x)


def mobilenet_v1(k, num_classes=1001, input_shape=(224, 224, 3), depth_multiplier=1.0, min_depth=8,
                 dropout_keep_prob=0.999, weight_decay=0.00004, stddev=0.09):
    common = dict(weight_decay=weight_decay, stddev=stddev, bn_momentum=0.9997)
    inputs = k.layers.Input(shape=input_shape, name="images")
    x = inputs
    for i, (kind, stride, depth) in enumerate(V1_LAYERS):
        filters = v1_depth(depth, depth_multiplier, min_depth)
        if kind == "conv":
            x = _conv_bn(k, x, filters, 3, stride, f"Conv2d_{i}", **common)
        else:
            x = _conv_bn(k, x, None, 3, stride, f"Conv2d_{i}_depthwise", depthwise=True, **common)
            x = _conv_bn(k, x, filters, 1, 1, f"Conv2d_{i}_pointwise", **common)
    pool = [min(d, 7) for d in x.shape[1:3]]
    return inputs, _classifier(k, x, num_classes, dropout_keep_prob, pool, "AvgPool_1a", stddev, weight_decay)


def mobilenet_v2(k, num_classes=1001, input_shape=(224, 224, 3), depth_multiplier=1.0, dropout_keep_prob=0.8,
                 finegrain_classification_mode=False, weight_decay=0.00004, stddev=0.09):
    common = dict(weight_decay=weight_decay, stddev=stddev, bn_momentum=0.997)
    first, blocks, last = v2_layers(depth_multiplier, finegrain_classification_mode)
    inputs = k.layers.Input(shape=input_shape, name="images")
    x = _conv_bn(k, inputs, first, 3, 2, "Conv", **common)
    for scope, expansion, out, stride in blocks:
        shortcut = x
        if expansion:
            x = _conv_bn(k, x, expansion, 1, 1, f"{scope}-expand", **common)
        x = _conv_bn(k, x, None, 3, stride, f"{scope}-depthwise", depthwise=True, **common)
        x = _conv_bn(k, x, out, 1, 1, f"{scope}-project", activation=False, **common)
        if stride == 1 and out == shortcut.shape[-1]:
            x = k.layers.Add(name=f"{scope}-add")([x, shortcut])
    x = _conv_bn(k, x, last, 1, 1, "Conv_1", **common)
    return inputs, _classifier(k, x, num_classes, dropout_keep_prob, list(x.shape[1:3]), "AvgPool", stddev,
                               weight_decay)
