"""Exponential moving average of model variables for the TF2 loop, with TF1's semantics
(`tf.compat.v1.train.ExponentialMovingAverage(decay, num_updates=global_step)`: the decay used at step t is
min(decay, (1 + t) / (10 + t))). Shadows are checkpointed with the model, so a resumed run keeps them. Works
for Keras 3 and tf_keras variables alike (both convert to tensors and assign)."""
from __future__ import annotations

import contextlib
from typing import Iterable, Iterator

import tensorflow as tf


class ExponentialMovingAverage(tf.Module):
    """Shadows of `variables`, updated after each applied step; a tf.Module, so a tf.train.Checkpoint holds
    them (as `ema/shadows/N`)."""

    def __init__(self, variables: Iterable, decay: float):
        super().__init__(name="ema")
        self.decay = decay
        self._variables = list(variables)
        # MEAN aggregation: every replica assigns the same value, which MirroredStrategy accepts in replica context.
        self.shadows = [tf.Variable(tf.convert_to_tensor(v), trainable=False,
                                    aggregation=tf.VariableAggregation.MEAN, name="ema") for v in self._variables]

    def update(self, step) -> None:
        """Move every shadow toward its variable, at the decay of `step` (the optimizer's iteration count)."""
        step = tf.cast(step, tf.float32)
        decay = tf.minimum(self.decay, (1.0 + step) / (10.0 + step))
        for v, s in zip(self._variables, self.shadows):
            s.assign(decay * s + (1.0 - decay) * tf.cast(v, s.dtype))

    @contextlib.contextmanager
    def swapped(self) -> Iterator[None]:
        """Model variables hold the averages inside the block, their own values again after it."""
        backup = [v.numpy() for v in self._variables]
        for v, s in zip(self._variables, self.shadows):
            v.assign(s)
        try:
            yield
        finally:
            for v, value in zip(self._variables, backup):
                v.assign(value)
