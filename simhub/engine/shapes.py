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
    """Duration [s] of a change of ``change`` units at peak rate ``rate`` units/s: each element
    as ``rate_duration`` gives it, to the last bit (the same operations in the same order).

    Plain numpy rather than a numba ufunc: an eagerly typed ``numba.vectorize`` is built (or
    loaded from its cache) when this module is imported, which every command that steps a
    scenario paid for at start-up.
    """
    rate = np.maximum(np.abs(np.asarray(rate, dtype=np.float64)), 1e-9)
    change = np.abs(np.asarray(change, dtype=np.float64))
    code = RATE_CODES.get(shape, LINEAR_RATE)
    if code == 0:
        duration = math.pi * change / (2.0 * rate)
    elif code == 1:
        duration = 1.5 * change / rate
    elif code == 2:
        duration = np.zeros(np.broadcast(change, rate).shape)
    else:
        duration = change / rate
    return np.asarray(duration, dtype=np.float64)


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
