"""Vectorised pose queries: ``(road, s, t)`` and ``(road, lane, s, offset)`` to world poses."""

from __future__ import annotations

import math

import numba
import numpy as np

from simhub.road.kernels import (
    F64,
    I64,
    RoadArrays,
    elevation_at,
    lane_borders,
    reference_point,
    section_at,
)

POSE_COLUMNS = ("x", "y", "z", "heading", "pitch")


@numba.njit(cache=True, parallel=True)
def reference_poses(arrays: RoadArrays, road: I64, s: F64, t: F64) -> F64:
    """World poses of points ``(road[i], s[i], t[i])``; shape ``(n, 5)``: x, y, z, heading, pitch.

    ``t`` is measured along the reference line's normal (left positive); the heading is the
    reference line's; pitch follows OpenDRIVE (positive nose down, ``-atan(dz/ds)``).
    """
    n = s.shape[0]
    out = np.empty((n, 5))
    for i in numba.prange(n):
        x, y, h, _ = reference_point(arrays, road[i], s[i])
        z, dz = elevation_at(arrays, road[i], s[i])
        out[i, 0] = x - t[i] * math.sin(h)
        out[i, 1] = y + t[i] * math.cos(h)
        out[i, 2] = z
        out[i, 3] = h
        out[i, 4] = -math.atan(dz)
    return out


@numba.njit(cache=True, parallel=True)
def lane_poses(arrays: RoadArrays, road: I64, lane: I64, s: F64, offset: F64) -> F64:
    """Poses at ``offset`` metres left of lane ``lane[i]``'s centre line; shape ``(n, 5)``.

    The heading follows the lane centre line (it turns where the lane widens); rows for a lane
    that does not exist at ``s`` are NaN.
    """
    n = s.shape[0]
    out = np.empty((n, 5))
    for i in numba.prange(n):
        r = road[i]
        section = section_at(arrays, r, s[i])
        inner, outer, d_inner, d_outer = lane_borders(arrays, r, section, lane[i], s[i])
        x, y, h, k = reference_point(arrays, r, s[i])
        z, dz = elevation_at(arrays, r, s[i])
        t = 0.5 * (inner + outer) + offset[i]
        dt = 0.5 * (d_inner + d_outer)
        h_lane = h + math.atan2(dt, 1.0 - k * t)
        out[i, 0] = x - t * math.sin(h)
        out[i, 1] = y + t * math.cos(h)
        out[i, 2] = z
        out[i, 3] = h_lane
        out[i, 4] = -math.atan(dz)
    return out
