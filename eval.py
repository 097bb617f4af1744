"""Evaluate a zoo model: python eval.py --config=configs/EXP.py --workdir=DIR [--checkpoint=TF1_PREFIX]"""
import os

import zoo  # noqa: F401  (first: sets TensorFlow up for tf_keras)
from absl import app, flags
from ml_collections import config_flags

from zoo.training.loop import evaluate_workdir

HERE = os.path.dirname(os.path.abspath(__file__))
_CONFIG = config_flags.DEFINE_config_file("config", os.path.join(HERE, "configs", "lenet_digits.py"),
                                          "Experiment config file (configs/*.py).")
_WORKDIR = flags.DEFINE_string("workdir", os.path.join(HERE, "runs", "lenet_digits"),
                               "The training workdir; results_eval.json is written here.")
_CHECKPOINT = flags.DEFINE_string("checkpoint", None,
                                  "A TF1 name-based checkpoint to evaluate instead of the workdir's latest.")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    evaluate_workdir(_CONFIG.value, _WORKDIR.value, checkpoint=_CHECKPOINT.value)


if __name__ == "__main__":
    app.run(main)
