"""TFDS datasets that are already prepared on this machine (`dataset="tfds:NAME"`, `dataset_dir` = TFDS
data_dir). The zoo never downloads or builds one: an unprepared dataset is an error saying how to prepare it."""
import dataclasses
import functools


@dataclasses.dataclass(frozen=True)
class TfdsSource:
    builder: object
    train_split: str
    eval_split: str


def _tfds():
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        raise ValueError("dataset 'tfds:...' needs tensorflow-datasets: pip install -c constraints.txt "
                         "'zoo[tfds]' (or tensorflow-datasets)") from None
    return tfds


@functools.lru_cache(maxsize=None)
def tfds_source(name, data_dir=""):
    tfds = _tfds()
    try:
        builder = tfds.builder(name, data_dir=data_dir or None)
    except Exception as e:  # tfds raises several types for unknown or unreadable datasets
        raise ValueError(f"TFDS dataset {name!r} is not available in {data_dir or 'the default data_dir'} "
                         f"({type(e).__name__}: {str(e).splitlines()[0]}).") from None
    if not builder.is_prepared():
        raise ValueError(f"TFDS dataset {name!r} is not prepared in {builder.data_dir}; the zoo never downloads. "
                         f"Prepare it first (`tfds build {name} --data_dir DIR`), then pass dataset_dir=DIR.")
    features = builder.info.features
    for key in ("image", "label"):
        if key not in features:
            raise ValueError(f"TFDS dataset {name!r} has features {sorted(features.keys())}; the zoo needs "
                             "'image' and 'label' (an image classification dataset).")
    splits = builder.info.splits
    if "train" not in splits:
        raise ValueError(f"TFDS dataset {name!r} has splits {sorted(splits.keys())}; it needs 'train'.")
    eval_split = next((s for s in ("test", "validation") if s in splits), "train")
    return TfdsSource(builder, "train", eval_split)


def tfds_info(name, data_dir=""):
    source = tfds_source(name, data_dir)
    splits = source.builder.info.splits
    return (source.builder.info.features["label"].num_classes, splits["train"].num_examples,
            splits[source.eval_split].num_examples)


def tfds_images(name, data_dir, split):
    """(uint8 image, int32 label) pairs of the train split, or of test/validation for any other split."""
    import tensorflow as tf

    source = tfds_source(name, data_dir)
    ds = source.builder.as_dataset(split=source.train_split if split == "train" else source.eval_split,
                                   shuffle_files=split == "train")
    return ds.map(lambda e: (e["image"], tf.cast(e["label"], tf.int32)), num_parallel_calls=tf.data.AUTOTUNE)
