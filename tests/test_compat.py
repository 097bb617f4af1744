"""The compat layer: tf-slim nets run in the shim as in a TF1 graph, with no global state growing."""
import subprocess
import sys

import numpy as np
import tensorflow as tf
import tf_keras
import tf_slim as slim
from tf_slim.nets import resnet_v1

from zoo import compat
from zoo.checkpoints import plan_load


def _tiny_resnet(images, is_training):
    # A real tf_slim.nets net with batch norm, end-point collections and regularizers, at a small size.
    blocks = [resnet_v1.resnet_v1_block("block1", base_depth=4, num_units=2, stride=2),
              resnet_v1.resnet_v1_block("block2", base_depth=8, num_units=1, stride=1)]
    with slim.arg_scope(resnet_v1.resnet_arg_scope(weight_decay=1e-3)):
        return resnet_v1.resnet_v1(images, blocks, num_classes=7, is_training=is_training, scope="tiny")


class TinyResNetShim(tf_keras.layers.Layer):
    @compat.track_tf1_style_variables
    def call(self, images, training=False):
        return _tiny_resnet(images, training)[0]


def _graph_logits_and_checkpoint(images, prefix):
    with compat.tf1_graph():
        x = tf.compat.v1.placeholder(tf.float32, images.shape)
        logits, end_points = _tiny_resnet(x, is_training=False)
        names = sorted(v.op.name for v in tf.compat.v1.global_variables())
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            # Non-trivial batch-norm statistics, so inference really uses them.
            for v in tf.compat.v1.global_variables():
                if "moving_" in v.op.name:
                    v.load(np.random.RandomState(1).uniform(0.5, 1.5, v.shape).astype(np.float32), sess)
            out = sess.run(logits, {x: images})
            saver.save(sess, prefix)
    return np.squeeze(out, (1, 2)), names, end_points


def test_tf_keras_is_tf_keras():
    assert tf.keras.__name__.startswith("tf_keras")
    assert "tf_keras.legacy_tf_layers.normalization" in sys.modules


def test_slim_net_same_logits_eagerly_and_in_graph(tmp_path):
    images = np.random.RandomState(0).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    graph_logits, graph_names, end_points = _graph_logits_and_checkpoint(images, str(tmp_path / "m.ckpt"))
    assert "tiny/block1" in end_points  # collections still work in graphs

    layer = TinyResNetShim()
    layer(images)
    shim_vars = {v.name.split(":")[0]: v for v in layer.weights}
    assert sorted(shim_vars) == graph_names
    _, values = plan_load(str(tmp_path / "m.ckpt"), {k: v.shape for k, v in shim_vars.items()})
    for name, value in values.items():
        shim_vars[name].assign(value)
    eager = np.squeeze(layer(images).numpy(), (1, 2))
    in_function = np.squeeze(tf.function(layer)(images).numpy(), (1, 2))
    np.testing.assert_allclose(eager, graph_logits, rtol=0, atol=1e-5)
    np.testing.assert_allclose(in_function, graph_logits, rtol=0, atol=1e-5)
    assert len(layer.losses) == len([n for n in graph_names if n.endswith("/weights")])


def test_repeated_eager_calls_do_not_grow_global_collections():
    layer = TinyResNetShim()
    images = tf.zeros([1, 32, 32, 3])
    graph = tf.compat.v1.get_default_graph()

    def sizes():
        return {k: len(graph.get_collection(k)) for k in graph.get_all_collection_keys()}

    layer(images, training=True)
    before = sizes()
    for _ in range(3):
        layer(images, training=True)
    assert sizes() == before
    assert all(n == 0 for n in before.values()), before


def test_batch_norm_updates_apply_in_the_shim():
    layer = TinyResNetShim()
    images = tf.random.stateless_uniform([4, 32, 32, 3], seed=[1, 2])
    layer(images, training=False)
    mean = next(v for v in layer.weights if v.name.endswith("conv1/BatchNorm/moving_mean:0"))
    start = mean.numpy().copy()
    layer(images, training=False)
    np.testing.assert_array_equal(mean.numpy(), start)
    layer(images, training=True)
    assert not np.allclose(mean.numpy(), start)


def test_graph_building_leaves_eager_keras_models_working():
    """Without compat.tf1_graph, a slim batch_norm built in a graph breaks existing eager BN models."""
    model = tf_keras.Sequential([tf_keras.layers.BatchNormalization(input_shape=(4,))])
    model(np.ones((2, 4), np.float32))
    with compat.tf1_graph():
        slim.batch_norm(tf.compat.v1.placeholder(tf.float32, [None, 4]), is_training=False)
    np.testing.assert_allclose(model(np.ones((2, 4), np.float32)).numpy(), np.ones((2, 4)) / np.sqrt(1.001),
                               rtol=1e-6)


def test_slim_smart_cond_accepts_tensors_and_bools():
    from tf_slim.layers import utils

    assert utils.constant_value(tf.constant(True)) and utils.constant_value(False) is False
    with compat.tf1_graph():
        assert utils.constant_value(tf.compat.v1.placeholder(tf.bool, [])) is None


def test_model_variables_compare_by_identity():
    with compat.tf1_graph():
        a = tf.compat.v1.Variable(np.ones(3, np.float32), name="a")
        b = tf.compat.v1.Variable(np.ones(3, np.float32), name="b")  # equal values, different variables
        slim.add_model_variable(a)
        slim.add_model_variable(b)
        slim.add_model_variable(a)
        assert [v.op.name for v in tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.MODEL_VARIABLES)] == ["a", "b"]


def test_clear_error_when_keras3_was_resolved_first():
    code = "import tensorflow as tf; tf.keras.layers; import zoo"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={"PATH": "", "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode != 0
    assert "KerasVersionError" in result.stderr and "TF_USE_LEGACY_KERAS=1" in result.stderr
