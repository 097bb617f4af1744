"""Datasets as `tf.data` pipelines of (image, label), images already preprocessed for the model."""
from zoo.data.datasets import DATASETS, build_dataset, dataset_info

__all__ = ["DATASETS", "build_dataset", "dataset_info"]
