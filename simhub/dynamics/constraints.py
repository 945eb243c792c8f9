"""Input constraints of CommonRoad's models, with road friction in the acceleration limit.

Steering (CommonRoad ``steering_constraints``): the steering rate ``v_delta`` [rad/s] is set
to 0 when the steering angle ``delta`` [rad] sits at a limit and the rate pushes further, and
is otherwise clipped to ``[steering.v_min, steering.v_max]``.

Acceleration (CommonRoad ``acceleration_constraints`` with one change): the acceleration
envelope uses

    a_env = min(a_max, mu_road * p_dy1 * g)            [m/s^2]

instead of ``a_max``: no tyre can transmit more than the road's adhesion, which is what makes
a wet or icy road brake longer. Then, as in CommonRoad, the positive limit is
``a_env * v_switch / v`` above ``v_switch`` and ``a_env`` below; the negative limit is
``-a_env``; and the acceleration is 0 when the speed sits at ``v_min`` or ``v_max`` and the
input pushes further. With ``mu_road * p_dy1 * g >= a_max`` this is CommonRoad's function
exactly.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simhub.dynamics.params import (
    GRAVITY_M_S2,
    P_ACCEL_MAX,
    P_SPEED_MAX,
    P_SPEED_MIN,
    P_STEER_MAX,
    P_STEER_MIN,
    P_STEER_RATE_MAX,
    P_STEER_RATE_MIN,
    P_SWITCH_SPEED,
    P_TYRE_FRICTION,
)


@njit(cache=True, fastmath=False)
def constrain_steering_rate(
    steering_angle: float, steering_rate: float, params: np.ndarray, row: int
) -> float:
    """Steering rate [rad/s] after the angle and rate limits of parameter row ``p``."""
    if (steering_angle <= params[row, P_STEER_MIN] and steering_rate <= 0.0) or (
        steering_angle >= params[row, P_STEER_MAX] and steering_rate >= 0.0
    ):
        return 0.0
    if steering_rate <= params[row, P_STEER_RATE_MIN]:
        return params[row, P_STEER_RATE_MIN]  # type: ignore[no-any-return]
    if steering_rate >= params[row, P_STEER_RATE_MAX]:
        return params[row, P_STEER_RATE_MAX]  # type: ignore[no-any-return]
    return steering_rate


@njit(cache=True, fastmath=False)
def acceleration_envelope(params: np.ndarray, row: int, road_friction: float) -> float:
    """Largest acceleration magnitude [m/s^2]: ``min(a_max, mu_road * p_dy1 * g)``."""
    adhesion = road_friction * params[row, P_TYRE_FRICTION] * GRAVITY_M_S2
    a_max: float = params[row, P_ACCEL_MAX]
    return adhesion if adhesion < a_max else a_max


@njit(cache=True, fastmath=False)
def constrain_acceleration(
    speed: float, acceleration: float, params: np.ndarray, row: int, road_friction: float
) -> float:
    """Longitudinal acceleration [m/s^2] after the speed, power and friction limits."""
    a_env = acceleration_envelope(params, row, road_friction)
    v_switch = params[row, P_SWITCH_SPEED]
    positive_limit = a_env * v_switch / speed if speed > v_switch else a_env
    if (speed <= params[row, P_SPEED_MIN] and acceleration <= 0.0) or (
        speed >= params[row, P_SPEED_MAX] and acceleration >= 0.0
    ):
        return 0.0
    if acceleration <= -a_env:
        return -a_env
    if acceleration >= positive_limit:
        return positive_limit
    return acceleration
