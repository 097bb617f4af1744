import numpy as np
import pytest
import skimage.data
import tensorflow as tf

from zoo import compat, preprocessing


def test_inception_eval_matches_tf1_ops():
    """Against slim's own recipe run as TF1 ops (tf.compat.v1.image.resize_bilinear) in a graph."""
    photo = skimage.data.coffee()
    ours = preprocessing.inception_eval(photo, 224).numpy()
    with compat.tf1_graph() as graph:
        image = tf.image.convert_image_dtype(tf.constant(photo), tf.float32)
        image = tf.image.central_crop(image, central_fraction=0.875)
        image = tf.compat.v1.image.resize_bilinear(image[None], [224, 224], align_corners=False)[0]
        expected = tf.compat.v1.Session(graph=graph).run((image - 0.5) * 2.0)
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-6)
    assert ours.min() >= -1 and ours.max() <= 1


def test_inception_train_is_random_and_in_range():
    ds = tf.data.Dataset.from_tensors(skimage.data.astronaut()).repeat(2)
    a, b = [x.numpy() for x in ds.map(lambda x: preprocessing.inception_train(x, 96))]
    assert a.shape == b.shape == (96, 96, 3)
    assert -1 <= a.min() and a.max() <= 1 and not np.allclose(a, b)


def test_decode_predictions_and_label_mismatch():
    labels = ["background", "cat", "dog"]
    top = preprocessing.decode_predictions(np.array([[0.1, 0.2, 0.7]]), labels, top=2)
    assert top == [[(2, "dog", pytest.approx(0.7)), (1, "cat", pytest.approx(0.2))]]
    with pytest.raises(ValueError, match="gives 2 classes, the labels file has 3"):
        preprocessing.decode_predictions(np.ones((1, 2)), labels)
