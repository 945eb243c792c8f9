"""A world of ego vehicles stepped by ``simhub.dynamics`` plus simple IDM traffic.

Until the scenario engine lands this is the world a live session runs: a straight road along
+x with ``lanes`` lanes (lane ``k`` centred at ``y = k * lane_width_m``), the egos placed by
their bindings, and ``traffic.vehicles`` IDM cars spread over the lanes ahead of them.

Pedals to acceleration: ``a = throttle * a_max - brake * max_brake_deceleration`` (``a_max``
from the cabin's vehicle; reverse gear negates the throttle; neutral gives no drive), and the
vehicle never rolls backwards under braking: a step that would cross zero speed stops at zero.
Steering: the road-wheel target is ``wheel angle / steering_ratio``; the model's steering rate
input is ``(target - delta) / STEERING_TIME_CONSTANT_S``, which the model clips to its rate
limits. Accelerations in the state are finite differences over the step in the vehicle frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numba import njit

from simhub.dynamics import IdmParams, Stepper, param_table, state_size
from simhub.dynamics import warm_up as warm_up_dynamics
from simhub.dynamics.drivers import idm
from simhub.facility.model import CabinSpec, VehicleModel
from simhub.session.controls import C_BRAKE, C_GEAR, C_STEERING_WHEEL, C_THROTTLE, N_CONTROLS
from simhub.session.model import EgoBinding, TrafficConfig
from simhub.session.world import (
    F_ACCEL_LAT,
    F_ACCEL_LONG,
    F_LENGTH,
    F_SPEED,
    F_STEERING,
    F_WIDTH,
    F_X,
    F_Y,
    F_YAW,
    F_YAW_RATE,
    N_FIELDS,
    EntityInfo,
    EntityKind,
    FloatArray,
)

STEERING_TIME_CONSTANT_S = 0.05
TRAFFIC_LENGTH_M = 4.5
TRAFFIC_WIDTH_M = 1.8

# Per-ego constants, one row each (float64): see _EGO_* below.
_EGO_RATIO = 0  # steering ratio
_EGO_ACCEL_MAX = 1  # m/s^2
_EGO_BRAKE_MAX = 2  # m/s^2
_EGO_BETA_INDEX = 3  # column of the slip angle in the model state, -1 none
N_EGO_CONSTANTS = 4


@njit(cache=True)
def ego_inputs(
    controls: np.ndarray,  # (N_CONTROLS,)
    override_deceleration: float,
    state: np.ndarray,  # (nx,) model state: x, y, delta, v, psi, ...
    constants: np.ndarray,  # (N_EGO_CONSTANTS,)
    dt: float,
    inputs: np.ndarray,  # (2,) written: steering rate, acceleration
) -> None:
    """Pedals and wheel to the model's inputs (see the module docstring)."""
    target = controls[C_STEERING_WHEEL] / constants[_EGO_RATIO]
    inputs[0] = (target - state[2]) / STEERING_TIME_CONSTANT_S
    speed = state[3]
    if override_deceleration > 0.0:
        accel = -override_deceleration if speed > 0.0 else 0.0
    else:
        gear = controls[C_GEAR]
        drive = 0.0 if gear == 0.0 else (-1.0 if gear < 0.0 else 1.0)
        accel = drive * controls[C_THROTTLE] * constants[_EGO_ACCEL_MAX]
        brake = controls[C_BRAKE] * constants[_EGO_BRAKE_MAX]
        accel -= brake if speed > 0.0 else (-brake if speed < 0.0 else 0.0)
    # Braking never reverses the direction of travel: stop exactly at zero.
    if (speed > 0.0 and speed + accel * dt < 0.0 and not (controls[C_GEAR] < 0.0)) or (
        speed < 0.0 and speed + accel * dt > 0.0 and controls[C_GEAR] < 0.0
    ):
        accel = -speed / dt
    elif speed == 0.0 and override_deceleration > 0.0:
        accel = 0.0
    inputs[1] = accel


@njit(cache=True)
def ego_kinematics(
    before: np.ndarray, after: np.ndarray, beta_index: int, dt: float, row: np.ndarray
) -> None:
    """Write one ego's world-state row from its model state before and after a step."""
    beta0 = before[beta_index] if beta_index >= 0 else 0.0
    beta1 = after[beta_index] if beta_index >= 0 else 0.0
    vx0 = before[3] * math.cos(before[4] + beta0)
    vy0 = before[3] * math.sin(before[4] + beta0)
    vx1 = after[3] * math.cos(after[4] + beta1)
    vy1 = after[3] * math.sin(after[4] + beta1)
    ax = (vx1 - vx0) / dt
    ay = (vy1 - vy0) / dt
    c = math.cos(after[4])
    s = math.sin(after[4])
    row[F_X] = after[0]
    row[F_Y] = after[1]
    row[F_YAW] = after[4]
    row[F_SPEED] = after[3]
    row[F_ACCEL_LONG] = c * ax + s * ay
    row[F_ACCEL_LAT] = -s * ax + c * ay
    row[F_YAW_RATE] = (after[4] - before[4]) / dt
    row[F_STEERING] = after[2]


@njit(cache=True)
def traffic_step(
    state: np.ndarray,
    first: int,
    lane_width: float,
    desired_speed: float,
    idm_p: np.ndarray,
    dt: float,
) -> None:
    """Move traffic rows ``first..`` along +x by IDM behind the nearest entity in their lane."""
    n = state.shape[0]
    for i in range(first, n):
        lane_i = round(state[i, F_Y] / lane_width)
        gap = math.inf
        leader_speed = 0.0
        for j in range(n):
            if j == i or round(state[j, F_Y] / lane_width) != lane_i:
                continue
            ahead = state[j, F_X] - state[i, F_X]
            if ahead <= 0.0:
                continue
            g = ahead - 0.5 * (state[j, F_LENGTH] + state[i, F_LENGTH])
            if g < gap:
                gap = g
                leader_speed = state[j, F_SPEED]
        v = state[i, F_SPEED]
        a = idm(
            v, gap, leader_speed, desired_speed, idm_p[0], idm_p[1], idm_p[2], idm_p[3], idm_p[4]
        )
        if v + a * dt < 0.0:
            a = -v / dt
        state[i, F_SPEED] = v + a * dt
        state[i, F_X] += state[i, F_SPEED] * dt
        state[i, F_ACCEL_LONG] = a
        state[i, F_ACCEL_LAT] = 0.0
        state[i, F_YAW_RATE] = 0.0


class VehicleWorld:
    """Egos on ``simhub.dynamics`` (one ``Stepper`` per ego, RK4) and IDM traffic."""

    def __init__(
        self,
        egos: Sequence[EgoBinding],
        cabins: Sequence[CabinSpec],
        traffic: TrafficConfig,
        physics_dt_s: float,
        *,
        max_brake_deceleration_m_s2: float = 9.0,
    ) -> None:
        if len(egos) != len(cabins):
            raise ValueError("one cabin per ego")
        self._traffic = traffic
        self._dt = physics_dt_s
        infos = [
            EntityInfo(e.name, EntityKind.EGO, c.vehicle.model.value)
            for e, c in zip(egos, cabins, strict=True)
        ]
        infos += [
            EntityInfo(f"traffic-{k}", EntityKind.TRAFFIC, "idm") for k in range(traffic.vehicles)
        ]
        self._entities = tuple(infos)
        self._state: FloatArray = np.zeros((len(infos), N_FIELDS))
        self._steppers: list[Stepper] = []
        self._model_states: list[FloatArray] = []
        self._before: list[FloatArray] = []
        self._inputs: list[FloatArray] = []
        self._constants: FloatArray = np.zeros((len(egos), N_EGO_CONSTANTS))
        self._beta: list[int] = []
        for i, (ego, cabin) in enumerate(zip(egos, cabins, strict=True)):
            vehicle = cabin.vehicle
            stepper = Stepper(vehicle.model, param_table([vehicle]), 1, physics_dt_s)
            x = np.zeros((1, state_size(vehicle.model)))
            x[0, 0] = ego.start_x_m
            x[0, 1] = ego.lane * traffic.lane_width_m
            x[0, 3] = ego.start_speed_m_s
            self._steppers.append(stepper)
            self._model_states.append(x)
            self._before.append(x.copy())
            self._inputs.append(np.zeros((1, 2)))
            self._constants[i] = (
                cabin.controls.steering_ratio,
                vehicle.acceleration_max_m_s2,
                max_brake_deceleration_m_s2,
                6 if vehicle.model is VehicleModel.ST else -1,
            )
            self._beta.append(6 if vehicle.model is VehicleModel.ST else -1)
            row = self._state[i]
            row[F_X], row[F_Y], row[F_SPEED] = x[0, 0], x[0, 1], x[0, 3]
            row[F_LENGTH], row[F_WIDTH] = vehicle.length_m, vehicle.width_m
        self._n_egos = len(egos)
        lead_x = max((e.start_x_m for e in egos), default=0.0)
        for k in range(traffic.vehicles):
            row = self._state[self._n_egos + k]
            row[F_X] = lead_x + traffic.spacing_m * (1 + k // max(traffic.lanes, 1))
            row[F_Y] = (k % max(traffic.lanes, 1)) * traffic.lane_width_m
            row[F_SPEED] = traffic.desired_speed_m_s * 0.8
            row[F_LENGTH], row[F_WIDTH] = TRAFFIC_LENGTH_M, TRAFFIC_WIDTH_M
        p = IdmParams()
        self._idm: FloatArray = np.array(
            [
                p.time_headway_s,
                p.minimum_gap_m,
                p.max_acceleration_m_s2,
                p.comfortable_deceleration_m_s2,
                p.acceleration_exponent,
            ]
        )
        self._controls_row: FloatArray = np.zeros(N_CONTROLS)

    @property
    def entities(self) -> tuple[EntityInfo, ...]:
        return self._entities

    @property
    def state(self) -> FloatArray:
        return self._state

    def warm_up(self) -> None:
        """Compile every kernel this world calls (dynamics and its own), off the loop."""
        warm_up_dynamics()
        controls = np.zeros(N_CONTROLS)
        scratch = np.zeros(N_FIELDS)
        for i in range(self._n_egos):
            x = self._model_states[i].copy()
            ego_inputs(controls, 0.0, x[0], self._constants[i], self._dt, self._inputs[i][0])
            self._steppers[i].step(x, self._inputs[i], out=x)
            ego_kinematics(x[0], x[0], self._beta[i], self._dt, scratch)
        traffic_step(
            self._state.copy(),
            self._n_egos,
            self._traffic.lane_width_m,
            self._traffic.desired_speed_m_s,
            self._idm,
            self._dt,
        )

    def step(self, controls: FloatArray, override_deceleration: FloatArray, dt: float) -> None:
        for i in range(self._n_egos):
            x = self._model_states[i]
            before = self._before[i]
            np.copyto(before, x)
            ego_inputs(
                controls[i],
                float(override_deceleration[i]),
                x[0],
                self._constants[i],
                dt,
                self._inputs[i][0],
            )
            self._steppers[i].step(x, self._inputs[i], out=x)
            ego_kinematics(before[0], x[0], self._beta[i], dt, self._state[i])
        if self._traffic.vehicles:
            traffic_step(
                self._state,
                self._n_egos,
                self._traffic.lane_width_m,
                self._traffic.desired_speed_m_s,
                self._idm,
                dt,
            )


def place_ego(
    world: VehicleWorld, index: int, x: float, y: float, yaw: float, speed: float
) -> None:
    """Put ego *index* at a pose [m, m, rad] and speed [m/s] (before the loop starts)."""
    model = world._model_states[index][0]
    model[:] = 0.0
    model[0], model[1], model[3], model[4] = x, y, speed, yaw
    row = world.state[index]
    row[F_X], row[F_Y], row[F_YAW], row[F_SPEED] = x, y, yaw, speed
