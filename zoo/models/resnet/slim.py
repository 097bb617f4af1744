"""ResNet v1 / v2: the originals from `tf_slim.nets`, with logits squeezed to [batch, classes] (tf-slim's
versions return [batch, 1, 1, classes]) and num_classes 0 meaning "no logits layer" as in the other nets."""
import functools

import tensorflow as tf
from tf_slim.nets import resnet_utils, resnet_v1, resnet_v2

from zoo.models.resnet.arch import DEPTHS, VERSIONS


def _wrap(net_fn):
    @functools.wraps(net_fn)
    def net(images, num_classes=1000, is_training=False, global_pool=True, output_stride=None, scope=None):
        kwargs = {"scope": scope} if scope else {}
        logits, end_points = net_fn(images, num_classes=num_classes or None, is_training=is_training,
                                    global_pool=global_pool, output_stride=output_stride, **kwargs)
        if num_classes and global_pool:
            logits = tf.squeeze(logits, [1, 2], name="SpatialSqueeze")
        return logits, end_points

    net.default_image_size = 224
    return net


NETS = {f"resnet_{v}_{d}": _wrap(getattr(module, f"resnet_{v}_{d}"))
        for v, module in zip(VERSIONS, (resnet_v1, resnet_v2)) for d in DEPTHS}

resnet_arg_scope = resnet_utils.resnet_arg_scope
