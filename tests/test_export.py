"""Export: SavedModel (serving signature with preprocessing; tf.saved_model.load and hub.KerasLayer agree),
feature-vector SavedModels, float TFLite — and the release's own TFLite on real photographs."""
import os

import numpy as np
import pytest
import skimage.data
import tensorflow as tf
import tensorflow_hub as hub

import zoo
from conftest import RELEASE, release_photos
from zoo import export



@pytest.fixture(scope="module")
def photos_uint8():
    return np.stack([skimage.data.chelsea()[:300, :400], skimage.data.coffee()[:300, :400]])


@pytest.fixture(scope="module")
def mobilenet():
    model = zoo.create_model("mobilenet_v1_025", image_size=96)
    rng = np.random.RandomState(0)  # non-trivial batch-norm statistics
    for v in model.weights:
        if "moving_variance" in v.name or "gamma" in v.name:
            v.assign(rng.uniform(0.5, 1.5, v.shape))
        elif "moving_mean" in v.name or "beta" in v.name:
            v.assign(rng.uniform(-0.5, 0.5, v.shape))
    return model


def test_saved_model_serves_uint8_images_with_preprocessing(mobilenet, photos_uint8, tmp_path):
    expected = tf.nn.softmax(mobilenet(np.stack([mobilenet.preprocess(i) for i in photos_uint8]))).numpy()
    path = export.export_saved_model(mobilenet, str(tmp_path / "sm"), labels_offset=1)
    loaded = tf.saved_model.load(path)
    served = loaded.signatures["serving_default"](images=tf.constant(photos_uint8))
    np.testing.assert_allclose(served["probabilities"].numpy(), expected, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(served["classes"].numpy(), expected.argmax(-1) - 1)
    np.testing.assert_allclose(loaded(tf.constant(photos_uint8)).numpy(), expected, rtol=0, atol=1e-6)
    layer = hub.KerasLayer(path)
    np.testing.assert_allclose(layer(tf.constant(photos_uint8)).numpy(), expected, rtol=0, atol=1e-6)


def test_feature_vector_through_hub_keras_layer_is_trainable(tmp_path):
    backbone = zoo.create_model("lenet", include_top=False, pooling="avg")
    path = export.export_feature_vector(backbone, str(tmp_path / "fv"))
    layer = hub.KerasLayer(path, trainable=True)
    x = np.random.RandomState(0).rand(2, 28, 28, 1).astype(np.float32)
    np.testing.assert_allclose(layer(x).numpy(), backbone(x).numpy(), rtol=0, atol=1e-6)
    assert len(layer.trainable_weights) == len(backbone.trainable_weights)
    with pytest.raises(ValueError, match="pooling='avg'"):
        export.export_feature_vector(zoo.create_model("mobilenet_v1_025", image_size=64, include_top=False),
                                     str(tmp_path / "bad"))


def test_tflite_matches_the_keras_model(mobilenet, tmp_path):
    path = export.export_tflite(mobilenet, str(tmp_path / "m.tflite"))
    x = np.random.RandomState(1).uniform(-1, 1, (3, 96, 96, 3)).astype(np.float32)
    np.testing.assert_allclose(export.run_tflite(path, x), tf.nn.softmax(mobilenet(x)).numpy(), rtol=0, atol=1e-5)


def test_only_native_models_export(tmp_path):
    with pytest.raises(TypeError, match="native"):
        export.export_tflite(zoo.create_model("lenet", "shim"), str(tmp_path / "x.tflite"))


@pytest.mark.skipif(not os.path.exists(RELEASE), reason="../shared/pretrained is not present")
def test_exported_tflite_agrees_with_the_release_tflite_on_photographs(tmp_path):
    model = zoo.create_model("mobilenet_v1_025", pretrained=os.path.join(RELEASE, "mobilenet_v1_0.25_224_frozen.pb"))
    photos = release_photos()
    ours = export.run_tflite(export.export_tflite(model, str(tmp_path / "ours.tflite")), photos)
    release = export.run_tflite(os.path.join(RELEASE, "mobilenet_v1_0.25_224.tflite"), photos)
    # measured here: 2.2e-6 (the release folds batch norm into the convolutions; we do not)
    np.testing.assert_allclose(ours, release, rtol=0, atol=2e-5)
    np.testing.assert_array_equal(ours.argmax(-1), release.argmax(-1))
