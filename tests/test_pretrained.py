"""Google's published MobileNet v1 0.25 224 weights (../shared/pretrained) in every implementation.

The reference is the release's own frozen graph, run as a TF1 graph on the same preprocessed photographs.
Skipped when ../shared is absent.
"""
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import zoo
from conftest import RELEASE, RELEASE_PB, ROOT, SHARED, release_graph_softmax, release_photos
from zoo import preprocessing
from zoo.checkpoints import CheckpointError, CheckpointReader, match_keys
from zoo.checkpoints.frozen import frozen_graph_to_checkpoint

PB = RELEASE_PB
INDEX_PREFIX = os.path.join(RELEASE, "mobilenet_v1_0.25_224.ckpt")
LABELS = os.path.join(SHARED, "pretrained", "imagenet_labels_1001.txt")

pytestmark = pytest.mark.skipif(not os.path.exists(PB), reason="../shared/pretrained is not present")


@pytest.fixture(scope="module")
def photos():
    return release_photos()


@pytest.fixture(scope="module")
def release_softmax(photos):
    return release_graph_softmax(photos)


def _softmax(logits):
    return tf.nn.softmax(np.asarray(logits)).numpy()


@pytest.mark.parametrize("impl,keras", [("native", "keras"), ("native", "tf_keras"), ("shim", None), ("slim", None)])
def test_release_weights_give_the_release_softmax(impl, keras, photos, release_softmax):
    model = zoo.create_model("mobilenet_v1_025", impl, frozen_graph=PB, keras=keras)
    assert model.load_report.ok and len(model.load_report.mapped) == 137
    np.testing.assert_allclose(_softmax(model(photos)), release_softmax, rtol=0, atol=1e-4)


def test_top1_on_real_photographs(release_softmax):
    labels = preprocessing.load_labels(LABELS)
    top = preprocessing.decode_predictions(release_softmax, labels, top=1)
    assert top[0][0][1] in {"tabby", "tiger cat", "Persian cat", "Siamese cat", "Egyptian cat"}
    assert top[1][0][1] == "espresso"


def test_frozen_graph_to_checkpoint_then_every_impl(photos, release_softmax, tmp_path):
    prefix = frozen_graph_to_checkpoint(PB, tmp_path / "mobilenet_v1_025.ckpt")
    assert CheckpointReader(prefix).kind == "tf1"
    model = zoo.create_model("mobilenet_v1_025", "shim", checkpoint=prefix)
    np.testing.assert_allclose(_softmax(model(photos)), release_softmax, rtol=0, atol=1e-4)
    small = zoo.create_model("mobilenet_v1_025", "native", checkpoint=prefix, image_size=112)
    assert small(photos[:, ::2, ::2]).shape == (4, 1001)  # any resolution, same weights


def test_original_checkpoint_index_is_fully_classified():
    reader = CheckpointReader(INDEX_PREFIX)
    assert len(reader.keys()) == 443
    native = zoo.create_model("mobilenet_v1_025")
    shapes = {k: tuple(v.shape.as_list()) for k, v in zoo.slim_variables(native).items()}
    report, plan = match_keys(reader, shapes, use_ema=True)
    assert report.ok and len(plan) == 137 == len(report.ema)
    counts = report.unexpected_by_category()
    assert "other" not in counts and counts["global_step"] == 1
    assert counts["optimizer slot: RMSProp"] == 2 * len([v for v in native.trainable_weights])
    assert sum(counts.values()) + 137 * 2 == 443  # values and their EMA shadows are used
    with pytest.raises(CheckpointError, match="data shard is missing: only the .index file is there"):
        zoo.create_model("mobilenet_v1_025", checkpoint=INDEX_PREFIX)


def test_predict_cli_prints_top5():
    result = subprocess.run(
        [sys.executable, "-m", "zoo", "predict", "--model", "mobilenet_v1_025", "--impl", "native",
         "--frozen-graph", PB, "--labels", LABELS, "skimage:chelsea", "skimage:coffee"],
        capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "skimage:chelsea" and "Egyptian cat" in lines[1] and len(lines) == 12
    assert lines[6] == "skimage:coffee" and "espresso" in lines[7]


def test_bfloat16_accuracy_cost_with_release_weights(photos, release_softmax):
    """Native (Keras 3) model under mixed_bfloat16 with the real weights: the accuracy cost of bfloat16,
    measured on real photographs against the release (printed for the README)."""
    import keras

    try:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
        model = zoo.create_model("mobilenet_v1_025", "native", frozen_graph=PB)
        assert model.layers[1].compute_dtype == "bfloat16"
        probabilities = _softmax(np.asarray(model(photos), np.float32))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    drift = np.abs(probabilities - release_softmax).max(axis=-1)
    agree = probabilities.argmax(-1) == release_softmax.argmax(-1)
    print(f"bfloat16 vs release float32 softmax: max abs diff per photo {np.round(drift, 4)}, "
          f"top-1 agreement {agree.tolist()}")
    assert agree[:2].all()  # chelsea (cat) and coffee (espresso) keep their class
    assert drift.max() < 0.25
