"""The contract's observations and the per-step measurements, from engine world arrays and the
road (``simhub.road.kernels``), for every episode of a batch at once (numba, no Python loop per
episode).

World arrays are the engine's ``(E, N)`` state (``simhub.engine.world``); ``k`` is the ego's
entity column. Road coordinates: ``s`` along the reference line, ``t`` to its left [m].
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

from simhub.evaluation.policy import ACTOR_FEATURES, LANE_POINTS, LANE_SPACING_M, MAX_ACTORS
from simhub.road.kernels import (
    RoadArrays,
    lane_borders,
    refcount_free,
    reference_point,
    road_extent,
    section_at,
)

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

# Per-step metric columns, ``(E, N_STEP_METRICS)``.
S_OFF_ROAD, S_LANE_DEPARTURE, S_MIN_THW, S_MAX_DECEL, S_MAX_SPEED, S_SPEEDING_S = 0, 1, 2, 3, 4, 5
S_TIME_TO_GOAL = 6
N_STEP_METRICS = 7
SPEEDING_TOLERANCE = 1.05  # above 105 % of the limit counts as speeding
HEADWAY_MIN_SPEED_M_S = 0.1  # below this the time headway is not defined


@njit(cache=True, inline="always")
def _wrap(angle: float) -> float:
    return (angle + math.pi) % (2.0 * math.pi) - math.pi


@njit(cache=True, inline="always")
def _lane_centre_t(arrays: RoadArrays, road: int, lane: int, s: float) -> float:
    inner, outer, _, _ = lane_borders(arrays, road, section_at(arrays, road, s), lane, s)
    return 0.5 * (inner + outer)


@refcount_free
def observe(
    arrays: RoadArrays,
    k: int,
    x: F64,
    y: F64,
    heading: F64,
    speed: F64,
    acceleration: F64,
    length: F64,
    width: F64,
    center_x: F64,
    center_y: F64,
    present: B,
    road: I64,
    lane: I64,
    s: F64,
    t: F64,
    direction: F64,
    steering: F64,
    limit: F64,
    prev_action: F64,
    out_ego: F32,
    out_lane: F32,
    out_actors: F32,
    out_prev: F32,
    dist: F64,
    order: I64,
) -> None:
    """Fill the contract's ``ego (E, 8)``, ``lane (E, 16, 2)``, ``actors (E, 8, 7)`` and
    ``prev_action (E, 2)`` (``simhub.evaluation.policy``); the ego frame's origin is the centre
    of the ego's box, x along its heading. ``dist`` and ``order`` ``(N,)`` are scratch."""
    episodes, n = x.shape
    for e in range(episodes):
        h = heading[e, k]
        c, sn = math.cos(h), math.sin(h)
        ox = x[e, k] + center_x[e, k] * c - center_y[e, k] * sn
        oy = y[e, k] + center_x[e, k] * sn + center_y[e, k] * c
        r, ln, se, dirn = road[e, k], lane[e, k], s[e, k], direction[e, k]
        rx, ry, rh, _ = reference_point(arrays, r, se)
        lane_h = rh if dirn > 0 else rh + math.pi
        centre = _lane_centre_t(arrays, r, ln, se)
        offset = (t[e, k] - centre) * dirn if math.isfinite(centre) else 0.0
        out_ego[e, 0] = speed[e, k]
        out_ego[e, 1] = acceleration[e, k] if math.isfinite(acceleration[e, k]) else 0.0
        out_ego[e, 2] = offset
        out_ego[e, 3] = _wrap(h - lane_h)
        out_ego[e, 4] = steering[e]
        out_ego[e, 5] = limit[e]
        out_ego[e, 6] = length[e, k]
        out_ego[e, 7] = width[e, k]
        last_x, last_y = rx, ry
        for i in range(LANE_POINTS):
            si = min(max(se + dirn * i * LANE_SPACING_M, 0.0), arrays.road_length[r])
            px, py, ph, _ = reference_point(arrays, r, si)
            tc = _lane_centre_t(arrays, r, ln, si)
            if math.isfinite(tc):
                last_x, last_y = px - tc * math.sin(ph), py + tc * math.cos(ph)
            dx, dy = last_x - ox, last_y - oy
            out_lane[e, i, 0] = c * dx + sn * dy
            out_lane[e, i, 1] = -sn * dx + c * dy
        for j in range(n):
            if j == k or not present[e, j]:
                dist[j] = np.inf
            else:
                cj, sj = math.cos(heading[e, j]), math.sin(heading[e, j])
                dx = x[e, j] + center_x[e, j] * cj - center_y[e, j] * sj - ox
                dy = y[e, j] + center_x[e, j] * sj + center_y[e, j] * cj - oy
                dist[j] = math.hypot(dx, dy)
        _sort_by(dist, order)
        for slot in range(MAX_ACTORS):
            for f in range(ACTOR_FEATURES):
                out_actors[e, slot, f] = 0.0
        for slot in range(min(n, MAX_ACTORS)):
            j = order[slot]
            if math.isinf(dist[j]):
                break
            cj, sj = math.cos(heading[e, j]), math.sin(heading[e, j])
            dx = x[e, j] + center_x[e, j] * cj - center_y[e, j] * sj - ox
            dy = y[e, j] + center_x[e, j] * sj + center_y[e, j] * cj - oy
            dvx, dvy = speed[e, j] * cj - speed[e, k] * c, speed[e, j] * sj - speed[e, k] * sn
            out_actors[e, slot, 0] = c * dx + sn * dy
            out_actors[e, slot, 1] = -sn * dx + c * dy
            out_actors[e, slot, 2] = c * dvx + sn * dvy
            out_actors[e, slot, 3] = -sn * dvx + c * dvy
            out_actors[e, slot, 4] = length[e, j]
            out_actors[e, slot, 5] = width[e, j]
            out_actors[e, slot, 6] = 1.0
        out_prev[e, 0] = prev_action[e, 0]
        out_prev[e, 1] = prev_action[e, 1]


@njit(cache=True, inline="always")
def _sort_by(values: F64, order: I64) -> None:
    """``order`` = the indices of ``values`` in ascending order; ties keep index order (as
    numba's ``np.argsort`` on fewer than 16 values), creating no array."""
    for i in range(len(values)):
        j = i
        while j > 0 and values[i] < values[order[j - 1]]:
            order[j] = order[j - 1]
            j -= 1
        order[j] = i


@njit(cache=True, inline="always")
def _minimum(a: float, b: float) -> float:
    """``np.minimum``: NaN wins."""
    if math.isnan(a) or a <= b:
        return a
    return b


@refcount_free
def measure(
    arrays: RoadArrays,
    k: int,
    x: F64,
    y: F64,
    heading: F64,
    speed: F64,
    acceleration: F64,
    length: F64,
    width: F64,
    center_x: F64,
    center_y: F64,
    present: B,
    road: I64,
    lane: I64,
    s: F64,
    t: F64,
    on_road: B,
    odometer: F64,
    limit: F64,
    goal: F64,
    time: float,
    dt: float,
    collided: B,
    engine_min_ttc: F64,
    active: B,
    metrics: F64,
    min_ttc: F64,
    new_collision: B,
) -> int:
    """Update the per-step metrics ``(E, N_STEP_METRICS)`` of the ``active`` episodes after one
    engine step: off-road and lane departure (any part of the ego's box outside the road /
    outside the lane holding its centre), min time headway to the entity ahead in its path,
    max deceleration and speed, time above the speed limit, time to reach the goal distance;
    and ``min_ttc`` ``(E,)`` [s] from the engine's ``engine_min_ttc``.

    An active episode whose ego has ``collided`` (the engine's flag) is marked in
    ``new_collision`` ``(E,)`` and made inactive (its metrics freeze); returns how many were.
    """
    episodes, n = x.shape
    count = 0
    for e in range(episodes):
        new_collision[e] = False
        if not active[e]:
            continue
        h, v = heading[e, k], speed[e, k]
        r, se = road[e, k], s[e, k]
        _, _, rh, _ = reference_point(arrays, r, se)
        rel = h - rh
        t_centre = t[e, k] + center_x[e, k] * math.sin(rel) + center_y[e, k] * math.cos(rel)
        reach = 0.5 * length[e, k] * abs(math.sin(rel)) + 0.5 * width[e, k] * abs(math.cos(rel))
        right, left = road_extent(arrays, r, se)
        if not on_road[e, k] or t_centre - reach < right or t_centre + reach > left:
            metrics[e, S_OFF_ROAD] = 1.0
        inner, outer, _, _ = lane_borders(arrays, r, section_at(arrays, r, se), lane[e, k], se)
        if math.isfinite(inner) and lane[e, k] != 0:
            low, high = min(inner, outer), max(inner, outer)
            if t_centre - reach < low or t_centre + reach > high:
                metrics[e, S_LANE_DEPARTURE] = 1.0
        a = acceleration[e, k]
        if math.isfinite(a):
            metrics[e, S_MAX_DECEL] = max(metrics[e, S_MAX_DECEL], -a)
        metrics[e, S_MAX_SPEED] = max(metrics[e, S_MAX_SPEED], v)
        if v > limit[e] * SPEEDING_TOLERANCE:
            metrics[e, S_SPEEDING_S] += dt
        if math.isnan(metrics[e, S_TIME_TO_GOAL]) and odometer[e, k] >= goal[e]:
            metrics[e, S_TIME_TO_GOAL] = time
        if v > HEADWAY_MIN_SPEED_M_S:
            c, sn = math.cos(h), math.sin(h)
            ox = x[e, k] + center_x[e, k] * c - center_y[e, k] * sn
            oy = y[e, k] + center_x[e, k] * sn + center_y[e, k] * c
            for j in range(n):
                if j == k or not present[e, j]:
                    continue
                cj, sj = math.cos(heading[e, j]), math.sin(heading[e, j])
                dx = x[e, j] + center_x[e, j] * cj - center_y[e, j] * sj - ox
                dy = y[e, j] + center_x[e, j] * sj + center_y[e, j] * cj - oy
                lon, lat = c * dx + sn * dy, -sn * dx + c * dy
                if lon > 0.0 and abs(lat) < 0.5 * (width[e, j] + width[e, k]):
                    gap = max(lon - 0.5 * (length[e, j] + length[e, k]), 0.0)
                    metrics[e, S_MIN_THW] = min(metrics[e, S_MIN_THW], gap / v)
        min_ttc[e] = _minimum(min_ttc[e], engine_min_ttc[e])
        if collided[e]:
            new_collision[e] = True
            active[e] = False
            count += 1
    return count


@njit(cache=True)
def hold_controls(
    action: F64,
    steering_is_rate: bool,
    ego_speed: F64,
    active: B,
    dt: float,
    time_constant_s: float,
    rate_min: float,
    rate_max: float,
    angle_min: float,
    angle_max: float,
    column: int,
    steering: F64,
    out: F64,
) -> None:
    """Engine controls ``out`` ``(E, n_external, 2)`` (steering rate rad/s, acceleration
    m/s^2 in the ego's ``column``; zero elsewhere and for episodes not ``active``) from the held
    ``action`` ``(E, 2)``: no reversing within a step; a steering-angle action is tracked with
    the lag ``time_constant_s``; the rate is clipped to its limits and to zero where it would
    push past an angle limit. ``steering`` ``(E,)`` [rad] advances by ``rate * dt``."""
    episodes, n_external, _ = out.shape
    for e in range(episodes):
        for j in range(n_external):
            out[e, j, 0] = 0.0
            out[e, j, 1] = 0.0
        floor = -max(ego_speed[e], 0.0) / dt
        acceleration = action[e, 0]
        if not (acceleration >= floor or math.isnan(acceleration)):
            acceleration = floor
        target = action[e, 1]
        rate = target if steering_is_rate else (target - steering[e]) / time_constant_s
        rate = min(max(rate, rate_min), rate_max)
        angle = steering[e]
        if (angle <= angle_min and rate <= 0) or (angle >= angle_max and rate >= 0):
            rate = 0.0
        if not active[e]:
            rate = 0.0
            acceleration = 0.0
        steering[e] = angle + rate * dt
        out[e, column, 0] = rate
        out[e, column, 1] = acceleration
