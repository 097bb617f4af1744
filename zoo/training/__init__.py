"""Training and evaluation: configs, optimizers, strategies, and one driver (driver.py) around two steps — the
Keras path (loop.py, also the train/eval entry points) and the TF1 Session path (tf1_loop.py)."""
