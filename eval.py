"""Evaluate a zoo model: python eval.py --config=configs/EXP.py --workdir=DIR [--checkpoint=PATH]"""
import os

from absl import flags

from zoo.training.main import define_config, run

HERE = os.path.dirname(os.path.abspath(__file__))
_CONFIG = define_config(os.path.join(HERE, "configs", "lenet_digits.py"), "Experiment config file (configs/*.py).")
_WORKDIR = flags.DEFINE_string("workdir", os.path.join(HERE, "runs", "lenet_digits"),
                               "The training workdir; results_eval.json is written here.")
_CHECKPOINT = flags.DEFINE_string("checkpoint", None, "A TF1 name-based checkpoint, or another workdir, to "
                                  "evaluate instead of the workdir's newest readable checkpoint.")


def main(argv):
    from zoo.training.loop import evaluate_workdir

    evaluate_workdir(_CONFIG.value, _WORKDIR.value, checkpoint=_CHECKPOINT.value)


if __name__ == "__main__":
    run(main)
