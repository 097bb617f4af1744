"""MobileNet v1 and v2 as TF-Slim defines them, with the published checkpoints' variable names
(`MobilenetV1/Conv2d_1_depthwise/depthwise_weights`, `MobilenetV2/expanded_conv_3/expand/BatchNorm/gamma`,
`.../Logits/Conv2d_1c_1x1/biases`). Written after research/slim/nets/mobilenet_v1.py and
nets/mobilenet/{mobilenet,conv_blocks,mobilenet_v2}.py, at their defaults (SAME padding, no
explicit padding, eval-time behaviour identical)."""
import tensorflow as tf
import tf_slim as slim

from zoo.models.mobilenet.arch import V1_LAYERS, v1_depth, v2_layers


def _reduced_kernel(net, size):
    h, w = net.get_shape().as_list()[1:3]
    return [size if h is None else min(h, size), size if w is None else min(w, size)]


def mobilenet_v1(inputs, num_classes=1001, dropout_keep_prob=0.999, is_training=True, min_depth=8,
                 depth_multiplier=1.0, prediction_fn=slim.softmax, spatial_squeeze=True, scope="MobilenetV1"):
    end_points = {}
    with tf.compat.v1.variable_scope(scope, "MobilenetV1", [inputs]):
        with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training), \
                slim.arg_scope([slim.conv2d, slim.separable_conv2d], padding="SAME"):
            net = inputs
            for i, (kind, stride, depth) in enumerate(V1_LAYERS):
                if kind == "conv":
                    net = end_points[f"Conv2d_{i}"] = slim.conv2d(
                        net, v1_depth(depth, depth_multiplier, min_depth), [3, 3], stride=stride,
                        normalizer_fn=slim.batch_norm, scope=f"Conv2d_{i}")
                    continue
                net = end_points[f"Conv2d_{i}_depthwise"] = slim.separable_conv2d(
                    net, None, [3, 3], depth_multiplier=1, stride=stride, normalizer_fn=slim.batch_norm,
                    scope=f"Conv2d_{i}_depthwise")
                net = end_points[f"Conv2d_{i}_pointwise"] = slim.conv2d(
                    net, v1_depth(depth, depth_multiplier, min_depth), [1, 1], stride=1,
                    normalizer_fn=slim.batch_norm, scope=f"Conv2d_{i}_pointwise")
            with tf.compat.v1.variable_scope("Logits"):
                net = end_points["AvgPool_1a"] = slim.avg_pool2d(net, _reduced_kernel(net, 7), padding="VALID",
                                                                 scope="AvgPool_1a")
                if not num_classes:
                    return net, end_points
                net = slim.dropout(net, keep_prob=dropout_keep_prob, scope="Dropout_1b")
                logits = slim.conv2d(net, num_classes, [1, 1], activation_fn=None, normalizer_fn=None,
                                     scope="Conv2d_1c_1x1")
                if spatial_squeeze:
                    logits = tf.squeeze(logits, [1, 2], name="SpatialSqueeze")
            end_points["Logits"] = logits
            if prediction_fn:
                end_points["Predictions"] = prediction_fn(logits, scope="Predictions")
    return logits, end_points


mobilenet_v1.default_image_size = 224


def mobilenet_v1_arg_scope(is_training=True, weight_decay=0.00004, stddev=0.09, regularize_depthwise=False,
                           batch_norm_decay=0.9997, batch_norm_epsilon=0.001):
    regularizer = slim.l2_regularizer(weight_decay)
    with slim.arg_scope([slim.conv2d, slim.separable_conv2d],
                        weights_initializer=tf.compat.v1.truncated_normal_initializer(stddev=stddev),
                        activation_fn=tf.nn.relu6, normalizer_fn=slim.batch_norm), \
            slim.arg_scope([slim.batch_norm], is_training=is_training, center=True, scale=True,
                           decay=batch_norm_decay, epsilon=batch_norm_epsilon), \
            slim.arg_scope([slim.conv2d], weights_regularizer=regularizer), \
            slim.arg_scope([slim.separable_conv2d],
                           weights_regularizer=regularizer if regularize_depthwise else None) as sc:
        return sc


def expanded_conv(net, block, activation, end_points, layer, squeeze_excite=None):
    """conv_blocks.expanded_conv as v2 and v3 use it: 1x1 expansion (only when it widens; a kxk strided conv when
    fused), kxk depthwise, the optional squeeze-excite, 1x1 linear projection, residual when shapes allow. Adds
    the original's end points `layer/expansion_output`, `layer/depthwise_output`, `layer/output` and `layer`."""
    with tf.compat.v1.variable_scope(block.scope):
        inputs = net
        if block.expansion:
            kernel, stride = (block.kernel, block.stride) if block.fused else (1, 1)
            net = slim.conv2d(net, block.expansion, [kernel, kernel], stride=stride, activation_fn=activation,
                              scope="expand")
            net = end_points[f"{layer}/expansion_output"] = tf.identity(net, name="expansion_output")
        if not block.fused:
            net = slim.separable_conv2d(net, None, [block.kernel, block.kernel], depth_multiplier=1,
                                        stride=block.stride, activation_fn=activation, scope="depthwise")
            net = end_points[f"{layer}/depthwise_output"] = tf.identity(net, name="depthwise_output")
        if block.squeeze:
            net = squeeze_excite(net, block.squeeze)
        net = slim.conv2d(net, block.depth, [1, 1], activation_fn=tf.identity, scope="project")
        if block.residual and block.stride == 1 and block.depth == inputs.get_shape().as_list()[3]:
            net += inputs
        net = end_points[f"{layer}/output"] = end_points[layer] = tf.identity(net, name="output")
        return net


def classifier(net, end_points, num_classes, dropout_keep_prob, prediction_fn):
    """mobilenet.mobilenet's head (v2 and v3): `Logits/AvgPool` over the whole map (end point `global_pool`),
    dropout, `Logits/Conv2d_1c_1x1` with zero-initialized biases, squeeze; end points `Logits`, `Predictions`."""
    with tf.compat.v1.variable_scope("Logits"):
        net = end_points["global_pool"] = slim.avg_pool2d(
            net, net.get_shape().as_list()[1:3], stride=1, padding="VALID", scope="AvgPool")
        if not num_classes:
            return net
        net = slim.dropout(net, keep_prob=dropout_keep_prob, scope="Dropout")
        logits = slim.conv2d(net, num_classes, [1, 1], activation_fn=None, normalizer_fn=None,
                             biases_initializer=tf.compat.v1.zeros_initializer(), scope="Conv2d_1c_1x1")
        logits = tf.identity(tf.squeeze(logits, [1, 2]), name="output")
    end_points["Logits"] = logits
    if prediction_fn:
        end_points["Predictions"] = prediction_fn(logits, scope="Predictions")
    return logits


def mobilenet_v2(inputs, num_classes=1001, depth_multiplier=1.0, is_training=False, dropout_keep_prob=0.8,
                 finegrain_classification_mode=False, prediction_fn=slim.softmax, scope="MobilenetV2"):
    """The original's 72 end points: `layer_1` .. `layer_19` (first conv, 17 blocks, last conv), each block's
    `layer_N/output`, `layer_N/depthwise_output` and (where it expands) `layer_N/expansion_output`,
    `global_pool`, `Logits`, `Predictions`."""
    end_points = {}
    first, blocks, last = v2_layers(depth_multiplier, finegrain_classification_mode)
    with tf.compat.v1.variable_scope(scope, "MobilenetV2", [inputs]):
        with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training), \
                slim.arg_scope([slim.conv2d, slim.separable_conv2d], padding="SAME"):
            net = end_points["layer_1"] = slim.conv2d(inputs, first, [3, 3], stride=2, scope="Conv")
            for i, block in enumerate(blocks):
                net = expanded_conv(net, block, tf.nn.relu6, end_points, f"layer_{i + 2}")
            net = end_points[f"layer_{len(blocks) + 2}"] = slim.conv2d(net, last, [1, 1], scope="Conv_1")
            net = classifier(net, end_points, num_classes, dropout_keep_prob, prediction_fn)
    return net, end_points


mobilenet_v2.default_image_size = 224


def mobilenet_v2_arg_scope(is_training=True, weight_decay=0.00004, stddev=0.09, bn_decay=0.997):
    """mobilenet.training_scope: BN (center, scale, eps 1e-3) after every conv, relu6, L2 on conv2d only."""
    with slim.arg_scope([slim.conv2d, slim.fully_connected, slim.separable_conv2d],
                        weights_initializer=tf.compat.v1.truncated_normal_initializer(stddev=stddev),
                        normalizer_fn=slim.batch_norm, activation_fn=tf.nn.relu6), \
            slim.arg_scope([slim.batch_norm], is_training=is_training, decay=bn_decay, center=True, scale=True), \
            slim.arg_scope([slim.conv2d], weights_regularizer=slim.l2_regularizer(weight_decay)), \
            slim.arg_scope([slim.separable_conv2d], weights_regularizer=None) as sc:
        return sc
