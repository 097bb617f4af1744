"""Optimizers and learning-rate schedules by name, with TF1 (slim) argument names mapped as in the
migration guide's table (e.g. momentum's `use_nesterov` -> SGD `nesterov`, rmsprop `decay` -> `rho`)."""
import math

import tensorflow as tf
import tf_keras

OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop", "adagrad", "adadelta", "ftrl", "adamax", "nadam")
SCHEDULES = ("fixed", "exponential", "polynomial", "cosine")


def check_optimizer(name):
    if name not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {name!r}; choose one of {list(OPTIMIZERS)}.")


def check_schedule(name):
    if name not in SCHEDULES:
        raise ValueError(f"Unknown learning-rate schedule {name!r}; choose one of {list(SCHEDULES)}.")


class WarmupThen(tf_keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from 0 over `warmup_steps`, then `schedule` (shifted to start after warm-up)."""

    def __init__(self, schedule, peak, warmup_steps):
        self.schedule, self.peak, self.warmup_steps = schedule, peak, warmup_steps

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warm = self.peak * step / max(self.warmup_steps, 1)
        after = self.schedule(tf.maximum(step - self.warmup_steps, 0.0))
        return tf.where(step < self.warmup_steps, warm, after)

    def get_config(self):
        return {"peak": self.peak, "warmup_steps": self.warmup_steps}


def learning_rate(cfg, total_steps):
    """cfg: learning_rate, lr_schedule, lr_decay_factor, lr_decay_steps, end_learning_rate, warmup_steps."""
    check_schedule(cfg.lr_schedule)
    lr, warmup = cfg.learning_rate, cfg.get("warmup_steps", 0)
    decay_steps = max(total_steps - warmup, 1)
    schedules = tf_keras.optimizers.schedules
    if cfg.lr_schedule == "fixed":
        schedule = lambda step: tf.constant(lr, tf.float32)  # noqa: E731
    elif cfg.lr_schedule == "exponential":
        schedule = schedules.ExponentialDecay(lr, cfg.get("lr_decay_steps", 0) or max(decay_steps // 4, 1),
                                              cfg.get("lr_decay_factor", 0.94), staircase=True)
    elif cfg.lr_schedule == "polynomial":
        schedule = schedules.PolynomialDecay(lr, decay_steps, cfg.get("end_learning_rate", 1e-4), power=1.0)
    else:
        schedule = schedules.CosineDecay(lr, decay_steps, alpha=cfg.get("end_learning_rate", 0.0) / lr)
    if warmup:
        return WarmupThen(schedule, lr, warmup)
    if cfg.lr_schedule == "fixed":
        return lr
    return schedule


def create_optimizer(cfg, total_steps):
    """cfg: optimizer, momentum, adam_beta1/2, opt_epsilon, rmsprop_decay, ... as in slim's train flags."""
    check_optimizer(cfg.optimizer)
    lr = learning_rate(cfg, total_steps)
    o = tf_keras.optimizers
    eps = cfg.get("opt_epsilon", 1.0)
    name = cfg.optimizer
    if name == "sgd":
        return o.SGD(lr)
    if name == "momentum":
        return o.SGD(lr, momentum=cfg.get("momentum", 0.9), nesterov=cfg.get("use_nesterov", False))
    if name == "adam":
        return o.Adam(lr, beta_1=cfg.get("adam_beta1", 0.9), beta_2=cfg.get("adam_beta2", 0.999), epsilon=eps)
    if name == "rmsprop":
        return o.RMSprop(lr, rho=cfg.get("rmsprop_decay", 0.9), momentum=cfg.get("rmsprop_momentum", 0.9),
                         epsilon=eps)
    if name == "adagrad":
        return o.Adagrad(lr, initial_accumulator_value=cfg.get("adagrad_initial_accumulator_value", 0.1))
    if name == "adadelta":
        return o.Adadelta(lr, rho=cfg.get("adadelta_rho", 0.95), epsilon=eps)
    if name == "ftrl":
        return o.Ftrl(lr, learning_rate_power=cfg.get("ftrl_learning_rate_power", -0.5),
                      initial_accumulator_value=cfg.get("ftrl_initial_accumulator_value", 0.1),
                      l1_regularization_strength=cfg.get("ftrl_l1", 0.0),
                      l2_regularization_strength=cfg.get("ftrl_l2", 0.0))
    if name == "adamax":
        return o.Adamax(lr, epsilon=eps)
    return o.Nadam(lr, epsilon=eps)


def steps_for(cfg, num_train):
    """Total steps from `train_steps`, or from `num_epochs` and the dataset size."""
    if cfg.get("train_steps", 0):
        return cfg.train_steps
    return int(math.ceil(cfg.num_epochs * num_train / cfg.batch_size))
