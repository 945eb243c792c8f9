"""Classical washout against the platform's limits and the rules of motion cueing.

Invariants, not numbers read off our own output: every pose, velocity and acceleration stays
within the facility's limits whatever the input; a sustained acceleration ends up rendered by
tilt alone (pitch = -asin(scaled a / g), surge back at zero) built no faster than the tilt-rate
limit; a vehicle at rest brings the platform back to neutral.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from simhub.facility.loader import load_facility
from simhub.facility.model import Facility, PlatformLimits
from simhub.motion import (
    GRAVITY_M_S2,
    M_ACC,
    M_CLIPPED,
    M_POSE,
    M_TILT_PITCH,
    M_VEL,
    WashoutFilter,
    parameter_vector,
    tuning_for,
)

REPO = Path(__file__).resolve().parents[2]
DT = 0.001
TOL = 1e-9


@pytest.fixture(scope="module")
def facility() -> Facility:
    return load_facility(REPO / "facility.toml", REPO / "cabins")


def limits_of(limits: PlatformLimits) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    def six(a: object, b: object) -> np.ndarray:
        return np.array([a.x, a.y, a.z, b.x, b.y, b.z])  # type: ignore[attr-defined]

    return (
        six(limits.excursion_m, limits.excursion_rad),
        six(limits.velocity_m_s, limits.velocity_rad_s),
        six(limits.acceleration_m_s2, limits.acceleration_rad_s2),
    )


def run(
    washout: WashoutFilter, force: np.ndarray, rate: np.ndarray, neutral: bool = False
) -> np.ndarray:
    """Feed ``(T, 3)`` specific force and ``(T, 3)`` angular rate; outputs ``(T, N_MOTION)``."""
    out = np.zeros((force.shape[0], washout.output.shape[0]))
    for k in range(force.shape[0]):
        washout.specific_force[:] = force[k]
        washout.angular_rate[:] = rate[k]
        out[k] = washout.step(neutral, DT)
    return out


def inputs(seconds: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.arange(0.0, seconds, DT)
    force = np.zeros((t.size, 3))
    force[:, 2] = GRAVITY_M_S2
    return t, force, np.zeros((t.size, 3))


def assert_within(out: np.ndarray, limits: PlatformLimits) -> None:
    pos, vel, acc = limits_of(limits)
    assert np.all(np.abs(out[:, M_POSE : M_POSE + 6]) <= pos + TOL)
    assert np.all(np.abs(out[:, M_VEL : M_VEL + 6]) <= vel + TOL)
    assert np.all(np.abs(out[:, M_ACC : M_ACC + 6]) <= acc + TOL)
    # velocities are the pose's real rate of change, accelerations the velocities'
    assert np.allclose(
        np.diff(out[:, M_POSE : M_POSE + 6], axis=0) / DT, out[1:, M_VEL : M_VEL + 6]
    )
    assert np.allclose(np.diff(out[:, M_VEL : M_VEL + 6], axis=0) / DT, out[1:, M_ACC : M_ACC + 6])


@pytest.mark.parametrize("cabin_id", ["passenger", "commercial", "special"])
@pytest.mark.parametrize("amplitude", [2.0, 9.0, 30.0])  # gentle, emergency brake, crash-like
def test_steps_stay_within_every_platform_limit(
    facility: Facility, cabin_id: str, amplitude: float
) -> None:
    cabin = facility.cabin(cabin_id)
    assert cabin is not None
    washout = WashoutFilter(parameter_vector(tuning_for(cabin), facility.platform.limits))
    t, force, rate = inputs(8.0)
    on = (t > 0.5) & (t < 4.0)
    force[on, 0] = amplitude  # surge step
    force[on, 1] = -0.7 * amplitude  # sway step
    force[on, 2] += 0.3 * amplitude  # heave step
    rate[on, :] = (0.5, -0.5, 1.0)  # roll, pitch, yaw rate steps [rad/s]
    out = run(washout, force, rate)
    assert_within(out, facility.platform.limits)
    if amplitude >= 30.0:
        assert np.any(out[:, M_CLIPPED] > 0)  # the platform could not follow: it says so


@pytest.mark.parametrize("frequency_hz", [0.2, 1.0, 5.0])
def test_sines_stay_within_every_platform_limit(facility: Facility, frequency_hz: float) -> None:
    cabin = facility.cabin("passenger")
    assert cabin is not None
    washout = WashoutFilter(parameter_vector(tuning_for(cabin), facility.platform.limits))
    t, force, rate = inputs(10.0)
    wave = np.sin(2 * math.pi * frequency_hz * t)
    force[:, 0] = 8.0 * wave
    force[:, 1] = 6.0 * np.cos(2 * math.pi * frequency_hz * t)
    force[:, 2] += 3.0 * wave
    rate[:, 0] = 0.8 * wave
    rate[:, 1] = -0.8 * wave
    rate[:, 2] = 1.5 * wave
    out = run(washout, force, rate)
    assert_within(out, facility.platform.limits)


def test_sustained_acceleration_is_rendered_by_tilt_within_the_rate_limit(
    facility: Facility,
) -> None:
    cabin = facility.cabin("passenger")
    assert cabin is not None
    tuning = tuning_for(cabin)
    washout = WashoutFilter(parameter_vector(tuning, facility.platform.limits))
    t, force, rate = inputs(25.0)
    force[t > 0.5, 0] = 2.0  # 2 m/s^2 for 24.5 s
    out = run(washout, force, rate)
    assert_within(out, facility.platform.limits)
    pitch_rate = out[:, M_VEL + 4]
    assert np.max(np.abs(pitch_rate)) <= tuning.tilt_rate_limit_rad_s + TOL
    expected = -math.asin(tuning.translational_scale * 2.0 / GRAVITY_M_S2)
    assert out[-1, M_POSE + 4] == pytest.approx(expected, abs=1e-4)  # tilt renders it all
    assert out[-1, M_TILT_PITCH] == pytest.approx(expected, abs=1e-4)
    assert abs(out[-1, M_POSE]) < 0.02  # the surge channel has washed out


def test_platform_returns_to_neutral_when_the_vehicle_stops(facility: Facility) -> None:
    cabin = facility.cabin("commercial")
    assert cabin is not None
    washout = WashoutFilter(parameter_vector(tuning_for(cabin), facility.platform.limits))
    t, force, rate = inputs(30.0)
    braking = (t > 1.0) & (t < 6.0)
    force[braking, 0] = -4.0  # braking to a stop
    force[braking, 1] = 1.5  # in a gentle curve
    rate[braking, 2] = 0.2
    out = run(washout, force, rate)  # then standing still for 24 s
    assert_within(out, facility.platform.limits)
    assert np.max(np.abs(out[-1, M_POSE : M_POSE + 6])) < 1e-3
    assert np.max(np.abs(out[-1, M_VEL : M_VEL + 6])) < 1e-3


def test_neutral_command_parks_the_platform_within_the_limits(facility: Facility) -> None:
    cabin = facility.cabin("passenger")
    assert cabin is not None
    washout = WashoutFilter(parameter_vector(tuning_for(cabin), facility.platform.limits))
    _, force, rate = inputs(5.0)
    force[:, 0] = 3.0
    force[:, 1] = -2.0
    rate[:, 2] = 0.3
    tilted = run(washout, force, rate)
    assert abs(tilted[-1, M_POSE + 4]) > 0.05
    parked = run(washout, force, rate, neutral=True)  # inputs ignored: controls lost
    assert_within(np.vstack([tilted, parked]), facility.platform.limits)
    assert np.max(np.abs(parked[-1, M_POSE : M_POSE + 6])) < 1e-3
