"""Transition shapes (step, linear, cubic, sinusoidal) and their durations."""

from __future__ import annotations

import math
from typing import Any

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
    element as ``rate_duration``)."""
    return np.asarray(_rate_durations(RATE_CODES.get(shape, LINEAR_RATE), change, rate),
                      dtype=np.float64)


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


def _rate_duration_of(code: int, change: float, rate: float) -> float:
    return rate_duration(code, change, rate)


_vectorize: Any = numba.vectorize  # untyped in numba's published signature
_rate_durations = _vectorize(["float64(int64, float64, float64)"], cache=True)(_rate_duration_of)
