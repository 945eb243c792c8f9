"""Road coordinates of dynamics-driven entities, kept up to date incrementally.

An entity moved by a vehicle model (an external controller such as an AI policy) has its world
pose ``(x, y, heading)`` from the integrator; the engine still needs its road coordinates
(road, s, t, lane, offset, direction) for conditions, observations and metrics. A physics step
moves it a few centimetres, so the projection starts from last step's ``(road, s)`` with a
Newton step along that road (``simhub.road.projection.project_near``); only where that fails
(the entity left the road, ran past its end, or jumped) does the caller fall back to the global
grid projection. The pose is not re-placed from the lane: x, y and heading are already known.
Units: m, rad.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import numpy.typing as npt

from simhub.engine.kinematics import lane_center_t
from simhub.engine.world import MODE_DYNAMICS
from simhub.road.kernels import (
    RoadArrays,
    elevation_at,
    locate_lane,
    refcount_free,
    reference_point,
)
from simhub.road.projection import project_near

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

TWO_PI = 2.0 * math.pi
LOCAL_REACH_M = 25.0  # further than this from last step's s the entity jumped: project globally


@numba.njit(cache=True, nogil=True)
def _wrap(angle: float) -> float:
    value = angle - TWO_PI * math.floor(angle / TWO_PI)
    return value if value < TWO_PI else value - TWO_PI


@refcount_free
def track_dynamics(
    arrays: RoadArrays, columns: I64, state: F64, mode: I64, x: F64, y: F64, heading: F64,
    odometer: F64, road: I64, s: F64, t: F64, lane: I64, offset: F64, direction: F64,
    heading_offset: F64, on_road: B, z: F64, pitch: F64, lost: B,
) -> None:  # fmt: skip
    """Move dynamics-driven entities to their integrated pose and update road coordinates.

    ``columns`` ``(J,)`` are the externally driven entity columns, ``state`` ``(E, J, 5)`` their
    ``(x, y, steer, speed, yaw)``; world arrays are ``(E, N)``. Where the local projection
    fails ``lost[e, j]`` is set and the road coordinates are left for the caller.
    """
    episodes = x.shape[0]
    for j in range(columns.shape[0]):
        k = columns[j]
        for e in range(episodes):
            lost[e, j] = False
            if mode[e, k] != MODE_DYNAMICS:
                continue
            px = state[e, j, 0]
            py = state[e, j, 1]
            odometer[e, k] += math.hypot(px - x[e, k], py - y[e, k])
            x[e, k] = px
            y[e, k] = py
            h = _wrap(state[e, j, 4])
            heading[e, k] = h
            r = road[e, k]
            if r < 0:
                lost[e, j] = True
                continue
            si, ti, ok = project_near(arrays, r, s[e, k], px, py, LOCAL_REACH_M)
            if not ok:
                lost[e, j] = True
                continue
            lane_id, inside = locate_lane(arrays, r, si, ti)
            center = lane_center_t(arrays, r, lane_id, si)
            _, _, road_h, _ = reference_point(arrays, r, si)
            forward = math.cos(h - road_h) >= 0.0
            base = road_h if forward else road_h + math.pi
            zi, dz = elevation_at(arrays, r, si)
            grade = -math.atan(dz)
            s[e, k] = si
            t[e, k] = ti
            lane[e, k] = lane_id
            offset[e, k] = 0.0 if math.isnan(center) else ti - center
            direction[e, k] = 1.0 if forward else -1.0
            heading_offset[e, k] = math.atan2(math.sin(h - base), math.cos(h - base))
            on_road[e, k] = inside
            z[e, k] = zi
            pitch[e, k] = grade if forward else -grade
