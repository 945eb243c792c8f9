"""Per-step numba kernels over the world's ``(E, N)`` arrays: move, place, derive, contacts.

One call each per step, whatever E and N: road-following entities advance along ``s`` and are
placed from the road; derived states (acceleration, how long an entity has stood still, been
at the end of the road or off it) and pairwise box contacts follow; the ego's safety metrics
are updated last. Entities move as ``simhub.engine.kinematics`` describes (esmini's default
controller). Units: m, s, rad.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
import numpy.typing as npt

from simhub.dynamics.collision import boxes_overlap
from simhub.engine.kinematics import place_one
from simhub.engine.world import MODE_ROAD
from simhub.road.kernels import (
    RoadArrays,
    refcount_free,
    refcount_free_nogil,
    reference_curvature,
)

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

STANDSTILL_SPEED = 1e-4  # m/s, below this an entity stands still
MOVING_SPEED = 1e-12  # m/s, below this a road-following entity does not advance
CONTACT_MARGIN = 1e-3  # m, slack on the bounding-circle test so rounding never hides a touch


@refcount_free
def advance_road(arrays: RoadArrays, mode: I64, present: B, road: I64, s: F64, t: F64,
                 direction: F64, speed: F64, heading_offset: F64, dt: float, odometer: F64,
                 end_of_road: B) -> None:
    """Move present, moving road-following entities along ``s`` (see
    ``kinematics.advance``); ``end_of_road`` is set where the road ends."""
    episodes, n = s.shape
    for e in range(episodes):
        for i in range(n):
            if mode[e, i] != MODE_ROAD or not present[e, i] or abs(speed[e, i]) <= MOVING_SPEED:
                continue
            step = speed[e, i] * dt * math.cos(heading_offset[e, i])
            k = reference_curvature(arrays, road[e, i], s[e, i])
            stretch = 1.0 - k * t[e, i]
            if stretch < 0.1:
                stretch = 0.1
            new_s = s[e, i] + direction[e, i] * step / stretch
            length = arrays.road_length[road[e, i]]
            end_of_road[e, i] = False
            if new_s >= length:
                new_s = length
                end_of_road[e, i] = True
            elif new_s <= 0.0:
                new_s = 0.0
                end_of_road[e, i] = True
            odometer[e, i] += abs(speed[e, i] * dt)
            s[e, i] = new_s


@refcount_free
def place_road(arrays: RoadArrays, mode: I64, present: B, road: I64, lane: I64, s: F64,
               offset: F64, direction: F64, heading_offset: F64, x: F64, y: F64, z: F64,
               heading: F64, pitch: F64, t: F64, on_road: B) -> None:
    """Poses of every present road-following entity from its ``(road, lane, s, offset)``."""
    episodes, n = s.shape
    for e in range(episodes):
        for i in range(n):
            if mode[e, i] != MODE_ROAD or not present[e, i]:
                continue
            xi, yi, zi, hi, pi, ti, li, oi, ri = place_one(
                arrays, road[e, i], lane[e, i], s[e, i], offset[e, i], direction[e, i],
                heading_offset[e, i], t[e, i])
            x[e, i] = xi
            y[e, i] = yi
            z[e, i] = zi
            heading[e, i] = hi
            pitch[e, i] = pi
            t[e, i] = ti
            lane[e, i] = li
            offset[e, i] = oi
            on_road[e, i] = ri


@numba.njit(cache=True)
def derive_states(now: float, speed: F64, end_of_road: B, on_road: B, standstill_since: F64,
                  end_of_road_since: F64, off_road_since: F64) -> None:
    """Since when [s] each entity stands still, is at the end of its road, is off the road
    (NaN while it is not)."""
    episodes, n = speed.shape
    for e in range(episodes):
        for i in range(n):
            if abs(speed[e, i]) < STANDSTILL_SPEED:
                if math.isnan(standstill_since[e, i]):
                    standstill_since[e, i] = now
            else:
                standstill_since[e, i] = math.nan
            if end_of_road[e, i]:
                if math.isnan(end_of_road_since[e, i]):
                    end_of_road_since[e, i] = now
            else:
                end_of_road_since[e, i] = math.nan
            if not on_road[e, i]:
                if math.isnan(off_road_since[e, i]):
                    off_road_since[e, i] = now
            else:
                off_road_since[e, i] = math.nan


@numba.njit(cache=True)
def accelerations(speed: F64, previous_speed: F64, dt: float, acceleration: F64) -> None:
    """``acceleration = (speed - previous_speed) / dt`` [m/s^2], in place."""
    episodes, n = speed.shape
    for e in range(episodes):
        for i in range(n):
            acceleration[e, i] = (speed[e, i] - previous_speed[e, i]) / dt


@numba.njit(cache=True, inline="always")
def _may_touch(xi: float, yi: float, li: float, wi: float, cxi: float, cyi: float, xj: float,
               yj: float, lj: float, wj: float, cxj: float, cyj: float) -> bool:
    """False when two boxes are surely apart: their reference points are further apart than
    the circles around both boxes reach (no trigonometry; most pairs of a scenario)."""
    reach = (math.sqrt(cxi * cxi + cyi * cyi) + 0.5 * math.sqrt(li * li + wi * wi)
             + math.sqrt(cxj * cxj + cyj * cyj) + 0.5 * math.sqrt(lj * lj + wj * wj))
    dx = xj - xi
    dy = yj - yi
    # written as "not apart" so that NaN coordinates still go to the exact test
    return not dx * dx + dy * dy > (reach + CONTACT_MARGIN) ** 2


@numba.njit(cache=True)
def contacts(x: F64, y: F64, heading: F64, length: F64, width: F64, cx: F64, cy: F64,
             present: B, traffic_visible: B, out: B) -> None:
    """Pairwise box overlap ``(E, N, N)`` of present entities that traffic can see."""
    episodes, n = x.shape
    for e in range(episodes):
        for i in range(n):
            out[e, i, i] = False
            for j in range(i + 1, n):
                hit = False
                if present[e, i] and traffic_visible[e, i] and present[e, j] \
                        and traffic_visible[e, j] and _may_touch(
                            x[e, i], y[e, i], length[e, i], width[e, i], cx[e, i], cy[e, i],
                            x[e, j], y[e, j], length[e, j], width[e, j], cx[e, j], cy[e, j]):
                    ci, si = math.cos(heading[e, i]), math.sin(heading[e, i])
                    cj, sj = math.cos(heading[e, j]), math.sin(heading[e, j])
                    hit = boxes_overlap(
                        x[e, i] + cx[e, i] * ci - cy[e, i] * si,
                        y[e, i] + cx[e, i] * si + cy[e, i] * ci, heading[e, i],
                        length[e, i], width[e, i],
                        x[e, j] + cx[e, j] * cj - cy[e, j] * sj,
                        y[e, j] + cx[e, j] * sj + cy[e, j] * cj, heading[e, j],
                        length[e, j], width[e, j])
                out[e, i, j] = hit
                out[e, j, i] = hit


@numba.njit(cache=True)
def ego_metrics(now: float, k: int, x: F64, y: F64, heading: F64, speed: F64, length: F64,
                width: F64, cx: F64, cy: F64, present: B, colliding: B, collided: B,
                collision_time: F64, min_ttc: F64, min_distance: F64) -> None:
    """Update the ego's first collision, smallest TTC to entities ahead and smallest box gap,
    per episode.

    Gaps are measured in the ego's frame between box extents (longitudinal and lateral);
    an entity is "ahead" when its box is in front of the ego's and overlaps it laterally.
    """
    episodes, n = x.shape
    for e in range(episodes):
        hit = False
        for j in range(n):
            if colliding[e, k, j]:
                hit = True
        if hit and not collided[e]:
            collision_time[e] = now
            collided[e] = True
        c, s = math.cos(heading[e, k]), math.sin(heading[e, k])
        front = cx[e, k] + length[e, k] / 2
        rear = cx[e, k] - length[e, k] / 2
        left = cy[e, k] + width[e, k] / 2
        right = cy[e, k] - width[e, k] / 2
        for j in range(n):
            if j == k or not present[e, j]:
                continue
            dx = x[e, j] - x[e, k]
            dy = y[e, j] - y[e, k]
            lon = dx * c + dy * s
            lat = -dx * s + dy * c
            dh = heading[e, j] - heading[e, k]
            cj, sj = 1.0, dh  # cos and sin of +-0: the entities head the same way (mostly)
            if dh != 0.0:
                cj, sj = math.cos(dh), math.sin(dh)
            center_lon = lon + cx[e, j] * cj - cy[e, j] * sj
            center_lat = lat + cx[e, j] * sj + cy[e, j] * cj
            reach_lon = abs(length[e, j] / 2 * cj) + abs(width[e, j] / 2 * sj)
            reach_lat = abs(length[e, j] / 2 * sj) + abs(width[e, j] / 2 * cj)
            gap_lon = max(center_lon - reach_lon - front, rear - (center_lon + reach_lon), 0.0)
            gap_lat = max(center_lat - reach_lat - left, right - (center_lat + reach_lat), 0.0)
            if colliding[e, k, j]:
                gap_lon = 0.0
                gap_lat = 0.0
            distance = math.hypot(gap_lon, gap_lat)
            if distance < min_distance[e]:
                min_distance[e] = distance
            ahead = center_lon - reach_lon - front
            closing = speed[e, k] - speed[e, j] * cj
            ttc = math.inf
            if colliding[e, k, j]:
                ttc = 0.0
            elif ahead > 0.0 and gap_lat <= 0.0 and closing > 1e-9:
                ttc = ahead / closing
            if ttc < min_ttc[e]:
                min_ttc[e] = ttc


@refcount_free
def move_and_place(arrays: RoadArrays, mode: I64, present: B, road: I64, lane: I64, s: F64,
                   offset: F64, direction: F64, heading_offset: F64, speed: F64, dt: float,
                   odometer: F64, end_of_road: B, x: F64, y: F64, z: F64, heading: F64,
                   pitch: F64, t: F64, on_road: B) -> None:
    """``advance_road`` then ``place_road`` in one call (no other mover in between)."""
    advance_road(arrays, mode, present, road, s, t, direction, speed, heading_offset, dt,
                 odometer, end_of_road)
    place_road(arrays, mode, present, road, lane, s, offset, direction, heading_offset, x, y,
               z, heading, pitch, t, on_road)


@numba.njit(cache=True)
def derive_all(now: float, k: int, speed: F64, previous_speed: F64, dt: float,
               acceleration: F64, end_of_road: B, on_road: B, standstill_since: F64,
               end_of_road_since: F64, off_road_since: F64, x: F64, y: F64, heading: F64,
               length: F64, width: F64, cx: F64, cy: F64, present: B, traffic_visible: B,
               colliding: B, collided: B, collision_time: F64, min_ttc: F64,
               min_distance: F64) -> None:
    """``accelerations``, ``derive_states``, ``contacts`` and ``ego_metrics`` in one call."""
    accelerations(speed, previous_speed, dt, acceleration)
    derive_states(now, speed, end_of_road, on_road, standstill_since, end_of_road_since,
                  off_road_since)
    contacts(x, y, heading, length, width, cx, cy, present, traffic_visible, colliding)
    ego_metrics(now, k, x, y, heading, speed, length, width, cx, cy, present, colliding,
                collided, collision_time, min_ttc, min_distance)


@refcount_free_nogil
def advance_episodes(a: int, b: int, road_tables: tuple[Any, ...], mode: I64, present: B,
                     road: I64, lane: I64, s: F64, offset: F64, direction: F64,
                     heading_offset: F64, speed: F64, previous_speed: F64, dt: float,
                     now: float, ego: int, odometer: F64, end_of_road: B, x: F64, y: F64,
                     z: F64, heading: F64, pitch: F64, t: F64, on_road: B,
                     acceleration: F64, standstill_since: F64, end_of_road_since: F64,
                     off_road_since: F64, length: F64, width: F64, cx: F64, cy: F64,
                     traffic_visible: B, colliding: B, collided: B, collision_time: F64,
                     min_ttc: F64, min_distance: F64) -> None:
    """``advance`` for episodes ``a`` to ``b`` only (rows as views, no copies): large batches
    run it in shares, one per core (``simhub.engine.shares``); it releases the GIL."""
    move_and_place(RoadArrays(*road_tables), mode[a:b], present[a:b], road[a:b], lane[a:b],
                   s[a:b], offset[a:b], direction[a:b], heading_offset[a:b], speed[a:b], dt,
                   odometer[a:b], end_of_road[a:b], x[a:b], y[a:b], z[a:b], heading[a:b],
                   pitch[a:b], t[a:b], on_road[a:b])
    derive_all(now, ego, speed[a:b], previous_speed[a:b], dt, acceleration[a:b],
               end_of_road[a:b], on_road[a:b], standstill_since[a:b], end_of_road_since[a:b],
               off_road_since[a:b], x[a:b], y[a:b], heading[a:b], length[a:b], width[a:b],
               cx[a:b], cy[a:b], present[a:b], traffic_visible[a:b], colliding[a:b],
               collided[a:b], collision_time[a:b], min_ttc[a:b], min_distance[a:b])


@refcount_free
def advance(road_tables: tuple[Any, ...], mode: I64, present: B, road: I64, lane: I64,
            s: F64, offset: F64, direction: F64, heading_offset: F64, speed: F64,
            previous_speed: F64, dt: float, now: float, ego: int, odometer: F64,
            end_of_road: B, x: F64, y: F64, z: F64, heading: F64, pitch: F64, t: F64,
            on_road: B, acceleration: F64, standstill_since: F64, end_of_road_since: F64,
            off_road_since: F64, length: F64, width: F64, cx: F64, cy: F64,
            traffic_visible: B, colliding: B, collided: B, collision_time: F64,
            min_ttc: F64, min_distance: F64) -> None:
    """``move_and_place`` then ``derive_all``: one call per Python step.

    ``road_tables`` is ``tuple(RoadArrays)``: numba types a plain tuple in C from its arrays'
    fingerprints but a namedtuple in Python, field by field, which with the second call
    made most of a one-episode step's cost (~80 -> ~45 us on a loaded 2-core machine)."""
    advance_episodes(0, s.shape[0], road_tables, mode, present, road, lane, s,
                     offset, direction, heading_offset, speed, previous_speed, dt, now, ego,
                     odometer, end_of_road, x, y, z, heading, pitch, t, on_road,
                     acceleration, standstill_since, end_of_road_since, off_road_since,
                     length, width, cx, cy, traffic_visible, colliding, collided,
                     collision_time, min_ttc, min_distance)
