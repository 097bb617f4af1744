"""slim graph vs shim vs native, the pattern every architecture follows.

The reference values come from the TF1 graph (`Session.run`, `Saver`), an independent path from the
eager Keras code under test.
"""
import numpy as np
import pytest
import tensorflow as tf
import tf_keras

import zoo
from zoo import compat
from conftest import random_images

# Regularization on, so that loss terms are compared too.
ARCHS = [("lenet", {"weight_decay": 0.01}), ("cifarnet", {"weight_decay": 0.004})]
IDS = [a for a, _ in ARCHS]


def _loaded(arch, impl, prefix, kwargs):
    return zoo.create_model(arch, impl, checkpoint=prefix, **kwargs)


@pytest.mark.parametrize("arch,kwargs", ARCHS, ids=IDS)
def test_shim_matches_slim_graph(arch, kwargs, tf1_checkpoints):
    prefix, graph = tf1_checkpoints(arch, **kwargs)
    shim = _loaded(arch, "shim", prefix, kwargs)
    graph_shapes = {name: tuple(v.shape.as_list()) for name, v in graph.slim_variables().items()}
    shim_shapes = {name: tuple(v.shape.as_list()) for name, v in shim.slim_variables().items()}
    assert shim_shapes == graph_shapes
    images = random_images(arch)
    expected = graph(images)
    np.testing.assert_allclose(shim(images).numpy(), expected, rtol=0, atol=1e-5)
    np.testing.assert_allclose(tf.function(shim)(images).numpy(), expected, rtol=0, atol=1e-5)
    np.testing.assert_allclose(sum(shim.losses).numpy(), graph.session.run(graph.regularization_loss),
                               rtol=1e-6)


@pytest.mark.parametrize("arch,kwargs", ARCHS, ids=IDS)
def test_tf1_checkpoint_into_native(arch, kwargs, tf1_checkpoints):
    prefix, graph = tf1_checkpoints(arch, **kwargs)
    native = _loaded(arch, "native", prefix, kwargs)
    assert native.load_report.ok and not native.load_report.unexpected
    assert len(native.load_report.mapped) == len(graph.variables)
    images = random_images(arch)
    np.testing.assert_allclose(native(images).numpy(), graph(images), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(sum(native.losses).numpy(), graph.session.run(graph.regularization_loss),
                               rtol=1e-6)


def _loss(model, images, labels):
    logits = model(images, training=False)
    ce = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    return ce + tf.add_n(model.losses)


@pytest.mark.parametrize("arch,kwargs", ARCHS, ids=IDS)
def test_native_gradients_and_momentum_steps_match_shim(arch, kwargs, tf1_checkpoints):
    prefix, _ = tf1_checkpoints(arch, **kwargs)
    native, shim = _loaded(arch, "native", prefix, kwargs), _loaded(arch, "shim", prefix, kwargs)
    images = random_images(arch, batch=8, seed=3)
    labels = np.random.RandomState(4).randint(0, 10, 8)
    native_vars, shim_vars = zoo.slim_variables(native), zoo.slim_variables(shim)
    assert sorted(native_vars) == sorted(shim_vars)
    names = sorted(native_vars)

    def grads(model, variables):
        with tf.GradientTape() as tape:
            loss = _loss(model, images, labels)
        return loss, dict(zip(names, tape.gradient(loss, [variables[n] for n in names])))

    native_loss, native_grads = grads(native, native_vars)
    shim_loss, shim_grads = grads(shim, shim_vars)
    np.testing.assert_allclose(native_loss, shim_loss, rtol=1e-5)
    for name in names:
        np.testing.assert_allclose(native_grads[name], shim_grads[name], rtol=1e-4, atol=1e-6, err_msg=name)

    for model, variables in ((native, native_vars), (shim, shim_vars)):
        optimizer = tf_keras.optimizers.SGD(learning_rate=0.05, momentum=0.9)
        for _ in range(2):  # the second step uses the momentum slot
            _, g = grads(model, variables)
            optimizer.apply_gradients([(g[n], variables[n]) for n in names])
    after_native, after_shim = zoo.read_weights(native), zoo.read_weights(shim)
    for name in names:
        np.testing.assert_allclose(after_native[name], after_shim[name], rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("arch,kwargs", ARCHS, ids=IDS)
def test_native_to_tf1_checkpoint_restores_in_slim_graph_exactly(arch, kwargs, tmp_path):
    native = zoo.create_model(arch, "native", **kwargs)
    prefix = zoo.save_checkpoint(native, tmp_path / "exported" / "model.ckpt")
    graph = zoo.create_model(arch, "slim", **kwargs)
    graph.restore(prefix)  # TF1 Saver.restore: no zoo code on this side
    restored, original = graph.read(), zoo.read_weights(native)
    assert sorted(restored) == sorted(original)
    for name in original:
        np.testing.assert_array_equal(restored[name], original[name])
    images = random_images(arch)
    np.testing.assert_allclose(graph(images), native(images).numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("arch,kwargs", ARCHS, ids=IDS)
def test_deterministic_random_tool_shim_equals_native(arch, kwargs):
    """The model-mapping guide's check: same seed, same random ops in the same order -> same model."""
    images = random_images(arch)
    with compat.DeterministicRandomTestTool(mode="num_random_ops").scope():
        tf.random.set_seed(42)
        shim = zoo.create_model(arch, "shim", **kwargs)
        shim_out = shim(images).numpy()
    with compat.DeterministicRandomTestTool(mode="num_random_ops").scope():
        tf.random.set_seed(42)
        native = zoo.create_model(arch, "native", **kwargs)
        native_out = native(images).numpy()
    shim_w, native_w = zoo.read_weights(shim), zoo.read_weights(native)
    for name in shim_w:
        np.testing.assert_allclose(native_w[name], shim_w[name], rtol=0, atol=1e-7, err_msg=name)
    assert np.abs(shim_out).max() > 0
    np.testing.assert_allclose(native_out, shim_out, rtol=1e-5, atol=1e-5)
