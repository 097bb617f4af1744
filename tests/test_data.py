"""Slim-format TFRecords built from real JPEG photographs, read back, and trained on."""
import os
import subprocess
import sys

import numpy as np
import pytest
import skimage.data
import tensorflow as tf

from conftest import ROOT
from zoo.data import build_dataset, dataset_info
from zoo.data.tfrecords import tfrecord_images, write_tfrecords
from zoo.training.config import default_config
from zoo.training.loop import train

PHOTOS = {"cat": "chelsea", "coffee": "coffee", "rocket": "rocket"}


@pytest.fixture(scope="module")
def jpeg_folders(tmp_path_factory):
    """Two splits of class folders of real JPEGs (each photo, flipped and cropped variants)."""
    root = tmp_path_factory.mktemp("photos")
    for split, variants in (("train", 4), ("test", 2)):
        for cls, name in PHOTOS.items():
            os.makedirs(root / split / cls)
            photo = getattr(skimage.data, name)()
            for v in range(variants):
                img = photo[v * 8:, ::-1] if v % 2 else photo[:photo.shape[0] - v * 8]
                (root / split / cls / f"{v}.jpg").write_bytes(tf.io.encode_jpeg(np.ascontiguousarray(img)).numpy())
    return root


def test_write_and_read_back(jpeg_folders, tmp_path):
    out = tmp_path / "records"
    assert write_tfrecords(jpeg_folders / "train", out, "train", num_shards=2) == 12
    assert write_tfrecords(jpeg_folders / "test", out, "test", num_shards=1) == 6
    assert (out / "labels.txt").read_text().split() == ["cat", "coffee", "rocket"]
    info = dataset_info("tfrecord", str(out))
    assert (info.num_classes, info.num_train, info.num_eval) == (3, 12, 6)
    decoded = list(tfrecord_images(str(out), "test"))
    assert sorted(int(label) for _, label in decoded) == [0, 0, 1, 1, 2, 2]
    chelsea = tf.io.decode_jpeg((jpeg_folders / "test" / "cat" / "0.jpg").read_bytes()).numpy()
    assert any(img.shape == chelsea.shape and np.array_equal(img.numpy(), chelsea) for img, _ in decoded)
    images, labels = next(iter(build_dataset("tfrecord", "train", 4, 64, 3, training=True, dataset_dir=str(out),
                                             preprocessing="inception")))
    assert images.shape == (4, 64, 64, 3) and -1 <= images.numpy().min() and images.numpy().max() <= 1


def test_train_from_tfrecords_via_the_cli_tool(jpeg_folders, tmp_path):
    out = tmp_path / "records"
    for split in ("train", "test"):
        proc = subprocess.run([sys.executable, "-m", "zoo", "make-tfrecords", str(jpeg_folders / split), str(out),
                               "--split", split], capture_output=True, text=True, cwd=ROOT)
        assert proc.returncode == 0, proc.stderr
    c = default_config()
    c.update(dict(model="mobilenet_v1_025", dataset="tfrecord", dataset_dir=str(out), train_image_size=64,
                  batch_size=6, train_steps=6, log_every=3, checkpoint_every=100, learning_rate=0.01))
    _, results = train(c, str(tmp_path / "run"), log=lambda *_: None)
    assert results["steps"] == 6 and np.isfinite(results["history"][-1]["loss"])
    assert 0 <= results["eval"]["top1"] <= 1


def test_tfrecord_needs_dataset_dir_and_class_folders(tmp_path):
    with pytest.raises(ValueError, match="needs dataset_dir"):
        dataset_info("tfrecord")
    with pytest.raises(ValueError, match="is not a zoo TFRecord dataset"):
        dataset_info("tfrecord", str(tmp_path))
    with pytest.raises(ValueError, match="has no class subfolders"):
        write_tfrecords(str(tmp_path), str(tmp_path / "out"))


@pytest.fixture(scope="module")
def tfds_digits(tmp_path_factory):
    """scikit-learn's digits stored as a prepared TFDS dataset in a local data_dir (nothing downloaded)."""
    tfds = pytest.importorskip("tensorflow_datasets")
    from zoo.data.datasets import digits_arrays

    data_dir = tmp_path_factory.mktemp("tfds")
    splits = {}
    for split in ("train", "test"):
        images, labels = digits_arrays(split)
        splits[split] = tf.data.Dataset.from_tensor_slices({"image": np.round(images).astype(np.uint8),
                                                            "label": labels.astype(np.int64)})
    features = tfds.features.FeaturesDict({"image": tfds.features.Image(shape=(8, 8, 1)),
                                           "label": tfds.features.ClassLabel(num_classes=10)})
    tfds.dataset_builders.store_as_tfds_dataset(name="zoo_digits", version="1.0.0", features=features,
                                                split_datasets=splits, data_dir=str(data_dir))
    return str(data_dir)


def test_train_on_a_locally_prepared_tfds_dataset(tfds_digits, tmp_path):
    info = dataset_info("tfds:zoo_digits", tfds_digits)
    assert (info.num_classes, info.num_train, info.num_eval) == (10, 1437, 360)
    c = default_config()
    c.update(dict(model="lenet", dataset="tfds:zoo_digits", dataset_dir=tfds_digits, batch_size=32,
                  train_steps=60, log_every=20, checkpoint_every=100, learning_rate=0.01))
    _, results = train(c, str(tmp_path / "run"), log=lambda *_: None)
    losses = [h["loss"] for h in results["history"]]
    assert losses[-1] < losses[0] * 0.7 and results["eval"]["top1"] > 0.5


def test_tfds_never_downloads(tmp_path):
    pytest.importorskip("tensorflow_datasets")
    with pytest.raises(ValueError, match="not prepared.*never downloads"):
        dataset_info("tfds:mnist", str(tmp_path))
    with pytest.raises(ValueError, match="not available"):
        dataset_info("tfds:no_such_dataset_here", str(tmp_path))
