"""slim graph vs shim vs native, the pattern every architecture follows.

The reference values come from the TF1 graph (`Session.run`, `Saver`), an independent path from the
eager Keras code under test. Each case uses the smallest input its architecture handles well.
"""
import numpy as np
import pytest
import tensorflow as tf
import tf_keras

import zoo
from zoo import compat
from conftest import random_images

# (model, architecture kwargs, image size or None for the default). Regularization on, so that loss
# terms are compared too.
TABLE = [
    ("lenet", {"weight_decay": 0.01}, None),
    ("cifarnet", {"weight_decay": 0.004}, None),
    ("mobilenet_v1", {}, 64),
    ("mobilenet_v1_075", {}, 64),
    ("mobilenet_v1_050", {}, 64),
    ("mobilenet_v1_025", {}, 64),
    ("mobilenet_v2", {}, 64),
    ("mobilenet_v2_140", {}, 64),
    ("mobilenet_v2_035", {}, 64),
    ("resnet_v1_50", {}, 32),
    ("resnet_v1_101", {}, 32),
    ("resnet_v1_152", {}, 32),
    ("resnet_v2_50", {}, 32),
    ("resnet_v2_101", {}, 32),
    ("resnet_v2_152", {}, 32),
    ("inception_v1", {}, None),  # its 7x7 VALID average pool needs 224x224
    ("inception_v3", {}, 160),
    ("vgg_16", {}, None),  # fc6 is a 7x7 VALID conv: 224x224 is the smallest input
    ("vgg_19", {}, None),
]
HEAVY = {"vgg_16", "vgg_19", "resnet_v1_152", "resnet_v2_152"}


def _params(rows):
    return [pytest.param(r, id=r[0], marks=[pytest.mark.heavy] if r[0] in HEAVY else []) for r in rows]


CASES = _params(TABLE)
BN_CASES = _params([r for r in TABLE if r[0].startswith(("mobilenet", "resnet", "inception"))])
IDS = [r[0] for r in TABLE]


def test_every_registered_model_has_a_parity_case():
    assert sorted(IDS) == zoo.list_models()


def _loaded(case, impl, prefix):
    arch, kwargs, size = case
    return zoo.create_model(arch, impl, checkpoint=prefix, image_size=size, **kwargs)


def _images(case, batch=4, seed=0):
    return random_images(case[0], batch=batch, seed=seed, image_size=case[2])


@pytest.mark.parametrize("case", CASES)
def test_shim_matches_slim_graph(case, tf1_checkpoints):
    prefix, graph = tf1_checkpoints(case[0], image_size=case[2], **case[1])
    shim = _loaded(case, "shim", prefix)
    graph_shapes = {name: tuple(v.shape.as_list()) for name, v in graph.slim_variables().items()}
    shim_shapes = {name: tuple(v.shape.as_list()) for name, v in shim.slim_variables().items()}
    assert shim_shapes == graph_shapes
    images = _images(case)
    expected = graph(images)
    np.testing.assert_allclose(shim(images).numpy(), expected, rtol=0, atol=1e-5)
    np.testing.assert_allclose(tf.function(shim)(images).numpy(), expected, rtol=0, atol=1e-5)
    np.testing.assert_allclose(sum(shim.losses).numpy(), graph.session.run(graph.regularization_loss),
                               rtol=1e-6)


@pytest.mark.parametrize("case", CASES)
def test_tf1_checkpoint_into_native(case, tf1_checkpoints):
    prefix, graph = tf1_checkpoints(case[0], image_size=case[2], **case[1])
    native = _loaded(case, "native", prefix)
    assert native.load_report.ok and not native.load_report.unexpected
    assert len(native.load_report.mapped) == len(graph.variables)
    images = _images(case)
    np.testing.assert_allclose(native(images).numpy(), graph(images), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(sum(native.losses).numpy(), graph.session.run(graph.regularization_loss),
                               rtol=1e-6)


def _loss(model, images, labels):
    logits = model(images, training=False)
    ce = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    return ce + tf.add_n(model.losses)


@pytest.mark.parametrize("case", CASES)
def test_native_gradients_and_momentum_steps_match_shim(case, tf1_checkpoints):
    prefix, _ = tf1_checkpoints(case[0], image_size=case[2], **case[1])
    native, shim = _loaded(case, "native", prefix), _loaded(case, "shim", prefix)
    batch = 2 if case[0].startswith("vgg") else 8  # VGG at 224x224 is 138M parameters: keep it small
    images = _images(case, batch=batch, seed=3)
    labels = np.random.RandomState(4).randint(0, 10, batch)
    native_vars, shim_vars = zoo.slim_variables(native), zoo.slim_variables(shim)
    assert sorted(native_vars) == sorted(shim_vars)
    names = sorted(n for n in native_vars if native_vars[n].trainable)
    assert names == sorted(n for n in shim_vars if shim_vars[n].trainable)

    def grads(model, variables):
        with tf.GradientTape() as tape:
            loss = _loss(model, images, labels)
        return loss, dict(zip(names, tape.gradient(loss, [variables[n] for n in names])))

    native_loss, native_grads = grads(native, native_vars)
    shim_loss, shim_grads = grads(shim, shim_vars)
    np.testing.assert_allclose(native_loss, shim_loss, rtol=1e-5)
    # Variables off the loss's path (Inception v3's auxiliary-head biases) have no gradient in either.
    unused = sorted(n for n in names if shim_grads[n] is None)
    assert unused == sorted(n for n in names if native_grads[n] is None)
    assert all("AuxLogits" in n for n in unused)
    names = [n for n in names if n not in unused]
    scale = max(float(np.abs(g).max()) for g in shim_grads.values() if g is not None)
    for name in names:
        np.testing.assert_allclose(native_grads[name], shim_grads[name], rtol=1e-4, atol=1e-6 * max(scale, 1),
                                   err_msg=name)

    for model, variables in ((native, native_vars), (shim, shim_vars)):
        optimizer = tf_keras.optimizers.SGD(learning_rate=0.05, momentum=0.9)
        for _ in range(2):  # the second step uses the momentum slot
            _, g = grads(model, variables)
            optimizer.apply_gradients([(g[n], variables[n]) for n in names])
    after_native, after_shim = zoo.read_weights(native), zoo.read_weights(shim)
    for name in names:
        np.testing.assert_allclose(after_native[name], after_shim[name], rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("case", BN_CASES)
def test_batch_norm_training_updates_match(case, tf1_checkpoints):
    """A training-mode forward pass moves the batch-norm statistics identically in shim and native."""
    prefix, _ = tf1_checkpoints(case[0], image_size=case[2], **case[1])
    native, shim = _loaded(case, "native", prefix), _loaded(case, "shim", prefix)
    before = zoo.read_weights(native)
    images = _images(case, batch=8, seed=5)
    native(images, training=True)
    shim(images, training=True)
    after_native, after_shim = zoo.read_weights(native), zoo.read_weights(shim)
    moving = [n for n in before if "/moving_" in n]
    assert moving and all(not np.array_equal(after_native[n], before[n]) for n in moving)
    for name in moving:
        np.testing.assert_allclose(after_native[name], after_shim[name], rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("case", CASES)
def test_native_to_tf1_checkpoint_restores_in_slim_graph_exactly(case, tmp_path):
    arch, kwargs, size = case
    native = zoo.create_model(arch, "native", image_size=size, **kwargs)
    prefix = zoo.save_checkpoint(native, tmp_path / "exported" / "model.ckpt")
    graph = zoo.create_model(arch, "slim", image_size=size, **kwargs)
    graph.restore(prefix)  # TF1 Saver.restore: no zoo code on this side
    restored, original = graph.read(), zoo.read_weights(native)
    assert sorted(restored) == sorted(original)
    for name in original:
        np.testing.assert_array_equal(restored[name], original[name])
    images = _images(case)
    np.testing.assert_allclose(graph(images), native(images).numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", CASES)
def test_deterministic_random_tool_shim_equals_native(case):
    """The model-mapping guide's check: same seed, same random ops in the same order -> same model."""
    arch, kwargs, size = case
    images = _images(case)
    with compat.DeterministicRandomTestTool(mode="num_random_ops").scope():
        shim = zoo.create_model(arch, "shim", image_size=size, **kwargs)
        shim_out = shim(images).numpy()
    with compat.DeterministicRandomTestTool(mode="num_random_ops").scope():
        native = zoo.create_model(arch, "native", image_size=size, **kwargs)
        native_out = native(images).numpy()
    shim_w, native_w = zoo.read_weights(shim), zoo.read_weights(native)
    for name in shim_w:
        np.testing.assert_allclose(native_w[name], shim_w[name], rtol=0, atol=1e-7, err_msg=name)
    assert np.abs(shim_out).max() > 0
    np.testing.assert_allclose(native_out, shim_out, rtol=1e-5, atol=1e-5)


@pytest.mark.heavy
@pytest.mark.parametrize("arch", ["mobilenet_v1", "mobilenet_v2", "resnet_v1_50", "resnet_v2_50", "inception_v3"])
def test_full_resolution(arch, tf1_checkpoints):
    prefix, graph = tf1_checkpoints(arch)
    images = random_images(arch, batch=2)
    expected = graph(images)
    for impl in ("native", "shim"):
        model = zoo.create_model(arch, impl, checkpoint=prefix)
        np.testing.assert_allclose(model(images).numpy(), expected, rtol=1e-5, atol=1e-5, err_msg=impl)
