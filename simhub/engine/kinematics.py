"""Numba kernels that place road-following entities: ``(road, lane, s, offset)`` to world poses.

Road-following ("default controller") motion as esmini does it: an entity keeps its lane and
lateral offset, ``s`` advances by ``direction * speed * dt`` and the pose is read from the road.
Arrays are flat views of the world's ``(E, N)`` arrays (episodes x entities). Units: m, rad.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import numpy.typing as npt

from simhub.road.kernels import (
    RoadArrays,
    elevation_at,
    lane_and_extent,
    lane_borders,
    locate_lane,
    refcount_free,
    reference_curvature,
    reference_point,
    section_at,
)

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

TWO_PI = 2.0 * math.pi


@numba.njit(cache=True, nogil=True, inline="always")
def lane_center_t(arrays: RoadArrays, road: int, lane: int, s: float) -> float:
    """Lateral offset ``t`` [m] of lane ``lane``'s centre line at ``s`` (NaN if absent)."""
    section = section_at(arrays, road, s)
    inner, outer, _, _ = lane_borders(arrays, road, section, lane, s)
    return 0.5 * (inner + outer)


@numba.njit(cache=True, nogil=True, inline="always")
def wrap_angle(angle: float) -> float:
    """``angle`` in ``[0, 2 pi)``."""
    if 0.0 <= angle < TWO_PI:
        return angle  # what the arithmetic below gives it (-0.0 included: -0.0 - 0.0)
    value = angle - TWO_PI * math.floor(angle / TWO_PI)
    if value < 0.0:
        value += TWO_PI
    if value >= TWO_PI:
        value -= TWO_PI
    return value


@numba.njit(cache=True, nogil=True, inline="always")
def place_one(
    arrays: RoadArrays, road: int, lane: int, s: float, offset: float, direction: float,
    heading_offset: float, t_before: float,
) -> tuple[float, float, float, float, float, float, int, float, bool]:
    """Pose of one road-following entity.

    Returns ``(x, y, z, heading, pitch, t, lane, offset, on_road)``. Where the lane has ended
    at ``s`` the entity keeps its lateral position ``t_before`` and takes the lane found there.
    """
    length = arrays.road_length[road]
    s = min(max(s, 0.0), length)
    inner, outer, right, left = lane_and_extent(arrays, road, lane, s)
    center = 0.5 * (inner + outer)
    if math.isnan(center):
        t = t_before
        lane, _ = locate_lane(arrays, road, s, t)
        center = lane_center_t(arrays, road, lane, s)
        if math.isnan(center):
            center = t
        offset = t - center
    else:
        t = center + offset
    x0, y0, h, _ = reference_point(arrays, road, s)
    z, dz = elevation_at(arrays, road, s)
    x = x0 - t * math.sin(h)
    y = y0 + t * math.cos(h)
    pitch = -(math.atan(dz) if dz != 0.0 else dz)  # atan(+-0) is +-0: flat roads skip it
    if direction < 0.0:
        h = h + math.pi
        pitch = -pitch
    on_road = right - 1e-9 <= t <= left + 1e-9
    return x, y, z, wrap_angle(h + heading_offset), pitch, t, lane, offset, on_road


@refcount_free
def place_all(
    arrays: RoadArrays, road: I64, lane: I64, s: F64, offset: F64, direction: F64,
    heading_offset: F64, mask: B, x: F64, y: F64, z: F64, heading: F64, pitch: F64, t: F64,
    on_road: B,
) -> None:  # fmt: skip
    """Write poses of every masked entity (flat arrays) in place; lanes may be updated."""
    for i in range(s.shape[0]):
        if not mask[i]:
            continue
        xi, yi, zi, hi, pi, ti, li, oi, ri = place_one(
            arrays, road[i], lane[i], s[i], offset[i], direction[i], heading_offset[i], t[i]
        )
        x[i] = xi
        y[i] = yi
        z[i] = zi
        heading[i] = hi
        pitch[i] = pi
        t[i] = ti
        lane[i] = li
        offset[i] = oi
        on_road[i] = ri


@refcount_free
def advance(
    arrays: RoadArrays, road: I64, s: F64, t: F64, direction: F64, speed: F64,
    heading_offset: F64, mask: B, dt: float, odometer: F64, end_of_road: B,
) -> None:  # fmt: skip
    """Move masked road-following entities along ``s`` by the road-wise part of their motion,
    ``direction * speed * cos(heading_offset) * dt`` measured along the entity's lateral
    offset ``t`` (on a curve of curvature k an offset path is ``1 - k t`` times as long as the
    reference line); clamped to the road, ``end_of_road`` set where the road ends."""
    for i in range(s.shape[0]):
        if not mask[i]:
            continue
        step = speed[i] * dt * math.cos(heading_offset[i])
        k = reference_curvature(arrays, road[i], s[i])
        stretch = 1.0 - k * t[i]
        if stretch < 0.1:
            stretch = 0.1
        new_s = s[i] + direction[i] * step / stretch
        length = arrays.road_length[road[i]]
        end_of_road[i] = False
        if new_s >= length:
            new_s = length
            end_of_road[i] = True
        elif new_s <= 0.0:
            new_s = 0.0
            end_of_road[i] = True
        odometer[i] += abs(speed[i] * dt)
        s[i] = new_s


@numba.njit(cache=True)
def lane_centers(arrays: RoadArrays, road: I64, lane: I64, s: F64) -> F64:
    """``t`` of each lane centre, shape ``(n,)`` (NaN where the lane does not exist)."""
    out = np.empty(s.shape[0])
    for i in range(s.shape[0]):
        out[i] = lane_center_t(arrays, road[i], lane[i], s[i])
    return out


@numba.njit(cache=True)
def locate_lanes(arrays: RoadArrays, road: I64, s: F64, t: F64) -> tuple[I64, B]:
    """Lane holding ``(s, t)`` and whether it is inside the paved width, each ``(n,)``."""
    lanes = np.empty(s.shape[0], np.int64)
    inside = np.empty(s.shape[0], np.bool_)
    for i in range(s.shape[0]):
        lanes[i], inside[i] = locate_lane(arrays, road[i], s[i], t[i])
    return lanes, inside


@numba.njit(cache=True)
def road_headings(arrays: RoadArrays, road: I64, s: F64) -> F64:
    """Reference-line heading [rad] at ``s`` of each point, shape ``(n,)``."""
    out = np.empty(s.shape[0])
    for i in range(s.shape[0]):
        _, _, h, _ = reference_point(arrays, road[i], s[i])
        out[i] = h
    return out
