"""The kit's own layers against the Keras layers they stand for (zoo/nn/), and what a builder reaches through a kit."""
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from conftest import ROOT
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


def _keras3_backend():
    import keras

    return keras.backend.backend()


@pytest.mark.skipif(_keras3_backend() != "tensorflow", reason="the fused kernel is the TensorFlow backend's")
@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16"])
@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("scale", [True, False])
def test_keras3_batch_norm_is_tf_fused_kernel(training, scale, policy):
    """On the TensorFlow backend the Keras 3 kit's batch norm runs TF's fused kernel, as tf_keras' fused layer (and
    slim) do: the op is in the traced graph (taking bfloat16 inputs as they are under mixed precision), and
    outputs, gradients and moving statistics after one training step equal tf_keras' BatchNormalization with the
    same weights."""
    rng = np.random.default_rng(1)
    x = tf.constant(rng.normal(2.0, 3.0, size=(4, 5, 5, 8)).astype(np.float32))
    if policy != "float32":
        x = tf.cast(x, tf.bfloat16)
    layers = [kit(keras).BatchNormalization(momentum=0.9, epsilon=1e-3, scale=scale, name="bn", dtype=policy)
              for keras in ("keras", "tf_keras")]
    for layer in layers:
        layer.build(x.shape)
    weights = [rng.normal(size=w.shape).astype(np.float32) for w in layers[0].weights]
    weights[-1] = np.abs(weights[-1]) + 0.5  # moving variance
    for layer in layers:
        assert len(layer.weights) == len(weights)
        for w, value in zip(layer.weights, weights):
            w.assign(value)

    def run(layer):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=training)
            y = tf.cast(y, tf.float32)
            loss = tf.reduce_sum(y * y * tf.range(8, dtype=tf.float32))
        return [tf.cast(t, tf.float32).numpy() for t in [y] + tape.gradient(loss, [x] + layer.trainable_weights)] \
            + [w.numpy() for w in layer.non_trainable_weights]

    got, expected = run(layers[0]), run(layers[1])
    assert len(got) == len(expected) == 3 + scale + 2
    tolerance = 1e-5 if policy == "float32" else 1e-2
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=tolerance, atol=tolerance * np.abs(e).max())
    assert not np.allclose(got[-1], weights[-1]) if training else np.array_equal(got[-1], weights[-1])
    graph = tf.function(lambda t: layers[0](t, training=training)).get_concrete_function(x).graph
    fused = [op for op in graph.get_operations() if op.type == "FusedBatchNormV3"]
    assert len(fused) == 1 and fused[0].inputs[0].dtype == x.dtype


@pytest.mark.parametrize("keras", ["keras", "tf_keras"])
def test_initializers_draw_tf1s_distributions(keras):
    """TF1's truncated normal (cut at 2 sigma: std 0.8796 sigma, analytically) and tf-slim's xavier (uniform,
    limit sqrt(6 / (fan_in + fan_out))) in both Kerases; on Keras 3 (drawn by NumPy) a seed gives one draw."""
    import math

    k = kit(keras)
    values = np.asarray(k.TruncatedNormal(mean=0.5, stddev=0.2, seed=3)((400, 500), dtype="float32"))
    assert values.dtype == np.float32 and values.shape == (400, 500)
    assert values.min() >= 0.1 and values.max() <= 0.9
    phi2 = math.exp(-2.0) / math.sqrt(2 * math.pi)
    truncated_std = math.sqrt(1 - 2 * 2.0 * phi2 / math.erf(2.0 / math.sqrt(2)))
    np.testing.assert_allclose(values.std(), 0.2 * truncated_std, rtol=0.01)
    np.testing.assert_allclose(values.mean(), 0.5, atol=0.002)
    kernel = np.asarray(k.xavier()((3, 3, 64, 128), dtype="float32"))
    limit = math.sqrt(6.0 / (9 * 64 + 9 * 128))
    assert kernel.min() >= -limit and kernel.max() <= limit and kernel.max() > 0.99 * limit
    np.testing.assert_allclose(kernel.std(), limit / math.sqrt(3), rtol=0.01)
    if keras == "keras":
        again = np.asarray(k.TruncatedNormal(mean=0.5, stddev=0.2, seed=3)((400, 500)))
        other = np.asarray(k.TruncatedNormal(mean=0.5, stddev=0.2, seed=4)((400, 500)))
        np.testing.assert_array_equal(again, values)
        assert not np.array_equal(other, values)


@pytest.mark.parametrize("keras", ["keras", "tf_keras"])
def test_kit_layers_give_the_corrected_classes_under_their_registered_names(keras):
    """`k.layers` is Keras' namespace but for the kit's batch norm and average pool, so a builder writing
    `k.layers.AveragePooling2D` gets the torch-correct pool; zoo's classes keep the names `.keras` files store."""
    k = kit(keras)
    assert k.layers.AveragePooling2D is k.AveragePooling2D and k.layers.BatchNormalization is k.BatchNormalization
    assert k.layers.Conv2D is k.keras.layers.Conv2D and k.layers.Layer is k.keras.layers.Layer
    own = [k.TruncatedNormal, k.VarianceScaling, k.LocalResponseNormalization, k.FullyConnectedConv2D]
    if keras == "keras":
        own += [k.BatchNormalization, k.AveragePooling2D]
        assert k.AveragePooling2D is not k.keras.layers.AveragePooling2D
    registered_name = (k.keras.saving if keras == "keras" else k.keras.utils).get_registered_name
    assert [registered_name(cls) for cls in own] == [f"zoo>{cls.__name__}" for cls in own]


def test_each_keras_is_imported_only_for_its_kit():
    """`import zoo.nn` imports no Keras; the Keras 3 kit imports no tf_keras."""
    probe = ("import sys; import zoo.nn as nn; before = [m for m in ('keras', 'tf_keras') if m in sys.modules]; "
             "nn.kit('keras'); print(before, [m for m in ('keras', 'tf_keras') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True,
                         env={**os.environ, "PYTHONPATH": ROOT})
    assert out.stdout.strip() == "[] ['keras']", out.stdout + out.stderr
