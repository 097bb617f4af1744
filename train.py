"""Train a zoo model: python train.py [--config=configs/EXP.py] [--config.key=value ...] [--workdir=DIR]

Resumes from the workdir's newest readable checkpoint; one run per workdir. Exit 2: bad flags or config (one
line says which); exit 1: the run failed (e.g. a non-finite loss) with the last good checkpoint kept."""
import os

from absl import flags

from zoo.training.main import define_config, run

HERE = os.path.dirname(os.path.abspath(__file__))
_CONFIG = define_config(os.path.join(HERE, "configs", "lenet_digits.py"), "Experiment config file (configs/*.py).")
_WORKDIR = flags.DEFINE_string("workdir", os.path.join(HERE, "runs", "lenet_digits"),
                               "Checkpoints, TensorBoard summaries and results_train.json go here.")


def main(argv):
    from zoo.training.loop import train

    train(_CONFIG.value, _WORKDIR.value)


if __name__ == "__main__":
    run(main)
