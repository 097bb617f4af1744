"""The default experiment config; files under configs/ start from it and change what they need.

Keys follow slim's train_image_classifier.py flags where one exists. Every key is read by the training code
and every key it reads is declared here (tests/test_training.py checks both ways).
"""
from __future__ import annotations

import difflib

import ml_collections

from zoo.data import dataset_info
from zoo.nn import check_keras
from zoo.registry import check_image_size, check_impl, get_spec
from zoo.training.optimizers import check_optimizer, check_schedule
from zoo.training.strategy import check_strategy


def default_config() -> ml_collections.ConfigDict:
    """Every key with its default; a config file changes what it needs."""
    c = ml_collections.ConfigDict()
    # Model
    c.model = "lenet"
    c.impl = "native"                 # native | shim | slim
    c.keras = "keras"                 # native only: keras (Keras 3, TensorFlow backend here) | tf_keras
    c.num_classes = 0                 # 0: the dataset's class count minus labels_offset
    c.labels_offset = 0
    c.train_image_size = 0            # 0: the architecture's default
    c.eval_image_size = 0
    c.weight_decay = 0.0
    c.dropout_keep_prob = 0.5
    c.hub_module = ""                 # a TF2 feature-vector SavedModel (path or handle) used as the backbone
    c.hub_trainable = True            # through hub.KerasLayer, with a new linear head; `model` picks the data
    # Data
    c.dataset = "digits"
    c.dataset_dir = ""                # tfrecord: the folder `python -m zoo make-tfrecords` wrote
    c.preprocessing = ""              # "": the model's (inception, vgg, lenet, cifarnet)
    c.batch_size = 64                 # global batch, split over replicas
    c.eval_batch_size = 128
    c.seed = 0
    # Optimisation
    c.optimizer = "momentum"
    c.learning_rate = 0.01
    c.lr_schedule = "cosine"          # fixed | exponential | polynomial | cosine
    c.lr_decay_factor = 0.94
    c.lr_decay_steps = 0
    c.end_learning_rate = 0.0
    c.warmup_steps = 0
    c.momentum = 0.9
    c.use_nesterov = False
    c.adam_beta1 = 0.9
    c.adam_beta2 = 0.999
    c.opt_epsilon = 1.0
    c.rmsprop_decay = 0.9
    c.rmsprop_momentum = 0.9
    c.adagrad_initial_accumulator_value = 0.1
    c.adadelta_rho = 0.95
    c.ftrl_learning_rate_power = -0.5
    c.ftrl_initial_accumulator_value = 0.1
    c.ftrl_l1 = 0.0
    c.ftrl_l2 = 0.0
    c.label_smoothing = 0.0
    c.moving_average_decay = 0.0      # > 0: keep an EMA of the model variables; eval uses it (as slim)
    c.train_steps = 0                 # 0: from num_epochs
    c.num_epochs = 30.0
    # Fine-tuning from TF1 checkpoints
    c.init_checkpoint = ""
    c.checkpoint_exclude_scopes = ""  # comma-separated slim scopes left freshly initialised
    c.trainable_scopes = ""           # comma-separated slim scopes to train; empty: all
    c.ignore_missing_vars = False
    # Distribution and bookkeeping
    c.strategy = "default"            # default | one_device | mirrored | multi_worker_mirrored | tpu
    c.tpu = ""
    c.log_every = 100
    c.checkpoint_every = 500
    # Faults
    c.on_nonfinite = "stop"           # a NaN/inf loss or gradient: stop (exit 1) | skip the step and go on
    c.skip_limit = 10                 # on_nonfinite="skip": stop after this many skipped steps in a row
    return c


NONFINITE = ("stop", "skip")
_INF = float("inf")
# key: (low, high, low inclusive, high inclusive) — every numeric key's valid range
RANGES = {
    "num_classes": (0, _INF, True, False), "labels_offset": (0, _INF, True, False),
    "train_image_size": (0, _INF, True, False), "eval_image_size": (0, _INF, True, False),
    "weight_decay": (0, _INF, True, False), "dropout_keep_prob": (0, 1, False, True),
    "batch_size": (1, _INF, True, False), "eval_batch_size": (1, _INF, True, False), "seed": (0, _INF, True, False),
    "learning_rate": (0, _INF, False, False), "lr_decay_factor": (0, 1, False, True),
    "lr_decay_steps": (0, _INF, True, False), "end_learning_rate": (0, _INF, True, False),
    "warmup_steps": (0, _INF, True, False), "momentum": (0, 1, True, False), "adam_beta1": (0, 1, True, False),
    "adam_beta2": (0, 1, True, False), "opt_epsilon": (0, _INF, False, False), "rmsprop_decay": (0, 1, True, False),
    "rmsprop_momentum": (0, 1, True, False), "adagrad_initial_accumulator_value": (0, _INF, False, False),
    "adadelta_rho": (0, 1, True, True), "ftrl_learning_rate_power": (-_INF, 0, False, True),
    "ftrl_initial_accumulator_value": (0, _INF, True, False), "ftrl_l1": (0, _INF, True, False),
    "ftrl_l2": (0, _INF, True, False), "label_smoothing": (0, 1, True, False),
    "moving_average_decay": (0, 1, True, False), "train_steps": (0, _INF, True, False),
    "num_epochs": (0, _INF, True, False), "log_every": (1, _INF, True, False),
    "checkpoint_every": (1, _INF, True, False), "skip_limit": (0, _INF, True, False),
}


def _range_text(low: float, high: float, low_in: bool, high_in: bool) -> str:
    if high == _INF:
        return f"{'>=' if low_in else '>'} {low}"
    return f"in {'[' if low_in else '('}{low}, {high}{']' if high_in else ')'}"


def check_keys(c: ml_collections.ConfigDict) -> None:
    """Unknown keys (a typo in a config file) are named with their close matches."""
    known = default_config()
    for key in c.keys():
        if key not in known:
            close = difflib.get_close_matches(key, list(known.keys()), n=3)
            raise ValueError(f"Unknown config key {key!r}" + (f"; did you mean {close}?" if close else
                                                              "; see zoo/training/config.py for the keys."))
    missing = [key for key in known.keys() if key not in c]
    if missing:
        raise ValueError(f"The config lacks {missing}: build it from zoo.training.config.default_config() and "
                         "change what you need (as configs/*.py do).")


def scopes(text: str) -> tuple[str, ...]:
    """A comma-separated list of slim scopes (checkpoint_exclude_scopes, trainable_scopes) as a tuple."""
    return tuple(s.strip() for s in text.split(",") if s.strip())


def validate(c: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
    """Fail before any work, naming what is wrong and the valid choices or range."""
    check_keys(c)
    for key, (low, high, low_in, high_in) in RANGES.items():
        value = c[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"config {key}={value!r} must be a number.")
        ok = (value >= low if low_in else value > low) and (value <= high if high_in else value < high)
        if not ok or value != value:
            raise ValueError(f"config {key}={value!r} is out of range: it must be "
                             f"{_range_text(low, high, low_in, high_in)}.")
    if c.on_nonfinite not in NONFINITE:
        raise ValueError(f"config on_nonfinite={c.on_nonfinite!r}; choose one of {list(NONFINITE)}.")
    spec = get_spec(c.model)
    for key in ("train_image_size", "eval_image_size"):
        if c[key]:
            check_image_size(spec, c[key], what=f"config {key}")
    check_impl(c.impl)
    check_keras(c.keras)
    dataset_info(c.dataset, c.dataset_dir)
    if c.preprocessing:
        from zoo.preprocessing import PREPROCESSING

        if c.preprocessing not in PREPROCESSING:
            raise ValueError(f"Unknown preprocessing {c.preprocessing!r}; choose one of {sorted(PREPROCESSING)}.")
    check_optimizer(c.optimizer, tf1=c.impl == "slim")
    check_schedule(c.lr_schedule)
    check_strategy(c.strategy)
    if c.impl == "slim" and c.strategy != "default":
        raise ValueError("impl='slim' trains in a TF1 Session on one device; use strategy='default'.")
    if c.hub_module and (c.impl != "native" or c.init_checkpoint or c.trainable_scopes):
        raise ValueError("hub_module builds a native hub.KerasLayer backbone + linear head; it does not combine "
                         "with impl='shim'/'slim', init_checkpoint or trainable_scopes (use hub_trainable).")
    if c.impl == "native" and c.keras == "keras":
        import keras

        if keras.backend.backend() != "tensorflow":
            raise ValueError(f"train.py/eval.py run under tf.distribute: the Keras 3 native needs the TensorFlow "
                             f"backend (KERAS_BACKEND={keras.backend.backend()!r} here); unset KERAS_BACKEND. "
                             "Other backends fine-tune through model.fit (see README).")
    if not c.train_steps and c.num_epochs <= 0:
        raise ValueError("config train_steps=0 and num_epochs=0: set one of them to say how long to train.")
    return c
