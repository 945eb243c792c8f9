"""Classical washout motion cueing (Reid & Nahon style), one compiled step per physics tick.

Input (vehicle frame at the driver's head, ISO 8855: x forward, y left, z up): specific force
``f = a - g`` [m/s^2] (``(0, 0, 9.81)`` at rest) and angular rate ``omega`` [rad/s]. Output:
the platform's 6-DOF pose (surge, sway, heave [m]; roll, pitch, yaw [rad]), its velocities and
accelerations, the tilt-coordination angles, a clip bitmask and a neutral flag.

Channels, per Reid & Nahon:

- translational: scaled, saturated ``f`` (gravity removed from z) through a first-order
  high-pass ``s / (s + w_b)`` and the second-order ``1 / (s^2 + 2 z w s + w^2)``: together
  the double integral of a third-order high-pass, so a sustained acceleration washes out to
  zero stroke;
- tilt coordination: ``f_x, f_y`` through a second-order low-pass, turned into the pitch /
  roll whose gravity component reproduces them (``pitch = -asin(f_x / g)``, ``roll =
  asin(f_y / g)``), built up no faster than the tilt-rate limit (and its own acceleration
  limit), so the driver never perceives the rotation;
- rotational: scaled angular rates through ``s / (s^2 + 2 z w s + w^2)``: the integral of a
  second-order high-pass.

Limits: the filtered pose is tracked by a limit-aware follower per axis that never leaves the
platform's excursion, velocity and acceleration limits (a braking curve ``v <= sqrt(2 a d)``
keeps it from running into an excursion stop); where it had to deviate, the axis' bit is set in
``clipped``. ``neutral`` resets the filters and drives the platform smoothly to the neutral pose
within the same limits (controls lost, paused, stopped).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from simhub.motion.tuning import (
    N_PARAMS,
    P_HP_BREAK,
    P_HP_W,
    P_HP_Z,
    P_INPUT_LIMIT,
    P_LIMIT_ACC,
    P_LIMIT_POS,
    P_LIMIT_VEL,
    P_LP_W,
    P_LP_Z,
    P_NEUTRAL_W,
    P_ROT_SCALE,
    P_ROT_W,
    P_ROT_Z,
    P_TILT_ACC,
    P_TILT_MAX,
    P_TILT_RATE,
    P_TRACK_W,
    P_TRANS_SCALE,
    FloatArray,
)

GRAVITY_M_S2 = 9.81
BRAKING_MARGIN = 0.8  # use 80 % of the acceleration limit for the braking curve

# Output vector layout, shape (N_MOTION,).
M_POSE = 0  # 6: surge, sway, heave [m], roll, pitch, yaw [rad]
M_VEL = 6  # 6: [m/s], [rad/s]
M_ACC = 12  # 6: [m/s^2], [rad/s^2]
M_TILT_ROLL = 18  # rad: the tilt-coordination part of roll
M_TILT_PITCH = 19  # rad
M_CLIPPED = 20  # bitmask: bit k set when axis k (pose order) was limited this step
M_NEUTRAL = 21  # 1.0 while returning to / holding neutral
N_MOTION = 22

# Internal state layout, shape (N_STATE,).
_S_HP1 = 0  # 3: low-pass part of the first-order high-pass, per axis
_S_TP = 3  # 3: translational channel position
_S_TV = 6  # 3: translational channel velocity
_S_LP = 9  # 2: tilt low-pass output (f_y, f_x)
_S_LPV = 11  # 2: its derivative
_S_TILT = 13  # 2: roll, pitch tilt
_S_TILT_RATE = 15  # 2
_S_RZ = 17  # 3: rotational channel states
_S_RZD = 20  # 3: ... whose derivative is the angle
_S_DES = 23  # 6: previous desired pose
_S_DESV = 29  # 6: previous desired velocity
_S_INIT = 35  # 1.0 once the previous desired pose is valid
_S_POS = 36  # 6: platform pose
_S_VEL = 42  # 6: platform velocity
_S_WANT = 48  # 6: this step's desired pose (scratch, so the kernel allocates nothing)
N_STATE = 54

_TILT_GAIN = 5.0  # 1/s: proportional approach of the tilt to its target


def _clip(x: float, limit: float) -> float:
    return max(-limit, min(limit, x))


_clip_jit = njit(cache=True)(_clip)


@njit(cache=True)
def _stop_speed(acc_max: float, room: float, dt: float) -> float:
    """Highest speed from which braking at ``BRAKING_MARGIN * acc_max`` in steps of ``dt`` stops
    within ``room``: ``v^2 / (2 a) + v dt / 2 <= room``."""
    a = BRAKING_MARGIN * acc_max
    half = 0.5 * a * dt
    return -half + math.sqrt(half * half + 2.0 * a * max(room, 0.0))


@njit(cache=True)
def _follow(
    k: int,
    target: float,
    target_vel: float,
    target_acc: float,
    w: float,
    exact: bool,
    p: np.ndarray,
    state: np.ndarray,
    dt: float,
    out: np.ndarray,
) -> bool:
    """Move axis ``k`` towards ``target`` within the limits; True when a limit was active.

    With ``exact``, the axis lands on ``target`` whenever the limits allow it (the washout's
    output is rendered unchanged); otherwise, and while catching up after a limit, a critically
    damped tracker with bandwidth ``w`` [rad/s] whose acceleration, velocity and braking
    distance are clipped to the limits."""
    pos_max = p[P_LIMIT_POS + k]
    vel_max = p[P_LIMIT_VEL + k]
    acc_max = p[P_LIMIT_ACC + k]
    pos = state[_S_POS + k]
    vel = state[_S_VEL + k]
    room_up = max(pos_max - pos, 0.0)
    room_down = max(pos_max + pos, 0.0)
    if exact and abs(target) <= pos_max:
        new_vel = (target - pos) / dt
        acc = (new_vel - vel) / dt
        room_after_up = max(pos_max - target, 0.0)
        room_after_down = max(pos_max + target, 0.0)
        if (
            abs(acc) <= acc_max
            and abs(new_vel) <= vel_max
            and new_vel <= _stop_speed(acc_max, room_after_up, dt) + 1e-12
            and -new_vel <= _stop_speed(acc_max, room_after_down, dt) + 1e-12
        ):
            state[_S_POS + k] = target
            state[_S_VEL + k] = new_vel
            out[M_POSE + k] = target
            out[M_VEL + k] = new_vel
            out[M_ACC + k] = acc
            return False
    wanted = target_acc + w * w * (target - pos) + 2.0 * w * (target_vel - vel)
    acc = _clip_jit(wanted, acc_max)
    new_vel = _clip_jit(vel + acc * dt, vel_max)
    new_vel = min(new_vel, _stop_speed(acc_max, room_up, dt))
    new_vel = max(new_vel, -_stop_speed(acc_max, room_down, dt))
    acc = _clip_jit((new_vel - vel) / dt, acc_max)
    new_vel = vel + acc * dt
    new_pos = pos + new_vel * dt
    if abs(new_pos) > pos_max:
        new_pos = _clip_jit(new_pos, pos_max)
        new_vel = (new_pos - pos) / dt
        acc = (new_vel - vel) / dt
    state[_S_POS + k] = new_pos
    state[_S_VEL + k] = new_vel
    out[M_POSE + k] = new_pos
    out[M_VEL + k] = new_vel
    out[M_ACC + k] = acc
    limited: bool = abs(acc - wanted) > 1e-9 * max(1.0, abs(wanted))
    return limited


@njit(cache=True)
def washout_step(
    p: np.ndarray,
    state: np.ndarray,
    specific_force: np.ndarray,
    angular_rate: np.ndarray,
    neutral: bool,
    dt: float,
    out: np.ndarray,
) -> None:
    """One step of ``dt`` [s]: ``p`` ``(N_PARAMS,)``, ``state`` ``(N_STATE,)`` (updated),
    ``specific_force`` ``(3,)`` [m/s^2], ``angular_rate`` ``(3,)`` [rad/s], ``out``
    ``(N_MOTION,)`` (written)."""
    desired = state[_S_WANT : _S_WANT + 6]
    if neutral:
        state[:_S_DES] = 0.0  # filters restart from rest
        for k in range(6):
            desired[k] = 0.0
    else:
        for axis in range(3):
            f = specific_force[axis] - (GRAVITY_M_S2 if axis == 2 else 0.0)
            if not math.isfinite(f):
                f = 0.0
            f = _clip_jit(f * p[P_TRANS_SCALE], p[P_INPUT_LIMIT])
            low = state[_S_HP1 + axis]
            high = f - low
            state[_S_HP1 + axis] = low + p[P_HP_BREAK] * high * dt
            w = p[P_HP_W]
            tv = state[_S_TV + axis]
            tp = state[_S_TP + axis]
            tv += (high - 2.0 * p[P_HP_Z] * w * tv - w * w * tp) * dt
            tp += tv * dt
            state[_S_TV + axis] = tv
            state[_S_TP + axis] = tp
            desired[axis] = tp
        for side in range(2):  # 0: roll from f_y, 1: pitch from f_x
            f = specific_force[1 - side]
            if not math.isfinite(f):
                f = 0.0
            f = _clip_jit(f * p[P_TRANS_SCALE], p[P_INPUT_LIMIT])
            w = p[P_LP_W]
            lv = state[_S_LPV + side]
            lp = state[_S_LP + side]
            lv += (w * w * (f - lp) - 2.0 * p[P_LP_Z] * w * lv) * dt
            lp += lv * dt
            state[_S_LPV + side] = lv
            state[_S_LP + side] = lp
            sin_max = math.sin(p[P_TILT_MAX])
            target = math.asin(_clip_jit(lp / GRAVITY_M_S2, sin_max))
            if side == 1:
                target = -target
            tilt = state[_S_TILT + side]
            rate = state[_S_TILT_RATE + side]
            rate_wanted = _clip_jit(_TILT_GAIN * (target - tilt), p[P_TILT_RATE])
            rate += _clip_jit(rate_wanted - rate, p[P_TILT_ACC] * dt)
            tilt += rate * dt
            state[_S_TILT_RATE + side] = rate
            state[_S_TILT + side] = tilt
        for axis in range(3):
            omega = angular_rate[axis]
            if not math.isfinite(omega):
                omega = 0.0
            w = p[P_ROT_W]
            zd = state[_S_RZD + axis]
            z = state[_S_RZ + axis]
            zd += (omega * p[P_ROT_SCALE] - 2.0 * p[P_ROT_Z] * w * zd - w * w * z) * dt
            z += zd * dt
            state[_S_RZD + axis] = zd
            state[_S_RZ + axis] = z
        desired[3] = state[_S_TILT] + state[_S_RZD]
        desired[4] = state[_S_TILT + 1] + state[_S_RZD + 1]
        desired[5] = state[_S_RZD + 2]
    clipped = 0
    w_track = p[P_NEUTRAL_W] if neutral else p[P_TRACK_W]
    for k in range(6):
        if neutral or state[_S_INIT] == 0.0:
            vel_d = 0.0
            acc_d = 0.0
        else:
            vel_d = (desired[k] - state[_S_DES + k]) / dt
            acc_d = (vel_d - state[_S_DESV + k]) / dt
        state[_S_DES + k] = desired[k]
        state[_S_DESV + k] = vel_d
        if (
            _follow(k, desired[k], vel_d, acc_d, w_track, not neutral, p, state, dt, out)
            and not neutral
        ):
            clipped |= 1 << k
    state[_S_INIT] = 0.0 if neutral else 1.0
    out[M_TILT_ROLL] = 0.0 if neutral else state[_S_TILT]
    out[M_TILT_PITCH] = 0.0 if neutral else state[_S_TILT + 1]
    out[M_CLIPPED] = float(clipped)
    out[M_NEUTRAL] = 1.0 if neutral else 0.0


class WashoutFilter:
    """Stateful wrapper: one platform, one cabin's tuning; ``step`` allocates nothing."""

    def __init__(self, params: FloatArray) -> None:
        if params.shape != (N_PARAMS,):
            raise ValueError(f"params must have shape ({N_PARAMS},)")
        self.params = params
        self.state: FloatArray = np.zeros(N_STATE)
        self.output: FloatArray = np.zeros(N_MOTION)
        self.specific_force: FloatArray = np.array([0.0, 0.0, GRAVITY_M_S2])
        self.angular_rate: FloatArray = np.zeros(3)

    def warm_up(self) -> None:
        scratch = np.zeros(N_STATE)
        out = np.zeros(N_MOTION)
        washout_step(
            self.params, scratch, self.specific_force, self.angular_rate, False, 0.001, out
        )
        washout_step(self.params, scratch, self.specific_force, self.angular_rate, True, 0.001, out)

    def step(self, neutral: bool, dt: float) -> FloatArray:
        """Advance with the inputs in ``specific_force`` / ``angular_rate``; returns ``output``."""
        washout_step(
            self.params,
            self.state,
            self.specific_force,
            self.angular_rate,
            neutral,
            dt,
            self.output,
        )
        return self.output
