"""slim graph vs shim vs native (Keras 3 and tf_keras), the pattern every architecture follows.

The reference values come from the TF1 graph (`Session.run`, `Saver`), an independent path from the
eager Keras code under test. Each case uses the smallest input its architecture handles well. Keras 3 on
the JAX and PyTorch backends: tests/test_backends.py, same cases.
"""
import json
import os

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo import compat
from zoo.nn import kit
from conftest import BATTERY, FORWARD, assert_close_to_scale, case_images, heavy, parity_params, random_images
from zoo.features import end_points_model
from zoo.registry import check_image_size

CASES = parity_params(BATTERY)
BN_ROWS = [r for r in BATTERY if zoo.get_spec(r[0]).batch_norm]  # `batch_norm` is checked in test_registry
# The native tests run for both Kerases from the one builder: Keras 3 (this process's backend is TensorFlow)
# and tf_keras. Gradients, batch-norm updates and the native -> TF1 round trip of the families marked `keras3_only`
# (Inception, VGG, AlexNet, NASNet) run on Keras 3 only (their loading and logits on both): the builder is shared, and
# every layer type of the kit (conv, depthwise, dense, batch norm, LRN, pooling, dropout) is covered on tf_keras by
# LeNet, CifarNet, the MobileNets and the ResNets; NASNet's separable convolutions train on tf_keras in test_nasnet.py.
KERASES = pytest.mark.parametrize("keras", ["keras", "tf_keras"])


def keras_cases(rows):
    return [pytest.param(r, keras, id=f"{r[0]}-{keras}", marks=[pytest.mark.heavy] if heavy(r[0]) else [])
            for r in rows for keras in ("keras", "tf_keras") if keras == "keras" or not zoo.get_spec(r[0]).keras3_only]


def _native_module(arch):
    return zoo.get_spec(arch).native.target.split(":")[0]


def test_every_registered_model_has_a_parity_case():
    """Every model runs the battery or the forward check, and a `battery_by` / `backends_by` fact names a registered
    variant of the same builder that runs the battery (and, for `backends_by`, the JAX/PyTorch cases) itself."""
    assert sorted([r[0] for r in BATTERY] + [r[0] for r in FORWARD]) == zoo.list_models()
    battery = {r[0] for r in BATTERY}
    for arch in zoo.list_models():
        spec = zoo.get_spec(arch)
        for fact, covering in (("battery_by", spec.battery_by), ("backends_by", spec.backends_by)):
            if covering:
                assert covering in battery, f"{arch}.{fact}={covering!r}: not a registered model that runs the battery"
                assert _native_module(covering) == _native_module(arch), f"{arch}.{fact}: another builder"
        if spec.backends_by:
            assert not zoo.get_spec(spec.backends_by).backends_by, f"{arch}.backends_by: that one skips them too"
        assert spec.test_image_size is None or check_image_size(spec, spec.test_image_size)
        assert not spec.backends_by or not spec.battery_by, f"{arch}: backends_by only applies to battery cases"
        if spec.keras_applications:  # the benchmark's counterpart exists in both Kerases' applications
            assert hasattr(kit("tf_keras").keras.applications, spec.keras_applications), arch
            assert hasattr(kit("keras").keras.applications, spec.keras_applications), arch


@pytest.mark.parametrize("case", parity_params(FORWARD))
def test_deep_variant_forward(case, tf1_checkpoints):
    """A family's deeper variants: `zoo inspect` recognises the slim graph's TF1 checkpoint, which loads strictly
    into the shim and the Keras 3 native, both giving the graph's logits (the family's battery covers the rest)."""
    prefix, graph = tf1_checkpoints(case[0], image_size=case[2], **case[1])
    _assert_inspect_recognises(case[0], prefix)
    images = _images(case)
    expected = graph(images)
    shim = _loaded(case, "shim", prefix)
    np.testing.assert_allclose(shim(images).numpy(), expected, rtol=0, atol=1e-5)
    native = _loaded(case, "native", prefix, "keras")
    assert native.load_report.ok and len(native.load_report.mapped) == len(graph.variables)
    np.testing.assert_allclose(np.asarray(native(images)), expected, rtol=1e-5, atol=1e-5)
    _assert_end_points_match(case[0], graph, native, images)


def _loaded(case, impl, prefix, keras=None):
    arch, kwargs, size = case
    return zoo.create_model(arch, impl, checkpoint=prefix, image_size=size, keras=keras, **kwargs)


_images = case_images


# research/slim's end-point names for the nets whose slim code is ours (transcribed from the original source;
# see its "_source"); tf_slim.nets' own nets are their original.
def _original_end_points():
    with open(os.path.join(os.path.dirname(__file__), "data", "original_end_points.json")) as f:
        entries = {k: v for k, v in json.load(f).items() if not k.startswith("_")}
    table = {}
    for name, entry in entries.items():
        same = entry.get("same_as")  # a list of variants with identical names, or the entry one copies
        for variant in [name] + (same if isinstance(same, list) else []):
            table[variant] = sorted(entry["end_points"])
    return table


ORIGINAL_END_POINTS = _original_end_points()


def _assert_end_points_match(arch, graph, native, images):
    """The slim graph returns exactly the original's end points, and the native gives every one of them by
    that name (zoo.features), equal to the graph's."""
    names = sorted(graph.end_points)
    if arch in ORIGINAL_END_POINTS:
        assert names == ORIGINAL_END_POINTS[arch]
    ours = end_points_model(native, names)(images)
    expected = graph.session.run(graph.end_points, {graph.images: images})
    for name in names:
        actual = np.asarray(ours[name])
        if name == "predictions":  # tf_slim's ResNets keep [batch, 1, 1, classes]; the zoo's logits are squeezed
            actual = actual[:, None, None, :]
        assert_close_to_scale(actual, expected[name], rtol=1e-5, err_msg=name)


def _assert_inspect_recognises(arch, prefix):
    """`zoo inspect` names the checkpoint's own architecture first. (Not every key need match at the default
    size: a small input changes the aux heads' kernel shapes.)"""
    from zoo.checkpoints.inspect import guess_architecture

    shapes = tf.train.load_checkpoint(prefix).get_variable_to_shape_map()
    best = guess_architecture({k: tuple(v) for k, v in shapes.items()})[0]
    assert best["model"] == arch and best["explained"] > 0.9, best


@pytest.mark.parametrize("case", CASES)
def test_shim_matches_slim_graph(case, tf1_checkpoints):
    prefix, graph = tf1_checkpoints(case[0], image_size=case[2], **case[1])
    _assert_inspect_recognises(case[0], prefix)
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


@KERASES
@pytest.mark.parametrize("case", CASES)
def test_tf1_checkpoint_into_native(case, keras, tf1_checkpoints, tmp_path):
    """Strict load, logits and regularization equal to the slim graph's; Keras 3: `.keras` save -> load_model
    gives the same class and outputs exactly, with no custom_objects."""
    prefix, graph = tf1_checkpoints(case[0], image_size=case[2], **case[1])
    native = _loaded(case, "native", prefix, keras)
    assert isinstance(native, kit(keras).Model) and native.keras == keras
    assert native.load_report.ok and not native.load_report.unexpected
    assert len(native.load_report.mapped) == len(graph.variables)
    images = _images(case)
    logits = np.asarray(native(images))
    np.testing.assert_allclose(logits, graph(images), rtol=1e-5, atol=1e-5)
    _assert_end_points_match(case[0], graph, native, images)
    np.testing.assert_allclose(float(sum(native.losses)), graph.session.run(graph.regularization_loss),
                               rtol=1e-6)
    if keras == "keras":  # Keras 3's format (tf_keras reads and writes it too, but no user asked for that)
        path = str(tmp_path / "model.keras")
        native.save(path)
        loaded = kit(keras).keras.models.load_model(path)
        assert type(loaded) is type(native) and loaded.get_config() == native.get_config()
        np.testing.assert_array_equal(np.asarray(loaded(images)), logits)


def _loss(model, images, labels):
    logits = model(images, training=False)
    ce = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    return ce + tf.add_n(model.losses)


@pytest.mark.parametrize("case,keras", keras_cases(BATTERY))
def test_native_gradients_and_momentum_steps_match_shim(case, keras, tf1_checkpoints):
    prefix, _ = tf1_checkpoints(case[0], image_size=case[2], **case[1])
    native, shim = _loaded(case, "native", prefix, keras), _loaded(case, "shim", prefix)
    batch = 2 if zoo.get_spec(case[0]).num_params > 1e8 else 8  # VGG, OverFeat: >100M parameters, keep it small
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

    def optimizer(model):  # each Keras' own SGD with momentum (same update rule)
        return kit("tf_keras" if model is shim else keras).keras.optimizers.SGD(learning_rate=lr, momentum=0.9)

    native_loss, native_grads = grads(native, native_vars)
    shim_loss, shim_grads = grads(shim, shim_vars)
    np.testing.assert_allclose(native_loss, shim_loss, rtol=1e-5)
    # Variables off the loss's path (Inception v3's auxiliary-head biases) have no gradient in either.
    unused = sorted(n for n in names if shim_grads[n] is None)
    assert unused == sorted(n for n in names if native_grads[n] is None)
    assert all("AuxLogits" in n for n in unused)
    names = [n for n in names if n not in unused]
    # Absolute tolerance: 1e-6 of the largest gradient anywhere, or 1e-4 of this tensor's largest element if more.
    # The forward passes are bit-identical, but Keras 3 backpropagates through batch norm by autodiff of its
    # element-wise ops, not TF's FusedBatchNormGrad, and random statistics make early-layer gradients of a deep net
    # reach ~5e3 (measured: 5e-5 of that tensor's scale on Inception v3's first layer).
    scale = max(float(np.abs(g).max()) for g in shim_grads.values() if g is not None)
    grad_atol = {}
    for name in names:
        expected = np.asarray(shim_grads[name])
        grad_atol[name] = max(1e-6 * max(scale, 1), 1e-4 * float(np.abs(expected).max()))
        np.testing.assert_allclose(np.asarray(native_grads[name]), expected, rtol=1e-4, atol=grad_atol[name],
                                   err_msg=name)

    # A step of at most 1e-2 on any weight: visible above float32 rounding even where gradients are small (deep
    # nets at small inputs), and small enough that the second gradient is taken at nearly the same weights in both.
    lr = 1e-2 / max(scale, 1e-12)
    updates, weights = {}, {}
    for model, variables in ((native, native_vars), (shim, shim_vars)):
        sgd, before = optimizer(model), zoo.read_weights(model)
        for _ in range(2):  # the second step uses the momentum slot
            _, g = grads(model, variables)
            sgd.apply_gradients([(g[n], variables[n]) for n in names])
        after = weights[model is shim] = zoo.read_weights(model)
        updates[model is shim] = {n: after[n] - before[n] for n in names}
    moved = [n for n in names if np.abs(updates[True][n]).max() > 0]
    assert moved, "the steps left every weight unchanged: nothing compared"
    for name in names:
        # The update, lr * (1.9 g1 + g2): off by at most lr * (1.9 + 2) * the gradient tolerance above (the second
        # gradient, taken at weights already off by the first step's error, is allowed twice the first's), plus the
        # float32 rounding of weights + update (a few ulps of the weights).
        # On Keras 3, whose batch norm is differentiated as element-wise ops, the second step's gradients differ
        # more (measured: 0.5% of the update on Inception v3's Mixed_5c): 1% of the update's scale is allowed there.
        atol = lr * 3.9 * grad_atol[name] + 4 * np.finfo(np.float32).eps * float(np.abs(weights[True][name]).max())
        if keras == "keras":
            atol += 1e-2 * float(np.abs(updates[True][name]).max())
        np.testing.assert_allclose(updates[False][name], updates[True][name], rtol=1e-4, atol=atol, err_msg=name)


@pytest.mark.parametrize("case,keras", keras_cases(BN_ROWS))
def test_batch_norm_training_updates_match(case, keras, tf1_checkpoints):
    """A training-mode forward pass moves the batch-norm statistics identically in shim and native."""
    prefix, _ = tf1_checkpoints(case[0], image_size=case[2], **case[1])
    native, shim = _loaded(case, "native", prefix, keras), _loaded(case, "shim", prefix)
    before = zoo.read_weights(native)
    images = _images(case, batch=8, seed=5)
    native(images, training=True)
    shim(images, training=True)
    after_native, after_shim = zoo.read_weights(native), zoo.read_weights(shim)
    moving = [n for n in before if "/moving_" in n]
    assert moving and all(not np.array_equal(after_native[n], before[n]) for n in moving)
    for name in moving:
        np.testing.assert_allclose(after_native[name], after_shim[name], rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("case,keras", keras_cases(BATTERY))
def test_native_to_tf1_checkpoint_restores_in_slim_graph_exactly(case, keras, tmp_path):
    arch, kwargs, size = case
    native = zoo.create_model(arch, "native", image_size=size, keras=keras, **kwargs)
    prefix = zoo.save_checkpoint(native, tmp_path / "exported" / "model.ckpt")
    graph = zoo.create_model(arch, "slim", image_size=size, **kwargs)
    graph.restore(prefix)  # TF1 Saver.restore: no zoo code on this side
    restored, original = graph.read(), zoo.read_weights(native)
    assert sorted(restored) == sorted(original)
    for name in original:
        np.testing.assert_array_equal(restored[name], original[name])
    images = _images(case)
    np.testing.assert_allclose(graph(images), np.asarray(native(images)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", CASES)
def test_deterministic_random_tool_shim_equals_native(case):
    """The model-mapping guide's check: same seed, same random ops in the same order -> same model."""
    arch, kwargs, size = case
    images = _images(case)
    with compat.DeterministicRandomTestTool(mode="num_random_ops").scope():
        shim = zoo.create_model(arch, "shim", image_size=size, **kwargs)
        shim_out = shim(images).numpy()
    with compat.DeterministicRandomTestTool(mode="num_random_ops").scope():
        native = zoo.create_model(arch, "native", image_size=size, keras="tf_keras", **kwargs)
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
    for impl, keras in (("native", "keras"), ("native", "tf_keras"), ("shim", None)):
        model = zoo.create_model(arch, impl, checkpoint=prefix, keras=keras)
        np.testing.assert_allclose(np.asarray(model(images)), expected, rtol=1e-5, atol=1e-5, err_msg=impl)


@pytest.mark.parametrize("case", parity_params(BATTERY + FORWARD))
def test_migrated_from_slim_code(case, tf1_checkpoints):
    """`zoo.migrate` of the architecture's slim code alone (not the hand-written native) with its TF1 checkpoint:
    the slim graph's logits, a strict load of that checkpoint by TF1 name, and the hand-written native's weight
    names."""
    arch, kwargs, size = case
    prefix, graph = tf1_checkpoints(arch, image_size=size, **kwargs)
    spec = zoo.get_spec(arch)
    images = _images(case)
    shape = (size or spec.image_size,) * 2 + (spec.channels,)
    m = zoo.migrate(arch, checkpoint=prefix, input_shape=shape, images=images, **kwargs)
    outputs = m.model(images)  # the logits, then any head off their path (Inception's AuxLogits)
    logits = outputs[0] if isinstance(outputs, (list, tuple)) else outputs
    np.testing.assert_allclose(np.asarray(logits), graph(images), rtol=1e-5, atol=1e-5)
    assert m.parity.ok, str(m.parity)
    report = zoo.load_checkpoint(m.model, prefix, ignore_missing_vars=False)
    assert report.ok and len(report.mapped) == len(m.weights)
    assert set(report.unexpected.values()) <= {"global_step"}  # NASNet's, unused at inference
    native = zoo.create_model(arch, "native", image_size=size, **kwargs)
    assert set(zoo.slim_variables(m.model)) == set(zoo.slim_variables(native)) - {"global_step"}
