"""Optimizers and learning-rate schedules by name, with TF1 (slim) argument names mapped as in the
migration guide's table (e.g. momentum's `use_nesterov` -> SGD `nesterov`, rmsprop `decay` -> `rho`); for either
Keras (`keras`: the package of the model being trained, Keras 3 or tf_keras — each needs its own optimizers)."""
import functools
import math

OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop", "adagrad", "adadelta", "ftrl", "adamax", "nadam")
SCHEDULES = ("fixed", "exponential", "polynomial", "cosine")


def check_optimizer(name):
    if name not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {name!r}; choose one of {list(OPTIMIZERS)}.")


def check_schedule(name):
    if name not in SCHEDULES:
        raise ValueError(f"Unknown learning-rate schedule {name!r}; choose one of {list(SCHEDULES)}.")


@functools.lru_cache(maxsize=None)
def _warmup_then(keras):
    """The warm-up wrapper as a schedule class of `keras` (each Keras' optimizers take only their own)."""

    class WarmupThen(keras.optimizers.schedules.LearningRateSchedule):
        """Linear warm-up from 0 over `warmup_steps`, then `schedule` (shifted to start after warm-up)."""

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

    return WarmupThen


class _Fixed:
    def __init__(self, lr):
        self.lr = lr

    def __call__(self, step):
        return self.lr


def _keras(keras):
    if keras is None:
        import tf_keras as keras
    return keras


def learning_rate(cfg, total_steps, keras=None):
    """cfg: learning_rate, lr_schedule, lr_decay_factor, lr_decay_steps, end_learning_rate, warmup_steps.
    A float or a schedule of `keras` (default tf_keras, whose schedules also run in a TF1 graph)."""
    check_schedule(cfg.lr_schedule)
    keras = _keras(keras)
    lr, warmup = cfg.learning_rate, cfg.get("warmup_steps", 0)
    decay_steps = max(total_steps - warmup, 1)
    schedules = keras.optimizers.schedules
    if cfg.lr_schedule == "fixed":
        schedule = _Fixed(lr)
    elif cfg.lr_schedule == "exponential":
        schedule = schedules.ExponentialDecay(lr, cfg.get("lr_decay_steps", 0) or max(decay_steps // 4, 1),
                                              cfg.get("lr_decay_factor", 0.94), staircase=True)
    elif cfg.lr_schedule == "polynomial":
        schedule = schedules.PolynomialDecay(lr, decay_steps, cfg.get("end_learning_rate", 1e-4), power=1.0)
    else:
        schedule = schedules.CosineDecay(lr, decay_steps, alpha=cfg.get("end_learning_rate", 0.0) / lr)
    if warmup:
        return _warmup_then(keras)(schedule, lr, warmup)
    if cfg.lr_schedule == "fixed":
        return lr
    return schedule


def create_optimizer(cfg, total_steps, keras=None):
    """cfg: optimizer, momentum, adam_beta1/2, opt_epsilon, rmsprop_decay, ... as in slim's train flags.
    `keras`: the package whose optimizer to make (that of the model; default tf_keras)."""
    check_optimizer(cfg.optimizer)
    keras = _keras(keras)
    lr = learning_rate(cfg, total_steps, keras)
    o = keras.optimizers
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
