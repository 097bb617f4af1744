"""Dataset registry. `digits` is scikit-learn's 8x8 handwritten digits: real data that ships offline."""
import dataclasses

import numpy as np
import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    name: str
    num_classes: int
    channels: int
    num_train: int
    num_eval: int


def _digits_arrays(split, seed=0):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = digits.images.astype(np.float32) * (255.0 / 16.0)  # 0..16 -> 0..255, as a grey image
    x_train, x_test, y_train, y_test = train_test_split(
        images, digits.target.astype(np.int32), test_size=0.2, random_state=seed, stratify=digits.target)
    return (x_train, y_train) if split == "train" else (x_test, y_test)


def _synthetic_arrays(split, num_classes, image_size, channels):
    rng = np.random.RandomState(0 if split == "train" else 1)
    n = 256 if split == "train" else 64
    return (rng.uniform(0, 255, (n, image_size, image_size, channels)).astype(np.float32),
            rng.randint(0, num_classes, n).astype(np.int32))


DATASETS = {
    "digits": DatasetInfo("digits", num_classes=10, channels=1, num_train=1437, num_eval=360),
    "synthetic": DatasetInfo("synthetic", num_classes=10, channels=3, num_train=256, num_eval=64),
}


def dataset_info(name):
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; choose one of {sorted(DATASETS)}.")
    return DATASETS[name]


def _preprocess(image, image_size, channels):
    """slim's lenet/cifarnet preprocessing at eval: resize, then (x - 128) / 128 into [-1, 1]."""
    if len(image.shape) == 2:
        image = image[..., None]
    image = tf.image.resize(image, [image_size, image_size], method="bilinear")
    if image.shape[-1] != channels:
        image = tf.image.grayscale_to_rgb(image) if channels == 3 else tf.image.rgb_to_grayscale(image)
    return (image - 128.0) / 128.0


def build_dataset(name, split, batch_size, image_size, channels, training, seed=0, drop_remainder=None):
    """Batched (images, labels). Training: shuffled, repeated. Eval: one pass, in order."""
    info = dataset_info(name)
    if name == "digits":
        images, labels = _digits_arrays(split, seed=0)
    else:
        images, labels = _synthetic_arrays(split, info.num_classes, image_size, info.channels)
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    if training:
        ds = ds.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True).repeat()
    ds = ds.map(lambda x, y: (_preprocess(x, image_size, channels), y), num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(batch_size, drop_remainder=training if drop_remainder is None else drop_remainder)
    return ds.prefetch(tf.data.AUTOTUNE)
