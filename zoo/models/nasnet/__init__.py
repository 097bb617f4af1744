"""NASNet-A (CIFAR 32x32, Mobile 224x224, Large 331x331) and PNASNet-5 (Mobile, Large) in TF-Slim (slim.py, cells in
slim_utils.py), written after research/slim/nets/nasnet. Not registered yet: the native Keras version and the registry
entries come later."""
