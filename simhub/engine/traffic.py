"""Driver models for entities whose controller is ``idm`` or ``idm_mobil``.

Vectorised over episodes: every IDM-driven entity follows the nearest entity ahead in its lane
(same road, same direction); braking is capped by road friction (``mu * g``). MOBIL decisions
(``simhub.dynamics.mobil_lane_changes``) start a 3 s sinusoidal lane change.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import numpy.typing as npt

from simhub.engine import shares
from simhub.engine.context import Context
from simhub.engine.kinematics import lane_center_t
from simhub.engine.world import MODE_ROAD
from simhub.road.kernels import RoadArrays, locate_lane

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

G = 9.81  # m/s^2
LANE_CHANGE_S = 3.0
MOBIL_OWNER = -2  # lateral_owner value while a MOBIL lane change runs


def idm_acceleration(speed: F64, gap: F64, lead_speed: F64, desired: F64,
                     headway: F64 | float, min_gap: F64 | float, a_max: F64 | float,
                     b_comf: F64 | float) -> F64:
    """IDM acceleration [m/s^2]; ``gap`` bumper to bumper [m] (inf without a leader)."""
    free = 1.0 - (np.maximum(speed, 0.0) / np.maximum(desired, 1e-3)) ** 4
    wanted = min_gap + np.maximum(0.0, speed * headway + speed * (speed - lead_speed)
                                  / (2.0 * np.sqrt(a_max * b_comf)))
    with np.errstate(divide="ignore", invalid="ignore"):
        interaction = np.where(np.isfinite(gap), (wanted / np.maximum(gap, 0.01)) ** 2, 0.0)
    return np.asarray(a_max * (free - interaction))


def leaders(ctx: Context, k: int) -> tuple[F64, F64]:
    """Bumper-to-bumper gap [m] to the nearest entity ahead in ``k``'s lane and its speed."""
    w = ctx.world
    gap = np.full(w.episodes, np.inf)
    lead_speed = np.zeros(w.episodes)
    _leaders(k, w.road, w.s, w.t, w.direction, w.speed, w.heading, w.length, w.width,
             w.center_x, w.present & ctx.traffic_visible, gap, lead_speed)
    return gap, lead_speed


@numba.njit(cache=True)
def _leaders(k: int, road: I64, s: F64, t: F64, direction: F64, speed: F64, heading: F64,
             length: F64, width: F64, cx: F64, solid: B, gap: F64, lead_speed: F64) -> None:
    episodes, n = s.shape
    for e in range(episodes):
        front = cx[e, k] + length[e, k] / 2
        for j in range(n):
            if j == k or not solid[e, j] or road[e, j] != road[e, k]:
                continue
            ds = (s[e, j] - s[e, k]) * direction[e, k]
            if ds <= 0.0 or abs(t[e, j] - t[e, k]) >= (width[e, j] + width[e, k]) / 2:
                continue
            same_way = 1.0 if direction[e, j] == direction[e, k] else -1.0
            g = ds - front - (length[e, j] / 2 - cx[e, j] * same_way)
            if g < gap[e]:
                gap[e] = g
                lead_speed[e] = speed[e, j] * math.cos(heading[e, j] - heading[e, k])


# Columns of ``Traffic._params`` (each ``(E,)``), in the order the kernel reads them.
_PARAMS = (("desiredSpeed", 30.0), ("timeHeadway", 1.5), ("minimumGap", 2.0),
           ("maxAcceleration", 1.5), ("comfortableDeceleration", 2.0), ("maxDeceleration", 9.0))


class Traffic:
    """IDM / MOBIL drivers of a batch."""

    def __init__(self, ctx: Context) -> None:
        n = ctx.world.episodes
        cols = len(ctx.world.entities)
        self.start_t = np.zeros((n, cols))
        self.target_lane = np.zeros((n, cols), np.int64)
        self.elapsed = np.zeros((n, cols))
        self.scratch = np.zeros((2, n))  # the IDM kernels' leader gaps and speeds
        self._key: tuple[tuple[int, int], ...] | None = None
        self._assignments = -1  # ctx.controller_assignments when _key was last checked
        self._columns = np.zeros(0, np.int64)
        self._mobil_flags = np.zeros(0, np.bool_)
        self._params = np.zeros((0, len(_PARAMS), n))

    def _driven(self, ctx: Context) -> None:
        """Columns driven by IDM (in assignment order) and their parameters ``(n, 6, E)``;
        rebuilt only when a controller assignment changed."""
        if ctx.controller_assignments == self._assignments:
            return
        self._assignments = ctx.controller_assignments
        key = tuple((k, id(s)) for k, s in ctx.controllers.items()
                    if s.kind in ("idm", "idm_mobil"))
        if key == self._key:
            return
        self._key = key
        n = ctx.world.episodes
        specs = [(k, ctx.controllers[k]) for k, _ in key]
        self._columns = np.array([k for k, _ in specs], dtype=np.int64)
        self._mobil_flags = np.array([s.kind == "idm_mobil" for _, s in specs], dtype=np.bool_)
        self._params = np.array([[np.broadcast_to(np.asarray(s.get(name, default),
                                                             dtype=np.float64), (n,))
                                  for name, default in _PARAMS] for _, s in specs],
                                dtype=np.float64).reshape(len(specs), len(_PARAMS), n)

    def step(self, ctx: Context) -> None:
        """IDM speeds of every driven entity (then its MOBIL lane change), in the order the
        controllers were assigned: a later entity sees the earlier ones' new speeds."""
        if not ctx.controllers:
            return  # no driver models (assignments are never withdrawn)
        w = ctx.world
        self._driven(ctx)
        if self._columns.shape[0]:
            solid = w.present & ctx.traffic_visible
            if self._mobil_flags.any():
                _idm_mobil_step(ctx.arrays, self._columns, self._mobil_flags, self._params,
                                ctx.longitudinal_control, w.mode, w.road, w.s, w.t, w.direction,
                                w.speed, w.heading, w.length, w.width, w.center_x, solid,
                                w.friction, ctx.dt, w.lateral_owner, w.lane, w.lane_offset,
                                w.heading_offset, self.start_t, self.target_lane, self.elapsed,
                                self.scratch)
            else:
                args = (self._columns, self._params, ctx.longitudinal_control, w.mode, w.road,
                        w.s, w.t, w.direction, w.speed, w.heading, w.length, w.width,
                        w.center_x, solid, w.friction, ctx.dt, self.scratch)
                shares.run(_idm_step, _idm_share, w.episodes, *args)
        self._mobil(ctx)

    def _mobil(self, ctx: Context) -> None:
        w = ctx.world
        if w.frame % 50:
            return  # decide twice a second at dt = 0.01
        columns = [k for k, s in ctx.controllers.items() if s.kind == "idm_mobil"]
        if not columns:
            return
        lanes = -w.lane  # right-hand lanes -1, -2, ... -> 1, 2, ...
        lane_index = np.where((w.direction > 0) & (w.lane < 0) & w.present, lanes - 1, -1)
        lane_count = int(max(lane_index.max(initial=0) + 1, 1))
        from simhub.dynamics import IdmParams, MobilParams, mobil_lane_changes

        spec = ctx.controllers[columns[0]]
        decision = mobil_lane_changes(
            w.s * w.direction, lane_index, w.speed, w.length,
            np.full(w.s.shape, spec.scalar("desiredSpeed", 30.0)), lane_count,
            IdmParams(), MobilParams(politeness=spec.scalar("politeness", 0.25),
                                     threshold_m_s2=spec.scalar("threshold", 0.2)))
        for k in columns:
            free = (w.lateral_owner[:, k] == -1) & ctx.lateral_control[:, k] & (
                lane_index[:, k] >= 0)
            change = free & (decision[:, k] != 0)
            if not change.any():
                continue
            # lane index +1 is one lane further right: lane id - 1
            self.target_lane[change, k] = w.lane[change, k] - decision[change, k]
            self.start_t[change, k] = w.t[change, k]
            self.elapsed[change, k] = 0.0
            w.lateral_owner[change, k] = MOBIL_OWNER


@numba.njit(cache=True)
def _idm_column(j: int, k: int, params: F64, control: B, mode: I64, road: I64, s: F64, t: F64,
                direction: F64, speed: F64, heading: F64, length: F64, width: F64, cx: F64,
                solid: B, friction: F64, dt: float, scratch: F64) -> bool:
    """IDM speed update of column ``k`` (parameter row ``j``); False where it drives nowhere.

    The same arithmetic as ``idm_acceleration`` and ``leaders``, one episode at a time.
    ``scratch`` ``(2, E)`` holds the leaders' gaps and speeds: the kernel allocates nothing, so
    kernels compiled without reference counting (the fused run) can call it."""
    episodes = s.shape[0]
    active = False
    for e in range(episodes):
        if control[e, k] and mode[e, k] == MODE_ROAD:
            active = True
            break
    if not active:
        return False
    gap, lead_speed = scratch[0], scratch[1]
    for e in range(episodes):
        gap[e] = np.inf
        lead_speed[e] = 0.0
    _leaders(k, road, s, t, direction, speed, heading, length, width, cx, solid, gap,
             lead_speed)
    for e in range(episodes):
        if not (control[e, k] and mode[e, k] == MODE_ROAD):
            continue
        desired, headway, min_gap = params[j, 0, e], params[j, 1, e], params[j, 2, e]
        a_max, b_comf, b_max = params[j, 3, e], params[j, 4, e], params[j, 5, e]
        v = speed[e, k]
        free = 1.0 - (max(v, 0.0) / max(desired, 1e-3)) ** 4
        wanted = min_gap + max(0.0, v * headway + v * (v - lead_speed[e])
                               / (2.0 * math.sqrt(a_max * b_comf)))
        interaction = 0.0
        if math.isfinite(gap[e]):
            interaction = (wanted / max(gap[e], 0.01)) ** 2
        acc = a_max * (free - interaction)
        brake_cap = min(b_max, friction[e] * G)
        acc = min(max(acc, -brake_cap), a_max)
        speed[e, k] = max(v + acc * dt, 0.0)
    return True


@numba.njit(cache=True)
def _idm_step(columns: I64, params: F64, control: B, mode: I64, road: I64, s: F64, t: F64,
              direction: F64, speed: F64, heading: F64, length: F64, width: F64, cx: F64,
              solid: B, friction: F64, dt: float, scratch: F64) -> None:
    for j in range(columns.shape[0]):
        _idm_column(j, columns[j], params, control, mode, road, s, t, direction, speed,
                    heading, length, width, cx, solid, friction, dt, scratch)


@numba.njit(cache=True, nogil=True)
def _idm_share(a: int, b: int, columns: I64, params: F64, control: B, mode: I64, road: I64,
               s: F64, t: F64, direction: F64, speed: F64, heading: F64, length: F64,
               width: F64, cx: F64, solid: B, friction: F64, dt: float, scratch: F64) -> None:
    """``_idm_step`` for episodes ``a`` to ``b`` only (rows as views): large batches run it
    in shares, one per core (``simhub.engine.shares``)."""
    _idm_step(columns, params[:, :, a:b], control[a:b], mode[a:b], road[a:b], s[a:b],
              t[a:b], direction[a:b], speed[a:b], heading[a:b], length[a:b], width[a:b],
              cx[a:b], solid[a:b], friction[a:b], dt, scratch[:, a:b])


@numba.njit(cache=True)
def _idm_mobil_step(arrays: RoadArrays, columns: I64, mobil: B, params: F64, control: B,
                    mode: I64, road: I64, s: F64, t: F64, direction: F64, speed: F64,
                    heading: F64, length: F64, width: F64, cx: F64, solid: B, friction: F64,
                    dt: float, lateral_owner: I64, lane: I64, lane_offset: F64,
                    heading_offset: F64, start_t: F64, target_lane: I64, elapsed: F64,
                    scratch: F64) -> None:
    """``_idm_step`` with the running MOBIL lane changes (3 s, sinusoidal) of ``idm_mobil``
    columns, each right after its entity's speed update."""
    for j in range(columns.shape[0]):
        k = columns[j]
        if not _idm_column(j, k, params, control, mode, road, s, t, direction, speed, heading,
                           length, width, cx, solid, friction, dt, scratch) or not mobil[j]:
            continue
        for e in range(s.shape[0]):
            if lateral_owner[e, k] != MOBIL_OWNER:
                continue
            elapsed[e, k] += dt
            center = lane_center_t(arrays, road[e, k], target_lane[e, k], s[e, k])
            if math.isnan(center):
                center = t[e, k]
            f = elapsed[e, k] / LANE_CHANGE_S
            progress = (1.0 - math.cos(math.pi * min(max(f, 0.0), 1.0))) / 2.0
            t_new = start_t[e, k] + (center - start_t[e, k]) * progress
            angle = 0.0
            if speed[e, k] > 1e-9:
                angle = math.atan((t_new - t[e, k]) * direction[e, k]
                                  / max(speed[e, k] * dt, 1e-12))
            new_lane, _ = locate_lane(arrays, road[e, k], s[e, k], t_new)
            new_center = lane_center_t(arrays, road[e, k], new_lane, s[e, k])
            if math.isnan(new_center):
                new_center = 0.0
            t[e, k] = t_new
            lane[e, k] = new_lane
            lane_offset[e, k] = t_new - new_center
            heading_offset[e, k] = angle
            if f >= 1.0:
                heading_offset[e, k] = 0.0
                lateral_owner[e, k] = -1
