"""MobileNet v1, v2, v3 and EdgeTPU, native (one builder for Keras 3 and tf_keras): DepthwiseConv2D / Conv2D /
BatchNormalization / ReLU with slim's epsilons, momenta, initializers and SAME padding; v3's hard-swish and
hard-sigmoid from layers both Kerases share (Rescaling, ReLU(6), Multiply), computed in TF's order with TF's
constants. Layers holding weights are named after their slim scopes (see zoo.checkpoints.mapping):
`Conv2d_1_depthwise`, `Conv2d_1_depthwise-BatchNorm`, `expanded_conv_3-expand`,
`expanded_conv_3-squeeze_excite-Conv_1`. For v2/v3 the weightless layer that produces each of slim's end points is
named after the end point (`layer_1`, `layer_4-expansion_output`, `layer_4-depthwise_output`, `layer_4-output`,
`global_pool`, `Predictions`), so that zoo.features resolves every one of them.
v3 natives equal the eager slim code (the shim) bit for bit on TensorFlow; a TF1 Session graph differs from both by
float32 rounding (~4e-7 of the logits' scale, measured) because grappler's arithmetic optimizer rewrites hard-swish
there (with it off, graph and native are bit-identical)."""
from zoo.models.mobilenet.arch import V1_LAYERS, Block, v1_depth, v2_layers, v3_layers


def _activation(k, x, activation, scope, name=None):
    """slim's activation_fn after the layer of `scope`: "relu6", "relu", "hard_swish" ((x * relu6(x + 3)) *
    float32(1/6), as mobilenet_v3.py) or "hard_sigmoid" (relu6(x + 3) * 0.16667); None is linear. `name` names
    the layer giving the result (an end point's name), else it is named by scope."""
    L = k.layers
    if activation is None:
        return L.Identity(name=name)(x) if name else x
    if activation == "relu6":
        return L.ReLU(6.0, name=name or f"{scope}-Relu6")(x)
    if activation == "relu":
        return L.ReLU(name=name or f"{scope}-Relu")(x)
    shifted = L.Rescaling(1.0, 3.0, name=f"{scope}-{activation}-add")(x)
    shifted = L.ReLU(6.0, name=f"{scope}-{activation}-Relu6")(shifted)
    if activation == "hard_sigmoid":
        return L.Rescaling(0.16667, name=name or f"{scope}-{activation}-mul")(shifted)
    if activation == "hard_swish":
        product = L.Multiply(name=f"{scope}-{activation}-mul")([x, shifted])
        return L.Rescaling(1.0 / 6.0, name=name or f"{scope}-{activation}-mul_1")(product)
    raise ValueError(f"activation={activation!r}")


def _conv_bn(k, x, filters, kernel, stride, name, *, depthwise=False, activation="relu6", batch_norm=True,
             out_name=None, weight_decay, stddev, bn_momentum, bn_epsilon=0.001):
    """slim.conv2d / separable_conv2d(None) with normalizer_fn=batch_norm: no bias, BN, then the activation
    (layer `out_name` if given); batch_norm=False: slim's normalizer_fn=None, a bias instead."""
    L = k.layers
    if depthwise:  # slim leaves depthwise weights unregularized at the published defaults
        x = L.DepthwiseConv2D(kernel, stride, padding="same", use_bias=False,
                              depthwise_initializer=k.truncated_normal(stddev), name=name)(x)
    else:
        x = L.Conv2D(filters, kernel, stride, padding="same", use_bias=not batch_norm,
                     kernel_initializer=k.truncated_normal(stddev), kernel_regularizer=k.l2(weight_decay),
                     name=name)(x)
    if batch_norm:
        x = k.BatchNormalization(momentum=bn_momentum, epsilon=bn_epsilon, name=f"{name}-BatchNorm")(x)
    return _activation(k, x, activation, name, out_name)


def _squeeze_excite(k, x, squeeze_depth, scope, weight_decay, stddev, **_):
    """conv_blocks.squeeze_excite as v3 uses it: the whole map's average, 1x1 conv + relu, 1x1 conv + hard
    sigmoid (both with biases, regularized as every slim.conv2d), times the input."""
    L, scope = k.layers, f"{scope}-squeeze_excite"
    conv = dict(kernel_initializer=k.truncated_normal(stddev), kernel_regularizer=k.l2(weight_decay))
    pooled = L.AveragePooling2D(tuple(x.shape[1:3]), strides=1, padding="valid", name=f"{scope}-AvgPool")(x)
    squeeze = L.Conv2D(squeeze_depth, 1, activation="relu", name=f"{scope}-Conv", **conv)(pooled)
    excite = _activation(k, L.Conv2D(x.shape[-1], 1, name=f"{scope}-Conv_1", **conv)(squeeze), "hard_sigmoid",
                         f"{scope}-Conv_1")
    return L.Multiply(name=f"{scope}-mul")([x, excite])


def _expanded_conv(k, x, block: Block, end_point, **common):
    """conv_blocks.expanded_conv (v2, v3, EdgeTPU; the same `Block` the slim code builds): expansion (1x1, or kxk
    strided when fused), depthwise, optional squeeze-excite, linear projection, residual. The layers giving
    slim's end points `<end_point>/expansion_output`, `/depthwise_output` and `/output` carry those names."""
    shortcut = x
    if block.expansion:
        kernel, stride = (block.kernel, block.stride) if block.fused else (1, 1)
        x = _conv_bn(k, x, block.expansion, kernel, stride, f"{block.scope}-expand", activation=block.activation,
                     out_name=f"{end_point}-expansion_output", **common)
    if not block.fused:
        x = _conv_bn(k, x, None, block.kernel, block.stride, f"{block.scope}-depthwise", depthwise=True,
                     activation=block.activation, out_name=f"{end_point}-depthwise_output", **common)
    if block.squeeze:
        x = _squeeze_excite(k, x, block.squeeze, block.scope, **common)
    x = _conv_bn(k, x, block.depth, 1, 1, f"{block.scope}-project", activation=None, **common)
    if block.residual and block.stride == 1 and block.depth == shortcut.shape[-1]:
        return k.layers.Add(name=f"{end_point}-output")([x, shortcut])
    return k.layers.Identity(name=f"{end_point}-output")(x)


def _classifier(k, x, num_classes, dropout_keep_prob, pool_size, pool_strides, pool_name, stddev, weight_decay):
    """slim's head: VALID average pool (v1: up to 7x7 with stride 2, as slim.avg_pool2d; v2/v3: the whole map,
    end point `global_pool`), dropout, 1x1 conv with bias (L2 regularized too: the arg scope covers every
    slim.conv2d), squeeze (the end point `Logits`; `Predictions` is zoo.features' softmax of it).
    num_classes 0: the pooled map."""
    L = k.layers
    x = L.AveragePooling2D(pool_size, strides=pool_strides, padding="valid", name=pool_name)(x)  # the end point
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
    return inputs, _classifier(k, x, num_classes, dropout_keep_prob, pool, 2, "AvgPool_1a", stddev, weight_decay)


def mobilenet_v2(k, num_classes=1001, input_shape=(224, 224, 3), depth_multiplier=1.0, dropout_keep_prob=0.8,
                 finegrain_classification_mode=False, weight_decay=0.00004, stddev=0.09):
    common = dict(weight_decay=weight_decay, stddev=stddev, bn_momentum=0.997)
    first, blocks, last = v2_layers(depth_multiplier, finegrain_classification_mode)
    inputs = k.layers.Input(shape=input_shape, name="images")
    x = _conv_bn(k, inputs, first, 3, 2, "Conv", out_name="layer_1", **common)
    for i, block in enumerate(blocks):
        x = _expanded_conv(k, x, block, f"layer_{i + 2}", **common)
    x = _conv_bn(k, x, last, 1, 1, "Conv_1", out_name=f"layer_{len(blocks) + 2}", **common)
    return inputs, _classifier(k, x, num_classes, dropout_keep_prob, tuple(x.shape[1:3]), 1, "global_pool", stddev,
                               weight_decay)


def mobilenet_v3(k, num_classes=1001, input_shape=(224, 224, 3), conv_defs="large", depth_multiplier=1.0,
                 dropout_keep_prob=0.8, finegrain_classification_mode=False, weight_decay=0.00004, stddev=0.09):
    """MobileNet v3 large/small (and minimalistic) and EdgeTPU, layer for layer as slim_v3.v3_layers lists them;
    each layer's output is the layer named after its end point `layer_<i + 1>`."""
    common = dict(weight_decay=weight_decay, stddev=stddev, bn_momentum=0.997)
    inputs = k.layers.Input(shape=input_shape, name="images")
    x = inputs
    for i, layer in enumerate(v3_layers(conv_defs, depth_multiplier, finegrain_classification_mode)):
        end_point = f"layer_{i + 1}"
        if isinstance(layer, Block):
            x = _expanded_conv(k, x, layer, end_point, **common)
        elif layer[0] == "pool":  # reduce_to_1x1: the whole (square) map
            x = k.layers.AveragePooling2D(tuple(x.shape[1:3]), strides=1, padding="valid", name=end_point)(x)
        else:
            _, scope, depth, kernel, stride, activation, batch_norm = layer
            x = _conv_bn(k, x, depth, kernel, stride, scope, activation=activation, batch_norm=batch_norm,
                         out_name=end_point, **common)
    return inputs, _classifier(k, x, num_classes, dropout_keep_prob, tuple(x.shape[1:3]), 1, "global_pool", stddev,
                               weight_decay)
