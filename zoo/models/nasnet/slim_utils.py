"""The cell machinery shared by NASNet-A and PNASNet-5 (slim), written after research/slim/nets/nasnet/nasnet_utils.py.

A searched cell is data here (`CellSpec`): five combinations, each adding two operations applied to two earlier hidden
states, and the list of states the cell consumed (the others are concatenated into its output). `build_cell` turns a
spec into slim layers under the checkpoints' scopes (`1x1`, `beginning_bn`, `prev_1x1`, `comb_iter_<i>/{left,right}/
separable_<k>x<k>_<n>`, `bn_sep_...`, `path1_conv`, `final_path_bn`, `cell_output/reduction_<i>/...`). NHWC only.

Drop-path follows the original exactly: one `tf.random.uniform` [batch, 1, 1, 1] draw per operation that is not an
identity, in the original's creation order, with a keep probability lowered linearly with the cell's position in the
net and with the training step (`drop_path_keep_prob`).
"""
import collections

import tensorflow as tf
import tf_slim as slim

from zoo.models.nasnet.arch import CLIP_BY_VALUE_CAP, drop_path_keep_prob

class CellContext(collections.namedtuple(
        "CellContext", "num_conv_filters drop_path_keep_prob total_num_cells total_training_steps "
                       "use_bounded_activation is_training")):
    """What every cell of one net shares: the base width, the drop-path settings (keep probability 1.0 turns it off;
    the nets set it so when not training), the cell count the position ratio divides by, and the activation kind."""

    def activation(self, x):
        return tf.nn.relu6(x) if self.use_bounded_activation else tf.nn.relu(x)

    def clip(self, x):
        return tf.clip_by_value(x, -CLIP_BY_VALUE_CAP, CLIP_BY_VALUE_CAP) if self.use_bounded_activation else x


def _channels(x):
    return int(x.shape[3])


def _width(x):
    # The originals compare dimension 2 (the width in NHWC) to decide whether two states have the same resolution.
    return int(x.shape[2])


def factorized_reduction(net, output_filters, stride):
    """Halve the resolution without dropping pixels: two 1x1 convs on the even and the odd (shifted) pixel grids,
    concatenated (an odd `output_filters` gives the extra channel to the second path), then batch norm. Stride 1 is a
    plain 1x1 conv + BN that only changes the width."""
    if stride == 1:
        net = slim.conv2d(net, output_filters, 1, scope="path_conv")
        return slim.batch_norm(net, scope="path_bn")
    path1 = tf.nn.avg_pool2d(net, 1, stride, "VALID")
    path1 = slim.conv2d(path1, output_filters // 2, 1, scope="path1_conv")
    shifted = tf.pad(net, [[0, 0], [0, 1], [0, 1], [0, 0]])[:, 1:, 1:, :]
    path2 = tf.nn.avg_pool2d(shifted, 1, stride, "VALID")
    path2 = slim.conv2d(path2, output_filters // 2 + output_filters % 2, 1, scope="path2_conv")
    return slim.batch_norm(tf.concat(values=[path1, path2], axis=3), scope="final_path_bn")


def training_step_ratio(total_training_steps, current_step=None):
    """min(1, step / total_training_steps) as a float32 tensor; the step is the graph's global step unless given."""
    if current_step is None:
        current_step = tf.compat.v1.train.get_or_create_global_step()
    return tf.minimum(1.0, tf.cast(current_step, tf.float32) / total_training_steps)


def drop_path(net, keep_prob, is_training=True):
    """Zero whole examples of `net` with probability 1 - keep_prob and scale the kept ones by 1 / keep_prob."""
    if not is_training:
        return net
    noise = tf.random.uniform([tf.shape(net)[0], 1, 1, 1], dtype=tf.float32)
    mask = tf.cast(tf.floor(keep_prob + noise), net.dtype)
    return net * tf.cast(1.0 / keep_prob, net.dtype) * mask


def _scheduled_drop_path(net, ctx, cell_num, current_step):
    if ctx.drop_path_keep_prob >= 1.0:
        return net
    step_ratio = training_step_ratio(ctx.total_training_steps, current_step)
    keep_prob = drop_path_keep_prob(ctx.drop_path_keep_prob, cell_num, ctx.total_num_cells, step_ratio)
    return drop_path(net, keep_prob, ctx.is_training)


def _separable_stack(net, op, stride, filters, ctx):
    for n in range(1, op.layers + 1):
        net = ctx.activation(net)
        net = slim.separable_conv2d(net, filters, op.kernel, depth_multiplier=1, stride=stride if n == 1 else 1,
                                    scope=f"separable_{op.kernel}x{op.kernel}_{n}")
        net = slim.batch_norm(net, scope=f"bn_sep_{op.kernel}x{op.kernel}_{n}")
    return net


def _project(net, filters, stride, ctx):
    """The 1x1 conv + BN that gives an identity or pooling branch the cell's width (and, for identities, its stride)."""
    net = slim.conv2d(net, filters, 1, stride=stride, scope="1x1")
    return slim.batch_norm(net, scope="bn_1")


def _apply_op(net, op, stride, filters, ctx, cell_num, current_step):
    """One branch of a combination. Only the cell's inputs are strided (combination outputs already are); every
    non-identity branch goes through drop-path."""
    bounded = ctx.use_bounded_activation
    if op.kind == "separable":
        net = ctx.clip(_separable_stack(net, op, stride, filters, ctx))
    elif op.kind == "none":
        if bounded:
            net = tf.nn.relu6(net)
        if stride > 1 or _channels(net) != filters:
            if not bounded:
                net = tf.nn.relu(net)
            net = ctx.clip(_project(net, filters, stride, ctx))
    else:
        if bounded:
            net = tf.nn.relu6(net)
        pool = slim.avg_pool2d if op.kind == "avg_pool" else slim.max_pool2d
        projecting = _channels(net) != filters
        net = pool(net, op.kernel, stride=stride, padding="SAME")
        if projecting:
            net = _project(net, filters, 1, ctx)
        net = ctx.clip(net)
    if op.kind != "none":
        net = _scheduled_drop_path(net, ctx, cell_num, current_step)
    return net


def _match_previous(prev_layer, net, filters, ctx):
    """Bring the previous layer to the cell's resolution (factorized reduction) or width (1x1 `prev_1x1`/`prev_bn`);
    with no previous layer (the first stem cell) the current input is used, unprojected."""
    if prev_layer is None:
        return net
    if _width(prev_layer) != _width(net):
        return factorized_reduction(ctx.activation(prev_layer), filters, stride=2)
    if _channels(prev_layer) != filters:
        prev_layer = slim.conv2d(ctx.activation(prev_layer), filters, 1, scope="prev_1x1")
        return slim.batch_norm(prev_layer, scope="prev_bn")
    return prev_layer


def _concat_unused(states, used):
    """The cell's output: every state no combination consumed, brought to the last state's resolution and width
    (`reduction_<i>` scopes) where it differs, concatenated on channels."""
    last = states[-1]
    states = list(states)
    for i, state in enumerate(states):
        if used[i] or (_width(state) == _width(last) and _channels(state) == _channels(last)):
            continue
        with tf.compat.v1.variable_scope(f"reduction_{i}"):
            states[i] = factorized_reduction(state, _channels(last), 2 if _width(state) != _width(last) else 1)
    return tf.concat(values=[s for s, u in zip(states, used) if not u], axis=3)


def build_cell(net, prev_layer, spec, ctx, scope, filter_scaling=1.0, stride=1, cell_num=-1, current_step=None):
    """One cell under `scope`: width int(num_conv_filters * filter_scaling); `stride` 2 reduces (applied to branches
    that read the cell's inputs); `cell_num` is the cell's position for the drop-path schedule (stem cells 0 and 1)."""
    filters = int(ctx.num_conv_filters * filter_scaling)
    with tf.compat.v1.variable_scope(scope):
        prev_layer = _match_previous(prev_layer, net, filters, ctx)
        net = slim.conv2d(ctx.activation(net), filters, 1, scope="1x1")
        states = [slim.batch_norm(net, scope="beginning_bn"), prev_layer]
        for i, (left_op, left, right_op, right) in enumerate(spec.combos):
            with tf.compat.v1.variable_scope(f"comb_iter_{i}"):
                branches = []
                for side, op, index in (("left", left_op, left), ("right", right_op, right)):
                    with tf.compat.v1.variable_scope(side):
                        branches.append(_apply_op(states[index], op, stride if index < 2 else 1, filters, ctx,
                                                  cell_num, current_step))
                with tf.compat.v1.variable_scope("combine"):
                    combined = branches[0] + branches[1]
                    states.append(tf.nn.relu6(combined) if ctx.use_bounded_activation else combined)
        with tf.compat.v1.variable_scope("cell_output"):
            return _concat_unused(states, spec.used)
