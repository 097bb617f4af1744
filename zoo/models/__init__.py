"""One package per architecture family: slim.py (the TF1 original), native.py (Keras), and the registry
entry with its slim-name mapping in __init__.py. The shim is generic (zoo.shim)."""
from zoo.models import alexnet, cifarnet, inception, lenet, mobilenet, nasnet, resnet, vgg  # noqa: F401  (registration)
