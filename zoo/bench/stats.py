"""Ratios of throughput measured side by side, with bootstrap confidence intervals.

A noisy 2-core machine slows every process of a round together, so a ratio is only meaningful within a round:
each round's ratio is the baseline's median step time over the implementation's (both measured back to back),
the point estimate is the median of the per-round ratios, and its 95 % interval comes from resampling whole
rounds (the pairs stay intact). numpy's percentile bootstrap, no SciPy needed.
"""
from __future__ import annotations

import statistics
from typing import Sequence

import numpy as np


def round_ratios(base: Sequence[Sequence[float]], other: Sequence[Sequence[float]]) -> list[float]:
    """Per round: median baseline step time / median step time of `other` (> 1: `other` is faster)."""
    return [statistics.median(b) / statistics.median(o) for b, o in zip(base, other) if b and o]


def ratio_interval(ratios: Sequence[float], confidence: float = 0.95, resamples: int = 4000,
                   seed: int = 0) -> tuple[float, float, float]:
    """(median ratio, lower, upper): a percentile bootstrap of the median over rounds. With one round the
    interval is that round's value (no spread can be estimated; the table says how many rounds there were)."""
    values = np.asarray(ratios, np.float64)
    if values.size == 0:
        raise ValueError("ratio_interval needs at least one round")
    point = float(np.median(values))
    if values.size == 1:
        return point, point, point
    rng = np.random.default_rng(seed)
    medians = np.median(values[rng.integers(0, values.size, (resamples, values.size))], axis=1)
    tail = (1.0 - confidence) / 2 * 100
    low, high = np.percentile(medians, [tail, 100 - tail])
    return point, float(low), float(high)


def verdict(low: float, high: float, target: float) -> str:
    """'meets' when the whole interval is at or above the target, 'misses' when it is below, else
    'within noise' (the run cannot tell)."""
    if low >= target:
        return "meets"
    if high < target:
        return "misses"
    return "within noise"
