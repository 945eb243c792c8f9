"""Physics sanity: braking distances, the low-speed circle, no energy from nowhere, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simhub.dynamics import ROAD_FRICTION, Stepper, param_table, state_size
from simhub.dynamics.params import GRAVITY_M_S2
from simhub.errors import InvalidArgument
from simhub.facility.model import VehicleParams


def stopping_distances(vehicle: VehicleParams, frictions: list[float]) -> np.ndarray:
    """Distance [m] from 100 km/h to standstill under full brake input, one per friction."""
    n, dt = len(frictions), 0.005
    stepper = Stepper("st", param_table([vehicle]), n, dt, road_friction=frictions)
    state = np.zeros((n, 7))
    state[:, 3] = 100 / 3.6
    inputs = np.tile([0.0, -1000.0], (n, 1))  # full effort: the constraints cut it to the limit
    stopped_at = np.full(n, np.nan)
    for _ in range(10_000):
        state = stepper.step(state, inputs, out=state)
        newly = np.isnan(stopped_at) & (state[:, 3] <= 0.0)
        stopped_at[newly] = np.hypot(state[newly, 0], state[newly, 1])
        if not np.isnan(stopped_at).any():
            break
    return stopped_at


def test_full_braking_from_100_kmh(passenger: VehicleParams) -> None:
    surfaces = ["dry", "wet", "snow", "ice"]
    distances = stopping_distances(passenger, [ROAD_FRICTION[s] for s in surfaces])
    dry, wet, snow, ice = distances
    assert 35.0 <= dry <= 45.0
    assert dry < wet < snow < ice
    # Deceleration is friction-limited on every surface, so distance scales with 1 / mu.
    expected = (100 / 3.6) ** 2 / (2 * passenger.friction_coefficient * GRAVITY_M_S2)
    for surface, distance in zip(surfaces, distances, strict=True):
        assert distance == pytest.approx(expected / ROAD_FRICTION[surface], rel=0.01)


def test_low_speed_circle_has_the_kinematic_radius(passenger: VehicleParams) -> None:
    steer, speed = 0.2, 2.0
    stepper = Stepper("st", param_table([passenger]), 1, 0.001)
    state = np.array([[0.0, 0.0, steer, speed, 0.0, 0.0, 0.0]])
    for _ in range(20_000):  # 20 s: the yaw-rate transient is long gone
        state = stepper.step(state, np.zeros((1, 2)), out=state)
    wheelbase = passenger.wheelbase_m
    slip = math.atan(math.tan(steer) * passenger.cog_to_rear_axle_m / wheelbase)
    kinematic_radius = wheelbase / (math.cos(slip) * math.tan(steer))
    assert speed / state[0, 5] == pytest.approx(kinematic_radius, rel=0.01)
    assert state[0, 6] == pytest.approx(slip, rel=0.05)  # the tyres already slip a little


def test_kinematic_model_drives_a_closed_circle(passenger: VehicleParams) -> None:
    steer, speed, dt = 0.1, 5.0, 0.001
    radius = passenger.wheelbase_m / math.tan(steer)
    steps = round(2 * math.pi * radius / speed / dt)
    stepper = Stepper("ks", param_table([passenger]), 1, dt)
    state = np.array([[0.0, 0.0, steer, speed, 0.0]])
    for _ in range(steps):
        state = stepper.step(state, np.zeros((1, 2)), out=state)
    assert math.hypot(state[0, 0], state[0, 1]) < 0.01  # back where it started
    assert state[0, 4] == pytest.approx(2 * math.pi, abs=1e-3)


@pytest.mark.parametrize("model", ["ks", "st", "kst"])
def test_coasting_creates_no_energy(
    model: str, passenger: VehicleParams, truck: VehicleParams
) -> None:
    rng = np.random.default_rng(7)
    n = 200
    vehicle = truck if model == "kst" else passenger
    state = np.zeros((n, state_size(model)))
    state[:, 3] = rng.uniform(0.5, 40.0, n)
    state[:, 4] = rng.uniform(-math.pi, math.pi, n)
    if model == "st":
        state[:, 5] = rng.uniform(-0.5, 0.5, n)
        state[:, 6] = rng.uniform(-0.1, 0.1, n)
    stepper = Stepper(model, param_table([vehicle]), n, 0.001, road_friction=rng.uniform(0.1, 1, n))
    energy_before = 0.5 * vehicle.mass_kg * state[:, 3] ** 2
    if model == "st":
        energy_before += 0.5 * vehicle.yaw_inertia_kg_m2 * state[:, 5] ** 2
    start = state.copy()
    for _ in range(5000):
        state = stepper.step(state, np.zeros((n, 2)), out=state)
    np.testing.assert_array_equal(state[:, 3], start[:, 3])  # no input, no speed change
    energy_after = 0.5 * vehicle.mass_kg * state[:, 3] ** 2
    if model == "st":
        energy_after += 0.5 * vehicle.yaw_inertia_kg_m2 * state[:, 5] ** 2
        assert (np.abs(state[:, 5]) < np.abs(start[:, 5]) + 1e-12).all()
    assert (energy_after <= energy_before + 1e-9).all()


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("where", ["states", "inputs"])
def test_non_finite_values_never_reach_the_kernels(
    bad: float, where: str, passenger: VehicleParams
) -> None:
    stepper = Stepper("st", param_table([passenger]), 5, 0.01)
    calls: list[object] = []
    stepper._kernel = lambda *args: calls.append(args)
    states, inputs = np.zeros((5, 7)), np.zeros((5, 2))
    (states if where == "states" else inputs)[3, 1] = bad
    with pytest.raises(InvalidArgument) as caught:
        stepper.step(states, inputs)
    assert f"{where} of vehicle 3" in str(caught.value)
    assert caught.value.violations[0].field == f"{where}[3, 1]"
    assert "finite" in caught.value.violations[0].description
    assert calls == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"dt": math.nan}, "dt"),
        ({"dt": 0.0}, "dt"),
        ({"road_friction": [1.0, math.nan]}, "road_friction[1]"),
        ({"road_friction": -0.3}, "road_friction[0]"),
        ({"param_rows": [0, 1]}, "param_rows"),
        ({"integrator": "leapfrog"}, "integrator"),
        ({"model": "mb"}, "model"),
    ],
)
def test_bad_configuration_is_rejected(
    kwargs: dict[str, object], field: str, passenger: VehicleParams
) -> None:
    arguments: dict[str, object] = {"model": "st", "dt": 0.01, **kwargs}
    with pytest.raises(InvalidArgument) as caught:
        Stepper(params=param_table([passenger]), vehicles=2, **arguments)  # type: ignore[arg-type]
    assert caught.value.violations[0].field == field


def test_wrong_shapes_are_rejected(passenger: VehicleParams) -> None:
    stepper = Stepper("st", param_table([passenger]), 2, 0.01)
    with pytest.raises(InvalidArgument, match="states has shape"):
        stepper.step(np.zeros((2, 5)), np.zeros((2, 2)))


def test_kst_needs_a_trailer(passenger: VehicleParams) -> None:
    with pytest.raises(InvalidArgument, match="trailer"):
        Stepper("kst", param_table([passenger]), 1, 0.01)


def test_out_must_fit_the_states(passenger: VehicleParams) -> None:
    stepper = Stepper("st", param_table([passenger]), 2, 0.01)
    with pytest.raises(InvalidArgument, match="out does not fit"):
        stepper.step(np.zeros((2, 7)), np.zeros((2, 2)), out=np.zeros((1, 7)))


def test_lists_and_other_dtypes_are_accepted(passenger: VehicleParams) -> None:
    stepper = Stepper("ks", param_table([passenger]), 1, 0.1)
    stepped = stepper.step([[0, 0, 0, 10, 0]], np.zeros((1, 2), np.float32))
    assert stepped[0, 0] == pytest.approx(1.0)  # 10 m/s for 0.1 s
