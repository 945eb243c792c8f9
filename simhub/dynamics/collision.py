"""Oriented-bounding-box collisions between all vehicles of an episode, batched over episodes.

Inputs are ``(E, V)`` arrays: box centre ``x, y`` [m], ``heading`` [rad], ``length`` and
``width`` [m] (full sizes), ``active`` (bool; False marks an empty slot). Boxes that touch
count as colliding.

Narrow phase: the separating-axis theorem. Two rectangles are disjoint iff, on one of the four
edge normals ``n`` (two per box), the centre distance ``|d . n|`` exceeds the sum of the
projected half-extents ``r = l/2 |u . n| + w/2 |v . n|`` (``u, v``: a box's axes).

Broad phase: sort and sweep on x. Each box's axis-aligned bounds are
``x +- (l/2 |cos h| + w/2 |sin h|)`` (y likewise); boxes sorted by their low x bound are only
tested against the following ones whose low bound lies below their high bound, so sparse
traffic costs ``O(V log V)`` per episode instead of ``O(V^2)``.

Result: for each vehicle, the lowest index of a vehicle it collides with, ``-1`` when none.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from numba import njit, prange

from simhub.errors import FieldViolation, InvalidArgument

IntArray = npt.NDArray[np.int64]


@njit(cache=True)
def _separated_on(
    nx: float, ny: float, dx: float, dy: float, ca: float, sa: float, la: float, wa: float,
    cb: float, sb: float, lb: float, wb: float,
) -> bool:  # fmt: skip
    ra = 0.5 * la * abs(ca * nx + sa * ny) + 0.5 * wa * abs(-sa * nx + ca * ny)
    rb = 0.5 * lb * abs(cb * nx + sb * ny) + 0.5 * wb * abs(-sb * nx + cb * ny)
    return abs(dx * nx + dy * ny) > ra + rb


@njit(cache=True)
def boxes_overlap(
    xa: float, ya: float, ha: float, la: float, wa: float,
    xb: float, yb: float, hb: float, lb: float, wb: float,
) -> bool:  # fmt: skip
    """True when the two oriented boxes overlap or touch (SAT on the four edge normals)."""
    ca, sa, cb, sb = math.cos(ha), math.sin(ha), math.cos(hb), math.sin(hb)
    dx, dy = xb - xa, yb - ya
    return not (
        _separated_on(ca, sa, dx, dy, ca, sa, la, wa, cb, sb, lb, wb)
        or _separated_on(-sa, ca, dx, dy, ca, sa, la, wa, cb, sb, lb, wb)
        or _separated_on(cb, sb, dx, dy, ca, sa, la, wa, cb, sb, lb, wb)
        or _separated_on(-sb, cb, dx, dy, ca, sa, la, wa, cb, sb, lb, wb)
    )


@njit(cache=True)
def _record(partner: np.ndarray, e: int, i: int, j: int) -> None:
    if partner[e, i] < 0 or j < partner[e, i]:
        partner[e, i] = j
    if partner[e, j] < 0 or i < partner[e, j]:
        partner[e, j] = i


@njit(parallel=True, cache=True)
def sweep_kernel(x, y, heading, length, width, active):  # type: ignore[no-untyped-def]
    episodes, vehicles = x.shape
    partner = np.full((episodes, vehicles), -1, np.int64)
    for e in prange(episodes):
        half_x = np.empty(vehicles)
        half_y = np.empty(vehicles)
        low_x = np.empty(vehicles)
        for i in range(vehicles):
            c, s = abs(math.cos(heading[e, i])), abs(math.sin(heading[e, i]))
            half_x[i] = 0.5 * length[e, i] * c + 0.5 * width[e, i] * s
            half_y[i] = 0.5 * length[e, i] * s + 0.5 * width[e, i] * c
            low_x[i] = x[e, i] - half_x[i] if active[e, i] else math.inf
        order = np.argsort(low_x)
        for a in range(vehicles):
            i = order[a]
            if not active[e, i]:
                break  # inactive slots sort last
            high_x = x[e, i] + half_x[i]
            for b in range(a + 1, vehicles):
                j = order[b]
                if low_x[j] > high_x:
                    break
                if abs(y[e, i] - y[e, j]) > half_y[i] + half_y[j]:
                    continue
                if boxes_overlap(
                    x[e, i], y[e, i], heading[e, i], length[e, i], width[e, i],
                    x[e, j], y[e, j], heading[e, j], length[e, j], width[e, j],
                ):  # fmt: skip
                    _record(partner, e, i, j)
    return partner


@njit(parallel=True, cache=True)
def all_pairs_kernel(x, y, heading, length, width, active):  # type: ignore[no-untyped-def]
    episodes, vehicles = x.shape
    partner = np.full((episodes, vehicles), -1, np.int64)
    for e in prange(episodes):
        for i in range(vehicles):
            for j in range(i + 1, vehicles):
                if (
                    active[e, i]
                    and active[e, j]
                    and boxes_overlap(
                        x[e, i], y[e, i], heading[e, i], length[e, i], width[e, i],
                        x[e, j], y[e, j], heading[e, j], length[e, j], width[e, j],
                    )
                ):  # fmt: skip
                    _record(partner, e, i, j)
    return partner


def collisions(
    x: object, y: object, heading: object, length: object, width: object,
    active: object = None, *, broad_phase: bool = True,
) -> IntArray:  # fmt: skip
    """Lowest-index collision partner of every vehicle, ``(E, V)`` int64, -1 when none.

    ``broad_phase=False`` tests all pairs (``O(V^2)``); it exists as the reference.
    """
    arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in (x, y, heading, length, width)]
    shape = arrays[0].shape
    if len(shape) != 2:
        raise InvalidArgument(
            f"x has shape {shape}", [FieldViolation("x", "must be (episodes, vehicles)")]
        )
    mask = (
        np.ones(shape, np.bool_)
        if active is None
        else np.ascontiguousarray(np.broadcast_to(np.asarray(active, dtype=np.bool_), shape))
    )
    for name, array in zip(("x", "y", "heading", "length", "width"), arrays, strict=True):
        if array.shape != shape:
            raise InvalidArgument(
                f"{name} has shape {array.shape}, x has {shape}",
                [FieldViolation(name, f"must have shape {shape}")],
            )
        positive = name in ("length", "width")
        bad = mask & ~(np.isfinite(array) & ((array > 0) if positive else True))
        if bad.any():
            e, v = (int(k) for k in np.argwhere(bad)[0])
            allowed = "a finite number > 0 m" if positive else "a finite number"
            raise InvalidArgument(
                f"{name} of vehicle {v} in episode {e} is {array[e, v]}",
                [FieldViolation(f"{name}[{e}, {v}]", f"must be {allowed}")],
            )
    kernel: Callable[..., IntArray] = sweep_kernel if broad_phase else all_pairs_kernel
    result: IntArray = kernel(*arrays, mask)
    return result


def warm_up() -> None:
    """Compile the collision kernels (or load them from numba's cache)."""
    ones = np.ones((1, 2))
    for broad in (True, False):
        collisions(
            np.array([[0.0, 1.0]]), ones * 0, ones * 0, ones * 4, ones * 2, broad_phase=broad
        )
