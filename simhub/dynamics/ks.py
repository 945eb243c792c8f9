"""Kinematic single-track model (KS), CommonRoad ``vehicle_dynamics_ks``; reference: rear axle.

State ``x`` (one row of the ``(N, 5)`` state array), SI units:

====  =================  =====
idx   quantity           unit
====  =================  =====
0     x position         m
1     y position         m
2     steering angle     rad
3     speed              m/s
4     yaw angle          rad
====  =================  =====

Input ``u`` (one row of ``(N, 2)``): 0 steering rate [rad/s], 1 longitudinal acceleration
[m/s^2], both passed through ``simhub.dynamics.constraints`` first (giving ``v_delta, a``).

Equations, with wheelbase ``l_wb = a + b`` [m]::

    x'     = v cos(psi)
    y'     = v sin(psi)
    delta' = v_delta
    v'     = a
    psi'   = v / l_wb * tan(delta)
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from simhub.dynamics.constraints import constrain_acceleration, constrain_steering_rate
from simhub.dynamics.params import P_FRONT, P_REAR

N_STATES = 5


@njit(cache=True, fastmath=False)
def derivatives(
    pos_x: float,
    pos_y: float,
    steer: float,
    speed: float,
    yaw: float,
    steer_rate_in: float,
    accel_in: float,
    params: np.ndarray,
    row: int,
    road_friction: float,
) -> tuple[float, float, float, float, float]:
    """Right-hand side f(x, u, p) for one vehicle; ``params[row]`` is its parameter row."""
    steer_rate = constrain_steering_rate(steer, steer_rate_in, params, row)
    accel = constrain_acceleration(speed, accel_in, params, row, road_friction)
    wheelbase = params[row, P_FRONT] + params[row, P_REAR]
    return (
        speed * math.cos(yaw),
        speed * math.sin(yaw),
        steer_rate,
        accel,
        speed / wheelbase * math.tan(steer),
    )


@njit(cache=True, fastmath=False)
def rhs_one(
    states: np.ndarray,
    inputs: np.ndarray,
    params: np.ndarray,
    row: int,
    road_friction: float,
    out: np.ndarray,
    i: int,
) -> None:
    """Write f(x_i, u_i, p) into ``out[i]``."""
    f = derivatives(
        states[i, 0], states[i, 1], states[i, 2], states[i, 3], states[i, 4],
        inputs[i, 0], inputs[i, 1], params, row, road_friction,
    )  # fmt: skip
    for k in range(N_STATES):
        out[i, k] = f[k]


@njit(cache=True, fastmath=False)
def euler_one(
    states: np.ndarray,
    inputs: np.ndarray,
    params: np.ndarray,
    row: int,
    road_friction: float,
    dt: float,
    out: np.ndarray,
    i: int,
) -> None:
    """One explicit Euler step of ``dt`` [s] for vehicle ``i``; ``out`` may be ``states``."""
    x0, x1, x2, x3, x4 = states[i, 0], states[i, 1], states[i, 2], states[i, 3], states[i, 4]
    u0, u1 = inputs[i, 0], inputs[i, 1]
    f = derivatives(x0, x1, x2, x3, x4, u0, u1, params, row, road_friction)
    out[i, 0] = x0 + dt * f[0]
    out[i, 1] = x1 + dt * f[1]
    out[i, 2] = x2 + dt * f[2]
    out[i, 3] = x3 + dt * f[3]
    out[i, 4] = x4 + dt * f[4]


@njit(cache=True, fastmath=False)
def rk4_one(
    states: np.ndarray,
    inputs: np.ndarray,
    params: np.ndarray,
    row: int,
    road_friction: float,
    dt: float,
    out: np.ndarray,
    i: int,
) -> None:
    """One classical RK4 step of ``dt`` [s] for vehicle ``i``, stages in registers."""
    x0, x1, x2, x3, x4 = states[i, 0], states[i, 1], states[i, 2], states[i, 3], states[i, 4]
    u0, u1 = inputs[i, 0], inputs[i, 1]
    h = 0.5 * dt
    a = derivatives(x0, x1, x2, x3, x4, u0, u1, params, row, road_friction)
    b = derivatives(
        x0 + h * a[0], x1 + h * a[1], x2 + h * a[2], x3 + h * a[3], x4 + h * a[4],
        u0, u1, params, row, road_friction,
    )  # fmt: skip
    c = derivatives(
        x0 + h * b[0], x1 + h * b[1], x2 + h * b[2], x3 + h * b[3], x4 + h * b[4],
        u0, u1, params, row, road_friction,
    )  # fmt: skip
    d = derivatives(
        x0 + dt * c[0], x1 + dt * c[1], x2 + dt * c[2], x3 + dt * c[3], x4 + dt * c[4],
        u0, u1, params, row, road_friction,
    )  # fmt: skip
    w = dt / 6.0
    out[i, 0] = x0 + w * (a[0] + 2.0 * b[0] + 2.0 * c[0] + d[0])
    out[i, 1] = x1 + w * (a[1] + 2.0 * b[1] + 2.0 * c[1] + d[1])
    out[i, 2] = x2 + w * (a[2] + 2.0 * b[2] + 2.0 * c[2] + d[2])
    out[i, 3] = x3 + w * (a[3] + 2.0 * b[3] + 2.0 * c[3] + d[3])
    out[i, 4] = x4 + w * (a[4] + 2.0 * b[4] + 2.0 * c[4] + d[4])
