"""Train a zoo model: python train.py [--config=configs/EXP.py] [--config.key=value ...] [--workdir=DIR]"""
import os

import zoo  # noqa: F401  (first: sets TensorFlow up for tf_keras)
from absl import app, flags
from ml_collections import config_flags

from zoo.training.loop import train

HERE = os.path.dirname(os.path.abspath(__file__))
_CONFIG = config_flags.DEFINE_config_file("config", os.path.join(HERE, "configs", "lenet_digits.py"),
                                          "Experiment config file (configs/*.py).")
_WORKDIR = flags.DEFINE_string("workdir", os.path.join(HERE, "runs", "lenet_digits"),
                               "Checkpoints, TensorBoard summaries and results_train.json go here.")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    train(_CONFIG.value, _WORKDIR.value)


if __name__ == "__main__":
    app.run(main)
