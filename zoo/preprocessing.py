"""Image preprocessing as TF-Slim's preprocessing_factory defines it, as TF ops usable in `tf.data`,
and `decode_predictions` against a labels file."""
import math

import numpy as np
import tensorflow as tf


def _to_float(image):
    """uint8 [0, 255] or float [0, 1] -> float32 [0, 1] (tf.image.convert_image_dtype semantics)."""
    return tf.image.convert_image_dtype(image, tf.float32)


def _resize_bilinear_tf1(image, size):
    # TF1's resize_bilinear (align_corners=False, half_pixel_centers=False), as the slim releases were
    # evaluated with; tf.image.resize samples at half-pixel centres and differs by up to a few 1e-2.
    return tf.raw_ops.ResizeBilinear(images=image[None], size=size, align_corners=False,
                                     half_pixel_centers=False)[0]


def inception_eval(image, image_size, central_fraction=0.875):
    """Central crop, bilinear resize, scale to [-1, 1] (inception_preprocessing.preprocess_for_eval)."""
    image = _to_float(image)
    if central_fraction:
        image = tf.image.central_crop(image, central_fraction)
    image = _resize_bilinear_tf1(image, [image_size, image_size])
    image.set_shape([image_size, image_size, 3])
    return (image - 0.5) * 2.0


def _distort_color(image, ordering):
    """inception_preprocessing.distort_color, fast mode: two orderings of brightness/saturation (+ hue,
    contrast in the full mode), clipped to [0, 1]."""
    if ordering == 0:
        image = tf.image.random_brightness(image, max_delta=32.0 / 255.0)
        image = tf.image.random_saturation(image, lower=0.5, upper=1.5)
        image = tf.image.random_hue(image, max_delta=0.2)
        image = tf.image.random_contrast(image, lower=0.5, upper=1.5)
    else:
        image = tf.image.random_saturation(image, lower=0.5, upper=1.5)
        image = tf.image.random_brightness(image, max_delta=32.0 / 255.0)
        image = tf.image.random_contrast(image, lower=0.5, upper=1.5)
        image = tf.image.random_hue(image, max_delta=0.2)
    return tf.clip_by_value(image, 0.0, 1.0)


def inception_train(image, image_size, min_object_covered=0.1, aspect_ratio_range=(0.75, 1.33),
                    area_range=(0.05, 1.0)):
    """Random crop from a distorted bounding box, resize, random flip, colour distortion, scale to
    [-1, 1] (inception_preprocessing.preprocess_for_train with the whole image as the box)."""
    image = _to_float(image)
    begin, size, _ = tf.image.sample_distorted_bounding_box(
        tf.shape(image), bounding_boxes=tf.constant([[[0.0, 0.0, 1.0, 1.0]]]),
        min_object_covered=min_object_covered, aspect_ratio_range=aspect_ratio_range, area_range=area_range,
        max_attempts=100, use_image_if_no_bounding_boxes=True)
    image = tf.slice(image, begin, size)
    image = tf.image.resize(image, [image_size, image_size], method="bilinear")
    image = tf.image.random_flip_left_right(image)
    ordering = tf.random.uniform([], maxval=2, dtype=tf.int32)
    image = tf.cond(ordering == 0, lambda: _distort_color(image, 0), lambda: _distort_color(image, 1))
    image.set_shape([image_size, image_size, 3])
    return (image - 0.5) * 2.0


VGG_MEANS = (123.68, 116.78, 103.94)


def vgg_eval(image, image_size, resize_side=256):
    """vgg_preprocessing.preprocess_for_eval: aspect-preserving resize of the smaller side to 256, central
    crop, subtract the ImageNet channel means (no scaling)."""
    image = tf.cast(image, tf.float32)
    shape = tf.shape(image)
    h, w = tf.cast(shape[0], tf.float32), tf.cast(shape[1], tf.float32)
    scale = resize_side / tf.minimum(h, w)
    new_h, new_w = tf.cast(tf.round(h * scale), tf.int32), tf.cast(tf.round(w * scale), tf.int32)
    image = _resize_bilinear_tf1(image, tf.stack([new_h, new_w]))
    top, left = (new_h - image_size) // 2, (new_w - image_size) // 2
    image = image[top:top + image_size, left:left + image_size]
    image.set_shape([image_size, image_size, 3])
    return image - tf.constant(VGG_MEANS)


def vgg_train(image, image_size, resize_side_min=256, resize_side_max=512):
    """vgg_preprocessing.preprocess_for_train: random smaller side in [256, 512], random crop, flip, means."""
    image = tf.cast(image, tf.float32)
    side = tf.cast(tf.random.uniform([], resize_side_min, resize_side_max + 1, dtype=tf.int32), tf.float32)
    shape = tf.shape(image)
    h, w = tf.cast(shape[0], tf.float32), tf.cast(shape[1], tf.float32)
    scale = side / tf.minimum(h, w)
    image = _resize_bilinear_tf1(image, tf.cast(tf.round(tf.stack([h * scale, w * scale])), tf.int32))
    image = tf.image.random_crop(image, [image_size, image_size, 3])
    image = tf.image.random_flip_left_right(image)
    return image - tf.constant(VGG_MEANS)


def lenet(image, image_size, **_):
    """lenet_preprocessing: resize (pad/crop in slim; resize here for 8x8 digits), (x - 128) / 128."""
    image = tf.cast(image, tf.float32)
    if image.shape.rank == 2:
        image = image[..., None]
    image = tf.image.resize(image, [image_size, image_size], method="bilinear")
    return (image - 128.0) / 128.0


PREPROCESSING = {"inception": (inception_eval, inception_train), "vgg": (vgg_eval, vgg_train), "lenet": (lenet, lenet),
                 "cifarnet": (lenet, lenet)}


def preprocessing_for(spec, pretrained_cfg=None):
    """The preprocessing a model takes: its weights' published one, else its architecture's."""
    return pretrained_cfg["preprocessing"]["name"] if pretrained_cfg else spec.preprocessing


def preprocess(name, image, image_size, training=False):
    if name not in PREPROCESSING:
        raise ValueError(f"Unknown preprocessing {name!r}; choose one of {sorted(PREPROCESSING)}.")
    return PREPROCESSING[name][1 if training else 0](image, image_size)


def load_labels(path):
    """Class names, one per line (trailing blank lines dropped)."""
    try:
        with open(path) as f:
            labels = [line.rstrip("\n") for line in f]
    except (FileNotFoundError, IsADirectoryError):
        raise ValueError(f"No labels file at {path!r}: pass a text file with one class name per line.") from None
    while labels and not labels[-1]:
        labels.pop()
    if not labels:
        raise ValueError(f"Labels file {path!r} is empty: it needs one class name per line.")
    return labels


def decode_predictions(probabilities, labels, top=5):
    """[[(class index, label, probability), ...] per image], best first. `labels`: list or file path."""
    if isinstance(labels, str):
        labels = load_labels(labels)
    probabilities = np.asarray(probabilities)
    if probabilities.shape[-1] != len(labels):
        raise ValueError(f"The model gives {probabilities.shape[-1]} classes, the labels file has "
                         f"{len(labels)}; use the labels file of the weights (1001 with background for the "
                         "slim ImageNet releases, 1000 without).")
    out = []
    for row in probabilities.reshape(-1, probabilities.shape[-1]):
        best = np.argsort(-row)[:top]
        out.append([(int(i), labels[i], float(row[i])) for i in best])
    return out


def central_fraction_size(image_size, central_fraction=0.875):
    """The resize source size that a central crop of `central_fraction` implies (for documentation)."""
    return int(math.ceil(image_size / central_fraction))
