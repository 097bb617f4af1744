"""Inception v4 and Inception-ResNet v2 as TF-Slim defines them, with the published checkpoints' variable names
(`InceptionV4/Mixed_6b/Branch_2/Conv2d_0e_1x7/weights`, `InceptionResnetV2/Repeat_1/block17_20/Conv2d_1x1/biases`,
`InceptionResnetV2/AuxLogits/Conv2d_2a_5x5/BatchNorm/beta`). Written after research/slim/nets/inception_v4.py,
inception_resnet_v2.py and inception_utils.py at the settings nets_factory builds them with (Inception-ResNet v2:
ReLU, VALID reductions as `align_feature_maps=False`, output stride 16); the end points are the originals'.

Both nets reduce with stride-2 VALID convolutions and pools only, and pool their last feature map with a kernel of
its whole size, as do their auxiliary heads' last convolutions: so the published 5x5 aux kernels become smaller,
with the variables' shapes, at smaller inputs (zoo.registry's min_image_size is where the aux head still fits).
"""
import tensorflow as tf
import tf_slim as slim


def _convs(net, *specs):
    """Consecutive slim.conv2d calls; a spec is (depth, kernel, scope) or (depth, kernel, scope, stride, padding)."""
    for depth, kernel, scope, *stride_padding in specs:
        stride, padding = stride_padding or (1, "SAME")
        net = slim.conv2d(net, depth, kernel, stride=stride, padding=padding, scope=scope)
    return net


def _mixed(net, *branches):
    """Each branch function in its own Branch_<i> scope, outputs concatenated on channels (slim's order)."""
    outputs = []
    for i, branch in enumerate(branches):
        with tf.compat.v1.variable_scope(f"Branch_{i}"):
            outputs.append(branch(net))
    return tf.concat(axis=3, values=outputs)


def _avg_pool_then(depth):
    """The pooling branch of Inception blocks: 3x3 average pool (stride 1, SAME), then a 1x1 projection."""
    return lambda x: slim.conv2d(slim.avg_pool2d(x, [3, 3], scope="AvgPool_0a_3x3"), depth, [1, 1],
                                 scope="Conv2d_0b_1x1")


def _max_pool(scope):
    return lambda x: slim.max_pool2d(x, [3, 3], stride=2, padding="VALID", scope=scope)


def _whole_map_avg_pool(net, scope):
    """The heads' global pool: one VALID window over the whole (static) map, as both originals do."""
    return slim.avg_pool2d(net, net.get_shape().as_list()[1:3], padding="VALID", scope=scope)


# ---------------------------------------------------------------------------------------------- Inception v4

def _inception_a(net):
    return _mixed(net,
                  lambda x: _convs(x, (96, [1, 1], "Conv2d_0a_1x1")),
                  lambda x: _convs(x, (64, [1, 1], "Conv2d_0a_1x1"), (96, [3, 3], "Conv2d_0b_3x3")),
                  lambda x: _convs(x, (64, [1, 1], "Conv2d_0a_1x1"), (96, [3, 3], "Conv2d_0b_3x3"),
                                   (96, [3, 3], "Conv2d_0c_3x3")),
                  _avg_pool_then(96))


def _inception_b(net):
    return _mixed(net,
                  lambda x: _convs(x, (384, [1, 1], "Conv2d_0a_1x1")),
                  lambda x: _convs(x, (192, [1, 1], "Conv2d_0a_1x1"), (224, [1, 7], "Conv2d_0b_1x7"),
                                   (256, [7, 1], "Conv2d_0c_7x1")),
                  lambda x: _convs(x, (192, [1, 1], "Conv2d_0a_1x1"), (192, [7, 1], "Conv2d_0b_7x1"),
                                   (224, [1, 7], "Conv2d_0c_1x7"), (224, [7, 1], "Conv2d_0d_7x1"),
                                   (256, [1, 7], "Conv2d_0e_1x7")),
                  _avg_pool_then(128))


def _split_1x3_3x1(net, scopes):
    """Inception-C's widening: a 1x3 and a 3x1 conv of 256 side by side."""
    return tf.concat(axis=3, values=[slim.conv2d(net, 256, [1, 3], scope=scopes[0]),
                                     slim.conv2d(net, 256, [3, 1], scope=scopes[1])])


def _inception_c(net):
    return _mixed(net,
                  lambda x: _convs(x, (256, [1, 1], "Conv2d_0a_1x1")),
                  lambda x: _split_1x3_3x1(_convs(x, (384, [1, 1], "Conv2d_0a_1x1")),
                                           ("Conv2d_0b_1x3", "Conv2d_0c_3x1")),
                  lambda x: _split_1x3_3x1(_convs(x, (384, [1, 1], "Conv2d_0a_1x1"), (448, [3, 1], "Conv2d_0b_3x1"),
                                                  (512, [1, 3], "Conv2d_0c_1x3")),
                                           ("Conv2d_0d_1x3", "Conv2d_0e_3x1")),
                  _avg_pool_then(256))


def _inception_v4_base(inputs, end_points):
    """Conv2d_1a_3x3 ... Mixed_7d, each recorded in `end_points` under its scope."""
    def add(name, net):
        end_points[name] = net
        return net

    net = add("Conv2d_1a_3x3", slim.conv2d(inputs, 32, [3, 3], stride=2, padding="VALID", scope="Conv2d_1a_3x3"))
    net = add("Conv2d_2a_3x3", slim.conv2d(net, 32, [3, 3], padding="VALID", scope="Conv2d_2a_3x3"))
    net = add("Conv2d_2b_3x3", slim.conv2d(net, 64, [3, 3], scope="Conv2d_2b_3x3"))
    with tf.compat.v1.variable_scope("Mixed_3a"):
        net = add("Mixed_3a", _mixed(net, _max_pool("MaxPool_0a_3x3"),
                                     lambda x: _convs(x, (96, [3, 3], "Conv2d_0a_3x3", 2, "VALID"))))
    with tf.compat.v1.variable_scope("Mixed_4a"):
        net = add("Mixed_4a", _mixed(
            net,
            lambda x: _convs(x, (64, [1, 1], "Conv2d_0a_1x1"), (96, [3, 3], "Conv2d_1a_3x3", 1, "VALID")),
            lambda x: _convs(x, (64, [1, 1], "Conv2d_0a_1x1"), (64, [1, 7], "Conv2d_0b_1x7"),
                             (64, [7, 1], "Conv2d_0c_7x1"), (96, [3, 3], "Conv2d_1a_3x3", 1, "VALID"))))
    with tf.compat.v1.variable_scope("Mixed_5a"):
        net = add("Mixed_5a", _mixed(net, lambda x: _convs(x, (192, [3, 3], "Conv2d_1a_3x3", 2, "VALID")),
                                     _max_pool("MaxPool_1a_3x3")))
    for block in "bcde":  # 4 x Inception-A, 35x35 at 299
        with tf.compat.v1.variable_scope(f"Mixed_5{block}"):
            net = add(f"Mixed_5{block}", _inception_a(net))
    with tf.compat.v1.variable_scope("Mixed_6a"):  # Reduction-A
        net = add("Mixed_6a", _mixed(
            net,
            lambda x: _convs(x, (384, [3, 3], "Conv2d_1a_3x3", 2, "VALID")),
            lambda x: _convs(x, (192, [1, 1], "Conv2d_0a_1x1"), (224, [3, 3], "Conv2d_0b_3x3"),
                             (256, [3, 3], "Conv2d_1a_3x3", 2, "VALID")),
            _max_pool("MaxPool_1a_3x3")))
    for block in "bcdefgh":  # 7 x Inception-B, 17x17
        with tf.compat.v1.variable_scope(f"Mixed_6{block}"):
            net = add(f"Mixed_6{block}", _inception_b(net))
    with tf.compat.v1.variable_scope("Mixed_7a"):  # Reduction-B
        net = add("Mixed_7a", _mixed(
            net,
            lambda x: _convs(x, (192, [1, 1], "Conv2d_0a_1x1"), (192, [3, 3], "Conv2d_1a_3x3", 2, "VALID")),
            lambda x: _convs(x, (256, [1, 1], "Conv2d_0a_1x1"), (256, [1, 7], "Conv2d_0b_1x7"),
                             (320, [7, 1], "Conv2d_0c_7x1"), (320, [3, 3], "Conv2d_1a_3x3", 2, "VALID")),
            _max_pool("MaxPool_1a_3x3")))
    for block in "bcd":  # 3 x Inception-C, 8x8
        with tf.compat.v1.variable_scope(f"Mixed_7{block}"):
            net = add(f"Mixed_7{block}", _inception_c(net))
    return net


def inception_v4(inputs, num_classes=1001, is_training=True, dropout_keep_prob=0.8, create_aux_logits=True,
                 scope="InceptionV4"):
    """Logits [batch, num_classes] and the original's end points; num_classes 0 returns the global pool
    [batch, 1, 1, 1536] (no heads), as the original does."""
    end_points = {}
    with tf.compat.v1.variable_scope(scope, "InceptionV4", [inputs]):
        with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training), \
                slim.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d], stride=1, padding="SAME"):
            net = _inception_v4_base(inputs, end_points)
            if create_aux_logits and num_classes:
                with tf.compat.v1.variable_scope("AuxLogits"):
                    aux = slim.avg_pool2d(end_points["Mixed_6h"], [5, 5], stride=3, padding="VALID",
                                          scope="AvgPool_1a_5x5")
                    aux = slim.conv2d(aux, 128, [1, 1], scope="Conv2d_1b_1x1")
                    aux = slim.conv2d(aux, 768, aux.get_shape().as_list()[1:3], padding="VALID", scope="Conv2d_2a")
                    end_points["AuxLogits"] = slim.fully_connected(slim.flatten(aux), num_classes,
                                                                   activation_fn=None, scope="Aux_logits")
            with tf.compat.v1.variable_scope("Logits"):
                net = end_points["global_pool"] = _whole_map_avg_pool(net, "AvgPool_1a")
                if not num_classes:
                    return net, end_points
                net = slim.dropout(net, dropout_keep_prob, scope="Dropout_1b")
                net = end_points["PreLogitsFlatten"] = slim.flatten(net, scope="PreLogitsFlatten")
                logits = end_points["Logits"] = slim.fully_connected(net, num_classes, activation_fn=None,
                                                                     scope="Logits")
                end_points["Predictions"] = tf.nn.softmax(logits, name="Predictions")
    return logits, end_points


inception_v4.default_image_size = 299


def inception_v4_arg_scope(weight_decay=0.00004, batch_norm_decay=0.9997, batch_norm_epsilon=0.001):
    """inception_utils.inception_arg_scope: He-initialized convs with batch norm (no gamma) and ReLU; L2 on conv and
    fully-connected weights (not biases)."""
    with slim.arg_scope([slim.conv2d, slim.fully_connected], weights_regularizer=slim.l2_regularizer(weight_decay)), \
            slim.arg_scope([slim.conv2d], weights_initializer=slim.variance_scaling_initializer(),
                           activation_fn=tf.nn.relu, normalizer_fn=slim.batch_norm,
                           normalizer_params={"decay": batch_norm_decay, "epsilon": batch_norm_epsilon}) as sc:
        return sc


# -------------------------------------------------------------------------------------- Inception-ResNet v2

def _residual(net, scale, activation_fn, *towers):
    """The Inception-ResNet unit: towers concatenated, projected back to the input's depth by a linear 1x1 conv
    with biases (`Conv2d_1x1`, no batch norm), scaled down and added to the input (stabilizes training of the wide
    residuals, per the paper), then the activation (none in the last Block8)."""
    mixed = _mixed(net, *[lambda x, specs=specs: _convs(x, *specs) for specs in towers])
    up = slim.conv2d(mixed, net.get_shape().as_list()[3], [1, 1], normalizer_fn=None, activation_fn=None,
                     scope="Conv2d_1x1")
    net += up * scale
    return activation_fn(net) if activation_fn else net


# slim.repeat names each unit after its function (Repeat/block35_1, Repeat_1/block17_20, Repeat_2/block8_9).
def block35(net, scale=1.0, activation_fn=tf.nn.relu, scope=None):
    """35x35 unit (10 of them, scale 0.17)."""
    with tf.compat.v1.variable_scope(scope, "Block35", [net]):
        return _residual(net, scale, activation_fn,
                         [(32, [1, 1], "Conv2d_1x1")],
                         [(32, [1, 1], "Conv2d_0a_1x1"), (32, [3, 3], "Conv2d_0b_3x3")],
                         [(32, [1, 1], "Conv2d_0a_1x1"), (48, [3, 3], "Conv2d_0b_3x3"), (64, [3, 3], "Conv2d_0c_3x3")])


def block17(net, scale=1.0, activation_fn=tf.nn.relu, scope=None):
    """17x17 unit (20 of them, scale 0.10)."""
    with tf.compat.v1.variable_scope(scope, "Block17", [net]):
        return _residual(net, scale, activation_fn,
                         [(192, [1, 1], "Conv2d_1x1")],
                         [(128, [1, 1], "Conv2d_0a_1x1"), (160, [1, 7], "Conv2d_0b_1x7"),
                          (192, [7, 1], "Conv2d_0c_7x1")])


def block8(net, scale=1.0, activation_fn=tf.nn.relu, scope=None):
    """8x8 unit (9 of them at scale 0.20, then one more, `Block8`, unscaled and linear)."""
    with tf.compat.v1.variable_scope(scope, "Block8", [net]):
        return _residual(net, scale, activation_fn,
                         [(192, [1, 1], "Conv2d_1x1")],
                         [(192, [1, 1], "Conv2d_0a_1x1"), (224, [1, 3], "Conv2d_0b_1x3"),
                          (256, [3, 1], "Conv2d_0c_3x1")])


def _inception_resnet_v2_base(inputs, end_points):
    """Conv2d_1a_3x3 ... Conv2d_7b_1x1 (the end points of the original's base, incl. PreAuxLogits)."""
    def add(name, net):
        end_points[name] = net
        return net

    net = add("Conv2d_1a_3x3", slim.conv2d(inputs, 32, [3, 3], stride=2, padding="VALID", scope="Conv2d_1a_3x3"))
    net = add("Conv2d_2a_3x3", slim.conv2d(net, 32, [3, 3], padding="VALID", scope="Conv2d_2a_3x3"))
    net = add("Conv2d_2b_3x3", slim.conv2d(net, 64, [3, 3], scope="Conv2d_2b_3x3"))
    net = add("MaxPool_3a_3x3", slim.max_pool2d(net, [3, 3], stride=2, padding="VALID", scope="MaxPool_3a_3x3"))
    net = add("Conv2d_3b_1x1", slim.conv2d(net, 80, [1, 1], padding="VALID", scope="Conv2d_3b_1x1"))
    net = add("Conv2d_4a_3x3", slim.conv2d(net, 192, [3, 3], padding="VALID", scope="Conv2d_4a_3x3"))
    net = add("MaxPool_5a_3x3", slim.max_pool2d(net, [3, 3], stride=2, padding="VALID", scope="MaxPool_5a_3x3"))
    with tf.compat.v1.variable_scope("Mixed_5b"):
        net = add("Mixed_5b", _mixed(
            net,
            lambda x: _convs(x, (96, [1, 1], "Conv2d_1x1")),
            lambda x: _convs(x, (48, [1, 1], "Conv2d_0a_1x1"), (64, [5, 5], "Conv2d_0b_5x5")),
            lambda x: _convs(x, (64, [1, 1], "Conv2d_0a_1x1"), (96, [3, 3], "Conv2d_0b_3x3"),
                             (96, [3, 3], "Conv2d_0c_3x3")),
            _avg_pool_then(64)))
    net = slim.repeat(net, 10, block35, scale=0.17, activation_fn=tf.nn.relu)
    with tf.compat.v1.variable_scope("Mixed_6a"):
        net = add("Mixed_6a", _mixed(
            net,
            lambda x: _convs(x, (384, [3, 3], "Conv2d_1a_3x3", 2, "VALID")),
            lambda x: _convs(x, (256, [1, 1], "Conv2d_0a_1x1"), (256, [3, 3], "Conv2d_0b_3x3"),
                             (384, [3, 3], "Conv2d_1a_3x3", 2, "VALID")),
            _max_pool("MaxPool_1a_3x3")))
    net = add("PreAuxLogits", slim.repeat(net, 20, block17, scale=0.10, activation_fn=tf.nn.relu))
    with tf.compat.v1.variable_scope("Mixed_7a"):
        net = add("Mixed_7a", _mixed(
            net,
            lambda x: _convs(x, (256, [1, 1], "Conv2d_0a_1x1"), (384, [3, 3], "Conv2d_1a_3x3", 2, "VALID")),
            lambda x: _convs(x, (256, [1, 1], "Conv2d_0a_1x1"), (288, [3, 3], "Conv2d_1a_3x3", 2, "VALID")),
            lambda x: _convs(x, (256, [1, 1], "Conv2d_0a_1x1"), (288, [3, 3], "Conv2d_0b_3x3"),
                             (320, [3, 3], "Conv2d_1a_3x3", 2, "VALID")),
            _max_pool("MaxPool_1a_3x3")))
    net = slim.repeat(net, 9, block8, scale=0.20, activation_fn=tf.nn.relu)
    net = block8(net, activation_fn=None)
    return add("Conv2d_7b_1x1", slim.conv2d(net, 1536, [1, 1], scope="Conv2d_7b_1x1"))


def inception_resnet_v2(inputs, num_classes=1001, is_training=True, dropout_keep_prob=0.8, create_aux_logits=True,
                        scope="InceptionResnetV2"):
    """Logits [batch, num_classes] and the original's end points; num_classes 0 returns the global pool
    [batch, 1, 1, 1536] (no heads), as the original does."""
    end_points = {}
    with tf.compat.v1.variable_scope(scope, "InceptionResnetV2", [inputs]):
        with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
            with slim.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d], stride=1, padding="SAME"):
                net = _inception_resnet_v2_base(inputs, end_points)
            # The heads are outside that scope in the original: slim's own defaults (pools: stride 2) apply.
            if create_aux_logits and num_classes:
                with tf.compat.v1.variable_scope("AuxLogits"):
                    aux = slim.avg_pool2d(end_points["PreAuxLogits"], 5, stride=3, padding="VALID",
                                          scope="Conv2d_1a_3x3")
                    aux = slim.conv2d(aux, 128, 1, scope="Conv2d_1b_1x1")
                    aux = slim.conv2d(aux, 768, aux.get_shape().as_list()[1:3], padding="VALID",
                                      scope="Conv2d_2a_5x5")
                    end_points["AuxLogits"] = slim.fully_connected(slim.flatten(aux), num_classes,
                                                                   activation_fn=None, scope="Logits")
            with tf.compat.v1.variable_scope("Logits"):
                net = end_points["global_pool"] = _whole_map_avg_pool(net, "AvgPool_1a_8x8")
                if not num_classes:
                    return net, end_points
                net = slim.flatten(net)
                net = end_points["PreLogitsFlatten"] = slim.dropout(net, dropout_keep_prob, scope="Dropout")
                logits = end_points["Logits"] = slim.fully_connected(net, num_classes, activation_fn=None,
                                                                     scope="Logits")
                end_points["Predictions"] = tf.nn.softmax(logits, name="Predictions")
    return logits, end_points


inception_resnet_v2.default_image_size = 299


def inception_resnet_v2_arg_scope(weight_decay=0.00004, batch_norm_decay=0.9997, batch_norm_epsilon=0.001):
    """Convs with batch norm (no gamma) and ReLU, slim's default (Xavier) initializers; L2 on the weights and the
    biases of convs and fully-connected layers (biases exist only on the linear Conv2d_1x1 and the logits)."""
    regularizer = slim.l2_regularizer(weight_decay)
    with slim.arg_scope([slim.conv2d, slim.fully_connected], weights_regularizer=regularizer,
                        biases_regularizer=regularizer), \
            slim.arg_scope([slim.conv2d], activation_fn=tf.nn.relu, normalizer_fn=slim.batch_norm,
                           normalizer_params={"decay": batch_norm_decay, "epsilon": batch_norm_epsilon}) as sc:
        return sc
