"""Optimizers and learning-rate schedules by name: one table, each row building the optimizer for either Keras
(`keras`: the package of the model being trained, Keras 3 or tf_keras — each needs its own optimizers) and for
the TF1 Session path (`tf.compat.v1.train`), with slim's flag names mapped as in the migration guide's table
(e.g. momentum's `use_nesterov` -> SGD `nesterov`, rmsprop `decay` -> `rho`)."""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

import ml_collections

from zoo.nn import KerasBase, keras_class

Builder = Callable[[Any, Any, ml_collections.ConfigDict], Any]  # (optimizers namespace, learning rate, config)


@dataclass(frozen=True)
class Optimizer:
    """How one optimizer name is built: `keras(keras.optimizers, lr, c)`, `tf1(tf.compat.v1.train, lr, c)`;
    `tf1` is None where tf.compat.v1.train has no counterpart (impl="slim" refuses the name)."""

    keras: Builder
    tf1: Builder | None


OPTIMIZERS = {
    "sgd": Optimizer(lambda o, lr, c: o.SGD(lr),
                     lambda v1, lr, c: v1.GradientDescentOptimizer(lr)),
    "momentum": Optimizer(lambda o, lr, c: o.SGD(lr, momentum=c.momentum, nesterov=c.use_nesterov),
                          lambda v1, lr, c: v1.MomentumOptimizer(lr, c.momentum, use_nesterov=c.use_nesterov)),
    "adam": Optimizer(lambda o, lr, c: o.Adam(lr, beta_1=c.adam_beta1, beta_2=c.adam_beta2, epsilon=c.opt_epsilon),
                      lambda v1, lr, c: v1.AdamOptimizer(lr, c.adam_beta1, c.adam_beta2, c.opt_epsilon)),
    "rmsprop": Optimizer(lambda o, lr, c: o.RMSprop(lr, rho=c.rmsprop_decay, momentum=c.rmsprop_momentum,
                                                    epsilon=c.opt_epsilon),
                         lambda v1, lr, c: v1.RMSPropOptimizer(lr, decay=c.rmsprop_decay, momentum=c.rmsprop_momentum,
                                                               epsilon=c.opt_epsilon)),
    "adagrad": Optimizer(
        lambda o, lr, c: o.Adagrad(lr, initial_accumulator_value=c.adagrad_initial_accumulator_value),
        lambda v1, lr, c: v1.AdagradOptimizer(lr, initial_accumulator_value=c.adagrad_initial_accumulator_value)),
    "adadelta": Optimizer(lambda o, lr, c: o.Adadelta(lr, rho=c.adadelta_rho, epsilon=c.opt_epsilon),
                          lambda v1, lr, c: v1.AdadeltaOptimizer(lr, rho=c.adadelta_rho, epsilon=c.opt_epsilon)),
    "ftrl": Optimizer(
        lambda o, lr, c: o.Ftrl(lr, learning_rate_power=c.ftrl_learning_rate_power,
                                initial_accumulator_value=c.ftrl_initial_accumulator_value,
                                l1_regularization_strength=c.ftrl_l1, l2_regularization_strength=c.ftrl_l2),
        lambda v1, lr, c: v1.FtrlOptimizer(lr, learning_rate_power=c.ftrl_learning_rate_power,
                                           initial_accumulator_value=c.ftrl_initial_accumulator_value,
                                           l1_regularization_strength=c.ftrl_l1,
                                           l2_regularization_strength=c.ftrl_l2)),
    "adamax": Optimizer(lambda o, lr, c: o.Adamax(lr, epsilon=c.opt_epsilon), None),
    "nadam": Optimizer(lambda o, lr, c: o.Nadam(lr, epsilon=c.opt_epsilon), None),
}
SCHEDULES = ("fixed", "exponential", "polynomial", "cosine")


def check_optimizer(name: str, tf1: bool = False) -> None:
    """A known name, and (`tf1`: for impl="slim") one tf.compat.v1.train has."""
    if name not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {name!r}; choose one of {list(OPTIMIZERS)}.")
    if tf1 and OPTIMIZERS[name].tf1 is None:
        names = [n for n, row in OPTIMIZERS.items() if row.tf1 is not None]
        raise ValueError(f"optimizer {name!r} has no tf.compat.v1.train counterpart for impl='slim'; "
                         f"choose {', '.join(names[:-1])} or {names[-1]}.")


def check_schedule(name: str) -> None:
    if name not in SCHEDULES:
        raise ValueError(f"Unknown learning-rate schedule {name!r}; choose one of {list(SCHEDULES)}.")


class WarmupThen(KerasBase):
    """Linear warm-up from 0 over `warmup_steps`, then `schedule` (shifted to start after warm-up). Keras'
    CosineDecay has a warm-up of its own, but fixed, exponential and polynomial have none: one wrapper serves all
    four. Each Keras' optimizers take only their own schedules: `_warmup_then(keras)` is this on `keras`' base."""

    def __init__(self, schedule, peak, warmup_steps):
        self.schedule, self.peak, self.warmup_steps = schedule, peak, warmup_steps

    def __call__(self, step):
        import tensorflow as tf

        step = tf.cast(step, tf.float32)
        warm = self.peak * step / max(self.warmup_steps, 1)
        after = self.schedule(tf.maximum(step - self.warmup_steps, 0.0))
        return tf.where(step < self.warmup_steps, warm, after)

    def get_config(self):
        return {"peak": self.peak, "warmup_steps": self.warmup_steps}


@functools.lru_cache(maxsize=None)
def _warmup_then(keras: ModuleType) -> type:
    """`WarmupThen` as a schedule class of `keras` (not registered for saving, as before: its config leaves out
    the wrapped schedule)."""
    return keras_class(WarmupThen, keras.optimizers.schedules.LearningRateSchedule, serializable=False)


def _keras(keras: ModuleType | None) -> ModuleType:
    """`keras`, or tf_keras by default (its schedules also run in a TF1 graph)."""
    if keras is None:
        import tf_keras

        return tf_keras
    return keras


class _Fixed:
    def __init__(self, lr):
        self.lr = lr

    def __call__(self, step):
        return self.lr


def learning_rate(c: ml_collections.ConfigDict, total_steps: int, keras: ModuleType | None = None) -> Any:
    """c: learning_rate, lr_schedule, lr_decay_factor, lr_decay_steps, end_learning_rate, warmup_steps.
    A float or a schedule of `keras` (default tf_keras, whose schedules also run in a TF1 graph)."""
    check_schedule(c.lr_schedule)
    keras = _keras(keras)
    lr, warmup = c.learning_rate, c.warmup_steps
    decay_steps = max(total_steps - warmup, 1)
    schedules = keras.optimizers.schedules
    if c.lr_schedule == "fixed":
        schedule = _Fixed(lr)
    elif c.lr_schedule == "exponential":
        schedule = schedules.ExponentialDecay(lr, c.lr_decay_steps or max(decay_steps // 4, 1), c.lr_decay_factor,
                                              staircase=True)
    elif c.lr_schedule == "polynomial":
        schedule = schedules.PolynomialDecay(lr, decay_steps, c.end_learning_rate, power=1.0)
    else:
        schedule = schedules.CosineDecay(lr, decay_steps, alpha=c.end_learning_rate / lr)
    if warmup:
        return _warmup_then(keras)(schedule, lr, warmup)
    if c.lr_schedule == "fixed":
        return lr
    return schedule


def create_optimizer(c: ml_collections.ConfigDict, total_steps: int, keras: ModuleType | None = None) -> Any:
    """The config's optimizer of `keras` (that of the model; default tf_keras), on the config's schedule."""
    check_optimizer(c.optimizer)
    keras = _keras(keras)
    return OPTIMIZERS[c.optimizer].keras(keras.optimizers, learning_rate(c, total_steps, keras), c)


def create_tf1_optimizer(c: ml_collections.ConfigDict, total_steps: int, global_step: Any) -> Any:
    """The config's tf.compat.v1.train optimizer, its rate the schedule at `global_step` (a graph tensor)."""
    import tensorflow as tf

    check_optimizer(c.optimizer, tf1=True)
    build = OPTIMIZERS[c.optimizer].tf1
    assert build is not None  # check_optimizer refused the name otherwise
    lr = learning_rate(c, total_steps)
    return build(tf.compat.v1.train, lr(global_step) if callable(lr) else lr, c)


def steps_for(c: ml_collections.ConfigDict, num_train: int) -> int:
    """Total steps from `train_steps`, or from `num_epochs` and the dataset size."""
    if c.train_steps:
        return c.train_steps
    return int(math.ceil(c.num_epochs * num_train / c.batch_size))
