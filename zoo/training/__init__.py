"""Training and evaluation: configs, optimizers, strategies and the one loop."""
