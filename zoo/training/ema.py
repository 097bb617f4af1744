"""Exponential moving average of model variables for the Keras path: TensorFlow's own
`tf.train.ExponentialMovingAverage(decay, num_updates=step)` — the class the TF1 path uses, so both keep the
same averages (the decay at step t is min(decay, (1 + t) / (10 + t))). This module only adds what the Keras path
needs around it: the shadows checkpointed with the model (as `ema/shadows/N`, so a resumed run keeps them), Keras 3
variables handed over as the tf.Variables they wrap, and the swap used at eval."""
from __future__ import annotations

import contextlib
from typing import Iterable, Iterator

import tensorflow as tf


def _tf_variable(v) -> tf.Variable:
    """A tf_keras variable is a tf.Variable; a Keras 3 one wraps it (tf.train's EMA treats anything else as a
    tensor: zero-initialised, debiased)."""
    return v if isinstance(v, tf.Variable) else v.value


class ExponentialMovingAverage(tf.Module):
    """Shadows of `variables`, moved toward them by `update()` after each applied step (`step`: the optimizer's
    iteration count, read at each update)."""

    def __init__(self, variables: Iterable, decay: float, step=0):
        super().__init__(name="ema")
        self.decay = decay
        self._variables = list(variables)  # tracked, as the checkpoints written so far hold them
        self._wrapped = self._no_dependency([_tf_variable(v) for v in self._variables])
        self._ema = tf.train.ExponentialMovingAverage(
            decay, num_updates=step if isinstance(step, int) else _tf_variable(step))
        self._ema.apply(self._wrapped)  # makes the shadows, equal to the variables (the update leaves them so)
        self.shadows = [self._ema.average(v) for v in self._wrapped]
        # Even eagerly, tf.train's EMA records each averaged variable in the global graph's
        # MOVING_AVERAGE_VARIABLES collection, which would keep every run's variables alive in a long process.
        collection = tf.compat.v1.get_collection_ref(tf.compat.v1.GraphKeys.MOVING_AVERAGE_VARIABLES)
        collection[:] = [v for v in collection if not any(v is w for w in self._wrapped)]

    def update(self) -> None:
        """Move every shadow toward its variable, at the decay of the current step."""
        self._ema.apply(self._wrapped)

    @contextlib.contextmanager
    def swapped(self) -> Iterator[None]:
        """Model variables hold the averages inside the block, their own values again after it."""
        backup = [v.numpy() for v in self._wrapped]
        for v, s in zip(self._wrapped, self.shadows):
            v.assign(s)
        try:
            yield
        finally:
            for v, value in zip(self._wrapped, backup):
                v.assign(value)
