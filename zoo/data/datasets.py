"""Dataset registry: `digits` (scikit-learn's 8x8 handwritten digits: real data that ships offline),
`synthetic`, `tfrecord` (slim-format TFRecords in dataset_dir, see zoo.data.tfrecords) and `tfds:NAME` (a TFDS
dataset already prepared in dataset_dir, see zoo.data.tfds)."""
import dataclasses

import numpy as np
import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    name: str
    num_classes: int
    num_train: int
    num_eval: int


DATASETS = ("digits", "synthetic", "tfrecord", "tfds:NAME")


def dataset_info(name, dataset_dir=""):
    if name.startswith("tfds:"):
        from zoo.data.tfds import tfds_info

        num_classes, num_train, num_eval = tfds_info(name[len("tfds:"):], dataset_dir)
        return DatasetInfo(name, num_classes=num_classes, num_train=num_train, num_eval=num_eval)
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; choose one of {list(DATASETS)}.")
    if name == "digits":
        return DatasetInfo("digits", num_classes=10, num_train=1437, num_eval=360)
    if name == "synthetic":
        return DatasetInfo("synthetic", num_classes=10, num_train=256, num_eval=64)
    if not dataset_dir:
        raise ValueError("dataset 'tfrecord' needs dataset_dir (--config.dataset_dir=DIR), a folder written by "
                         "`python -m zoo make-tfrecords`.")
    from zoo.data.tfrecords import read_info

    classes, counts = read_info(dataset_dir)
    return DatasetInfo("tfrecord", num_classes=len(classes), num_train=counts.get("train", 0),
                       num_eval=counts.get("test", counts.get("validation", 0)))


def digits_arrays(split):
    """scikit-learn's digits split as used everywhere here: ([N, 8, 8, 1] float32 in [0, 255], int32 labels)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = digits.images.astype(np.float32) * (255.0 / 16.0)  # 0..16 -> 0..255, as a grey image
    x_train, x_test, y_train, y_test = train_test_split(
        images, digits.target.astype(np.int32), test_size=0.2, random_state=0, stratify=digits.target)
    return (x_train[..., None], y_train) if split == "train" else (x_test[..., None], y_test)


def _synthetic_arrays(split, num_classes, image_size, channels):
    rng = np.random.RandomState(0 if split == "train" else 1)
    n = 256 if split == "train" else 64
    return (rng.uniform(0, 255, (n, image_size, image_size, channels)).astype(np.float32),
            rng.randint(0, num_classes, n).astype(np.int32))


def _match_channels(image, channels):
    if image.shape[-1] == channels:
        return image
    return tf.image.grayscale_to_rgb(image) if channels == 3 else tf.image.rgb_to_grayscale(image)


def build_dataset(name, split, batch_size, image_size, channels, training, seed=0, dataset_dir="",
                  preprocessing="lenet", drop_remainder=None):
    """Batched (images, labels), preprocessed by the model's preprocessing. Training: shuffled, repeated."""
    from zoo.preprocessing import preprocess

    info = dataset_info(name, dataset_dir)
    if name == "tfrecord":
        from zoo.data.tfrecords import tfrecord_images

        ds = tfrecord_images(dataset_dir, "train" if split == "train" else "test")
    elif name.startswith("tfds:"):
        from zoo.data.tfds import tfds_images

        ds = tfds_images(name[len("tfds:"):], dataset_dir, split)
    else:
        images, labels = (digits_arrays(split) if name == "digits" else
                          _synthetic_arrays(split, info.num_classes, image_size, channels))
        ds = tf.data.Dataset.from_tensor_slices((images, labels))
    size = info.num_train if split == "train" else info.num_eval
    if training:
        ds = ds.shuffle(max(size, 1), seed=seed, reshuffle_each_iteration=True).repeat()
    # Digits and synthetic data are float [0, 255]: lenet/cifarnet preprocessing takes them as they are,
    # the inception/vgg ones expect uint8 images.
    simple = preprocessing in ("lenet", "cifarnet")

    def prepare(image, label):
        image = _match_channels(image, channels)
        if name in ("digits", "synthetic") and not simple:
            image = tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)
        return preprocess(preprocessing, image, image_size, training=training and not simple), label

    ds = ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(batch_size, drop_remainder=training if drop_remainder is None else drop_remainder)
    return ds.prefetch(tf.data.AUTOTUNE)
