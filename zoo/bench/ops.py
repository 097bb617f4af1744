"""Why native_xla is slow on MobileNets: XLA-on-CPU depthwise vs pointwise convolution, timed side by side with
TensorFlow's graph kernels. Shapes of a MobileNet v1 block at 56x56, batch 8. Run: python -m zoo.bench.ops"""
import time

import numpy as np

import tensorflow as tf


def _median_ms(fn, x, rounds=5, calls=5):
    fn(x)  # trace / compile
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn(x)
        fn(x).numpy()
        times.append((time.perf_counter() - start) / (calls + 1))
    return 1000 * float(np.median(times))


def main():
    x = tf.random.normal([8, 56, 56, 128])
    depthwise_kernel = tf.random.normal([3, 3, 128, 1])
    pointwise_kernel = tf.random.normal([1, 1, 128, 128])
    ops = {"depthwise 3x3": lambda t: tf.nn.depthwise_conv2d(t, depthwise_kernel, [1, 1, 1, 1], "SAME"),
           "pointwise 1x1": lambda t: tf.nn.conv2d(t, pointwise_kernel, 1, "SAME")}
    for name, op in ops.items():
        graph = _median_ms(tf.function(op), x)
        xla = _median_ms(tf.function(op, jit_compile=True), x)
        print(f"{name}: graph {graph:.2f} ms, XLA {xla:.2f} ms, XLA/graph time {xla / graph:.1f}x")


if __name__ == "__main__":
    main()
