"""Single-track model with linear tyres (ST), CommonRoad ``vehicle_dynamics_st``; reference: CoG.

State ``x`` (one row of the ``(N, 7)`` state array), SI units:

====  ==============================  =====
idx   quantity                        unit
====  ==============================  =====
0     x position                      m
1     y position                      m
2     steering angle ``delta``        rad
3     speed ``v``                     m/s
4     yaw angle ``psi``               rad
5     yaw rate ``r``                  rad/s
6     slip angle at the CoG ``beta``  rad
====  ==============================  =====

Input ``u`` (one row of ``(N, 2)``): steering rate [rad/s], longitudinal acceleration
[m/s^2], constrained first (``simhub.dynamics.constraints``) to ``v_delta, a``.

Parameters: ``lf = a``, ``lr = b``, ``l = lf + lr`` [m], mass ``m`` [kg], yaw inertia ``I``
[kg m^2], CoG height ``h`` [m], cornering stiffness coefficients ``C_Sf, C_Sr`` [1/rad],
``g = 9.81`` m/s^2, and the friction ``mu = p_dy1 * mu_road`` (road friction per vehicle).
With axle loads ``F_f = g lr - a h``, ``F_r = g lf + a h`` (per unit mass)::

    x'     = v cos(psi + beta)
    y'     = v sin(psi + beta)
    delta' = v_delta
    v'     = a
    psi'   = r
    r'     = -mu m / (v I l) (lf^2 C_Sf F_f + lr^2 C_Sr F_r) r
             + mu m / (I l) (lr C_Sr F_r - lf C_Sf F_f) beta
             + mu m / (I l) lf C_Sf F_f delta
    beta'  = (mu / (v^2 l) (C_Sr F_r lr - C_Sf F_f lf) - 1) r
             - mu / (v l) (C_Sr F_r + C_Sf F_f) beta
             + mu / (v l) C_Sf F_f delta

Below ``|v| < 0.1`` m/s the tyre terms are singular, so, exactly as the reference, the model
switches to the kinematic single-track at the CoG, ``beta_k = atan(tan(delta) lr / l)``::

    x' = v cos(beta_k + psi),  y' = v sin(beta_k + psi),  psi' = v cos(beta_k) tan(delta) / l
    beta' = lr v_delta / (l cos^2(delta) (1 + (tan^2(delta) lr / l)^2))
    r'    = (a cos(beta) tan(delta) - v sin(beta) beta' tan(delta)
             + v cos(beta) v_delta / cos^2(delta)) / l
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from simhub.dynamics.constraints import constrain_acceleration, constrain_steering_rate
from simhub.dynamics.params import (
    GRAVITY_M_S2,
    P_COG_HEIGHT,
    P_CS_FRONT,
    P_CS_REAR,
    P_FRONT,
    P_MASS,
    P_REAR,
    P_TYRE_FRICTION,
    P_YAW_INERTIA,
)

N_STATES = 7
KINEMATIC_BELOW_M_S = 0.1  # the reference's switch to the kinematic model


@njit(cache=True, fastmath=False)
def derivatives(
    pos_x: float,
    pos_y: float,
    steer: float,
    speed: float,
    yaw: float,
    yaw_rate: float,
    slip: float,
    steer_rate_in: float,
    accel_in: float,
    params: np.ndarray,
    row: int,
    road_friction: float,
) -> tuple[float, float, float, float, float, float, float]:
    """Right-hand side f(x, u, p) for one vehicle; ``params[row]`` is its parameter row."""
    g = GRAVITY_M_S2
    steer_rate = constrain_steering_rate(steer, steer_rate_in, params, row)
    accel = constrain_acceleration(speed, accel_in, params, row, road_friction)
    lf = params[row, P_FRONT]
    lr = params[row, P_REAR]
    if abs(speed) < KINEMATIC_BELOW_M_S:
        lwb = lf + lr
        tan_steer = math.tan(steer)
        beta_k = math.atan(tan_steer * lr / lwb)
        cos_steer = math.cos(steer)
        d_slip = (lr * steer_rate) / (lwb * cos_steer**2 * (1.0 + (tan_steer**2 * lr / lwb) ** 2))
        dd_yaw = (
            1.0
            / lwb
            * (
                accel * math.cos(slip) * tan_steer
                - speed * math.sin(slip) * d_slip * tan_steer
                + speed * math.cos(slip) * steer_rate / cos_steer**2
            )
        )
        return (
            speed * math.cos(beta_k + yaw),
            speed * math.sin(beta_k + yaw),
            steer_rate,
            accel,
            speed * math.cos(beta_k) * tan_steer / lwb,
            dd_yaw,
            d_slip,
        )
    mu = params[row, P_TYRE_FRICTION] * road_friction
    c_sf = params[row, P_CS_FRONT]
    c_sr = params[row, P_CS_REAR]
    h = params[row, P_COG_HEIGHT]
    m = params[row, P_MASS]
    inertia = params[row, P_YAW_INERTIA]
    load_f = g * lr - accel * h
    load_r = g * lf + accel * h
    d_yaw_rate = (
        -mu * m / (speed * inertia * (lr + lf))
        * (lf**2 * c_sf * load_f + lr**2 * c_sr * load_r) * yaw_rate
        + mu * m / (inertia * (lr + lf)) * (lr * c_sr * load_r - lf * c_sf * load_f) * slip
        + mu * m / (inertia * (lr + lf)) * lf * c_sf * load_f * steer
    )  # fmt: skip
    d_slip = (
        (mu / (speed**2 * (lr + lf)) * (c_sr * load_r * lr - c_sf * load_f * lf) - 1.0) * yaw_rate
        - mu / (speed * (lr + lf)) * (c_sr * load_r + c_sf * load_f) * slip
        + mu / (speed * (lr + lf)) * (c_sf * load_f) * steer
    )
    return (
        speed * math.cos(slip + yaw),
        speed * math.sin(slip + yaw),
        steer_rate,
        accel,
        yaw_rate,
        d_yaw_rate,
        d_slip,
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
        states[i, 0], states[i, 1], states[i, 2], states[i, 3], states[i, 4], states[i, 5],
        states[i, 6], inputs[i, 0], inputs[i, 1], params, row, road_friction,
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
    x0, x1, x2, x3 = states[i, 0], states[i, 1], states[i, 2], states[i, 3]
    x4, x5, x6 = states[i, 4], states[i, 5], states[i, 6]
    u0, u1 = inputs[i, 0], inputs[i, 1]
    f = derivatives(x0, x1, x2, x3, x4, x5, x6, u0, u1, params, row, road_friction)
    out[i, 0] = x0 + dt * f[0]
    out[i, 1] = x1 + dt * f[1]
    out[i, 2] = x2 + dt * f[2]
    out[i, 3] = x3 + dt * f[3]
    out[i, 4] = x4 + dt * f[4]
    out[i, 5] = x5 + dt * f[5]
    out[i, 6] = x6 + dt * f[6]


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
    x0, x1, x2, x3 = states[i, 0], states[i, 1], states[i, 2], states[i, 3]
    x4, x5, x6 = states[i, 4], states[i, 5], states[i, 6]
    u0, u1 = inputs[i, 0], inputs[i, 1]
    h = 0.5 * dt
    a = derivatives(x0, x1, x2, x3, x4, x5, x6, u0, u1, params, row, road_friction)
    b = derivatives(
        x0 + h * a[0], x1 + h * a[1], x2 + h * a[2], x3 + h * a[3], x4 + h * a[4],
        x5 + h * a[5], x6 + h * a[6], u0, u1, params, row, road_friction,
    )  # fmt: skip
    c = derivatives(
        x0 + h * b[0], x1 + h * b[1], x2 + h * b[2], x3 + h * b[3], x4 + h * b[4],
        x5 + h * b[5], x6 + h * b[6], u0, u1, params, row, road_friction,
    )  # fmt: skip
    d = derivatives(
        x0 + dt * c[0], x1 + dt * c[1], x2 + dt * c[2], x3 + dt * c[3], x4 + dt * c[4],
        x5 + dt * c[5], x6 + dt * c[6], u0, u1, params, row, road_friction,
    )  # fmt: skip
    w = dt / 6.0
    out[i, 0] = x0 + w * (a[0] + 2.0 * b[0] + 2.0 * c[0] + d[0])
    out[i, 1] = x1 + w * (a[1] + 2.0 * b[1] + 2.0 * c[1] + d[1])
    out[i, 2] = x2 + w * (a[2] + 2.0 * b[2] + 2.0 * c[2] + d[2])
    out[i, 3] = x3 + w * (a[3] + 2.0 * b[3] + 2.0 * c[3] + d[3])
    out[i, 4] = x4 + w * (a[4] + 2.0 * b[4] + 2.0 * c[4] + d[4])
    out[i, 5] = x5 + w * (a[5] + 2.0 * b[5] + 2.0 * c[5] + d[5])
    out[i, 6] = x6 + w * (a[6] + 2.0 * b[6] + 2.0 * c[6] + d[6])
