"""The default experiment config; files under configs/ start from it and change what they need.

Keys follow slim's train_image_classifier.py flags where one exists.
"""
import ml_collections

from zoo.data import dataset_info
from zoo.nn import check_keras
from zoo.registry import check_impl, get_spec
from zoo.training.optimizers import check_optimizer, check_schedule
from zoo.training.strategy import check_strategy


def default_config():
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
    return c


def scopes(text):
    return tuple(s.strip() for s in text.split(",") if s.strip())


def validate(c):
    """Fail before any work, naming the valid choices."""
    get_spec(c.model)
    check_impl(c.impl)
    check_keras(c.keras)
    dataset_info(c.dataset, c.dataset_dir)
    if c.preprocessing:
        from zoo.preprocessing import PREPROCESSING

        if c.preprocessing not in PREPROCESSING:
            raise ValueError(f"Unknown preprocessing {c.preprocessing!r}; choose one of {sorted(PREPROCESSING)}.")
    check_optimizer(c.optimizer)
    check_schedule(c.lr_schedule)
    check_strategy(c.strategy)
    if c.impl == "slim" and c.optimizer in ("adamax", "nadam"):
        raise ValueError(f"optimizer {c.optimizer!r} has no tf.compat.v1.train counterpart for impl='slim'; "
                         "choose sgd, momentum, adam, rmsprop, adagrad, adadelta or ftrl.")
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
    if c.batch_size <= 0 or (not c.train_steps and c.num_epochs <= 0):
        raise ValueError("batch_size and train_steps (or num_epochs) must be positive.")
    return c
