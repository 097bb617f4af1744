"""MobileNet v3 (large, small, their minimalistic variants) and MobileNet EdgeTPU as TF-Slim defines them, with
the published checkpoints' variable names (`MobilenetV3/expanded_conv_3/squeeze_excite/Conv_1/biases`,
`MobilenetV3/Conv_2/weights`, `MobilenetEdgeTPU/expanded_conv_1/expand/weights`). Written after
research/slim/nets/mobilenet/{mobilenet,conv_blocks,mobilenet_v3}.py at their defaults (SAME padding, no
explicit padding, no output stride); the blocks are v2's (zoo.models.mobilenet.slim.expanded_conv).

What the original builds, and so what this builds:
- every conv and depthwise conv is followed by batch norm (center, scale, epsilon 1e-3) and an activation (relu
  unless the table says hard-swish); the projections are linear (batch norm, no activation); the squeeze-excite
  convs and the head's last conv (`Conv_2`) have biases and no batch norm;
- hard-swish is (x * relu6(x + 3)) * float32(1/6); squeeze-excite gates with relu6(x + 3) * 0.16667 (the
  original's constant, not 1/6), after a relu squeeze to make_divisible(channels / 4) channels, both 1x1 convs
  with biases, on the whole map's average;
- large/small end their body with `Conv_1` (batch norm), an average pool to 1x1 (end point only, no scope with
  variables) and `Conv_2`; EdgeTPU ends with `Conv_1`. The head is v2's (`Logits/Conv2d_1c_1x1`);
- the depth multiplier rounds every layer's output depth with make_divisible(d * multiplier, 8); expansions are
  make_divisible(input depth * factor, 8); finegrain_classification_mode keeps the last conv's depth.
"""
import numpy as np
import tensorflow as tf
import tf_slim as slim

from zoo.models.mobilenet.arch import HS, Block, root_scope, v3_layers
from zoo.models.mobilenet.slim import classifier, expanded_conv


def hard_swish(x):
    """x * relu6(x + 3) / 6 computed as mobilenet_v3.py does: the product first, then times float32(1/6)."""
    with tf.compat.v1.name_scope("hard_swish"):
        return tf.multiply(x * tf.nn.relu6(x + np.float32(3)), np.float32(1.0 / 6.0))


def hard_sigmoid(x):
    """The squeeze-excite gate of mobilenet_v3.py: relu6(x + 3) * 0.16667."""
    return tf.nn.relu6(x + 3) * 0.16667


ACTIVATIONS = {"relu": tf.nn.relu, "relu6": tf.nn.relu6, HS: hard_swish}


def squeeze_excite(net, squeeze_depth):
    """conv_blocks.squeeze_excite as v3 uses it: average of the whole map, 1x1 conv + relu to `squeeze_depth`,
    1x1 conv + hard sigmoid back to the input's depth (both with biases, no batch norm), times the input."""
    with tf.compat.v1.variable_scope("squeeze_excite"):
        height, width = net.get_shape().as_list()[1:3]
        pooled = tf.nn.avg_pool2d(net, [1, height, width, 1], [1, 1, 1, 1], "VALID")
        squeeze = slim.conv2d(pooled, squeeze_depth, [1, 1], normalizer_fn=None, activation_fn=tf.nn.relu,
                              scope="Conv")
        excite = slim.conv2d(squeeze, net.get_shape().as_list()[3], [1, 1], normalizer_fn=None,
                             activation_fn=hard_sigmoid, scope="Conv_1")
        return net * excite


def mobilenet_v3(inputs, num_classes=1001, conv_defs="large", depth_multiplier=1.0, is_training=False,
                 dropout_keep_prob=0.8, finegrain_classification_mode=False, prediction_fn=slim.softmax,
                 scope=None):
    """(logits, end_points) with the original's end points: `layer_1` .. `layer_<n>` (one per layer of
    `v3_layers`), each block's `layer_N/output`, `layer_N/depthwise_output` (unless fused) and
    `layer_N/expansion_output` (where it expands), `global_pool`, `Logits`, `Predictions`. num_classes 0: the
    pooled features [batch, 1, 1, depth] instead of logits."""
    if depth_multiplier <= 0:
        raise ValueError("depth_multiplier is not greater than zero.")
    root = root_scope(conv_defs)
    end_points = {}
    with tf.compat.v1.variable_scope(scope or root, root, [inputs]):
        with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training), \
                slim.arg_scope([slim.conv2d, slim.separable_conv2d], padding="SAME", normalizer_fn=slim.batch_norm,
                               activation_fn=tf.nn.relu):
            net = inputs
            for i, layer in enumerate(v3_layers(conv_defs, depth_multiplier, finegrain_classification_mode)):
                end_point = f"layer_{i + 1}"
                if isinstance(layer, Block):
                    net = expanded_conv(net, layer, ACTIVATIONS[layer.activation], end_points, end_point,
                                        squeeze_excite)
                elif layer[0] == "pool":  # mobilenet_v3.reduce_to_1x1 (square inputs: the whole map)
                    height, width = net.get_shape().as_list()[1:3]
                    size = [height, height] if height is not None and height == width else [7, 7]
                    net = end_points[end_point] = slim.avg_pool2d(net, size, stride=1, padding="VALID")
                else:
                    _, conv_scope, depth, kernel, stride, activation, batch_norm = layer
                    net = end_points[end_point] = slim.conv2d(
                        net, depth, [kernel, kernel], stride=stride, activation_fn=ACTIVATIONS[activation],
                        normalizer_fn=slim.batch_norm if batch_norm else None, scope=conv_scope)
            net = classifier(net, end_points, num_classes, dropout_keep_prob, prediction_fn)
    return net, end_points


mobilenet_v3.default_image_size = 224


def mobilenet_v3_arg_scope(is_training=True, weight_decay=0.00004, stddev=0.09, bn_decay=0.997):
    """mobilenet.training_scope (v3 uses v2's): truncated-normal weights, batch norm after every conv (center,
    scale, eps 1e-3), L2 on conv2d only; the activations are the net's (relu by default, not v2's relu6)."""
    with slim.arg_scope([slim.conv2d, slim.fully_connected, slim.separable_conv2d],
                        weights_initializer=tf.compat.v1.truncated_normal_initializer(stddev=stddev),
                        normalizer_fn=slim.batch_norm), \
            slim.arg_scope([slim.batch_norm], is_training=is_training, decay=bn_decay, center=True, scale=True), \
            slim.arg_scope([slim.conv2d], weights_regularizer=slim.l2_regularizer(weight_decay)), \
            slim.arg_scope([slim.separable_conv2d], weights_regularizer=None) as sc:
        return sc
