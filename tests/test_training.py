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


@pytest.mark.parametrize("impl", ["native", "shim"])
def test_train_learns_and_eval_reads_the_checkpoint(impl, tmp_path):
    c = _config(impl=impl, train_steps=60, log_every=20)
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


@pytest.mark.parametrize("flag,message", [
    ("--config.optimizer=sgdd", "Unknown optimizer 'sgdd'; choose one of ['sgd', 'momentum'"),
    ("--config.model=lenet5", "Unknown model 'lenet5'. Registered models:"),
    ("--config.strategy=gpu", "Unknown strategy 'gpu'; choose one of ['default', 'one_device'"),
    ("--config.impl=torch", "Unknown impl 'torch'; choose one of ['native', 'shim', 'slim']"),
])
def test_bad_flags_fail_before_work(flag, message, tmp_path):
    result = subprocess.run([sys.executable, os.path.join(ROOT, "train.py"), flag, f"--workdir={tmp_path}"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode != 0
    assert message in result.stderr
    assert not os.listdir(tmp_path)
