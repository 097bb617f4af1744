"""`zoo.migrate` on networks the zoo does not hold, written as users write them (tests/migrate_nets.py), on
Google's MobileNet v1 0.25 frozen release, and on a Saver's .meta graph; the refusals; the CLI. Every
architecture of the registry is migrated from its slim code in tests/test_parity.py (the parity battery's
checkpoints) and on JAX and PyTorch in tests/test_backends.py.

References come from TF1 sessions of the original graphs, an independent path from the Keras code under test."""
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import migrate_nets as nets
import zoo
from conftest import PHOTOS, RELEASE_PB, ROOT, release_graph_softmax, release_photos  # noqa: F401
from zoo import compat
from zoo.cli import main
from zoo.migration import OPS, MigrationError, register_op

BACKENDS = ("jax", "torch")


def tf1_reference(net_fn, images, prefix, seed=0):
    """Build `net_fn` in a TF1 graph, give every variable random values (positive variances and scales), save a
    TF1 checkpoint with Saver and return (its outputs on `images` as a list, the regularization loss)."""
    rng = np.random.RandomState(seed)
    with compat.tf1_graph() as graph:
        x = tf.compat.v1.placeholder(tf.float32, [None, *images.shape[1:]])
        out = net_fn(x, is_training=False)
        outs = list(out.values()) if isinstance(out, dict) else [out]
        reg = tf.compat.v1.losses.get_regularization_loss()
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            for v in tf.compat.v1.global_variables():
                shape = v.shape.as_list()
                positive = v.op.name.endswith(("moving_variance", "gamma"))
                v.load((rng.uniform(0.5, 1.5, shape) if positive else rng.normal(0, 0.3, shape)).astype(np.float32),
                       session)
            tf.compat.v1.train.Saver().save(session, prefix)
            return session.run(outs, {x: images}), session.run(reg)


@pytest.mark.parametrize("name", sorted(nets.NETS))
def test_user_style_net(name, tmp_path):
    """Migrated from code with a TF1 checkpoint: outputs equal the TF1 session's on TensorFlow, JAX and PyTorch,
    the checkpoint loads strictly by TF1 name, slim's weight decay is reproduced as Keras losses."""
    images = np.random.RandomState(1).uniform(-1, 1, (2, *nets.INPUT_SHAPE)).astype(np.float32)
    prefix = str(tmp_path / "model.ckpt")
    expected, regularization = tf1_reference(nets.NETS[name], images, prefix)
    m = zoo.migrate(nets.NETS[name], input_shape=nets.INPUT_SHAPE, checkpoint=prefix, images=images,
                    backends=BACKENDS)
    actual = m.model(images, training=False)
    actual = actual if isinstance(actual, (list, tuple)) else [actual]
    for a, e in zip(actual, expected):
        np.testing.assert_allclose(np.asarray(a), e, rtol=1e-5, atol=1e-5)
    assert set(m.parity.backends) == {"tensorflow", *BACKENDS}
    assert m.parity.ok, str(m.parity)
    assert all(row["first_divergence"] is None for row in m.parity.backends.values()), str(m.parity)
    report = zoo.load_checkpoint(m.model, prefix)
    assert report.ok and len(report.mapped) == len(m.weights)
    np.testing.assert_allclose(float(sum(m.model.losses)) if m.model.losses else 0.0, regularization, rtol=1e-5)


def test_saved_migration_rebuilds_in_a_fresh_process(tmp_path):
    """model.py, run in a new process, rebuilds the model; weights.ckpt loads into it by TF1 name; both give the
    migrated model's outputs, as does model.keras. The source reads as a person writes: a layer per line, named
    by its TF1 scope."""
    images = np.random.RandomState(2).uniform(-1, 1, (2, *nets.INPUT_SHAPE)).astype(np.float32)
    m = zoo.migrate(nets.slim_blocks, input_shape=nets.INPUT_SHAPE, images=images)
    out = m.save(tmp_path / "migrated")
    for name in ("model.py", "model.keras", "weights.ckpt.index", "parity.json", "parity.txt"):
        assert os.path.exists(os.path.join(out, name)), name
    np.save(tmp_path / "images.npy", images)
    script = ("import sys, numpy as np, zoo; sys.path.insert(0, sys.argv[1]); import model; m = model.build_model(); "
              "r = zoo.load_checkpoint(m, sys.argv[1] + '/weights.ckpt'); assert r.ok, r; "
              "np.save(sys.argv[2], np.asarray(m(np.load(sys.argv[3]))))")
    subprocess.run([sys.executable, "-c", script, out, str(tmp_path / "out.npy"), str(tmp_path / "images.npy")],
                   check=True, cwd=ROOT)
    expected = np.asarray(m.model(images))
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), expected)
    import keras

    np.testing.assert_array_equal(np.asarray(keras.models.load_model(os.path.join(out, "model.keras"))(images)),
                                  expected)
    body = m.source.split("def build_model():\n", 1)[1].splitlines()
    assert all(line.startswith("    ") and line.count(" = ") <= 1 for line in body if line.strip())
    for scope in ("conv1/conv1_1", "stack/stack_2", "sep", "ln", "dw", "logits"):
        assert f'name="{scope.replace("/", "-")}"' in m.source, scope
    with pytest.raises(FileExistsError):
        m.save(out)


@pytest.mark.skipif(not os.path.exists(RELEASE_PB), reason="../shared/pretrained absent")
def test_release_frozen_graph_on_three_backends():
    """Google's MobileNet v1 0.25 frozen graph, no code: the release's softmax on the four photographs within 1e-4
    on TensorFlow, JAX and PyTorch; its weights keep their TF1 names."""
    photos = release_photos()
    expected = release_graph_softmax(photos)
    m = zoo.migrate(frozen_graph=RELEASE_PB, outputs="MobilenetV1/Predictions/Reshape_1", images=photos,
                    backends=BACKENDS)
    np.testing.assert_allclose(np.asarray(m.model(photos)), expected, rtol=0, atol=1e-4)
    assert set(m.parity.backends) == {"tensorflow", *BACKENDS}
    for backend, row in m.parity.backends.items():
        (_, max_abs, _), = row["outputs"]
        assert max_abs < 1e-4, (backend, max_abs)
    assert len(m.weights) == 137 and "MobilenetV1/Conv2d_0/BatchNorm/moving_mean" in m.weights
    assert np.argmax(expected, 1).tolist() == np.argmax(np.asarray(m.model(photos)), 1).tolist()


def test_meta_graph_and_checkpoint(tmp_path):
    """A Saver's .meta graph and checkpoint, no code: the migrated model gives the graph's logits."""
    graph = zoo.create_model("lenet", "slim", seed=3)
    prefix = graph.save(str(tmp_path / "lenet.ckpt"))
    images = np.random.RandomState(3).uniform(-1, 1, (2, 28, 28, 1)).astype(np.float32)
    m = zoo.migrate(meta_graph=prefix + ".meta", outputs=graph.logits.name, inputs="images", images=images)
    np.testing.assert_allclose(np.asarray(m.model(images)), graph(images), rtol=1e-5, atol=1e-5)
    assert m.parity.ok and sorted(m.weights) == sorted(graph.slim_variables())


def test_unknown_op_is_refused_then_registered(tmp_path):
    """An op with no translation: one line naming the op, its node and how to register one; the CLI exits 2 and
    writes nothing. Registered, the same net migrates and matches."""
    with pytest.raises(MigrationError) as e:
        zoo.migrate(nets.with_cumsum, input_shape=(8, 8, 3))
    message = str(e.value)
    assert "'Cumsum'" in message and "'Cumsum'" in message and "register_op" in message and "\n" not in message
    out = tmp_path / "out"
    assert main(["migrate", "--net", f"{os.path.join(ROOT, 'tests', 'migrate_nets.py')}:with_cumsum",
                 "--input-shape", "8,8,3", "--out", str(out)]) == 2
    assert not out.exists()

    @register_op("Cumsum")
    def cumsum(t, node, inputs):
        return t.call("ops.cumsum", [inputs[0]], f"{node.name}:0", axis=int(inputs[1].value))

    try:
        m = zoo.migrate(nets.with_cumsum, input_shape=(8, 8, 3))
        assert m.parity.ok and "ops.cumsum(" in m.source
    finally:
        OPS.pop("Cumsum")


def test_control_flow_and_training_graphs_are_refused():
    with pytest.raises(MigrationError, match="control flow"):
        zoo.migrate(nets.with_cond, input_shape=(8, 8, 3))
    with pytest.raises(MigrationError, match="training-mode batch norm"):
        zoo.migrate(lambda images, **_: nets.unet(images, is_training=True), input_shape=nets.INPUT_SHAPE)


@pytest.mark.skipif(not os.path.exists(RELEASE_PB), reason="../shared/pretrained absent")
def test_cli_writes_the_migration_and_check_fails_past_tolerance(tmp_path, capsys):
    out = tmp_path / "migrated"
    args = ["migrate", "--frozen-graph", RELEASE_PB, "--outputs", "MobilenetV1/Predictions/Reshape_1",
            "--out", str(out)]
    assert main(args + ["--check"]) == 0
    assert "parity against the TF1 graph" in capsys.readouterr().out
    assert (out / "model.py").exists() and (out / "weights.ckpt.index").exists()
    assert main(args) == 2  # exists: not replaced without --overwrite
    # TensorFlow runs the graph's own kernels (0 difference); JAX rounds differently (~2e-7): past 1e-12, exit 1
    assert main(args + ["--overwrite", "--check", "--tolerance", "1e-12", "--backends", "jax"]) == 1


def test_training_form_gradients_equal_the_shims(tmp_path):
    """A migrated registered net in training mode (batch statistics, slim's weight decay reproduced as Keras
    losses): its gradients equal the shim's — the same slim code run eagerly by tf_keras — on the same weights and
    batch; then one Keras `fit` step trains it and moves its batch-norm statistics."""
    arch, size, kwargs = "resnet_v1_50", 32, {"weight_decay": 1e-3}
    graph = zoo.create_model(arch, "slim", image_size=size, seed=0, **kwargs)
    prefix = graph.save(str(tmp_path / "model.ckpt"))
    rng = np.random.RandomState(4)
    images = rng.uniform(-1, 1, (4, size, size, 3)).astype(np.float32)
    labels = rng.randint(0, 1000, 4)

    def loss_of(logits, losses):
        ce = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
        return ce + tf.add_n([tf.convert_to_tensor(x) for x in losses])

    shim = zoo.create_model(arch, "shim", checkpoint=prefix, image_size=size, **kwargs)
    with tf.GradientTape() as tape:
        shim_loss = loss_of(shim(images, training=True), shim.losses)
    names = [v.name.split(":")[0] for v in shim.trainable_variables]
    expected = dict(zip(names, tape.gradient(shim_loss, shim.trainable_variables)))

    m = zoo.migrate(arch, checkpoint=prefix, input_shape=(size, size, 3), **kwargs)
    variables = zoo.slim_variables(m.model)
    assert set(names) <= set(variables)
    trainable = [variables[n] for n in names]
    with tf.GradientTape() as tape:
        migrated_loss = loss_of(m.model(images, training=True), m.model.losses)
    np.testing.assert_allclose(float(migrated_loss), float(shim_loss), rtol=1e-5)
    for name, grad in zip(names, tape.gradient(migrated_loss, trainable)):
        want = expected[name].numpy()
        np.testing.assert_allclose(np.asarray(grad), want, rtol=1e-3, atol=1e-4 * max(1.0, np.abs(want).max()),
                                   err_msg=name)

    import keras

    mean = variables["resnet_v1_50/conv1/BatchNorm/moving_mean"]
    before = np.asarray(mean).copy()
    m.model.compile(optimizer=keras.optimizers.SGD(0.01),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = m.model.fit(images, labels, epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert not np.allclose(np.asarray(mean), before)


def test_frozen_graph_with_two_inputs(tmp_path):
    """A frozen graph with two placeholders (a shared conv over two images, compared): both become Keras inputs,
    in the order given; parity inputs by name."""
    rng = np.random.RandomState(5)
    with compat.tf1_graph() as graph:
        a = tf.compat.v1.placeholder(tf.float32, [None, 8, 8, 3], name="a")
        b = tf.compat.v1.placeholder(tf.float32, [None, 8, 8, 3], name="b")
        with tf.compat.v1.variable_scope("shared"):
            w = tf.compat.v1.get_variable("weights", initializer=rng.normal(0, 0.3, (3, 3, 3, 4)).astype(np.float32))
        out = tf.reduce_mean(tf.nn.conv2d(a, w, 1, "SAME") - tf.nn.conv2d(b, w, 1, "SAME"), [1, 2], name="diff")
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            frozen = tf.compat.v1.graph_util.convert_variables_to_constants(session, graph.as_graph_def(), ["diff"])
            feed = {"a": rng.uniform(-1, 1, (2, 8, 8, 3)).astype(np.float32),
                    "b": rng.uniform(-1, 1, (2, 8, 8, 3)).astype(np.float32)}
            expected = session.run(out, {a: feed["a"], b: feed["b"]})
    pb = tmp_path / "two.pb"
    pb.write_bytes(frozen.SerializeToString())
    with pytest.raises(MigrationError, match="placeholders"):
        zoo.migrate(frozen_graph=pb, outputs="diff")
    m = zoo.migrate(frozen_graph=pb, inputs=["a", "b"], outputs="diff", images=feed)
    assert [i.name for i in m.model.inputs] == ["a", "b"] and sorted(m.weights) == ["shared/weights"]
    np.testing.assert_allclose(np.asarray(m.model([feed["a"], feed["b"]])), expected, rtol=1e-5, atol=1e-6)
    assert m.parity.ok
