"""The legacy story's second half: fine-tune LeNet from a TF1 checkpoint (e.g. impl=slim's model.ckpt-N) with
a new head. Pass --config.init_checkpoint=PREFIX and --config.impl=native|shim; dropout off and a fixed seed so
that shim and native runs can be compared step for step."""
from zoo.training.config import default_config


def get_config():
    c = default_config()
    c.model = "lenet"
    c.dataset = "digits"
    c.batch_size = 64
    c.num_epochs = 10.0
    c.learning_rate = 0.01
    c.lr_schedule = "cosine"
    c.checkpoint_exclude_scopes = "LeNet/fc4"   # the classifier starts fresh
    c.dropout_keep_prob = 1.0
    c.seed = 7
    return c
