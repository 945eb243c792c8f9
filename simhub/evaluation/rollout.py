"""Closed-loop batch rollout of one chunk: all its episodes stepped at once, the policy batched.

``run_chunk`` is the one place that steps a world. Today the world is the straight two-lane road
of ``templates`` with scripted actors, stepped by the kernels below (ego: the project's KS model,
``simhub.dynamics.ks.rk4_one``, with CommonRoad parameter set 2; collisions: the project's
oriented boxes). When the scenario engine's batch API lands, ``_World`` is what gets replaced:
the policy loop, criteria and results stay as they are.

Per policy period (``1 / policy_hz`` s): observe all episodes -> ``policy.act`` once for the
whole batch -> check the answer (a wrong shape or dtype fails the chunk; NaN rows fail only those
episodes) -> ``physics_hz / policy_hz`` physics steps with the action held.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numba import njit

from simhub.dynamics import ks
from simhub.dynamics.collision import boxes_overlap
from simhub.dynamics.params import param_row
from simhub.evaluation import templates as tp
from simhub.evaluation.criteria import EpisodeResult, judge
from simhub.evaluation.policy import (
    ACTOR_FEATURES,
    EGO_FEATURES,
    LANE_POINTS,
    LANE_SPACING_M,
    MAX_ACTORS,
    ActionKind,
    Policy,
    check_actions,
    check_spec,
)
from simhub.evaluation.suite import Chunk, Suite
from simhub.facility.model import VehicleModel, VehicleParams

#: The ego vehicle: CommonRoad parameter set 2 (BMW 320i), as ``cabins/passenger.toml``.
EGO_VEHICLE = VehicleParams(
    model=VehicleModel("ks"),
    parameter_source="CommonRoad parameter set 2 (BMW 320i)",
    length_m=4.508, width_m=1.61, mass_kg=1093.2952334674046,
    yaw_inertia_kg_m2=1791.5995300122856, cog_to_front_axle_m=1.1561957064,
    cog_to_rear_axle_m=1.4227170936, cog_height_m=0.61373004,
    steering_angle_min_rad=-1.066, steering_angle_max_rad=1.066,
    steering_rate_min_rad_s=-0.4, steering_rate_max_rad_s=0.4,
    speed_min_m_s=-13.9, speed_max_m_s=50.8, switching_speed_m_s=7.319,
    acceleration_max_m_s2=11.5, friction_coefficient=1.0489,
    cornering_stiffness_front_per_rad=20.898083706740398,
    cornering_stiffness_rear_per_rad=20.898083706740398,
)  # fmt: skip
STEER_TIME_CONSTANT_S = 0.1  # steering-angle actions are tracked with this lag (rate-limited)
SPEEDING_TOLERANCE = 1.05  # above 105 % of the limit counts as speeding

# Metric columns (per episode).
M_COLLISION, M_COLLISION_ACTOR, M_COLLISION_REL_SPEED, M_COLLISION_TIME = 0, 1, 2, 3
M_OFF_ROAD, M_LANE_DEPARTURE, M_MIN_TTC, M_MIN_THW = 4, 5, 6, 7
M_MAX_DECEL, M_MAX_JERK, M_SPEEDING_S, M_RED_LIGHT = 8, 9, 10, 11
M_TIME_TO_GOAL, M_DISTANCE, M_MAX_SPEED = 12, 13, 14
N_METRICS = 15


@dataclass(frozen=True)
class ChunkResult:
    chunk_index: int
    episodes: tuple[EpisodeResult, ...]
    wall_s: float = 0.0
    worker: str = ""


@njit(cache=True)
def _centre(ego: np.ndarray, b: int, half_wb: float) -> tuple[float, float]:
    return ego[b, 0] + half_wb * math.cos(ego[b, 4]), ego[b, 1] + half_wb * math.sin(ego[b, 4])


@njit(cache=True)
def _advance(
    ego: np.ndarray, inputs: np.ndarray, steer_is_rate: bool, params: np.ndarray,
    actors: np.ndarray, actor_state: np.ndarray, alive: np.ndarray, metrics: np.ndarray,
    accel_now: np.ndarray, limit: np.ndarray, goal: np.ndarray, t0: float, dt: float, steps: int,
) -> None:  # fmt: skip
    """``steps`` physics steps of ``dt`` s for every live episode, the inputs held.

    ego ``(B, 5)`` KS state (rear axle); inputs ``(B, 2)`` steer (angle or rate) and accel;
    actors ``(B, A, N_ACTOR)`` scripts; actor_state ``(B, A, 3)`` cut-in start s, y at cut-in
    start m, brake start s; metrics ``(B, N_METRICS)`` updated in place.
    """
    n_b, n_a = actors.shape[0], actors.shape[1]
    length, width = params[0, 17], params[0, 18]
    half_wb = 0.5 * (params[0, 0] + params[0, 1])
    u = np.zeros((1, 2))
    state = np.zeros((1, 5))
    for b in range(n_b):
        if not alive[b]:
            continue
        for k in range(steps):
            t = t0 + k * dt
            # scripted actors
            for a in range(n_a):
                if actors[b, a, tp.A_ACTIVE] == 0.0:
                    continue
                if math.isinf(actor_state[b, a, 0]) and math.isfinite(actors[b, a, tp.A_CUT_HEADWAY_S]):
                    cx, _ = _centre(ego, b, half_wb)
                    gap = actors[b, a, tp.A_X] - 0.5 * actors[b, a, tp.A_LENGTH] - (cx + 0.5 * length)
                    if gap > 0.0 and gap >= actors[b, a, tp.A_CUT_HEADWAY_S] * ego[b, 3]:
                        actor_state[b, a, 0] = t
                        actor_state[b, a, 1] = actors[b, a, tp.A_Y]
                        actor_state[b, a, 2] = t + actors[b, a, tp.A_CUT_DURATION_S] + actors[b, a, tp.A_BRAKE_AFTER_CUT_S]
                if math.isfinite(actor_state[b, a, 0]):
                    p = min(1.0, (t - actor_state[b, a, 0]) / actors[b, a, tp.A_CUT_DURATION_S])
                    y0, y1 = actor_state[b, a, 1], actors[b, a, tp.A_CUT_TO_Y]
                    actors[b, a, tp.A_Y] = y0 + (y1 - y0) * 0.5 * (1.0 - math.cos(math.pi * p))
                if t >= actors[b, a, tp.A_BRAKE_AT_S] or t >= actor_state[b, a, 2]:
                    actors[b, a, tp.A_SPEED] = max(0.0, actors[b, a, tp.A_SPEED] - actors[b, a, tp.A_BRAKE_MPS2] * dt)
                actors[b, a, tp.A_X] += actors[b, a, tp.A_SPEED] * dt
            # ego: KS model, RK4; no reversing (braking stops at standstill)
            speed = ego[b, 3]
            accel = max(inputs[b, 1], -speed / dt)
            if steer_is_rate:
                u[0, 0] = inputs[b, 0]
            else:
                u[0, 0] = (inputs[b, 0] - ego[b, 2]) / STEER_TIME_CONSTANT_S
            u[0, 1] = accel
            for j in range(5):
                state[0, j] = ego[b, j]
            ks.rk4_one(state, u, params, 0, 1.0, dt, state, 0)
            for j in range(5):
                ego[b, j] = state[0, j]
            if ego[b, 3] < 0.0:
                ego[b, 3] = 0.0
            applied = (ego[b, 3] - speed) / dt
            accel_now[b] = applied
            _measure(ego, b, actors, metrics, applied, limit[b], goal[b], t + dt, dt, length, width, half_wb)
            if metrics[b, M_COLLISION] > 0.0:
                alive[b] = False
                break


@njit(cache=True)
def _measure(
    ego: np.ndarray, b: int, actors: np.ndarray, metrics: np.ndarray, accel: float,
    limit: float, goal: float, t: float, dt: float, length: float, width: float, half_wb: float,
) -> None:  # fmt: skip
    cx, cy = _centre(ego, b, half_wb)
    yaw, speed = ego[b, 4], ego[b, 3]
    extent_y = 0.5 * length * abs(math.sin(yaw)) + 0.5 * width * abs(math.cos(yaw))
    if cy + extent_y > tp.ROAD_LEFT_EDGE_M or cy - extent_y < tp.ROAD_RIGHT_EDGE_M:
        metrics[b, M_OFF_ROAD] = 1.0
    half_lane = 0.5 * tp.LANE_WIDTH_M
    if cy + extent_y > half_lane or cy - extent_y < -half_lane:
        metrics[b, M_LANE_DEPARTURE] = 1.0
    metrics[b, M_MAX_DECEL] = max(metrics[b, M_MAX_DECEL], -accel)
    metrics[b, M_MAX_SPEED] = max(metrics[b, M_MAX_SPEED], speed)
    if speed > limit * SPEEDING_TOLERANCE:
        metrics[b, M_SPEEDING_S] += dt
    metrics[b, M_DISTANCE] = ego[b, 0]
    if math.isnan(metrics[b, M_TIME_TO_GOAL]) and ego[b, 0] >= goal:
        metrics[b, M_TIME_TO_GOAL] = t
    for a in range(actors.shape[1]):
        if actors[b, a, tp.A_ACTIVE] == 0.0:
            continue
        ax, ay, av = actors[b, a, tp.A_X], actors[b, a, tp.A_Y], actors[b, a, tp.A_SPEED]
        al, aw = actors[b, a, tp.A_LENGTH], actors[b, a, tp.A_WIDTH]
        if boxes_overlap(cx, cy, yaw, length, width, ax, ay, 0.0, al, aw):
            metrics[b, M_COLLISION] = 1.0
            metrics[b, M_COLLISION_ACTOR] = a
            rvx, rvy = speed * math.cos(yaw) - av, speed * math.sin(yaw)
            metrics[b, M_COLLISION_REL_SPEED] = math.sqrt(rvx * rvx + rvy * rvy)
            metrics[b, M_COLLISION_TIME] = t
            return
        if abs(ay - cy) < 0.5 * (aw + width) and ax > cx:  # the leader in the ego's path
            gap = ax - cx - 0.5 * (al + length)
            if speed > 0.1:
                metrics[b, M_MIN_THW] = min(metrics[b, M_MIN_THW], max(gap, 0.0) / speed)
            if speed > av:
                metrics[b, M_MIN_TTC] = min(metrics[b, M_MIN_TTC], max(gap, 0.0) / (speed - av))


@njit(cache=True)
def _observe(
    ego: np.ndarray, actors: np.ndarray, accel_now: np.ndarray, limit: np.ndarray,
    params: np.ndarray, prev_action: np.ndarray,
    out_ego: np.ndarray, out_lane: np.ndarray, out_actors: np.ndarray, out_prev: np.ndarray,
) -> None:  # fmt: skip
    """Fill the contract's observation arrays (``simhub.evaluation.policy``) for all episodes."""
    length, width = params[0, 17], params[0, 18]
    half_wb = 0.5 * (params[0, 0] + params[0, 1])
    n_b, n_a = actors.shape[0], actors.shape[1]
    order = np.zeros(n_a, dtype=np.int64)
    dist = np.zeros(n_a)
    for b in range(n_b):
        cx, cy = _centre(ego, b, half_wb)
        yaw, speed = ego[b, 4], ego[b, 3]
        lane_y = round(cy / tp.LANE_WIDTH_M) * tp.LANE_WIDTH_M
        lane_y = min(max(lane_y, 0.0), tp.LANE_WIDTH_M)
        c, s = math.cos(yaw), math.sin(yaw)
        out_ego[b, 0] = speed
        out_ego[b, 1] = accel_now[b]
        out_ego[b, 2] = cy - lane_y
        out_ego[b, 3] = yaw
        out_ego[b, 4] = ego[b, 2]
        out_ego[b, 5] = limit[b]
        out_ego[b, 6] = length
        out_ego[b, 7] = width
        for i in range(LANE_POINTS):
            dx, dy = i * LANE_SPACING_M, lane_y - cy
            out_lane[b, i, 0] = c * dx + s * dy
            out_lane[b, i, 1] = -s * dx + c * dy
        for a in range(n_a):
            order[a] = a
            if actors[b, a, tp.A_ACTIVE] == 0.0:
                dist[a] = np.inf
            else:
                dist[a] = math.hypot(actors[b, a, tp.A_X] - cx, actors[b, a, tp.A_Y] - cy)
        order = np.argsort(dist)
        for k in range(MAX_ACTORS):
            for f in range(ACTOR_FEATURES):
                out_actors[b, k, f] = 0.0
        for k in range(min(n_a, MAX_ACTORS)):
            a = order[k]
            if math.isinf(dist[a]):
                break
            dx, dy = actors[b, a, tp.A_X] - cx, actors[b, a, tp.A_Y] - cy
            dvx, dvy = actors[b, a, tp.A_SPEED] - speed * c, -speed * s
            out_actors[b, k, 0] = c * dx + s * dy
            out_actors[b, k, 1] = -s * dx + c * dy
            out_actors[b, k, 2] = c * dvx + s * dvy
            out_actors[b, k, 3] = -s * dvx + c * dvy
            out_actors[b, k, 4] = actors[b, a, tp.A_LENGTH]
            out_actors[b, k, 5] = actors[b, a, tp.A_WIDTH]
            out_actors[b, k, 6] = 1.0
        out_prev[b, 0] = prev_action[b, 0]
        out_prev[b, 1] = prev_action[b, 1]


class _World:
    """The batch world of one chunk (see the module doc: the engine's batch API replaces it)."""

    def __init__(self, chunk: Chunk, suite: Suite) -> None:
        setups = [
            tp.build(e.template, dict(e.parameters), e.id, suite.duration_s) for e in chunk.episodes
        ]
        n = len(setups)
        self.params = param_row(EGO_VEHICLE)[None, :].copy()
        self.ego = np.zeros((n, 5))
        self.ego[:, 3] = [s.ego_speed_m_s for s in setups]
        # the KS state is the rear axle: put the body centre on x = 0, y = 0
        self.ego[:, 0] = -0.5 * (self.params[0, 0] + self.params[0, 1])
        self.actors = np.ascontiguousarray(np.stack([s.actors for s in setups]))
        self.actor_state = np.full((n, self.actors.shape[1], 3), np.inf)
        self.limit = np.array([s.speed_limit_m_s for s in setups])
        self.goal = np.array([s.goal_x_m for s in setups]) + self.ego[:, 0]
        self.alive = np.ones(n, dtype=np.bool_)
        self.accel_now = np.zeros(n)
        self.metrics = np.zeros((n, N_METRICS))
        self.metrics[:, [M_COLLISION_ACTOR]] = -1.0
        self.metrics[:, [M_MIN_TTC, M_MIN_THW]] = np.inf
        self.metrics[:, [M_COLLISION_REL_SPEED, M_COLLISION_TIME, M_TIME_TO_GOAL]] = np.nan
        self.start_x = self.ego[:, 0].copy()


def run_chunk(chunk: Chunk, suite: Suite, policy: Policy) -> ChunkResult:
    """Roll out every episode of *chunk* with *policy* in closed loop; results in episode order.

    Raises ``InvalidArgument`` when the policy breaks the contract for the whole batch (spec,
    shape, dtype); NaN / infinite actions fail only the episodes they belong to.
    """
    kind = check_spec(policy.spec)
    world = _World(chunk, suite)
    n = len(chunk.episodes)
    substeps = suite.physics_hz // suite.policy_hz
    dt = 1.0 / suite.physics_hz
    periods = round(suite.duration_s * suite.policy_hz)
    obs_ego = np.zeros((n, EGO_FEATURES), dtype=np.float32)
    obs_lane = np.zeros((n, LANE_POINTS, 2), dtype=np.float32)
    obs_actors = np.zeros((n, MAX_ACTORS, ACTOR_FEATURES), dtype=np.float32)
    obs_prev = np.zeros((n, 2), dtype=np.float32)
    prev = np.zeros((n, 2))
    failed: dict[int, str] = {}
    inputs = np.zeros((n, 2))
    for period in range(periods):
        if not world.alive.any():
            break
        _observe(world.ego, world.actors, world.accel_now, world.limit, world.params, prev,
                 obs_ego, obs_lane, obs_actors, obs_prev)  # fmt: skip
        observations: Mapping[str, np.ndarray] = {
            "ego": obs_ego, "lane": obs_lane, "actors": obs_actors, "prev_action": obs_prev,
        }  # fmt: skip
        actions = policy.act(observations)
        bad = check_actions(actions, n) & world.alive
        for b in np.flatnonzero(bad):
            failed[int(b)] = f"the model answered NaN or infinite actions at t = {period / suite.policy_hz:g} s"
            world.alive[b] = False
        acts = np.nan_to_num(actions.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        inputs[:, 1] = np.clip(acts[:, 0], -11.5, 11.5)
        inputs[:, 0] = acts[:, 1]
        jerk = np.abs(inputs[:, 1] - prev[:, 0]) * suite.policy_hz if period else np.zeros(n)
        world.metrics[:, M_MAX_JERK] = np.where(
            world.alive, np.maximum(world.metrics[:, M_MAX_JERK], jerk), world.metrics[:, M_MAX_JERK]
        )
        prev[:, 0], prev[:, 1] = inputs[:, 1], inputs[:, 0]
        _advance(world.ego, inputs, kind is ActionKind.ACCELERATION_STEERING_RATE, world.params,
                 world.actors, world.actor_state, world.alive, world.metrics, world.accel_now,
                 world.limit, world.goal, period / suite.policy_hz, dt, substeps)  # fmt: skip
    results = []
    for b, episode in enumerate(chunk.episodes):
        m = world.metrics[b]
        travelled = m[M_DISTANCE] - world.start_x[b]
        results.append(
            judge(
                episode,
                metrics=_metric_map(m, travelled, world.goal[b] - world.start_x[b]),
                collided_with=_actor_name(episode.template, int(m[M_COLLISION_ACTOR])),
                error=failed.get(b, ""),
            )
        )
    return ChunkResult(chunk.index, tuple(results))


def _actor_name(template: str, index: int) -> str:
    if index < 0:
        return ""
    return {"cut_in": "overtaker"}.get(template, "target") + ("" if index == 0 else f"_{index}")


def _metric_map(m: np.ndarray, travelled: float, route: float) -> dict[str, float]:
    return {
        "collision": float(m[M_COLLISION]),
        "collision_relative_speed_m_s": float(m[M_COLLISION_REL_SPEED]),
        "collision_time_s": float(m[M_COLLISION_TIME]),
        "off_road": float(m[M_OFF_ROAD]),
        "lane_departure": float(m[M_LANE_DEPARTURE]),
        "min_ttc_s": float(m[M_MIN_TTC]),
        "min_time_headway_s": float(m[M_MIN_THW]),
        "max_deceleration_m_s2": float(m[M_MAX_DECEL]),
        "max_jerk_m_s3": float(m[M_MAX_JERK]),
        "speeding_s": float(m[M_SPEEDING_S]),
        "red_light_violations": float(m[M_RED_LIGHT]),
        "time_to_goal_s": float(m[M_TIME_TO_GOAL]),
        "route_completion": float(min(1.0, max(0.0, travelled / route))),
        "distance_m": float(travelled),
        "max_speed_m_s": float(m[M_MAX_SPEED]),
    }
