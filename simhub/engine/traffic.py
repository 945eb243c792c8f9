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

from simhub.dynamics import IdmParams, MobilParams, mobil_lane_changes
from simhub.engine.context import Context
from simhub.engine.kinematics import lane_centers
from simhub.engine.shapes import shape_fraction
from simhub.engine.world import MODE_ROAD

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


class Traffic:
    """IDM / MOBIL drivers of a batch."""

    def __init__(self, ctx: Context) -> None:
        n = ctx.world.episodes
        cols = len(ctx.world.entities)
        self.start_t = np.zeros((n, cols))
        self.target_lane = np.zeros((n, cols), np.int64)
        self.elapsed = np.zeros((n, cols))

    def step(self, ctx: Context) -> None:
        w = ctx.world
        for k, spec in ctx.controllers.items():
            if spec.kind not in ("idm", "idm_mobil"):
                continue
            active = ctx.longitudinal_control[:, k] & (w.mode[:, k] == MODE_ROAD)
            if not active.any():
                continue
            gap, lead_speed = leaders(ctx, k)
            desired = np.broadcast_to(spec.get("desiredSpeed", 30.0), (w.episodes,))
            acc = idm_acceleration(w.speed[:, k], gap, lead_speed, np.asarray(desired),
                                   spec.get("timeHeadway", 1.5), spec.get("minimumGap", 2.0),
                                   spec.get("maxAcceleration", 1.5),
                                   spec.get("comfortableDeceleration", 2.0))
            brake_cap = np.minimum(spec.get("maxDeceleration", 9.0), w.friction * G)
            acc = np.clip(acc, -brake_cap, spec.get("maxAcceleration", 1.5))
            speed = np.maximum(w.speed[:, k] + acc * ctx.dt, 0.0)
            w.speed[active, k] = speed[active]
            if spec.kind == "idm_mobil":
                self._lane_change_step(ctx, k)
        self._mobil(ctx)

    def _mobil(self, ctx: Context) -> None:
        w = ctx.world
        columns = [k for k, s in ctx.controllers.items() if s.kind == "idm_mobil"]
        if not columns or w.frame % 50:
            return  # decide twice a second at dt = 0.01
        lanes = -w.lane  # right-hand lanes -1, -2, ... -> 1, 2, ...
        lane_index = np.where((w.direction > 0) & (w.lane < 0) & w.present, lanes - 1, -1)
        lane_count = int(max(lane_index.max(initial=0) + 1, 1))
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

    def _lane_change_step(self, ctx: Context, k: int) -> None:
        w = ctx.world
        mine = w.lateral_owner[:, k] == MOBIL_OWNER
        if not mine.any():
            return
        self.elapsed[mine, k] += ctx.dt
        center = lane_centers(ctx.arrays, w.road[:, k], self.target_lane[:, k], w.s[:, k])
        center = np.where(np.isnan(center), w.t[:, k], center)
        f = self.elapsed[:, k] / LANE_CHANGE_S
        t_new = self.start_t[:, k] + (center - self.start_t[:, k]) * shape_fraction(
            "sinusoidal", f)
        from simhub.engine.actions import _set_lateral

        with np.errstate(divide="ignore", invalid="ignore"):
            angle = np.where(w.speed[:, k] > 1e-9, np.arctan(
                (t_new - w.t[:, k]) * w.direction[:, k]
                / np.maximum(w.speed[:, k] * ctx.dt, 1e-12)), 0.0)
        _set_lateral(ctx, k, mine, t_new, angle)
        done = mine & (f >= 1.0)
        w.heading_offset[done, k] = 0.0
        w.lateral_owner[done, k] = -1
