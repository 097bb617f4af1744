"""TF-Slim-format TFRecords (`image/encoded`, `image/format`, `image/class/label`, `image/height`,
`image/width`): written from a folder of class subfolders, read back as a `tf.data` pipeline."""
import json
import os

import tensorflow as tf

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")


def _feature(value):
    if isinstance(value, bytes):
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))


def write_tfrecords(image_dir, output_dir, split="train", num_shards=2):
    """image_dir/CLASS/*.jpg|png -> output_dir/{split}-0000i-of-0000n.tfrecord, labels.txt, info.json.
    Classes are the sorted subfolder names (label = index); returns the number of images written."""
    classes = sorted(d for d in os.listdir(image_dir) if os.path.isdir(os.path.join(image_dir, d)))
    if not classes:
        raise ValueError(f"{image_dir!r} has no class subfolders (expected IMAGE_DIR/CLASS_NAME/*.jpg)")
    files = [(os.path.join(image_dir, c, f), label) for label, c in enumerate(classes)
             for f in sorted(os.listdir(os.path.join(image_dir, c))) if f.lower().endswith(IMAGE_EXTENSIONS)]
    if not files:
        raise ValueError(f"No {IMAGE_EXTENSIONS} images under {image_dir!r}")
    os.makedirs(output_dir, exist_ok=True)
    labels_path = os.path.join(output_dir, "labels.txt")
    if os.path.exists(labels_path):
        with open(labels_path) as f:
            existing = f.read().split("\n")[:len(classes)]
        if existing != classes:
            raise ValueError(f"{labels_path} lists classes {existing}, {image_dir!r} has {classes}; write each "
                             "split from folders with the same class names, or use another output_dir")
    writers = [tf.io.TFRecordWriter(os.path.join(output_dir, f"{split}-{i:05d}-of-{num_shards:05d}.tfrecord"))
               for i in range(num_shards)]
    for index, (path, label) in enumerate(files):
        data = tf.io.read_file(path)
        try:
            image = tf.io.decode_image(data, channels=3, expand_animations=False)
        except tf.errors.InvalidArgumentError:
            raise ValueError(f"{path!r} is not a readable JPEG/PNG image") from None
        fmt = b"png" if path.lower().endswith(".png") else b"jpeg"
        example = tf.train.Example(features=tf.train.Features(feature={
            "image/encoded": _feature(data.numpy()), "image/format": _feature(fmt),
            "image/class/label": _feature(label), "image/height": _feature(int(image.shape[0])),
            "image/width": _feature(int(image.shape[1]))}))
        writers[index % num_shards].write(example.SerializeToString())
    for w in writers:
        w.close()
    with open(labels_path, "w") as f:
        f.write("\n".join(classes) + "\n")
    info_path = os.path.join(output_dir, "info.json")
    info = json.load(open(info_path)) if os.path.exists(info_path) else {}
    info[split] = len(files)
    with open(info_path, "w") as f:
        json.dump(info, f)
    return len(files)


def read_info(dataset_dir):
    """(class names, {split: count}) of a folder written by `write_tfrecords`."""
    labels_path, info_path = os.path.join(dataset_dir, "labels.txt"), os.path.join(dataset_dir, "info.json")
    if not os.path.exists(labels_path) or not os.path.exists(info_path):
        raise ValueError(f"{dataset_dir!r} is not a zoo TFRecord dataset (no labels.txt / info.json); write one "
                         "with `python -m zoo make-tfrecords IMAGE_DIR OUTPUT_DIR --split train`")
    with open(labels_path) as f:
        classes = [line for line in f.read().split("\n") if line]
    return classes, json.load(open(info_path))


def tfrecord_images(dataset_dir, split):
    """Dataset of (decoded uint8 image [H, W, 3], label)."""
    files = sorted(tf.io.gfile.glob(os.path.join(dataset_dir, f"{split}-*.tfrecord")))
    if not files:
        raise ValueError(f"No {split}-*.tfrecord files in {dataset_dir!r}")
    spec = {"image/encoded": tf.io.FixedLenFeature([], tf.string),
            "image/class/label": tf.io.FixedLenFeature([], tf.int64)}

    def parse(record):
        parsed = tf.io.parse_single_example(record, spec)
        image = tf.io.decode_image(parsed["image/encoded"], channels=3, expand_animations=False)
        return image, tf.cast(parsed["image/class/label"], tf.int32)

    return tf.data.TFRecordDataset(files, num_parallel_reads=tf.data.AUTOTUNE).map(
        parse, num_parallel_calls=tf.data.AUTOTUNE)
