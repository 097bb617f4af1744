"""Faults and bad input, as a hostile user meets them: each case asserts the exit code, the one line that says
what is wrong and what to do, and that nothing on disk was lost or left half-written.

Most cases call the CLI's `main` in-process (the same code as the `zoo` script); train.py/eval.py argument
errors and the `kill -9` cases run real processes."""
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

import zoo
from conftest import ROOT
from zoo import cli
from zoo.checkpoints import CheckpointError, CheckpointMismatchError, CheckpointReader, io
from zoo.checkpoints.inspect import verify_checkpoint
from zoo.errors import NonFiniteLossError, WorkdirBusyError
from zoo.training.config import default_config, validate
from zoo.training.workdir import LOCK_NAME, checkpoints_newest_first

NOISE = ("WARNING: All log messages", "I0000", "W0000", "E0000")  # TensorFlow's own start-up lines


def run_cli(capsys, *args):
    """(exit code, stdout, the stderr lines that are ours) of `zoo ARGS` in this process."""
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, [line for line in err.splitlines() if line and not line.startswith(NOISE)]


def assert_one_error(code, err, *needles, exit_code=2):
    assert code == exit_code, err
    assert len(err) == 1 and err[0].startswith("error: "), err
    for needle in needles:
        assert needle in err[0], err[0]


def snapshot(directory):
    """{relative path: bytes} of everything under `directory`."""
    out = {}
    for root, _, files in os.walk(directory):
        for f in files:
            path = os.path.join(root, f)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, directory)] = fh.read()
    return out


def debris(directory):
    return [n for _, dirs, files in os.walk(directory) for n in dirs + files
            if n.startswith((io.TMP, io.OLD)) or n.endswith((".part", ".extracting"))]


def abandoned_dir(parent, kind, **files):
    """A temporary as `kill -9` leaves it: its owner file unlocked."""
    path = parent / f"{kind}4242-x"
    path.mkdir()
    (path / ".owner").touch()
    for name, text in files.items():
        (path / name).write_text(text)
    return path


@pytest.fixture(scope="module")
def lenet_ckpt(tmp_path_factory):
    """Two different LeNet TF1 checkpoints (random weights) and the arrays they hold."""
    directory = tmp_path_factory.mktemp("lenet_ckpts")
    a, b = zoo.create_model("lenet", keras="tf_keras"), zoo.create_model("lenet", keras="tf_keras")
    return (zoo.save_checkpoint(a, str(directory / "a" / "model.ckpt")), zoo.read_weights(a),
            zoo.save_checkpoint(b, str(directory / "b" / "model.ckpt")), zoo.read_weights(b))


def tiny_config(**overrides):
    c = default_config()
    c.update(dict(model="lenet", batch_size=16, eval_batch_size=256, train_steps=4, checkpoint_every=2,
                  log_every=2), **overrides)
    return c


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A train.py workdir of the default (Keras 3 native LeNet), 4 steps: ckpt-2 and ckpt-4."""
    from zoo.training.loop import train

    path = str(tmp_path_factory.mktemp("workdir"))
    train(tiny_config(), path, log=lambda *_: None)
    return path


# ---------------------------------------------------------------- checkpoints: writes never destroy

def test_convert_refuses_an_existing_destination(capsys, lenet_ckpt):
    src, _, dst, _ = lenet_ckpt
    before = snapshot(os.path.dirname(dst))
    code, _, err = run_cli(capsys, "convert", src, dst, "--to", "tf2")
    assert_one_error(code, err, "already exists", "--overwrite")
    assert snapshot(os.path.dirname(dst)) == before


def test_convert_overwrite_replaces_completely(capsys, lenet_ckpt, tmp_path):
    src, weights, other, _ = lenet_ckpt
    dst = tmp_path / "out" / "model.ckpt"
    shutil.copytree(os.path.dirname(other), tmp_path / "out")
    code, out, err = run_cli(capsys, "convert", src, dst, "--to", "tf1", "--overwrite")
    assert code == 0 and "wrote" in out, err
    reader = CheckpointReader(str(dst))
    for key, value in weights.items():
        np.testing.assert_array_equal(reader.get(key), value)
    assert debris(tmp_path / "out") == []


@pytest.mark.parametrize("fail_at", [0, 1, 2, 3, 4])
def test_an_overwrite_failing_at_any_move_keeps_a_whole_checkpoint(lenet_ckpt, tmp_path, monkeypatch, fail_at):
    """A failure at every one of the overwrite's renames: the prefix then holds the old or the new checkpoint,
    complete, and no temporary is left."""
    _, weights_a, _, weights_b = lenet_ckpt
    prefix = io.write_checkpoint(weights_a, tmp_path / "model.ckpt")
    real, calls = os.replace, []

    def flaky(a, b):
        calls.append(b)
        if len(calls) == fail_at + 1:
            raise OSError("disk vanished")
        return real(a, b)

    monkeypatch.setattr(io.os, "replace", flaky)
    with pytest.raises(OSError):
        io.write_checkpoint(weights_b, prefix, overwrite=True)
    monkeypatch.setattr(io.os, "replace", real)
    reader = CheckpointReader(prefix)
    got = {k: reader.get(k) for k in reader.keys()}
    assert any(all(np.array_equal(got[k], w[k]) for k in w) for w in (weights_a, weights_b))
    assert debris(tmp_path) == []


def test_a_killed_overwrite_is_rolled_back_by_the_next_reader(lenet_ckpt, tmp_path):
    """What `kill -9` between the overwrite's renames leaves (the old checkpoint in `.old-PID-*`, the new data
    without its index) is undone when the checkpoint is next opened."""
    _, weights_a, _, weights_b = lenet_ckpt
    prefix = io.write_checkpoint(weights_a, tmp_path / "model.ckpt")
    journal = abandoned_dir(tmp_path, io.OLD, PREFIX="model.ckpt", MOVED="")
    for f in os.listdir(tmp_path):
        if f.startswith("model.ckpt."):
            os.replace(tmp_path / f, journal / f)
    new = io.write_checkpoint(weights_b, tmp_path / "new" / "model.ckpt")
    shutil.copy(new + ".data-00000-of-00001", prefix + ".data-00000-of-00001")  # new data, no index
    reader = CheckpointReader(prefix)
    for key, value in weights_a.items():
        np.testing.assert_array_equal(reader.get(key), value)
    assert not journal.exists()


def test_a_killed_export_overwrite_is_rolled_back(tmp_path):
    """`kill -9` between moving an old SavedModel aside and moving the new one in: the next export or sweep puts
    the old one back, whole."""
    journal = abandoned_dir(tmp_path, io.OLD, TARGET="exported")
    (journal / "item" / "variables").mkdir(parents=True)
    (journal / "item" / "saved_model.pb").write_bytes(b"old model")
    (abandoned_dir(tmp_path, io.TMP) / "out").mkdir()  # the new one, unfinished
    io.sweep(str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == ["exported"]
    assert (tmp_path / "exported" / "saved_model.pb").read_bytes() == b"old model"


def test_only_the_chief_of_a_multi_worker_run_takes_the_lock(monkeypatch):
    from zoo.training.workdir import is_chief

    cluster = {"worker": ["a:1", "b:2"]}
    for index, chief in ((0, True), (1, False)):
        monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}))
        assert is_chief() is chief
    monkeypatch.delenv("TF_CONFIG")
    assert is_chief()


def test_save_checkpoint_and_export_refuse_existing_outputs(lenet_ckpt, tmp_path):
    from zoo import export

    src = lenet_ckpt[0]
    model = zoo.create_model("lenet", checkpoint=src)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        zoo.save_checkpoint(model, src)
    (tmp_path / "m.tflite").write_bytes(b"keep me")
    with pytest.raises(FileExistsError, match="overwrite"):
        export.export_tflite(model, str(tmp_path / "m.tflite"))
    assert (tmp_path / "m.tflite").read_bytes() == b"keep me"
    export.export_tflite(model, str(tmp_path / "m.tflite"), overwrite=True)
    assert (tmp_path / "m.tflite").read_bytes()[4:8] == b"TFL3" and debris(tmp_path) == []


def test_convert_into_a_workdir_leaves_its_state_file_alone(capsys, lenet_ckpt, workdir, tmp_path):
    copy = tmp_path / "w"
    shutil.copytree(workdir, copy)
    state = (copy / "checkpoints" / "checkpoint").read_text()
    code, _, err = run_cli(capsys, "convert", lenet_ckpt[0], copy / "checkpoints" / "imported", "--to", "tf1")
    assert code == 0, err
    assert (copy / "checkpoints" / "checkpoint").read_text() == state
    assert tf.train.latest_checkpoint(str(copy / "checkpoints")).endswith("ckpt-4")


def test_import_frozen_graph_errors(capsys, tmp_path, lenet_ckpt):
    (tmp_path / "not.pb").write_bytes(b"\x00garbage" * 10)
    code, _, err = run_cli(capsys, "import-frozen-graph", tmp_path / "not.pb", tmp_path / "o")
    assert_one_error(code, err, "not a binary GraphDef")
    code, _, err = run_cli(capsys, "import-frozen-graph", tmp_path / "not.pb", lenet_ckpt[0])
    assert_one_error(code, err, "already exists")


# ---------------------------------------------------------------- checkpoints: reading what is broken

@pytest.fixture
def truncated(lenet_ckpt, tmp_path):
    shutil.copytree(os.path.dirname(lenet_ckpt[0]), tmp_path / "t")
    data = tmp_path / "t" / "model.ckpt.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    return str(tmp_path / "t" / "model.ckpt")


def test_inspect_verify_finds_a_truncated_shard(capsys, truncated):
    code, out, err = run_cli(capsys, "inspect", truncated, "--summary")
    assert code == 0 and "--verify reads every tensor" in out
    code, out, err = run_cli(capsys, "inspect", truncated, "--summary", "--verify")
    assert_one_error(code, err, "failed verification", "truncated or corrupt")
    assert "PROBLEM" in out


def test_loading_a_truncated_checkpoint_names_the_shard(capsys, truncated):
    code, _, err = run_cli(capsys, "convert", truncated, truncated + "-copy", "--to", "tf2")
    assert_one_error(code, err, "data shard (model.ckpt.data-00000-of-00001) is truncated or corrupt")
    assert not os.path.exists(truncated + "-copy.index")


@pytest.fixture
def nan_checkpoint(lenet_ckpt, tmp_path):
    weights = dict(lenet_ckpt[1])
    weights["LeNet/fc3/weights"] = weights["LeNet/fc3/weights"].copy()
    weights["LeNet/fc3/weights"][0, :3] = [np.nan, np.inf, -np.inf]
    return io.write_checkpoint(weights, tmp_path / "nan" / "model.ckpt")


def test_non_finite_weights_are_refused_and_counted(nan_checkpoint):
    with pytest.raises(CheckpointMismatchError, match="3 NaN/inf values in 1 variables"):
        zoo.create_model("lenet", checkpoint=nan_checkpoint)
    model = zoo.create_model("lenet", checkpoint=nan_checkpoint, strict=False)
    assert model.load_report.nonfinite == {"LeNet/fc3/weights": 3}
    assert "non-finite: 3 NaN/inf values in LeNet/fc3/weights" in str(model.load_report)
    assert verify_checkpoint(CheckpointReader(nan_checkpoint))["nonfinite"] == {"LeNet/fc3/weights": 3}


def test_predict_refuses_nan_weights(capsys, nan_checkpoint, digit_png, labels10):
    code, out, err = run_cli(capsys, "predict", digit_png, "--model", "lenet", "--checkpoint", nan_checkpoint,
                             "--labels", labels10)
    assert_one_error(code, err, "NaN/inf", "diverged")
    assert "nan" not in out


# ---------------------------------------------------------------- predict inputs

@pytest.fixture(scope="module")
def digit_png(tmp_path_factory):
    from sklearn.datasets import load_digits

    image = (load_digits().images[0] * 255 / 16).astype(np.uint8)
    path = tmp_path_factory.mktemp("images") / "digit.png"
    path.write_bytes(tf.io.encode_png(image[..., None]).numpy())
    return str(path)


@pytest.fixture(scope="module")
def labels10(tmp_path_factory):
    path = tmp_path_factory.mktemp("labels") / "digits.txt"
    path.write_text("\n".join(str(i) for i in range(10)) + "\n")
    return str(path)


@pytest.mark.parametrize("source", ["workdir", "checkpoints_dir", "tf1"])
def test_predict_a_grayscale_model_from_any_checkpoint(capsys, digit_png, labels10, workdir, lenet_ckpt, source):
    checkpoint = {"workdir": workdir, "checkpoints_dir": os.path.join(workdir, "checkpoints"),
                  "tf1": lenet_ckpt[0]}[source]
    code, out, err = run_cli(capsys, "predict", digit_png, "--model", "lenet", "--checkpoint", checkpoint,
                             "--labels", labels10, "--top", "100")
    assert code == 0, err
    assert out.splitlines()[0] == digit_png and len(out.splitlines()) == 11  # --top clamped to the 10 classes
    probabilities = [float(line.split()[0]) for line in out.splitlines()[1:]]
    assert abs(sum(probabilities) - 1) < 1e-3


def test_a_workdir_is_a_checkpoint_for_convert_export_and_eval(capsys, workdir, tmp_path):
    from zoo.training.loop import evaluate_workdir

    code, out, err = run_cli(capsys, "convert", workdir, tmp_path / "tf1" / "model.ckpt", "--to", "tf1",
                             "--model", "lenet")
    assert code == 0, err
    native = zoo.create_model("lenet", checkpoint=workdir)
    np.testing.assert_array_equal(CheckpointReader(str(tmp_path / "tf1" / "model.ckpt")).get("LeNet/fc4/biases"),
                                  zoo.read_weights(native)["LeNet/fc4/biases"])
    code, out, err = run_cli(capsys, "export", "lenet", tmp_path / "lenet.tflite", "--format", "tflite",
                             "--checkpoint", os.path.join(workdir, "checkpoints"))
    assert code == 0 and os.path.getsize(tmp_path / "lenet.tflite") > 1e6, err
    results = evaluate_workdir(tiny_config(), str(tmp_path / "eval"), checkpoint=workdir, log=lambda *_: None)
    assert results["checkpoint"].endswith("ckpt-4") and (tmp_path / "eval" / "results_eval.json").exists()


def test_workdir_checkpoint_loads_into_every_implementation(workdir):
    native = zoo.create_model("lenet", checkpoint=workdir)
    for impl in ("shim", "slim"):
        other = zoo.create_model("lenet", impl, checkpoint=workdir)
        images = np.random.RandomState(0).rand(2, 28, 28, 1).astype(np.float32)
        np.testing.assert_allclose(np.asarray(other(images)), np.asarray(native(images)), atol=1e-5)


@pytest.mark.parametrize("args, needles", [
    (["skimage:no_such_photo"], ["scikit-image has no photograph 'no_such_photo'"]),
    (["missing.png"], ["No image at 'missing.png'"]),
    (["NOT_AN_IMAGE"], ["is not a JPEG, PNG, BMP or GIF image"]),
    (["DIGIT", "--top", "0"], ["--top 0: it must be at least 1"]),
    (["DIGIT", "--labels", "MISSING"], ["No labels file"]),
    (["DIGIT", "--labels", "EMPTY"], ["is empty"]),
    (["DIGIT", "--image-size", "2"], ["image_size=2 does not fit lenet: it takes 4 to 2048"]),
    (["DIGIT", "--no-source"], ["pass exactly one of --checkpoint"]),
])
def test_predict_bad_input(capsys, tmp_path, digit_png, labels10, lenet_ckpt, args, needles):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "empty.txt").write_text("\n\n")
    names = {"DIGIT": digit_png, "NOT_AN_IMAGE": str(tmp_path / "notes.txt"), "MISSING": str(tmp_path / "x.txt"),
             "EMPTY": str(tmp_path / "empty.txt")}
    args = [names.get(a, a) for a in args]
    source = [] if "--no-source" in args else ["--checkpoint", lenet_ckpt[0]]
    args = [a for a in args if a != "--no-source"]
    labels = [] if "--labels" in args else ["--labels", labels10]
    code, _, err = run_cli(capsys, "predict", *args, "--model", "lenet", *source, *labels)
    assert_one_error(code, err, *needles)


def test_predict_skimage_without_scikit_image(capsys, monkeypatch, labels10, lenet_ckpt, digit_png):
    monkeypatch.setitem(sys.modules, "skimage", None)
    monkeypatch.setitem(sys.modules, "skimage.data", None)
    code, _, err = run_cli(capsys, "predict", "skimage:chelsea", "--model", "lenet", "--checkpoint", lenet_ckpt[0],
                           "--labels", labels10)
    assert_one_error(code, err, "needs scikit-image (pip install scikit-image)")
    code, _, err = run_cli(capsys, "predict", digit_png, "--model", "lenet", "--checkpoint", lenet_ckpt[0],
                           "--labels", labels10)
    assert code == 0, err


# ---------------------------------------------------------------- the CLI as a tool

def test_version_and_debug(capsys, tmp_path):
    with pytest.raises(SystemExit) as e:
        cli.main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.strip() == f"zoo {zoo.__version__}"
    with pytest.raises(CheckpointError):
        cli.main(["--debug", "inspect", str(tmp_path / "nothing")])


@pytest.mark.parametrize("command", ["story", "list", "pretrained", "export", "inspect", "convert",
                                     "import-frozen-graph", "predict", "make-tfrecords", "bench"])
def test_every_command_has_help_with_defaults_and_an_example(capsys, command):
    with pytest.raises(SystemExit) as e:
        cli.main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert e.value.code == 0 and "example: zoo " + command in text
    parser = cli.build_parser()._subparsers._group_actions[0].choices[command]
    for action in parser._actions:
        if action.default not in (None, False, "==SUPPRESS=="):
            assert f"(default:{action.default})".replace(" ", "") in text.replace(" ", ""), (action.dest, text)
    assert "_" not in "".join(w for w in text.split() if w.startswith("--") and w != "--help"), text


def test_console_script_is_declared():
    import tomllib

    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        assert tomllib.load(f)["project"]["scripts"] == {"zoo": "zoo.cli:console"}


@pytest.mark.parametrize("args, needles", [
    (["convert", "SRC", "DST", "--to", "tf1", "--num-classes", "0"], ["--num-classes 0: it must be at least 1"]),
    (["convert", "SRC", "DST", "--to", "native"], ["--to native needs --model NAME"]),
    (["convert", "MISSING", "DST", "--to", "tf2"], ["No checkpoint at"]),
    (["export", "mobilenet_v1_025", "DST", "--image-size", "320"],
     ["image_size=320 does not fit mobilenet_v1_025: it takes 1 to 256", "slim fails there too"]),
    (["export", "vgg_16", "DST", "--image-size", "17"], ["image_size=17 does not fit vgg_16: it takes 224 to 255"]),
    (["export", "resnet_v1_50", "DST", "--image-size", "10000"], ["it takes 1 to 2048"]),
    (["export", "lenet", "EXISTING"], ["already exists", "--overwrite"]),
    (["bench", "--models", "lenet", "--rounds", "0"], ["--rounds 0: it must be at least 1"]),
    (["make-tfrecords", "MISSING", "DST", "--shards", "0"], ["--shards 0: it must be at least 1"]),
    (["story", "--slim-steps", "-5", "--workdir", "DST"], ["--slim-steps -5: it must be at least 1"]),
    (["convert", "SRC", "A_FILE/x/model.ckpt", "--to", "tf2"], ["A_FILE"]),
    (["predict", "x.png", "--model", "lenet5", "--checkpoint", "SRC", "--labels", "x"], ["Did you mean ['lenet'"]),
])
def test_cli_argument_errors(capsys, tmp_path, lenet_ckpt, args, needles):
    (tmp_path / "existing").mkdir()
    (tmp_path / "A_FILE").write_text("a file where a directory is needed")
    names = {"SRC": lenet_ckpt[0], "DST": str(tmp_path / "out" / "d"), "MISSING": str(tmp_path / "nope"),
             "EXISTING": str(tmp_path / "existing")}
    args = [names.get(a, a.replace("A_FILE", str(tmp_path / "A_FILE"))) for a in args]
    code, _, err = run_cli(capsys, *args)
    assert_one_error(code, err, *needles)
    assert not os.path.exists(tmp_path / "out")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_destination_is_one_line(capsys, tmp_path, lenet_ckpt):
    (tmp_path / "ro").mkdir()
    os.chmod(tmp_path / "ro", 0o500)
    code, _, err = run_cli(capsys, "convert", lenet_ckpt[0], tmp_path / "ro" / "x", "--to", "tf2")
    assert_one_error(code, err, "Permission denied")


# ---------------------------------------------------------------- image sizes: the slim original's range

FAMILIES = ["lenet", "cifarnet", "inception_v1", "inception_v2", "inception_v3", "mobilenet_v1_025",
            "mobilenet_v2_035", "resnet_v1_50", "vgg_16", "alexnet_v2", "overfeat"]


@pytest.mark.parametrize("arch", FAMILIES)
def test_the_size_range_is_where_slim_builds(arch):
    """The registry's range, checked against the slim original (an independent path): it builds at both ends
    and fails just outside them (the natives refuse exactly there)."""
    from zoo.compat import tf1_graph
    from zoo.slim_graph import build_slim

    spec = zoo.get_spec(arch)

    def slim_builds(size):
        try:
            with tf1_graph():
                images = tf.compat.v1.placeholder(tf.float32, (1, size, size, spec.channels))
                build_slim(spec, images, spec.num_classes, is_training=False)
            return True
        except (ValueError, tf.errors.OpError):
            return False

    low, high = spec.min_image_size, spec.max_image_size
    assert slim_builds(low) and (low == 1 or not slim_builds(low - 1))
    if high is not None:
        assert slim_builds(high) and not slim_builds(high + 1)
        with pytest.raises(ValueError, match=f"takes {low} to {high}"):
            zoo.create_model(arch, image_size=high + 1)


@pytest.mark.parametrize("arch, size", [("mobilenet_v1_025", 256), ("inception_v3", 107)])
def test_native_heads_at_the_edges_of_the_range(arch, size):
    """Above ~288 px the native MobileNet v1 used to flatten a 2x2 map into a 4x wider head; at the largest
    size slim takes it squeezes a 1x1 map, as slim does."""
    model = zoo.create_model(arch, image_size=size, num_classes=10)
    assert tuple(model(np.zeros((1, size, size, 3), np.float32)).shape) == (1, 10)


# ---------------------------------------------------------------- config validation

@pytest.mark.parametrize("overrides, needles", [
    ({"batch_size": -1}, ["batch_size=-1 is out of range: it must be >= 1"]),
    ({"log_every": 0}, ["log_every=0", ">= 1"]),
    ({"checkpoint_every": 0}, ["checkpoint_every=0"]),
    ({"learning_rate": 0.0}, ["learning_rate=0.0", "> 0"]),
    ({"learning_rate": float("nan")}, ["learning_rate=nan"]),
    ({"momentum": 1.5}, ["momentum=1.5", "in [0, 1)"]),
    ({"dropout_keep_prob": 0.0}, ["dropout_keep_prob=0.0", "in (0, 1]"]),
    ({"label_smoothing": 1.0}, ["label_smoothing=1.0"]),
    ({"strategy": "mirorred"}, ["Unknown strategy 'mirorred'; choose one of ['default', 'one_device'"]),
    ({"model": "resnet50"}, ["Unknown model 'resnet50'"]),
    ({"model": "lenet5"}, ["Unknown model 'lenet5'", "Did you mean ['lenet'"]),
    ({"optimizer": "sgdd"}, ["Unknown optimizer 'sgdd'; choose one of ['sgd', 'momentum'"]),
    ({"impl": "torch"}, ["Unknown impl 'torch'; choose one of ['native', 'shim', 'slim']"]),
    ({"model": "vgg_16", "train_image_size": 17}, ["train_image_size=17 does not fit vgg_16"]),
    ({"train_image_size": 10000}, ["train_image_size=10000", "2048"]),
    ({"on_nonfinite": "ignore"}, ["on_nonfinite='ignore'", "['stop', 'skip']"]),
    ({"train_steps": 0, "num_epochs": 0.0}, ["train_steps=0 and num_epochs=0"]),
])
def test_config_values_are_checked_before_work(overrides, needles):
    c = default_config()
    c.update(overrides)
    with pytest.raises(ValueError) as e:
        validate(c)
    for needle in needles:
        assert needle in str(e.value)


def test_unknown_config_keys_name_their_close_matches():
    c = default_config()
    c.unlock()
    c.batchsize = 3
    with pytest.raises(ValueError, match=r"Unknown config key 'batchsize'; did you mean \['batch_size'"):
        validate(c)


def _script(*args, timeout=300):
    result = subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                            timeout=timeout)
    return result.returncode, result.stdout, [line for line in result.stderr.splitlines()
                                              if line and not line.startswith(NOISE)]


def test_train_and_eval_flags_are_one_line_errors(tmp_path):
    code, _, err = _script("train.py", "--config.batchsize=3", f"--workdir={tmp_path}")
    assert_one_error(code, err, "the config has no key 'batchsize'; did you mean ['batch_size'")
    code, _, err = _script("train.py", "--config.batch_size=-1", f"--workdir={tmp_path}")
    assert_one_error(code, err, "batch_size=-1 is out of range")
    code, _, err = _script("eval.py", f"--workdir={tmp_path / 'empty'}")
    assert_one_error(code, err, "No training checkpoint under", "run train.py")
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- training never loses good state

def test_divergence_stops_with_the_last_finite_checkpoint_kept(tmp_path):
    code, _, err = _script("train.py", f"--workdir={tmp_path}", "--config.learning_rate=10000.0",
                           "--config.train_steps=40", "--config.checkpoint_every=1", "--config.batch_size=16")
    assert code == 1, err
    assert [line for line in err if line.startswith("error:")] == [err[-1]]
    assert "are not finite; training stopped without applying it" in err[-1] and "Lower learning_rate" in err[-1]
    newest = checkpoints_newest_first(str(tmp_path / "checkpoints"))
    assert newest and newest[0] in err[-1]
    for prefix in newest:  # every checkpoint kept is whole and finite
        check = verify_checkpoint(CheckpointReader(prefix))
        assert check["problems"] == [], check
    assert (tmp_path / LOCK_NAME).read_text() == ""  # free


@pytest.mark.parametrize("impl", ["native", "slim"])
def test_skip_mode_skips_then_gives_up(tmp_path, impl):
    from zoo.training.loop import train

    lines = []
    with pytest.raises(NonFiniteLossError, match="3 steps in a row, skip_limit=2"):
        train(tiny_config(impl=impl, learning_rate=1e4, train_steps=30, checkpoint_every=1, on_nonfinite="skip",
                          skip_limit=2), str(tmp_path), log=lines.append)
    assert sum("step skipped" in line for line in lines) == 2  # the third in a row stops the run
    for prefix in checkpoints_newest_first(str(tmp_path / "checkpoints")):
        assert verify_checkpoint(CheckpointReader(prefix))["problems"] == []


def test_a_second_run_on_a_busy_workdir_is_refused(tmp_path):
    from zoo.ownership import try_lock
    from zoo.training.loop import train

    lock = tmp_path / LOCK_NAME
    lock.write_text(json.dumps({"pid": 4242, "host": "elsewhere", "started": "earlier"}))
    fd = os.open(lock, os.O_RDWR)  # another run holds it
    try:
        assert try_lock(fd)
        with pytest.raises(WorkdirBusyError, match=r"in use by another training run \(pid 4242 on elsewhere"):
            train(tiny_config(), str(tmp_path), log=lambda *_: None)
        assert sorted(os.listdir(tmp_path)) == [LOCK_NAME]
    finally:
        os.close(fd)  # that run ends (as kill -9 would end it): its lock is free, its note stays
    lines = []
    train(tiny_config(train_steps=2), str(tmp_path), log=lines.append)
    assert any("(pid 4242, started earlier) ended without finishing" in line for line in lines)
    assert lock.read_text() == ""


def test_resume_falls_back_past_a_corrupt_latest_checkpoint(workdir, tmp_path):
    from zoo.training.loop import evaluate_workdir, train

    copy = tmp_path / "w"
    shutil.copytree(workdir, copy)
    data = copy / "checkpoints" / "ckpt-4.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:1000])
    lines = []
    results = evaluate_workdir(tiny_config(), str(copy), log=lines.append)
    assert results["checkpoint"].endswith("ckpt-2") and any("ckpt-4 is unreadable" in line for line in lines)
    _, results = train(tiny_config(train_steps=6), str(copy), log=lines.append)
    assert any("resumed from" in line and line.rstrip().endswith("at step 2") for line in lines)
    assert results["steps"] == 6 and os.path.getsize(data) > 1000  # rewritten when step 4 came round again


def test_a_workdir_of_another_experiment_is_named(workdir, tmp_path):
    from zoo.training.loop import train

    copy = tmp_path / "w"
    shutil.copytree(workdir, copy)
    with pytest.raises(CheckpointError, match="does not fit the model this config builds"):
        train(tiny_config(num_classes=5, train_steps=6), str(copy), log=lambda *_: None)


# ---------------------------------------------------------------- downloads

@pytest.fixture
def payload():
    return os.urandom(40_000)


def _download(server, path, dest, **kwargs):
    from zoo.weights.cache import download

    return download(server.url(path), str(dest), progress=False, **kwargs)


def test_a_stalled_download_gives_up_with_a_clear_error(server, home, tmp_path, payload):
    from zoo.weights import DownloadError

    server.files["/slow.tgz"] = payload
    server.stall.add("/slow.tgz")
    start = time.time()
    with pytest.raises(DownloadError, match="after 2 attempts: the transfer stalled"):
        _download(server, "/slow.tgz", tmp_path / "d" / "slow.tgz", retries=1)
    assert time.time() - start < 15 and os.listdir(tmp_path / "d") == []


def test_a_black_holed_server_times_out(home, tmp_path):
    from zoo.weights import DownloadError
    from zoo.weights.cache import download

    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(0)  # accepts the connection, never answers
    try:
        start = time.time()
        with pytest.raises(DownloadError, match="could not connect|stalled|broke off"):
            download(f"http://127.0.0.1:{hole.getsockname()[1]}/x.tgz", str(tmp_path / "x.tgz"), progress=False,
                     timeout=1, retries=1)
        assert time.time() - start < 10
    finally:
        hole.close()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("honours_range", [True, False])
def test_a_broken_transfer_resumes(server, home, tmp_path, payload, honours_range):
    import hashlib

    server.files["/w.tgz"] = payload
    server.break_first["/w.tgz"] = 1
    if honours_range:
        server.ranges.add("/w.tgz")
    got = _download(server, "/w.tgz", tmp_path / "w.tgz", sha256=hashlib.sha256(payload).hexdigest())
    assert got == hashlib.sha256(payload).hexdigest() and (tmp_path / "w.tgz").read_bytes() == payload
    assert server.range_headers == [f"bytes={len(payload) // 2}-"]


def test_server_errors_are_retried_and_progress_is_shown(server, home, tmp_path, payload, capfd):
    from zoo.weights.cache import download

    server.files["/e.tgz"] = payload
    server.fail_first["/e.tgz"] = 2
    download(server.url("/e.tgz"), str(tmp_path / "e.tgz"))  # stderr is not a terminal here: progress lines
    err = capfd.readouterr().err
    assert err.count("HTTP 500") == 2 and "retrying" in err
    assert "Downloading e.tgz" in err and "MB of 0.0 MB" in err and (tmp_path / "e.tgz").read_bytes() == payload


def test_debris_of_killed_downloads_is_swept(server, home, tmp_path, payload):
    from zoo.ownership import try_lock

    (tmp_path / "old.tgz.4242-abc.part").write_bytes(b"x" * 100)  # its download was killed: nobody holds it
    (tmp_path / "x.4243-abc.part").write_bytes(b"live")
    fd = os.open(tmp_path / "x.4243-abc.part", os.O_RDONLY)  # a live download holds its lock: left alone
    try:
        assert try_lock(fd)
        server.files["/n.tgz"] = payload
        _download(server, "/n.tgz", tmp_path / "n.tgz")
    finally:
        os.close(fd)
    assert sorted(os.listdir(tmp_path)) == ["n.tgz", "n.tgz.sha256", "x.4243-abc.part"]


# ---------------------------------------------------------------- kill -9

def _kill_at_random(args, seconds, rng):
    process = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(*seconds))
    process.send_signal(signal.SIGKILL)
    process.wait()


@pytest.mark.heavy
def test_kill_9_during_mirrored_training_ten_times(tmp_path):
    """`kill -9` at random moments of train.py (MirroredStrategy, EMA on), ten times: every checkpoint left is
    whole and finite with its EMA shadows and optimizer slots, the lock of the dead run is taken over, and the
    run resumes from its newest checkpoint to the configured step count."""
    args = ["train.py", f"--workdir={tmp_path}", "--config.strategy=mirrored", "--config.train_steps=40",
            "--config.checkpoint_every=2", "--config.batch_size=16", "--config.log_every=10",
            "--config.moving_average_decay=0.99"]
    rng = random.Random(0)
    for _ in range(10):
        _kill_at_random(args, (3, 9), rng)
        for prefix in checkpoints_newest_first(str(tmp_path / "checkpoints")):
            assert verify_checkpoint(CheckpointReader(prefix))["problems"] == [], prefix
    newest = checkpoints_newest_first(str(tmp_path / "checkpoints"))
    assert newest, "no run got as far as its first checkpoint"
    keys = CheckpointReader(newest[0]).keys()
    assert len([k for k in keys if k.startswith("ema/shadows/")]) == 8  # every LeNet variable's EMA
    assert len([k for k in keys if k.startswith("optimizer/_variables/")]) >= 8  # a momentum slot per variable
    killed_at = int(newest[0].rsplit("-", 1)[1])
    code, _, err = _script(*args)
    assert code == 0, err
    if killed_at < 40:
        assert any(f"resumed from {newest[0]} at step {killed_at}" in line for line in err), err
    with open(tmp_path / "results_train.json") as f:
        assert json.load(f)["steps"] == 40
    assert (tmp_path / LOCK_NAME).read_text() == ""  # free


@pytest.mark.heavy
def test_kill_9_during_convert_over_an_existing_destination(tmp_path, lenet_ckpt):
    src, weights_a, other, weights_b = lenet_ckpt
    dst = io.write_checkpoint(weights_b, tmp_path / "dst" / "model.ckpt")
    rng = random.Random(1)
    for _ in range(5):
        _kill_at_random(["-m", "zoo", "convert", src, dst, "--to", "tf1", "--overwrite"], (2.5, 6), rng)
        reader = CheckpointReader(dst)  # opening it finishes or undoes an interrupted overwrite
        got = {k: reader.get(k) for k in reader.keys()}
        assert any(all(np.array_equal(got[k], w[k]) for k in w) for w in (weights_a, weights_b))
        io.sweep(os.path.dirname(dst))
        assert debris(tmp_path / "dst") == []
