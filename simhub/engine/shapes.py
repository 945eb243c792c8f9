"""Transition shapes (step, linear, cubic, sinusoidal) and their durations."""

from __future__ import annotations

import math

import numba
import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


# Shape names as small integers, for the numba kernels (``shape_progress``).
SHAPE_CODES = {"step": 0, "linear": 1, "cubic": 2, "sinusoidal": 3}


@numba.njit(cache=True, nogil=True)
def shape_progress(shape: int, f: float) -> float:
    """``shape_fraction`` of one time fraction ``f``; ``shape`` from ``SHAPE_CODES``."""
    f = min(max(f, 0.0), 1.0)
    if shape == 0:
        return 1.0
    if shape == 1:
        return f
    if shape == 2:
        return f * f * (3.0 - 2.0 * f)
    return (1.0 - math.cos(math.pi * f)) / 2.0


def shape_fraction(shape: str, f: F64) -> F64:
    """Progress ``0..1`` of a transition at time fraction ``f`` (clipped to ``[0, 1]``)."""
    f = np.clip(f, 0.0, 1.0)
    if shape == "step":
        return np.ones_like(f)
    if shape == "linear":
        return f
    if shape == "cubic":
        return f * f * (3.0 - 2.0 * f)
    return (1.0 - np.cos(math.pi * f)) / 2.0


def duration_for_rate(shape: str, change: F64, rate: F64) -> F64:
    """Duration [s] of a change of ``change`` units at peak rate ``rate`` units/s (each
    element as ``rate_duration``, which the fused kernel calls)."""
    change, rate = np.asarray(change, dtype=np.float64), np.asarray(rate, dtype=np.float64)
    dims = np.broadcast_shapes(change.shape, rate.shape)
    change, rate = np.broadcast_to(change, dims), np.broadcast_to(rate, dims)  # read-only
    out = np.empty(dims)
    _rate_durations(RATE_CODES.get(shape, LINEAR_RATE), change.reshape(-1), rate.reshape(-1),
                    out.reshape(-1))
    return out


# How ``rate_duration`` tells the shapes apart (any other shape: linear).
RATE_CODES = {"sinusoidal": 0, "cubic": 1, "step": 2}
LINEAR_RATE = 3


@numba.njit(cache=True, nogil=True)
def rate_duration(code: int, change: float, rate: float) -> float:
    """Duration [s] of a change of ``change`` units at peak rate ``rate`` units/s; ``code``
    from ``RATE_CODES`` (``LINEAR_RATE``: linear)."""
    rate = max(abs(rate), 1e-9)
    change = abs(change)
    if code == 0:
        return math.pi * change / (2.0 * rate)
    if code == 1:
        return 1.5 * change / rate
    if code == 2:
        return 0.0
    return change / rate


@numba.njit(cache=True, nogil=True)
def _rate_durations(code: int, change: F64, rate: F64, out: F64) -> None:
    """``rate_duration`` of each element. Compiled (or loaded from numba's cache) on its first
    call, not when this module is imported, as an eagerly typed ``numba.vectorize`` was: every
    command that steps a scenario paid for that at start-up."""
    for i in range(out.shape[0]):
        out[i] = rate_duration(code, change[i], rate[i])
