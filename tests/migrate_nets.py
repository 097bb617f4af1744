"""TF1 networks written the ways users write them, none of them in the zoo: what `zoo.migrate` is for.
Each takes (images, is_training) and builds in a TF1 graph."""
import tensorflow as tf
import tf_slim as slim

from zoo.compat import v1_layers

INPUT_SHAPE = (32, 32, 3)


def layers_net(images, is_training=False):
    """tf.compat.v1.layers: conv, batch_normalization, conv2d_transpose, dense."""
    layers = v1_layers()  # tf.compat.v1.layers, which TF >= 2.16 gives only under TF_USE_LEGACY_KERAS=1
    x = layers.conv2d(images, 16, 3, strides=2, padding="same", name="conv1")
    x = tf.nn.relu(layers.batch_normalization(x, training=is_training, name="bn1"))
    x = layers.conv2d(x, 16, 3, padding="same", activation=tf.nn.relu, name="conv2")
    x = layers.conv2d_transpose(x, 8, 3, strides=2, padding="same", name="deconv")
    x = tf.reduce_mean(x, axis=[1, 2])
    return layers.dense(x, 10, name="logits")


def unet(images, is_training=False):
    """A U-Net-like encoder-decoder: skip concatenations, a bilinear resize (TF2 semantics) and a nearest one."""
    with slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm,
                        normalizer_params={"is_training": is_training, "scale": True}):
        e1 = slim.conv2d(images, 8, 3, scope="enc1")
        e2 = slim.conv2d(slim.max_pool2d(e1, 2, scope="pool1"), 16, 3, scope="enc2")
        b = slim.conv2d(slim.max_pool2d(e2, 2, scope="pool2"), 32, 3, scope="bottleneck")
        u2 = tf.image.resize(b, e2.shape[1:3], method="bilinear")
        d2 = slim.conv2d(tf.concat([u2, e2], 3), 16, 3, scope="dec2")
        u1 = tf.compat.v1.image.resize_nearest_neighbor(d2, e1.shape[1:3])
        d1 = slim.conv2d(tf.concat([u1, e1], axis=3), 8, 3, scope="dec1")
        return slim.conv2d(d1, 3, 1, activation_fn=None, normalizer_fn=None, scope="logits")


def slim_blocks(images, is_training=False):
    """slim.repeat, slim.stack, separable_conv2d (with and without pointwise), layer_norm, weight decay."""
    with slim.arg_scope([slim.conv2d, slim.separable_conv2d, slim.fully_connected],
                        weights_regularizer=slim.l2_regularizer(4e-5)):
        x = slim.repeat(images, 2, slim.conv2d, 8, [3, 3], scope="conv1")
        x = slim.stack(x, slim.conv2d, [(16, [3, 3]), (16, [1, 1])], scope="stack")
        x = slim.separable_conv2d(x, 32, [3, 3], depth_multiplier=1, stride=2, scope="sep")
        x = slim.layer_norm(x, scope="ln")
        x = slim.separable_conv2d(x, None, [3, 3], depth_multiplier=2, scope="dw")
        x = slim.dropout(slim.flatten(x), 0.5, is_training=is_training)
        return slim.fully_connected(x, 10, activation_fn=None, scope="logits")


def multi_head(images, is_training=False):
    """A shared trunk with two heads, returned as a dict."""
    net = slim.conv2d(images, 8, 3, stride=2, scope="trunk")
    net = tf.reduce_mean(net, [1, 2])
    return {"classes": slim.fully_connected(net, 5, activation_fn=None, scope="class_head"),
            "box": slim.fully_connected(net, 4, activation_fn=tf.sigmoid, scope="box_head")}


def with_cumsum(images, is_training=False):
    """An op the translator does not know (Cumsum)."""
    net = slim.conv2d(images, 4, 3, scope="conv")
    return tf.math.cumsum(net, axis=3)


def with_cond(images, is_training=False):
    """Control flow on a tensor."""
    flag = tf.compat.v1.placeholder_with_default(True, [], name="flag")
    net = slim.conv2d(images, 4, 3, scope="conv")
    return tf.cond(flag, lambda: net * 2.0, lambda: net)


NETS = {"layers_net": layers_net, "unet": unet, "slim_blocks": slim_blocks, "multi_head": multi_head}
