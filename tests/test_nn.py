"""The kit's own layers against the Keras layers they stand for (zoo/nn.py)."""
import numpy as np
import pytest
import tensorflow as tf

from zoo.nn import kit


@pytest.mark.parametrize("keras", ["keras", "tf_keras"])
@pytest.mark.parametrize("size,kernel,padding,as_matmul", [(5, 5, "valid", True), (1, 1, "same", True),
                                                           (7, 5, "valid", False), (5, 5, "same", False)])
def test_fully_connected_conv_is_the_convolution(keras, size, kernel, padding, as_matmul, monkeypatch):
    """Same weights as a plain Conv2D: the same outputs and gradients (kernel, bias, input) and config; computed
    as a matmul where the kernel covers the input (5x5 VALID on 5x5, 1x1 on 1x1: Conv2D's own call is then never
    reached), as the convolution itself elsewhere (a larger input, or SAME padding of a larger kernel)."""
    k = kit(keras)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(3, size, size, 16)).astype(np.float32))
    fc, conv = (cls(32, kernel, padding=padding, activation="relu", name="fc")
                for cls in (k.FullyConnectedConv2D, k.layers.Conv2D))
    for layer in (fc, conv):
        layer.build((None, size, size, 16))
    fc.kernel.assign(rng.normal(size=fc.kernel.shape).astype(np.float32))
    conv.kernel.assign(fc.kernel.numpy())
    for layer in (fc, conv):
        layer.bias.assign(np.linspace(-1, 1, 32, dtype=np.float32))

    def run(layer):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
            loss = tf.reduce_sum(y * y)
        return [np.asarray(y)] + [g.numpy() for g in tape.gradient(loss, [layer.kernel, layer.bias, x])]

    expected = run(conv)
    if as_matmul:
        def no_convolution(self, inputs):
            raise AssertionError("the convolution ran")

        monkeypatch.setattr(k.layers.Conv2D, "call", no_convolution)
    got = run(fc)
    assert got[0].shape == expected[0].shape
    assert (expected[0] > 0).mean() > 0.3  # the ReLU passes a real share of the outputs
    for name, g, e in zip(("outputs", "kernel", "bias", "input"), got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-4 * np.abs(e).max(), err_msg=name)
    if not as_matmul:
        np.testing.assert_array_equal(got[0], expected[0])
    config = fc.get_config()
    assert type(fc).from_config(config).get_config() == config
    assert {key: v for key, v in config.items() if key != "name"} == \
        {key: v for key, v in conv.get_config().items() if key != "name"}
