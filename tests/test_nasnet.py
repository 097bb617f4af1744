"""NASNet-A / PNASNet-5 training-graph specifics (their inference is in the parity battery): the drop-path
schedule against the original's formula, a TF1 training checkpoint resuming in the native model with the same
drop-path masks and the same next-step loss, and the training structure (drop-path, global step, aux head) on
Keras 3.

The resume reference is a TF1 graph built here from the slim net functions with tf_slim, a Saver and
`Session.run` (no zoo model class on that side)."""
import contextlib

import numpy as np
import pytest
import tensorflow as tf
import tf_slim as slim

import zoo
from zoo import compat
from zoo.features import end_points_model
from zoo.models.nasnet import arch as nasnet_arch
from zoo.models.nasnet import slim as nasnet_slim


AUX_WEIGHT = 0.4  # research/slim's train_image_classifier weights AuxLogits so


def _original_keep_prob(keep_prob, cell_num, total_num_cells, step, total_training_steps):
    """research/slim nasnet_utils._apply_drop_path, drop_connect_version "v3", transcribed from its text:
    scale 1 - keep by the layer ratio (cell_num + 1) / total_num_cells, then by min(1, step / steps)."""
    layer_ratio = (cell_num + 1) / float(total_num_cells)
    keep = 1 - layer_ratio * (1 - keep_prob)
    current_ratio = min(1.0, step / total_training_steps)
    return 1 - current_ratio * (1 - keep)


@pytest.mark.parametrize("keras", ["keras", "tf_keras"])
def test_drop_path_schedule_matches_original_formula(keras):
    """The schedule (arch.drop_path_keep_prob) equals the original's formula at every cell and over training, and the
    native DropPath layer scales kept examples by exactly 1 / that keep probability and zeroes the others."""
    from zoo.models.nasnet.native import _drop_path_layers

    _, _, DropPath = _drop_path_layers(keras)
    total_cells, steps = 24, 1000
    for cell_num in (0, 5, 23):
        for step in (0, 1, 400, 1000, 5000):
            expected = _original_keep_prob(0.7, cell_num, total_cells, step, steps)
            ratio = min(1.0, step / steps)
            assert nasnet_arch.drop_path_keep_prob(0.7, cell_num, total_cells, ratio) == pytest.approx(expected,
                                                                                                     abs=1e-12)
            layer = DropPath(0.7, cell_num, total_cells, steps)
            net = np.ones((2, 3, 3, 4), np.float32)
            # noise just above 1 - keep keeps an example, just below drops it (floor(keep + noise)).
            noise = np.array([1 - expected + 1e-4, 1 - expected - 1e-4], np.float32).reshape(2, 1, 1, 1)
            step_value = np.array(step, np.float32)
            out = np.asarray(layer([net, noise, step_value], training=True))
            if expected < 1.0:
                np.testing.assert_allclose(out[0], 1 / expected, rtol=1e-6)
                np.testing.assert_array_equal(out[1], 0.0)
            np.testing.assert_array_equal(np.asarray(layer([net, noise, step_value], training=False)), net)


def _training_graph(arch, config, images, labels, initializer=None):
    """arch's slim net in training mode with the aux head, slim's loss (cross-entropy, 0.4 x the aux head's,
    regularization) and momentum SGD stepping the global step; `initializer` overrides the weights' (and leaves
    the optimizer out: the graph only resumes and evaluates the loss)."""
    spec = zoo.get_spec(arch)
    x = tf.compat.v1.placeholder(tf.float32, images.shape)
    y = tf.compat.v1.placeholder(tf.int64, labels.shape)
    with slim.arg_scope(spec.slim_arg_scope()):
        weights = (slim.arg_scope([slim.conv2d, slim.separable_conv2d, slim.fully_connected],
                                  weights_initializer=initializer) if initializer else contextlib.nullcontext())
        with weights:
            logits, end_points = getattr(nasnet_slim, arch)(x, num_classes=spec.num_classes, is_training=True,
                                                            config=config)
    loss = _loss(logits, end_points["AuxLogits"], y) + tf.compat.v1.losses.get_regularization_loss()
    step = tf.compat.v1.train.get_global_step()
    if initializer:
        return x, y, loss, None, step
    with tf.control_dependencies(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)):
        train = tf.compat.v1.train.MomentumOptimizer(0.05, 0.9).minimize(loss, global_step=step)
    return x, y, loss, train, step


# Grappler's rewrites of these large graphs take longer than running them; plain kernels give the same values.
_NO_GRAPPLER = tf.compat.v1.ConfigProto()
_NO_GRAPPLER.graph_options.rewrite_options.disable_meta_optimizer = True


def _loss(logits, aux_logits, labels):
    ce = tf.compat.v1.losses.sparse_softmax_cross_entropy
    return ce(labels, logits) + AUX_WEIGHT * ce(labels, aux_logits)


def test_tf1_training_checkpoint_resumes_in_native_with_drop_path(tmp_path):
    """Issue #14's check: the slim graph trains a few SGD steps with drop-path on and saves a checkpoint; the
    native (tf_keras, same options) resumes from it, and its next step's loss equals the slim graph's resuming
    from the same checkpoint — the same drop-path masks under DeterministicRandomTestTool, at the schedule's
    step read from the checkpoint's global_step."""
    arch, steps_done = "nasnet_cifar", 3
    # NASNet-A 2@768 (6 cells, reductions before cells 2 and 4, the aux head after cell 3) instead of 6@768: the
    # same cells and schedule at a third of the graph-building time; the schedule is mid-way at the resume.
    options = dict(drop_path_keep_prob=0.6, total_training_steps=4, num_cells=6)
    config = nasnet_arch.config_for(arch, **options)
    rng = np.random.RandomState(0)
    images = rng.uniform(-1, 1, (8, 32, 32, 3)).astype(np.float32)
    labels = rng.randint(0, 10, 8).astype(np.int64)
    prefix = str(tmp_path / "train" / "model.ckpt")
    with compat.tf1_graph() as graph:
        tf.compat.v1.set_random_seed(0)
        x, y, loss, train, step = _training_graph(arch, config, images, labels)
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session(graph=graph, config=_NO_GRAPPLER) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for _ in range(steps_done):
                sess.run(train, {x: images, y: labels})
            prefix = saver.save(sess, prefix, global_step=step)

    # The slim graph resuming: weights initialised by a non-random op, so that the drop-path draws are the
    # graph's only random ops and take operation seeds 0, 1, ... in their creation order.
    random_tool = compat.DeterministicRandomTestTool(mode="num_random_ops")
    with compat.tf1_graph() as graph, random_tool.scope():
        x, y, loss, _, _ = _training_graph(arch, config, images, labels, tf.compat.v1.zeros_initializer())
        draws = [op for op in graph.get_operations() if op.type == "RandomUniform"]
        with tf.compat.v1.Session(graph=graph, config=_NO_GRAPPLER) as sess:
            tf.compat.v1.train.Saver().restore(sess, prefix)
            expected = sess.run(loss, {x: images, y: labels})
    # One draw per non-identity operation of every cell, seeded 0, 1, ... (the tool's count also includes the
    # final dropout's seed request, after them: at keep 1 it draws nothing).
    assert sorted(op.get_attr("seed2") for op in draws) == list(range(len(draws))) and len(draws) > 50

    native = zoo.create_model(arch, "native", keras="tf_keras", checkpoint=prefix, aux_head=True, **options)
    assert native.load_report.ok and zoo.read_weights(native)["global_step"] == steps_done
    with compat.DeterministicRandomTestTool(mode="num_random_ops").scope():
        actual = _native_training_loss(native, images, labels)
    np.testing.assert_allclose(actual, expected, rtol=1e-5)

    # Drop-path really acted: the same weights without it give another loss.
    plain = zoo.create_model(arch, "native", keras="tf_keras", checkpoint=prefix, aux_head=True,
                             **{**options, "drop_path_keep_prob": 1.0})
    assert abs(_native_training_loss(plain, images, labels) - expected) > 1e-3 * abs(expected)


def _native_training_loss(native, images, labels):
    heads = end_points_model(native, ["Logits", "AuxLogits"])(images, training=True)
    return float(_loss(heads["Logits"], heads["AuxLogits"], labels) + tf.add_n(native.losses))


def test_keras3_native_with_drop_path_and_aux_head(tmp_path):
    """The training structure on Keras 3: `global_step` is a slim-named weight, drop-path acts only when
    training and with the step, the aux head is a second output, and `.keras` round-trips it."""
    import keras

    model = zoo.create_model("nasnet_cifar", num_cells=3, drop_path_keep_prob=0.6, total_training_steps=1,
                             aux_head=True)
    variables = zoo.slim_variables(model)
    assert "global_step" in variables and any(name.startswith("aux_") for name in variables)
    images = np.random.RandomState(0).uniform(-1, 1, (16, 32, 32, 3)).astype(np.float32)
    inference = np.asarray(model(images))
    np.testing.assert_array_equal(np.asarray(model(images, training=False)), inference)
    at_step_0 = np.asarray(model(images, training=True))  # keep probability 1 at step 0: batch statistics only
    variables["global_step"].assign(1)
    dropped = np.asarray(model(images, training=True))
    assert not np.allclose(dropped, at_step_0)
    path = str(tmp_path / "nasnet.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert int(zoo.slim_variables(loaded)["global_step"].numpy()) == 1
    np.testing.assert_array_equal(np.asarray(loaded(images)), np.asarray(model(images)))
