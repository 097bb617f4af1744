"""What the Keras path, the TF1 path and eval all read the same way from a config: the class count and the
preprocessed dataset. Below both loops, so neither imports the other for it."""
from __future__ import annotations

import ml_collections
import tensorflow as tf

from zoo.data import build_dataset, dataset_info
from zoo.registry import get_spec


def num_classes(c: ml_collections.ConfigDict) -> int:
    """`num_classes`, or the dataset's class count minus `labels_offset` (slim's flag for a label-0 background)."""
    return c.num_classes or dataset_info(c.dataset, c.dataset_dir).num_classes - c.labels_offset


def datasets(c: ml_collections.ConfigDict, split: str, image_size: int, training: bool) -> tf.data.Dataset:
    """The config's dataset, preprocessed for its model, labels shifted down by `labels_offset` as slim's
    train_image_classifier.py does (the one place train and eval build data)."""
    spec = get_spec(c.model)
    batch = c.batch_size if training else c.eval_batch_size
    ds = build_dataset(c.dataset, split, batch, image_size, spec.channels, training=training, seed=c.seed,
                       dataset_dir=c.dataset_dir, preprocessing=c.preprocessing or spec.preprocessing)
    if c.labels_offset:
        offset = c.labels_offset
        ds = ds.map(lambda images, labels: (images, labels - tf.cast(offset, labels.dtype)))
    return ds
