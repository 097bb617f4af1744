"""The training loop, train.py and eval.py, on real data (scikit-learn digits) at small step counts."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT
from zoo.training.config import default_config
from zoo.training.loop import evaluate_workdir, train


def _config(**overrides):
    c = default_config()
    c.update(dict(model="lenet", dataset="digits", batch_size=32, train_steps=30, log_every=10,
                  checkpoint_every=10, learning_rate=0.02), **overrides)
    return c


def _quiet(*_):
    pass


@pytest.mark.parametrize("impl,keras", [("native", "keras"), ("native", "tf_keras"), ("shim", "keras")])
def test_train_learns_and_eval_reads_the_checkpoint(impl, keras, tmp_path):
    c = _config(impl=impl, keras=keras, train_steps=60, log_every=20, learning_rate=0.01)  # the default config's
    # rate: at 0.02 slim's large LeNet init stalls on some seeds (Keras 3, seed 0: top-1 0.16; 0.01: 0.90)
    _, results = train(c, str(tmp_path), log=_quiet)
    losses = [h["loss"] for h in results["history"]]
    assert results["steps"] == 60 and len(losses) == 3
    assert losses[-1] < losses[0] * 0.7
    assert results["eval"]["top1"] > 0.5  # 10 classes: chance is 0.1
    evaluated = evaluate_workdir(c, str(tmp_path), log=_quiet)
    assert evaluated["eval"]["top1"] == pytest.approx(results["eval"]["top1"], abs=1e-6)
    assert json.load(open(tmp_path / "results_eval.json"))["eval"] == evaluated["eval"]
    assert os.listdir(tmp_path / "train")  # TensorBoard events


def test_resume_continues_from_last_checkpoint(tmp_path):
    train(_config(train_steps=20), str(tmp_path), log=_quiet)
    lines = []
    _, results = train(_config(train_steps=30), str(tmp_path), log=lines.append)
    assert any("resumed" in line and "step 20" in line for line in lines)
    assert results["steps"] == 30 and [h["step"] for h in results["history"]] == [30]


def test_fine_tune_from_tf1_checkpoint_with_new_head(tmp_path):
    import zoo

    graph = zoo.create_model("lenet", "slim")
    prefix = graph.save(str(tmp_path / "tf1" / "model.ckpt"))
    c = _config(init_checkpoint=prefix, checkpoint_exclude_scopes="LeNet/fc4", trainable_scopes="LeNet/fc4",
                train_steps=10, learning_rate=0.05)
    lines = []
    model, _ = train(c, str(tmp_path / "run"), log=lines.append)
    assert "2 excluded" in lines[0]  # fc4 weights and biases left freshly initialised
    trained, original = zoo.read_weights(model), graph.read()
    np.testing.assert_array_equal(trained["LeNet/conv1/weights"], original["LeNet/conv1/weights"])
    assert not np.allclose(trained["LeNet/fc4/weights"], original["LeNet/fc4/weights"])


@pytest.fixture(scope="module")
def slim_trained(tmp_path_factory):
    """The legacy baseline: slim LeNet trained in a TF1 graph (Session loop) on digits."""
    workdir = tmp_path_factory.mktemp("slim_lenet")
    lines = []
    _, results = train(_config(impl="slim", train_steps=80, log_every=40, checkpoint_every=40), str(workdir),
                       log=lines.append)
    return workdir, results, lines


def test_slim_impl_trains_in_a_tf1_graph_and_writes_tf1_checkpoints(slim_trained):
    import zoo
    from zoo.checkpoints import CheckpointReader

    workdir, results, lines = slim_trained
    assert results["steps"] == 80 and results["eval"]["top1"] > 0.5 and "[TF1 graph]" in lines[0]
    reader = CheckpointReader(results["checkpoint"])
    assert reader.kind == "tf1" and results["checkpoint"].endswith("model.ckpt-80")
    model = zoo.create_model("lenet", checkpoint=results["checkpoint"])  # strict: every variable present
    assert model.load_report.unexpected_by_category() == {"global_step": 1, "optimizer slot: Momentum": 8}


def test_legacy_story_shim_and_native_fine_tune_alike(slim_trained, tmp_path):
    """TF1 checkpoint -> fine-tune with a new head (fc4 excluded) -> eval. The shim and the tf_keras native draw
    the fresh head from the same TF random stream, so from the same checkpoint, seed and data they follow the
    same loss curve (dropout off: its random masks differ by design); the Keras 3 native draws its head from
    Keras' own generator and must fine-tune as well."""
    _, results, _ = slim_trained
    runs = {}
    for name, impl, keras in (("tf_keras", "native", "tf_keras"), ("shim", "shim", "keras"),
                              ("keras", "native", "keras")):
        c = _config(impl=impl, keras=keras, init_checkpoint=results["checkpoint"],
                    checkpoint_exclude_scopes="LeNet/fc4", train_steps=30, log_every=10, dropout_keep_prob=1.0,
                    seed=7)
        _, runs[name] = train(c, str(tmp_path / name), log=_quiet)
    native, shim, keras3 = ([h["loss"] for h in runs[i]["history"]] for i in ("tf_keras", "shim", "keras"))
    np.testing.assert_allclose(native, shim, rtol=2e-3)
    assert runs["tf_keras"]["eval"]["top1"] == pytest.approx(runs["shim"]["eval"]["top1"], abs=0.01)
    assert runs["tf_keras"]["eval"]["top1"] > 0.8 and runs["keras"]["eval"]["top1"] > 0.8
    assert keras3[-1] < keras3[0]


def test_ema_weights_are_checkpointed_and_used_at_eval(tmp_path):
    c = _config(train_steps=40, moving_average_decay=0.9)
    model, results = train(c, str(tmp_path), log=_quiet)
    evaluated = evaluate_workdir(c, str(tmp_path), log=_quiet)
    assert evaluated["eval"] == pytest.approx(results["eval"], abs=1e-6)
    plain = evaluate_workdir(_config(train_steps=40), str(tmp_path), log=_quiet)  # same checkpoint, no EMA
    assert plain["eval"]["loss"] != pytest.approx(evaluated["eval"]["loss"], abs=1e-6)


_MIRRORED = r"""
import json, sys
import zoo, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from zoo.training.config import default_config
from zoo.training.loop import train
out = {}
for strategy in ("one_device", "mirrored"):
    c = default_config()
    c.update(dict(model="lenet", impl=sys.argv[1], keras=sys.argv[3], batch_size=32, train_steps=30, log_every=5,
                  checkpoint_every=1000, dropout_keep_prob=1.0, learning_rate=0.003, strategy=strategy))
    _, r = train(c, sys.argv[2] + "/" + strategy, log=lambda *_: None)
    out[strategy] = [h["loss"] for h in r["history"]]
print("LOSSES " + json.dumps(out))
"""


@pytest.mark.heavy
@pytest.mark.parametrize("impl,keras", [("native", "keras"), ("native", "tf_keras"), ("shim", "keras")])
def test_mirrored_over_two_cpus_follows_one_device(impl, keras, tmp_path):
    proc = subprocess.run([sys.executable, "-c", _MIRRORED, impl, str(tmp_path), keras], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    losses = json.loads(next(l for l in proc.stdout.splitlines() if l.startswith("LOSSES "))[7:])
    assert len(losses["mirrored"]) == 6
    np.testing.assert_allclose(losses["mirrored"], losses["one_device"], rtol=1e-2)


@pytest.mark.heavy
def test_multi_worker_mirrored_two_processes_end_with_equal_weights(tmp_path):
    import socket

    import tensorflow as tf

    ports = []
    for _ in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    for index in range(2):
        env = dict(os.environ, TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}))
        procs.append(subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "train.py"), f"--workdir={tmp_path}/worker{index}",
             "--config.strategy=multi_worker_mirrored", "--config.train_steps=12", "--config.batch_size=32",
             "--config.log_every=4", "--config.checkpoint_every=12"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT))
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-2000:]
    import zoo

    weights = []
    for index in range(2):  # each worker's checkpoint restored into a fresh (Keras 3) native LeNet
        model = zoo.create_model("lenet")
        latest = tf.train.latest_checkpoint(f"{tmp_path}/worker{index}/checkpoints")
        tf.train.Checkpoint(model=model).read(latest).expect_partial().assert_existing_objects_matched()
        weights.append(zoo.read_weights(model))
    assert weights[0].keys() == weights[1].keys() and len(weights[0]) == 8
    fresh = zoo.read_weights(zoo.create_model("lenet"))
    for key in weights[0]:
        np.testing.assert_array_equal(weights[0][key], weights[1][key], err_msg=key)
        assert not np.array_equal(weights[0][key], fresh[key]) or key.endswith("biases")
    assert all(json.load(open(f"{tmp_path}/worker{i}/results_train.json"))["steps"] == 12 for i in range(2))


def test_hub_feature_vector_backbone_trains_in_the_loop(tmp_path):
    """Hub in: a TF2 feature-vector SavedModel through hub.KerasLayer as the backbone of the training loop."""
    import keras

    import zoo
    from zoo.export import export_feature_vector

    keras.utils.set_random_seed(0)  # the backbone's initial weights, independent of the tests run before
    backbone = zoo.create_model("lenet", include_top=False, pooling="avg")
    handle = export_feature_vector(backbone, str(tmp_path / "lenet_features"))
    c = _config(hub_module=handle, train_steps=60, log_every=20)
    model, results = train(c, str(tmp_path / "run"), log=_quiet)
    losses = [h["loss"] for h in results["history"]]
    assert losses[-1] < losses[0] * 0.7 and results["eval"]["top1"] > 0.5
    hub_weights = model.get_layer("hub_backbone").trainable_weights
    assert len(hub_weights) == len(backbone.trainable_weights)
    before = {w.path: w.numpy() for w in backbone.trainable_weights}  # the exported (initial) values
    loaded = {w.name.split(":")[0]: w for w in hub_weights}  # the SavedModel keeps Keras 3's variable paths
    assert sorted(loaded) == sorted(before)
    assert all(not np.allclose(w.numpy(), before[name]) for name, w in loaded.items())  # the backbone was trained
    evaluated = evaluate_workdir(c, str(tmp_path / "run"), log=_quiet)
    assert evaluated["eval"]["top1"] == pytest.approx(results["eval"]["top1"], abs=1e-6)
    with pytest.raises(ValueError, match="hub_module"):
        train(_config(hub_module=handle, impl="shim"), str(tmp_path / "bad"), log=_quiet)


def _config_keys_read():
    """Every `c.KEY` / `c["KEY"]` / `c.get("KEY")` the training code reads off a config (named `c` throughout);
    config.py itself only validates, so it does not count as a reader."""
    import ast
    import glob

    read = set()
    for path in glob.glob(os.path.join(ROOT, "zoo", "training", "*.py")):
        if path.endswith("config.py"):
            continue
        for node in ast.walk(ast.parse(open(path).read())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "c":
                read.add(node.attr)
            elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "c":
                read.add(ast.literal_eval(node.slice))
    return read - {"get", "keys", "items", "update", "unlock", "lock"}  # ConfigDict's own methods


def test_every_config_key_read_is_declared_and_every_declared_key_is_read():
    from zoo.training.config import RANGES

    declared, read = set(default_config().keys()), _config_keys_read()
    assert read - declared == set(), "read by zoo/training but not declared in default_config()"
    assert declared - read == set(), "declared in default_config() but read by no training code"
    assert set(RANGES) <= declared


def test_labels_offset_shifts_the_labels_as_slim_does():
    from zoo.training.inputs import datasets, num_classes

    plain, shifted = _config(), _config(labels_offset=1)
    assert (num_classes(plain), num_classes(shifted)) == (10, 9)
    _, labels = next(iter(datasets(plain, "test", 28, training=False)))
    _, moved = next(iter(datasets(shifted, "test", 28, training=False)))
    np.testing.assert_array_equal(moved.numpy(), labels.numpy() - 1)


def test_training_modules_import_without_a_cycle():
    """zoo.training's modules form a layered graph: the TF1 path and the Keras path share the driver and
    inputs below them and never import each other's module back."""
    import ast
    import glob

    imports = {}
    for path in glob.glob(os.path.join(ROOT, "zoo", "training", "*.py")):
        module = "zoo.training." + os.path.basename(path)[:-3]
        imports[module] = {n.module for n in ast.walk(ast.parse(open(path).read()))
                           if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("zoo.training.")}
    done = set()

    def visit(module, stack):
        assert module not in stack, f"import cycle: {' -> '.join(stack + [module])}"
        if module not in done:
            for dependency in imports.get(module, ()):
                visit(dependency, stack + [module])
            done.add(module)

    for module in imports:
        visit(module, [])
    assert "zoo.training.loop" not in imports["zoo.training.tf1_loop"]


@pytest.mark.parametrize("keras_name", ["keras", "tf_keras"])
@pytest.mark.parametrize("schedule, expected", [
    ("cosine", {0: 0.0, 5: 0.05, 10: 0.1, 60: 0.05, 110: 0.0}),
    ("fixed", {0: 0.0, 5: 0.05, 10: 0.1, 60: 0.1, 110: 0.1}),
    ("polynomial", {0: 0.0, 5: 0.05, 10: 0.1, 60: 0.05, 110: 0.0}),
])
def test_learning_rate_warms_up_linearly_then_follows_its_schedule(keras_name, schedule, expected):
    import importlib

    from zoo.training.optimizers import learning_rate

    c = _config(learning_rate=0.1, lr_schedule=schedule, warmup_steps=10)
    rate = learning_rate(c, total_steps=110, keras=importlib.import_module(keras_name))
    assert {step: pytest.approx(float(rate(step)), abs=1e-6) for step in expected} == expected


def test_every_optimizer_name_builds_for_both_keras_and_where_it_exists_tf1():
    import keras
    import tensorflow as tf
    import tf_keras

    from zoo.training.optimizers import OPTIMIZERS, create_optimizer, create_tf1_optimizer

    assert [n for n, row in OPTIMIZERS.items() if row.tf1 is None] == ["adamax", "nadam"]
    for name, row in OPTIMIZERS.items():
        for k in (keras, tf_keras):
            optimizer = create_optimizer(_config(optimizer=name), 100, k)
            assert isinstance(optimizer, k.optimizers.Optimizer), (name, k.__name__)
        if row.tf1 is not None:
            with tf.Graph().as_default():
                step = tf.compat.v1.train.get_or_create_global_step()
                optimizer = create_tf1_optimizer(_config(optimizer=name, impl="slim"), 100, step)
                assert isinstance(optimizer, tf.compat.v1.train.Optimizer), name
        else:
            with pytest.raises(ValueError, match="no tf.compat.v1.train counterpart"):
                create_tf1_optimizer(_config(optimizer=name, impl="slim"), 100, None)
