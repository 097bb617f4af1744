"""The compat layer: tf-slim nets run in the shim as in a TF1 graph, with no global state growing."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
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


_HYGIENE = r"""
import json, os, sys
before = dict(os.environ)
order = sys.argv[1]
if order == "keras_first":
    import keras
    import zoo
else:
    import zoo
    import keras
import tensorflow as tf
native = zoo.create_model("lenet")
seq = keras.Sequential([zoo.create_model("lenet", num_classes=0), keras.layers.Dense(5)])
out = seq(keras.ops.zeros((2, 28, 28, 1)))
symbolic = native(keras.Input((28, 28, 1)))
shim = zoo.create_model("lenet", "shim")
print("RESULT " + json.dumps({
    "environ_unchanged": dict(os.environ) == before,
    "tf_keras_is_keras3": tf.keras.layers.Dense is keras.layers.Dense,
    "native_is_keras_model": isinstance(native, keras.Model), "sequential": list(out.shape),
    "symbolic": list(symbolic.shape), "shim_logits": list(shim(tf.zeros([1, 28, 28, 1])).shape),
    "legacy_env": os.environ.get("TF_USE_LEGACY_KERAS")}))
"""


@pytest.mark.parametrize("order", ["keras_first", "zoo_first"])
def test_import_zoo_leaves_keras_and_the_environment_alone(order):
    """In either import order: os.environ untouched, tf.keras still Keras 3, natives are keras.Model and go
    into keras.Sequential and onto keras.Input, and the (tf_keras) shim still works in the same process."""
    env = {k: v for k, v in os.environ.items() if k not in ("TF_USE_LEGACY_KERAS", "KERAS_BACKEND")}
    proc = subprocess.run([sys.executable, "-c", _HYGIENE, order], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(next(l for l in proc.stdout.splitlines() if l.startswith("RESULT "))[7:])
    assert result == {"environ_unchanged": True, "tf_keras_is_keras3": True, "native_is_keras_model": True,
                      "sequential": [2, 5], "symbolic": [None, 10], "shim_logits": [1, 10], "legacy_env": None}


def test_cli_help_does_not_import_tensorflow():
    proc = subprocess.run([sys.executable, "-c", """
import sys
try:
    from zoo.cli import build_parser
    build_parser().print_help()
finally:
    print("TF_IMPORTED", "tensorflow" in sys.modules, "KERAS_IMPORTED", "keras" in sys.modules)
"""], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "TF_IMPORTED False KERAS_IMPORTED False" in proc.stdout and "inspect" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "zoo", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "usage" in proc.stdout


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
    # Inside, tensor equality was TF1's (identity, which is all a graph has); outside it is TF2's again, even after
    # an error in the block: eager `==` compares values, a variable is unhashable.
    with pytest.raises(RuntimeError), compat.tf1_graph():
        raise RuntimeError("inside")
    np.testing.assert_array_equal(tf.constant([1, 2]) == tf.constant([1, 3]), [True, False])
    with pytest.raises(TypeError, match="unhashable"):
        hash(tf.Variable(1.0))


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
