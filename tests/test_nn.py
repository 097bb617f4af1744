"""The kit's own layers against the Keras layers they stand for (zoo/nn.py)."""
import numpy as np
import pytest
import tensorflow as tf

from zoo.nn import kit


@pytest.mark.parametrize("keras", ["keras", "tf_keras"])
@pytest.mark.parametrize("size,kernel,padding", [(5, 5, "valid"), (1, 1, "same"), (7, 5, "valid")])
def test_fully_connected_conv_is_the_convolution(keras, size, kernel, padding):
    """Same weights as a plain Conv2D: the same outputs and kernel gradients, as a matmul where the kernel covers
    the input (5x5 VALID on 5x5, 1x1 on 1x1), as the convolution itself on a larger input (7x7)."""
    k = kit(keras)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(3, size, size, 16)).astype(np.float32))
    layers = [cls(32, kernel, padding=padding, activation="relu", name="fc")
              for cls in (k.FullyConnectedConv2D, k.layers.Conv2D)]
    for layer in layers:
        layer.build((None, size, size, 16))
        layer.kernel.assign(rng.normal(size=layer.kernel.shape).astype(np.float32) if layer is layers[0] else
                            layers[0].kernel.numpy())
        layer.bias.assign(np.linspace(-1, 1, 32, dtype=np.float32))
    results = []
    for layer in layers:
        with tf.GradientTape() as tape:
            y = layer(x)
            loss = tf.reduce_sum(y * y)
        results.append((np.asarray(y), tape.gradient(loss, layer.kernel).numpy()))
    (y, grad), (expected_y, expected_grad) = results
    assert y.shape == expected_y.shape == (3, size - kernel + 1, size - kernel + 1, 32)
    assert (expected_y > 0).mean() > 0.3  # the ReLU passes a real share of the outputs
    np.testing.assert_allclose(y, expected_y, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-4, atol=1e-3)
    if size > kernel:
        np.testing.assert_array_equal(y, expected_y)
