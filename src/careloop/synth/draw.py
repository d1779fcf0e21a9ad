"""Vectorised random draws shared by the generators (one call per column, never one per patient)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from careloop.synth.frames import SECONDS_PER_DAY

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]


def chance(rng: np.random.Generator, p: float | NDArray[Any], n: int | None = None) -> Bools:
    """True with probability p (a scalar with n, or one probability per row)."""
    size = n if n is not None else len(np.atleast_1d(p))
    return rng.random(size) < p


def pick(rng: np.random.Generator, weights: Sequence[float] | Floats, n: int) -> Ints:
    """n indices into `weights`, drawn in proportion to them."""
    w = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(w), size=n, p=w / w.sum()).astype(np.int64)


def pick_rows(rng: np.random.Generator, weights: Floats) -> Ints:
    """One index per row of a (rows x options) weight matrix; rows may weigh options differently."""
    if len(weights) == 0:
        return np.zeros(0, dtype=np.int64)
    cumulative = np.cumsum(weights, axis=1)
    target = rng.random(len(weights)) * cumulative[:, -1]
    return np.asarray(np.minimum((cumulative <= target[:, None]).sum(axis=1), weights.shape[1] - 1), dtype=np.int64)


def between(rng: np.random.Generator, low: Ints | int, high: Ints | int, n: int) -> Ints:
    """Uniform integers in [low, high) (per row where low/high are arrays)."""
    low_a = np.broadcast_to(np.asarray(low, dtype=np.int64), (n,))
    span = np.maximum(np.broadcast_to(np.asarray(high, dtype=np.int64), (n,)) - low_a, 1)
    return np.asarray(low_a + (rng.random(n) * span).astype(np.int64), dtype=np.int64)


def days(value: float | Floats) -> Any:
    return np.asarray(np.asarray(value) * SECONDS_PER_DAY, dtype=np.int64)


def in_chunks_of(lengths: Ints) -> Ints:
    """Row index -> owner index for rows laid out owner by owner (np.repeat of arange by lengths)."""
    return np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)


def place_in_chunk(lengths: Ints) -> Ints:
    """Row index -> its position within its owner's run, for rows laid out as in `in_chunks_of`."""
    starts = np.cumsum(lengths) - lengths
    return np.arange(int(np.sum(lengths)), dtype=np.int64) - np.repeat(starts, lengths)


def lookup(table: Sequence[str], index: Ints) -> NDArray[np.str_]:
    return np.asarray(table, dtype=np.str_)[index]


# P. J. Acklam's rational approximation of the normal quantile (relative error below 1.2e-9).
_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
      -3.066479806614716e+01, 2.506628277459239e+00)
_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
      -1.328068155288572e+01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
      4.374664141464968e+00, 2.938163982698783e+00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00)
_TAIL = 0.02425


def _polynomial(coefficients: Sequence[float], x: Floats) -> Floats:
    result = np.zeros_like(x)
    for coefficient in coefficients:
        result = result * x + coefficient
    return result


def _tail(p: Floats) -> Floats:
    q = np.sqrt(-2 * np.log(p))
    return np.asarray(_polynomial(_C, q) / (_polynomial(_D, q) * q + 1), dtype=np.float64)


def normal_quantile(p: Floats) -> Floats:
    """The standard normal quantile, vectorised (numpy has none and scipy is not a dependency)."""
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-12, 1 - 1e-12)
    out = np.empty_like(p)
    low, high = p < _TAIL, p > 1 - _TAIL
    middle = ~(low | high)
    out[low] = _tail(p[low])
    out[high] = -_tail(1 - p[high])
    q = p[middle] - 0.5
    r = q * q
    out[middle] = _polynomial(_A, r) * q / (_polynomial(_B, r) * r + 1)
    return out


def liability(rng: np.random.Generator, prevalence: Floats, shared: Sequence[tuple[float, Floats]]) -> Bools:
    """Liability-threshold draw (Falconer): present where a normal liability exceeds the quantile that leaves
    `prevalence` above it. Loading part of the liability on factors shared between conditions makes them
    cluster in the same (frailer) people while each condition keeps its prevalence exactly."""
    n = len(prevalence)
    own = 1.0 - sum(loading**2 for loading, _ in shared)
    value = np.sqrt(own) * rng.standard_normal(n)
    for loading, factor in shared:
        value += loading * factor
    return np.asarray(value > normal_quantile(1.0 - prevalence), dtype=np.bool_)
