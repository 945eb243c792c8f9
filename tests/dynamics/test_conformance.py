"""Our KS, ST and KST agree with CommonRoad's pure-Python models (parameter sets 2 and 4)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vehiclemodels.parameters_vehicle2 import parameters_vehicle2
from vehiclemodels.parameters_vehicle4 import parameters_vehicle4
from vehiclemodels.vehicle_dynamics_ks import vehicle_dynamics_ks
from vehiclemodels.vehicle_dynamics_kst import vehicle_dynamics_kst
from vehiclemodels.vehicle_dynamics_st import vehicle_dynamics_st

from simhub.dynamics import Stepper, param_table
from simhub.facility.model import VehicleParams
from tests.dynamics.conftest import commonroad_params

FRICTIONS = (1.0, 0.7, 0.3, 0.1)
VECTORS_PER_EXAMPLE = 50
REFERENCE: dict[str, tuple[Callable[..., Any], int]] = {
    "ks": (vehicle_dynamics_ks, 2),
    "st": (vehicle_dynamics_st, 2),
    "kst": (vehicle_dynamics_kst, 4),
}
_PARAMS = {(vid, mu): commonroad_params(vid, mu) for vid in (2, 4) for mu in FRICTIONS}


def random_states(model: str, rng: np.random.Generator, n: int) -> np.ndarray:
    """States beyond every limit too (steering past its stop, speeds past v_max, v ~ 0)."""
    speed = rng.uniform(-16.0, 55.0, n)
    slow = rng.random(n) < 0.25
    speed[slow] = rng.uniform(-0.15, 0.15, slow.sum())
    columns = [
        rng.uniform(-200, 200, n),
        rng.uniform(-200, 200, n),
        rng.uniform(-1.2, 1.2, n),
        speed,
        rng.uniform(-math.pi, math.pi, n),
    ]
    if model == "st":
        columns += [rng.uniform(-2.0, 2.0, n), rng.uniform(-0.6, 0.6, n)]
    if model == "kst":
        columns += [rng.uniform(-2.0, 2.0, n)]  # past +-pi/2: jack-knifed
    return np.column_stack(columns)


def vehicle_for(model: str, passenger: VehicleParams, truck: VehicleParams) -> VehicleParams:
    return truck if model == "kst" else passenger


@pytest.mark.parametrize("model", ["ks", "st", "kst"])
def test_cabin_parameters_are_commonroads(
    model: str, passenger: VehicleParams, truck: VehicleParams
) -> None:
    vehicle = vehicle_for(model, passenger, truck)
    p = parameters_vehicle4() if model == "kst" else parameters_vehicle2()
    assert (vehicle.cog_to_front_axle_m, vehicle.cog_to_rear_axle_m) == (p.a, p.b)
    assert vehicle.steering_angle_max_rad == p.steering.max
    assert vehicle.steering_rate_max_rad_s == p.steering.v_max
    assert vehicle.speed_max_m_s == p.longitudinal.v_max
    assert vehicle.switching_speed_m_s == p.longitudinal.v_switch
    assert vehicle.acceleration_max_m_s2 == p.longitudinal.a_max
    if model == "st":
        assert (vehicle.mass_kg, vehicle.yaw_inertia_kg_m2, vehicle.cog_height_m) == (
            p.m,
            p.I_z,
            p.h_s,
        )
        assert vehicle.friction_coefficient == p.tire.p_dy1
        assert vehicle.cornering_stiffness_front_per_rad == pytest.approx(
            -p.tire.p_ky1 / p.tire.p_dy1, rel=1e-15
        )
    if model == "kst":
        assert p.trailer is not None and vehicle.trailer is not None
        assert vehicle.trailer.wheelbase_m == p.trailer.l_wb


@pytest.mark.parametrize("model", ["ks", "st", "kst"])
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_right_hand_side_matches_commonroad(
    model: str, seed: int, passenger: VehicleParams, truck: VehicleParams
) -> None:
    rng = np.random.default_rng(seed)
    n = VECTORS_PER_EXAMPLE
    states = random_states(model, rng, n)
    inputs = np.column_stack([rng.uniform(-0.8, 0.8, n), rng.uniform(-14.0, 14.0, n)])
    friction = rng.choice(FRICTIONS, n)
    stepper = Stepper(
        model, param_table([vehicle_for(model, passenger, truck)]), n, 0.01,
        road_friction=friction,
    )  # fmt: skip
    ours = stepper.derivatives(states, inputs)
    reference_rhs, vehicle_id = REFERENCE[model]
    for i in range(n):
        expected = reference_rhs(
            list(states[i]), list(inputs[i]), _PARAMS[(vehicle_id, float(friction[i]))]
        )
        np.testing.assert_allclose(
            ours[i], expected, rtol=1e-9, atol=1e-9, err_msg=f"vehicle {i}: x={states[i]}"
        )


def commonroad_rk4(
    rhs: Callable[..., Any], x: list[float], inputs: np.ndarray, p: Any, dt: float
) -> np.ndarray:
    """CommonRoad's right-hand side driven by textbook RK4, one input row per step."""
    state = np.array(x, dtype=float)
    for u in inputs:
        u_list = list(u)
        k1 = np.array(rhs(list(state), u_list, p))
        k2 = np.array(rhs(list(state + 0.5 * dt * k1), u_list, p))
        k3 = np.array(rhs(list(state + 0.5 * dt * k2), u_list, p))
        k4 = np.array(rhs(list(state + dt * k3), u_list, p))
        state = state + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return state


@pytest.mark.parametrize("model", ["ks", "st", "kst"])
@pytest.mark.parametrize("start_speed", [0.0, 8.0, 25.0])
def test_ten_second_trajectory_matches_commonroad(
    model: str, start_speed: float, passenger: VehicleParams, truck: VehicleParams
) -> None:
    dt, steps = 0.01, 1000
    t = np.arange(steps) * dt
    inputs = np.column_stack([0.3 * np.sin(0.9 * t), 2.0 * np.cos(0.4 * t)])
    x0 = [0.0, 0.0, 0.0, start_speed, 0.3] + {"ks": [], "st": [0.0, 0.0], "kst": [0.0]}[model]
    stepper = Stepper(model, param_table([vehicle_for(model, passenger, truck)]), 1, dt)
    state = np.array([x0])
    for k in range(steps):
        state = stepper.step(state, inputs[k : k + 1])
    reference_rhs, vehicle_id = REFERENCE[model]
    expected = commonroad_rk4(reference_rhs, x0, inputs, _PARAMS[(vehicle_id, 1.0)], dt)
    np.testing.assert_allclose(state[0], expected, rtol=1e-8, atol=1e-8)
