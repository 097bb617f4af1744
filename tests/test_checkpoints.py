"""The checkpoint engine, converters, inspect and CLI, against checkpoints written by real TF1 code."""
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo import compat
from conftest import ROOT, random_images
from zoo.checkpoints import CheckpointError, CheckpointMismatchError, CheckpointReader, plan_load
from zoo.checkpoints import convert, io
from zoo.checkpoints.inspect import inspect_checkpoint
from zoo.slim_graph import build_slim


@pytest.fixture(scope="module")
def trained_tf1(tmp_path_factory):
    """LeNet trained one step in a TF1 graph by Momentum, RMSProp and Adam, with EMA and global_step."""
    prefix = str(tmp_path_factory.mktemp("tf1_trained") / "model.ckpt")
    spec = zoo.get_spec("lenet")
    with compat.tf1_graph():
        images = tf.constant(random_images("lenet", batch=8))
        labels = tf.constant(np.arange(8) % 10)
        logits, _ = build_slim(spec, images, 10, is_training=False)
        loss = tf.compat.v1.losses.sparse_softmax_cross_entropy(labels, logits)
        step = tf.compat.v1.train.get_or_create_global_step()
        v1 = tf.compat.v1.train
        train_ops = [v1.MomentumOptimizer(0.1, 0.9).minimize(loss, global_step=step),
                     v1.RMSPropOptimizer(0.01).minimize(loss), v1.AdamOptimizer(0.01).minimize(loss)]
        ema = v1.ExponentialMovingAverage(0.5)
        model_vars = tf.compat.v1.trainable_variables()
        with tf.control_dependencies(train_ops):
            ema_op = ema.apply(model_vars)
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            sess.run(ema_op)
            weights = dict(zip([v.op.name for v in model_vars], sess.run(model_vars)))
            shadows = dict(zip([v.op.name for v in model_vars], sess.run([ema.average(v) for v in model_vars])))
            v1.Saver().save(sess, prefix)
    return prefix, weights, shadows


def test_report_classifies_every_unused_key(trained_tf1):
    prefix, weights, _ = trained_tf1
    model = zoo.create_model("lenet", checkpoint=prefix)
    report = model.load_report
    assert report.ok and len(report.mapped) == len(weights) == 8
    assert report.unexpected_by_category() == {
        "global_step": 1, "moving-average shadow": 8, "optimizer slot: Adam": 8 * 2 + 2,
        "optimizer slot: Momentum": 8, "optimizer slot: RMSProp": 8 * 2}
    for name, value in zoo.read_weights(model).items():
        np.testing.assert_array_equal(value, weights[name])
    assert "unused: 8 x optimizer slot: Momentum" in str(report)


def test_use_ema_takes_the_shadows(trained_tf1):
    prefix, weights, shadows = trained_tf1
    model = zoo.create_model("lenet", impl="shim", checkpoint=prefix, use_ema=True)
    assert len(model.load_report.ema) == 8
    for name, value in zoo.read_weights(model).items():
        np.testing.assert_array_equal(value, shadows[name])
        assert not np.array_equal(value, weights[name]) or name.endswith("biases")


def test_exclude_scopes_and_ignore_missing(trained_tf1, tmp_path):
    prefix, weights, _ = trained_tf1
    model = zoo.create_model("lenet", checkpoint=prefix, exclude_scopes=["LeNet/fc4"])
    assert model.load_report.excluded == ["LeNet/fc4/biases", "LeNet/fc4/weights"]
    assert not np.array_equal(zoo.read_weights(model)["LeNet/fc4/weights"], weights["LeNet/fc4/weights"])
    partial = io.write_checkpoint({k: v for k, v in weights.items() if "fc3" not in k}, tmp_path / "p.ckpt")
    with pytest.raises(CheckpointMismatchError, match=r"2 model variables absent.*ignore_missing_vars"):
        zoo.create_model("lenet", checkpoint=partial)
    model = zoo.create_model("lenet", checkpoint=partial, ignore_missing_vars=True)
    assert model.load_report.missing == ["LeNet/fc3/biases", "LeNet/fc3/weights"]


def test_1001_class_head_into_1000_drops_background(tf1_checkpoints):
    prefix, graph = tf1_checkpoints("lenet", num_classes=1001)
    with pytest.raises(CheckpointMismatchError, match=r"Wrong number of classes.*has 1001, the model 1000"):
        zoo.create_model("lenet", num_classes=1000, checkpoint=prefix)
    model = zoo.create_model("lenet", num_classes=1000, checkpoint=prefix, head="auto")
    assert "dropped the background class (1001 -> 1000)" in str(model.load_report)
    images = random_images("lenet")
    np.testing.assert_allclose(model(images).numpy(), graph(images)[:, 1:], rtol=1e-5, atol=1e-5)
    other = zoo.create_model("lenet", num_classes=5, checkpoint=prefix, head="auto")
    assert [t for t, _ in other.load_report.head] == ["LeNet/fc4/biases", "LeNet/fc4/weights"]
    assert "freshly initialised (checkpoint has 1001 classes, model 5)" in str(other.load_report)


def test_assignment_map_renamed_scope(tf1_checkpoints, tmp_path):
    prefix, graph = tf1_checkpoints("lenet")
    renamed = {k.replace("LeNet/", "OldNet/", 1): v for k, v in graph.read().items()}
    renamed["OldNet/fc4/weights_v2"] = renamed.pop("OldNet/fc4/weights")
    old = io.write_checkpoint(renamed, tmp_path / "old.ckpt")
    model = zoo.create_model("lenet", checkpoint=old,
                             assignment_map={"OldNet/fc4/weights_v2": "LeNet/fc4/weights", "OldNet/": "LeNet/"})
    images = random_images("lenet")
    np.testing.assert_allclose(model(images).numpy(), graph(images), rtol=1e-5, atol=1e-5)


def test_generic_tf1_tf2_round_trip_is_exact(trained_tf1, tmp_path):
    prefix, _, _ = trained_tf1
    tf2 = convert.tf1_to_tf2(prefix, tmp_path / "tf2" / "ckpt")
    raw = tf.train.load_checkpoint(tf2).get_variable_to_shape_map()
    assert "var_list/LeNet.Sconv1.Sweights/.ATTRIBUTES/VARIABLE_VALUE" in raw
    back = convert.tf2_to_tf1(tf2, tmp_path / "tf1" / "model.ckpt")
    original, restored = CheckpointReader(prefix), CheckpointReader(back)
    assert CheckpointReader(tf2).kind == "tf2-var-list" and restored.kind == "tf1"
    assert original.keys() == restored.keys()
    for key in original.keys():
        np.testing.assert_array_equal(original.get(key), restored.get(key))


def test_tf1_to_native_object_checkpoint_and_back(tf1_checkpoints, tmp_path):
    prefix, graph = tf1_checkpoints("cifarnet")
    obj, report = convert.tf1_to_native("cifarnet", prefix, tmp_path / "native" / "ckpt")
    assert report.ok
    fresh = zoo.create_model("cifarnet")
    tf.train.Checkpoint(model=fresh).read(obj).assert_existing_objects_matched()
    images = random_images("cifarnet")
    np.testing.assert_allclose(fresh(images).numpy(), graph(images), rtol=1e-5, atol=1e-5)
    tf1 = convert.native_to_tf1("cifarnet", obj, tmp_path / "tf1" / "model.ckpt")
    other = zoo.create_model("cifarnet", "slim")
    other.restore(tf1)
    for name, value in graph.read().items():
        np.testing.assert_array_equal(other.read()[name], value)
    with pytest.raises(CheckpointError, match="does not fit a native 'lenet'"):
        convert.native_to_tf1("lenet", obj, tmp_path / "bad" / "model.ckpt")


def test_inspect_guesses_architecture(trained_tf1, tf1_checkpoints):
    info = inspect_checkpoint(trained_tf1[0])
    assert info["guesses"][0]["model"] == "lenet" and info["guesses"][0]["explained"] == 1.0
    assert info["model_parameters"] == zoo.get_spec("lenet").num_params
    assert info["num_keys"] == 8 + 8 + 8 + 16 + 18 + 1  # model, EMA, Momentum, RMSProp, Adam, global_step
    head = inspect_checkpoint(tf1_checkpoints("lenet", num_classes=1001)[0])["guesses"][0]
    assert head["model"] == "lenet" and head["shape_mismatches"] == ["LeNet/fc4/biases", "LeNet/fc4/weights"]


# ---- bad input: each names the file and what to do ----

def test_path_that_does_not_exist(tmp_path):
    with pytest.raises(CheckpointError, match=r"No checkpoint at .*nothing.*Check the path"):
        zoo.create_model("lenet", checkpoint=tmp_path / "nothing")


def test_directory_without_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match=r"holds no checkpoint"):
        zoo.create_model("lenet", checkpoint=tmp_path)


def _copy(prefix, dst_dir, keep_data=True):
    import shutil
    os.makedirs(dst_dir, exist_ok=True)
    for f in os.listdir(os.path.dirname(prefix)):
        if f.startswith(os.path.basename(prefix) + ".") and (keep_data or ".data-" not in f):
            shutil.copy(os.path.join(os.path.dirname(prefix), f), dst_dir)
    return os.path.join(dst_dir, os.path.basename(prefix))


def test_truncated_and_corrupt_data_shard(tf1_checkpoints, tmp_path):
    prefix, _ = tf1_checkpoints("lenet")
    truncated = _copy(prefix, tmp_path / "truncated")
    data = truncated + ".data-00000-of-00001"
    with open(data, "r+b") as f:
        f.truncate(os.path.getsize(data) // 2)
    with pytest.raises(CheckpointError, match=r"data shard \(model.ckpt.data-00000-of-00001\) is truncated or corrupt"):
        zoo.create_model("lenet", checkpoint=truncated)
    corrupt = _copy(prefix, tmp_path / "corrupt")
    with open(corrupt + ".data-00000-of-00001", "r+b") as f:
        f.seek(1000)
        f.write(b"\xff" * 64)
    with pytest.raises(CheckpointError, match=r"truncated or corrupt"):
        zoo.create_model("lenet", checkpoint=corrupt)


def test_index_without_data_shard(tf1_checkpoints, tmp_path):
    prefix, _ = tf1_checkpoints("lenet")
    alone = _copy(prefix, tmp_path / "alone", keep_data=False)
    assert len(CheckpointReader(alone).keys()) == 8  # listing works from the index alone
    with pytest.raises(CheckpointError, match=r"data shard is missing: only the .index file is there"):
        zoo.create_model("lenet", checkpoint=alone)


def test_checkpoint_of_another_architecture(tf1_checkpoints):
    prefix, _ = tf1_checkpoints("cifarnet")
    with pytest.raises(CheckpointMismatchError, match=r"shares no variable.*\['CifarNet'\].*\['LeNet'\].*inspect"):
        zoo.create_model("lenet", checkpoint=prefix)


def test_wrong_number_of_classes(tf1_checkpoints):
    prefix, _ = tf1_checkpoints("lenet", num_classes=7)
    with pytest.raises(CheckpointMismatchError, match=r"has 7, the model 10\. Pass num_classes=7"):
        zoo.create_model("lenet", checkpoint=prefix)


def test_right_name_wrong_shape(tf1_checkpoints, tmp_path):
    prefix, graph = tf1_checkpoints("lenet")
    values = graph.read()
    values["LeNet/conv2/weights"] = np.zeros((3, 3, 32, 64), np.float32)
    bad = io.write_checkpoint(values, tmp_path / "bad.ckpt")
    with pytest.raises(CheckpointMismatchError) as e:
        zoo.create_model("lenet", impl="shim", checkpoint=bad)
    assert "shape mismatch LeNet/conv2/weights: model [5, 5, 32, 64] vs checkpoint LeNet/conv2/weights [3, 3, 32, 64]" in str(e.value)


def test_interrupted_write_leaves_nothing(tmp_path, monkeypatch):
    target = tmp_path / "out" / "model.ckpt"
    io.write_checkpoint({"a": np.ones(3, np.float32)}, target)

    def fail(**_):
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(tf.raw_ops, "SaveV2", fail)
    with pytest.raises(FileExistsError, match="overwrite"):
        io.write_checkpoint({"a": np.zeros(3, np.float32)}, target)
    with pytest.raises(KeyboardInterrupt):
        io.write_checkpoint({"a": np.zeros(3, np.float32)}, target, overwrite=True)
    assert sorted(os.listdir(tmp_path / "out")) == ["checkpoint", "model.ckpt.data-00000-of-00001",
                                                    "model.ckpt.index"]
    np.testing.assert_array_equal(CheckpointReader(target).get("a"), np.ones(3))


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "zoo", *map(str, args)], capture_output=True, text=True, cwd=ROOT)


def test_cli_inspect_and_convert(trained_tf1, tmp_path):
    prefix = trained_tf1[0]
    result = _cli("inspect", prefix)
    assert result.returncode == 0, result.stderr
    assert "fits lenet: 100.0% of its model keys" in result.stdout
    assert "LeNet/conv1/weights/Momentum" in result.stdout and "optimizer slot: Momentum" in result.stdout
    result = _cli("convert", prefix, tmp_path / "n" / "ckpt", "--to", "native", "--model", "lenet")
    assert result.returncode == 0, result.stderr
    assert "8 mapped, 0 missing" in result.stdout and "unused: 1 x global_step" in result.stdout
    result = _cli("convert", tmp_path / "missing", tmp_path / "x", "--to", "tf2")
    assert result.returncode == 2 and "error: No checkpoint at" in result.stderr


def test_mapping_timer_maps_every_parameter():
    from zoo.bench.mapping import time_mapping

    params, seconds = time_mapping("lenet", repeats=1, log=lambda *_: None)
    assert params == zoo.get_spec("lenet").num_params and seconds > 0


def test_unused_keys_of_excluded_scopes_and_fresh_heads_are_named_so(tmp_path):
    import zoo

    prefix = zoo.save_checkpoint(zoo.create_model("lenet"), str(tmp_path / "lenet.ckpt"))
    excluded = zoo.create_model("lenet", checkpoint=prefix, exclude_scopes=["LeNet/fc4"])
    assert excluded.load_report.unexpected_by_category() == {"excluded scope": 2}
    fresh = zoo.create_model("lenet", num_classes=3, checkpoint=prefix, head="auto")
    assert fresh.load_report.unexpected_by_category() == {"head not loaded": 2}
    reinit = zoo.create_model("lenet", checkpoint=prefix, head="reinit")
    assert reinit.load_report.unexpected_by_category() == {"head not loaded": 2}
    assert len(reinit.load_report.mapped) == 6 and len(reinit.load_report.head) == 2
