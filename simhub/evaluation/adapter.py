"""The two policy notions, reconciled: a contract ``Policy`` driving the engine.

``simhub.evaluation.policy.Policy`` is the public contract (``docs/policy-contract.md``): a
model answers ``(B, 2)`` actions (acceleration, steering angle or rate) to the contract's
observations (ego state, lane points ahead, nearest actors, previous action) at the policy rate.
``simhub.engine.policy.Policy`` is the engine's internal closed-loop hook: called every physics
step with an ``engine.Observation``, it answers controls ``(E, n_external, 2)``: steering rate
and acceleration of the external entities.

``PolicyController`` adapts the first to the second. It is an ``engine.Policy`` (so
``simhub.engine.rollout(batch, controller, duration)`` runs a contract model too), and the
evaluation's own loop (``rollout.Rollout``) calls its parts directly: ``decide`` once per policy
period (observe every episode, one batched ``act``, check the answer), ``controls`` every
physics step (hold the action; steering angle -> rate with a first-order lag; no reversing).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from simhub.engine import BatchWorld, Observation
from simhub.evaluation import observe as ob
from simhub.evaluation.policy import (
    ACTOR_FEATURES,
    EGO_FEATURES,
    LANE_POINTS,
    MAX_ACTORS,
    ActionKind,
    Policy,
    check_actions,
)
from simhub.facility.model import VehicleModel, VehicleParams

#: The ego's dynamics: CommonRoad parameter set 2 (BMW 320i), as ``cabins/passenger.toml``.
EGO_VEHICLE = VehicleParams(
    model=VehicleModel("ks"),
    parameter_source="CommonRoad parameter set 2 (BMW 320i)",
    length_m=4.508,
    width_m=1.61,
    mass_kg=1093.2952334674046,
    yaw_inertia_kg_m2=1791.5995300122856,
    cog_to_front_axle_m=1.1561957064,
    cog_to_rear_axle_m=1.4227170936,
    cog_height_m=0.61373004,
    steering_angle_min_rad=-1.066,
    steering_angle_max_rad=1.066,
    steering_rate_min_rad_s=-0.4,
    steering_rate_max_rad_s=0.4,
    speed_min_m_s=-13.9,
    speed_max_m_s=50.8,
    switching_speed_m_s=7.319,
    acceleration_max_m_s2=11.5,
    friction_coefficient=1.0489,
    cornering_stiffness_front_per_rad=20.898083706740398,
    cornering_stiffness_rear_per_rad=20.898083706740398,
)
STEER_TIME_CONSTANT_S = 0.1  # steering-angle actions are tracked with this lag (rate-limited)
MAX_ACCELERATION_M_S2 = 11.5  # actions are clipped to +- this before the dynamics' own limits

F64 = npt.NDArray[np.float64]


class PolicyController:
    """A contract ``Policy`` as the engine's external controller of the ego (module doc)."""

    def __init__(self, batch: BatchWorld, policy: Policy, kind: ActionKind, policy_hz: int) -> None:
        self.batch, self.policy, self.kind = batch, policy, kind
        self.period_s = 1.0 / policy_hz
        n = batch.world.episodes
        self.limit: F64 = np.zeros(n)
        self.steering: F64 = np.zeros(n)  # the ego's steering angle [rad], as the KS model has it
        self.action: F64 = np.zeros((n, 2))  # held: acceleration, steering (angle or rate)
        self._ego = np.zeros((n, EGO_FEATURES), np.float32)
        self._lane = np.zeros((n, LANE_POINTS, 2), np.float32)
        self._actors = np.zeros((n, MAX_ACTORS, ACTOR_FEATURES), np.float32)
        self._prev = np.zeros((n, 2), np.float32)
        self._out = np.zeros((n, len(batch.external), 2))
        self._dist = np.zeros(batch.world.x.shape[1])
        self._order = np.zeros(batch.world.x.shape[1], np.int64)
        self._column = batch.external.index(batch.ego)
        self._decided_at = -np.inf
        self._calls = 0

    def observations(self) -> dict[str, npt.NDArray[np.float32]]:
        """The contract's observations of every episode now (``simhub.evaluation.policy``)."""
        w, network = self.batch.world, self.batch.network
        assert network is not None
        ob.observe(
            network.arrays,
            self.batch.ego,
            w.x,
            w.y,
            w.heading,
            w.speed,
            w.acceleration,
            w.length,
            w.width,
            w.center_x,
            w.center_y,
            w.present,
            w.road,
            w.lane,
            w.s,
            w.t,
            w.direction,
            self.steering,
            self.limit,
            self.action,
            self._ego,
            self._lane,
            self._actors,
            self._prev,
            self._dist,
            self._order,
        )
        return {
            "ego": self._ego,
            "lane": self._lane,
            "actors": self._actors,
            "prev_action": self._prev,
        }

    def decide(self) -> tuple[npt.NDArray[np.bool_], F64]:
        """Ask the policy once for every episode; returns the episodes whose answer was NaN or
        infinite ``(E,)`` and the commanded jerk ``(E,)`` [m/s^3] since the last answer."""
        answer = self.policy.act(self.observations())
        bad = check_actions(answer, self.batch.world.episodes)
        action = np.nan_to_num(answer.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        action[:, 0] = np.clip(action[:, 0], -MAX_ACCELERATION_M_S2, MAX_ACCELERATION_M_S2)
        jerk = (
            np.abs(action[:, 0] - self.action[:, 0]) / self.period_s
            if self._calls
            else np.zeros(len(bad))
        )
        self.action = action
        self._calls += 1
        self._decided_at = self.batch.world.time
        return bad, jerk

    def hold(self) -> F64:
        """Zero controls (before the first decision)."""
        self._out[:] = 0.0
        return self._out

    def controls(self, active: npt.NDArray[np.bool_]) -> F64:
        """Engine controls ``(E, n_external, 2)`` for the next physics step from the held
        action; episodes not ``active`` get zero controls."""
        params = EGO_VEHICLE
        ob.hold_controls(
            self.action,
            self.kind is ActionKind.ACCELERATION_STEERING_RATE,
            self.batch.world.speed[:, self.batch.ego],
            active,
            self.batch.dt,
            STEER_TIME_CONSTANT_S,
            params.steering_rate_min_rad_s,
            params.steering_rate_max_rad_s,
            # as simhub.dynamics.constraints: no rate that pushes past the angle limits
            params.steering_angle_min_rad,
            params.steering_angle_max_rad,
            self._column,
            self.steering,
            self._out,
        )
        return self._out

    def __call__(self, observation: Observation) -> F64:
        """The engine's ``Policy``: a new decision each policy period, controls every step."""
        if observation.time >= self._decided_at + self.period_s - 1e-9:
            self.decide()
        return self.controls(np.ones(self.batch.world.episodes, np.bool_))
