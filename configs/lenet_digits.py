"""Native LeNet on scikit-learn's digits (8x8 scans resized to 28x28): the embedded default of train.py."""
from zoo.training.config import default_config


def get_config():
    c = default_config()
    c.model = "lenet"
    c.impl = "native"
    c.dataset = "digits"
    c.batch_size = 64
    c.num_epochs = 30.0
    c.optimizer = "momentum"
    c.learning_rate = 0.01
    c.lr_schedule = "cosine"
    return c
