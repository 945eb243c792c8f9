"""Distances between entities, as OpenSCENARIO measures them, for every episode at once.

``coordinate_system`` "entity" measures in the first entity's frame; "road" and "lane"
measure along the road (``s``, ``t``) when both entities are on the same road. ``freespace``
measures between bounding boxes instead of reference points. Results are ``(E,)`` in m,
signed: positive when the other entity is ahead (longitudinal) or to the left (lateral).
"""

from __future__ import annotations

import math

import numba
import numpy as np
import numpy.typing as npt

from simhub.engine.world import World

F64 = npt.NDArray[np.float64]
Quad = tuple[float, float, float, float]  # x (or y) of a box's four corners


@numba.njit(cache=True)
def _point_segment(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    f = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - ax - f * dx, py - ay - f * dy)


@numba.njit(cache=True)
def _inside(px: float, py: float, xs: Quad, ys: Quad) -> bool:
    """Whether point ``(px, py)`` is inside the convex quadrilateral with corners ``xs, ys``."""
    sign = 0.0
    for i in range(4):
        j = (i + 1) % 4
        cross = (xs[j] - xs[i]) * (py - ys[i]) - (ys[j] - ys[i]) * (px - xs[i])
        if cross != 0.0:
            if sign == 0.0:
                sign = cross
            elif sign * cross < 0.0:
                return False
    return True


@numba.njit(cache=True)
def _quad_distance(ax: Quad, ay: Quad, bx: Quad, by: Quad) -> float:
    """Smallest distance between convex quadrilaterals given by their corners' x and y; 0 if
    they overlap. Scalars only: kernels compiled without reference counting can call it."""
    best = math.inf
    overlap = False
    for i in range(4):
        if _inside(ax[i], ay[i], bx, by) or _inside(bx[i], by[i], ax, ay):
            overlap = True
        for j in range(4):
            k = (j + 1) % 4
            best = min(best, _point_segment(ax[i], ay[i], bx[j], by[j], bx[k], by[k]))
            best = min(best, _point_segment(bx[i], by[i], ax[j], ay[j], ax[k], ay[k]))
    return 0.0 if overlap else best


@numba.njit(cache=True)
def box_distance(a: F64, b: F64) -> F64:
    """Smallest distance between convex quadrilaterals ``a`` and ``b`` ``(E, 4, 2)``; 0 if they
    overlap."""
    n = a.shape[0]
    out = np.empty(n)
    for e in range(n):
        out[e] = _quad_distance((a[e, 0, 0], a[e, 1, 0], a[e, 2, 0], a[e, 3, 0]),
                                (a[e, 0, 1], a[e, 1, 1], a[e, 2, 1], a[e, 3, 1]),
                                (b[e, 0, 0], b[e, 1, 0], b[e, 2, 0], b[e, 3, 0]),
                                (b[e, 0, 1], b[e, 1, 1], b[e, 2, 1], b[e, 3, 1]))
    return out


# --- per-episode kernels (conditions evaluate every episode in one call) ------------------

LONGITUDINAL, LATERAL, EUCLIDEAN = 0, 1, 2
ROAD_SYSTEMS = ("road", "lane", "trajectory")
DISTANCE_KINDS = {"longitudinal": LONGITUDINAL, "lateral": LATERAL}


@numba.njit(cache=True)
def _extent_at(e: int, k: int, axis_h: float, heading: F64, length: F64, width: F64,
               cx: F64, cy: F64) -> tuple[float, float]:
    """Interval ``(lo, hi)`` of entity ``k``'s box projected on a unit axis at heading
    ``axis_h``, relative to the projection of its reference point, in episode ``e``."""
    c = math.cos(heading[e, k] - axis_h)
    s_ = math.sin(heading[e, k] - axis_h)
    half_l, half_w = length[e, k] / 2, width[e, k] / 2
    center = cx[e, k] * c - cy[e, k] * s_
    reach = abs(half_l * c) + abs(half_w * s_)
    return center - reach, center + reach


@numba.njit(cache=True)
def _corners_at(e: int, k: int, x: F64, y: F64, heading: F64, length: F64, width: F64,
                cx: F64, cy: F64) -> tuple[Quad, Quad]:
    """Box corners of entity ``k`` in episode ``e``: their x and their y (front left, front
    right, rear right, rear left)."""
    h = heading[e, k]
    c, s = math.cos(h), math.sin(h)
    half_l, half_w = length[e, k] / 2, width[e, k] / 2
    px = x[e, k] + cx[e, k] * c - cy[e, k] * s
    py = y[e, k] + cx[e, k] * s + cy[e, k] * c
    front_x, front_y = px + half_l * c, py + half_l * s
    rear_x, rear_y = px - half_l * c, py - half_l * s
    side_x, side_y = half_w * s, half_w * c
    return ((front_x - side_x, front_x + side_x, rear_x + side_x, rear_x - side_x),
            (front_y + side_y, front_y - side_y, rear_y - side_y, rear_y + side_y))


@numba.njit(cache=True)
def distance_at(e: int, a: int, b: int, kind: int, along_road: bool, freespace: bool,
                x: F64, y: F64, heading: F64, road: npt.NDArray[np.int64], s: F64, t: F64,
                direction: F64, heading_offset: F64, length: F64, width: F64, cx: F64,
                cy: F64) -> float:
    """``relative`` (and ``longitudinal`` / ``lateral`` / ``euclidean``) in episode ``e``
    [m]; ``kind`` LONGITUDINAL, LATERAL or EUCLIDEAN, ``along_road`` for the road, lane and
    trajectory coordinate systems."""
    if kind == EUCLIDEAN:
        if not freespace:
            return math.hypot(x[e, b] - x[e, a], y[e, b] - y[e, a])
        ax, ay = _corners_at(e, a, x, y, heading, length, width, cx, cy)
        bx, by = _corners_at(e, b, x, y, heading, length, width, cx, cy)
        return _quad_distance(ax, ay, bx, by)
    h = heading[e, a]
    if kind == LONGITUDINAL:
        if along_road and road[e, a] == road[e, b]:
            d = float((s[e, b] - s[e, a]) * direction[e, a])
        else:
            d = float((x[e, b] - x[e, a]) * math.cos(h) + (y[e, b] - y[e, a]) * math.sin(h))
        axis = h - heading_offset[e, a] if along_road else h
    elif along_road:
        d = float((t[e, b] - t[e, a]) * direction[e, a])
        axis = h - heading_offset[e, a] + math.pi / 2
    else:
        d = float(-(x[e, b] - x[e, a]) * math.sin(h) + (y[e, b] - y[e, a]) * math.cos(h))
        axis = h + math.pi / 2
    if not freespace:
        return d
    lo_a, hi_a = _extent_at(e, a, axis, heading, length, width, cx, cy)
    lo_b, hi_b = _extent_at(e, b, axis, heading, length, width, cx, cy)
    ahead = d + lo_b - hi_a
    behind = d + hi_b - lo_a
    if ahead > 0:
        return ahead
    if behind < 0:
        return behind
    return 0.0


@numba.njit(cache=True)
def _distances(a: int, b: int, kind: int, along_road: bool, freespace: bool, x: F64, y: F64,
               heading: F64, road: npt.NDArray[np.int64], s: F64, t: F64, direction: F64,
               heading_offset: F64, length: F64, width: F64, cx: F64, cy: F64) -> F64:
    out = np.empty(x.shape[0])
    for e in range(x.shape[0]):
        out[e] = distance_at(e, a, b, kind, along_road, freespace, x, y, heading, road, s, t,
                             direction, heading_offset, length, width, cx, cy)
    return out


def relative(world: World, a: int, b: int, kind: str, system: str, freespace: bool) -> F64:
    """Distance of ``kind`` (longitudinal, lateral, euclidianDistance, cartesianDistance) from
    ``a`` to ``b`` [m], ``(E,)``; ``distance_at`` in every episode."""
    w = world
    return _distances(a, b, DISTANCE_KINDS.get(kind, EUCLIDEAN), system in ROAD_SYSTEMS,
                      freespace, w.x, w.y, w.heading, w.road, w.s, w.t, w.direction,
                      w.heading_offset, w.length, w.width, w.center_x, w.center_y)


def longitudinal(world: World, a: int, b: int, system: str, freespace: bool) -> F64:
    """Longitudinal distance from ``a`` to ``b`` [m], ``(E,)``."""
    return relative(world, a, b, "longitudinal", system, freespace)


def lateral(world: World, a: int, b: int, system: str, freespace: bool) -> F64:
    """Lateral distance from ``a`` to ``b`` [m] (positive: ``b`` left of ``a``), ``(E,)``."""
    return relative(world, a, b, "lateral", system, freespace)


def euclidean(world: World, a: int, b: int, freespace: bool) -> F64:
    """Straight-line distance [m] between reference points, or between boxes, ``(E,)``."""
    return relative(world, a, b, "euclidianDistance", "entity", freespace)
