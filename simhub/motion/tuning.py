"""Washout tuning per cabin, and the platform limits as flat arrays for the kernel.

Values follow Reid & Nahon's classical washout (UTIAS Report 296, 1985) with the
rotational-perception threshold of about 3 deg/s as the tilt-rate limit: below it the driver
reads the tilt as sustained acceleration, not as rotation. Heavier vehicles get lower gains
and break frequencies: their accelerations are slower and longer, so more of them go through
tilt and less through the (short) translational stroke.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from simhub.facility.model import Axes3, CabinClass, CabinSpec, PlatformLimits

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class WashoutTuning:
    """One cabin's washout. Frequencies in rad/s, gains dimensionless, rates in rad/s.

    ``translational_scale`` / ``rotational_scale``: gains on specific force and angular rate;
    ``input_limit_m_s2``: saturation of the scaled specific force; ``hp_frequency`` and
    ``hp_damping``: the second-order high-pass of the translational channel, with a first-order
    ``hp_break_frequency`` in series (third order in all, so a step washes out to zero stroke);
    ``lp_frequency`` / ``lp_damping``: the low-pass that feeds tilt coordination;
    ``tilt_rate_limit_rad_s`` / ``tilt_acceleration_limit_rad_s2``: how fast tilt may build;
    ``rot_hp_frequency`` / ``rot_hp_damping``: high-pass of the angular rates;
    ``tracking_frequency``: bandwidth of the limit-aware tracking of the filtered pose;
    ``neutral_frequency``: how fast the platform returns to neutral when told to.
    """

    translational_scale: float = 0.6
    rotational_scale: float = 0.6
    input_limit_m_s2: float = 8.0
    hp_frequency: float = 2.5
    hp_damping: float = 1.0
    hp_break_frequency: float = 0.5
    lp_frequency: float = 5.0
    lp_damping: float = 1.0
    tilt_rate_limit_rad_s: float = math.radians(3.0)
    tilt_acceleration_limit_rad_s2: float = math.radians(6.0)
    max_tilt_rad: float = math.radians(15.0)
    rot_hp_frequency: float = 1.0
    rot_hp_damping: float = 1.0
    tracking_frequency: float = 30.0
    neutral_frequency: float = 1.5


TUNINGS: dict[CabinClass, WashoutTuning] = {
    CabinClass.PASSENGER: WashoutTuning(),
    CabinClass.COMMERCIAL: WashoutTuning(
        translational_scale=0.5,
        hp_frequency=1.5,
        hp_break_frequency=0.3,
        lp_frequency=3.0,
        rot_hp_frequency=0.7,
    ),
    CabinClass.SPECIAL: WashoutTuning(
        translational_scale=0.5,
        hp_frequency=2.0,
        hp_break_frequency=0.4,
        lp_frequency=4.0,
    ),
}


def tuning_for(cabin: CabinSpec) -> WashoutTuning:
    return TUNINGS[cabin.cabin_class]


# Layout of the parameter vector the kernel reads.
P_TRANS_SCALE = 0
P_ROT_SCALE = 1
P_INPUT_LIMIT = 2
P_HP_W = 3
P_HP_Z = 4
P_HP_BREAK = 5
P_LP_W = 6
P_LP_Z = 7
P_TILT_RATE = 8
P_TILT_ACC = 9
P_TILT_MAX = 10
P_ROT_W = 11
P_ROT_Z = 12
P_TRACK_W = 13
P_NEUTRAL_W = 14
P_LIMIT_POS = 15  # 6 values: surge, sway, heave [m], roll, pitch, yaw [rad]
P_LIMIT_VEL = 21  # 6 values
P_LIMIT_ACC = 27  # 6 values
N_PARAMS = 33


def _six(linear: Axes3, angular: Axes3) -> tuple[float, ...]:
    return (linear.x, linear.y, linear.z, angular.x, angular.y, angular.z)


def parameter_vector(tuning: WashoutTuning, limits: PlatformLimits) -> FloatArray:
    """The kernel's parameters, shape ``(N_PARAMS,)``."""
    p = np.zeros(N_PARAMS)
    p[P_TRANS_SCALE] = tuning.translational_scale
    p[P_ROT_SCALE] = tuning.rotational_scale
    p[P_INPUT_LIMIT] = tuning.input_limit_m_s2
    p[P_HP_W] = tuning.hp_frequency
    p[P_HP_Z] = tuning.hp_damping
    p[P_HP_BREAK] = tuning.hp_break_frequency
    p[P_LP_W] = tuning.lp_frequency
    p[P_LP_Z] = tuning.lp_damping
    p[P_TILT_RATE] = tuning.tilt_rate_limit_rad_s
    p[P_TILT_ACC] = tuning.tilt_acceleration_limit_rad_s2
    p[P_TILT_MAX] = min(
        tuning.max_tilt_rad, 0.9 * limits.excursion_rad.x, 0.9 * limits.excursion_rad.y
    )
    p[P_ROT_W] = tuning.rot_hp_frequency
    p[P_ROT_Z] = tuning.rot_hp_damping
    p[P_TRACK_W] = tuning.tracking_frequency
    p[P_NEUTRAL_W] = tuning.neutral_frequency
    p[P_LIMIT_POS : P_LIMIT_POS + 6] = _six(limits.excursion_m, limits.excursion_rad)
    p[P_LIMIT_VEL : P_LIMIT_VEL + 6] = _six(limits.velocity_m_s, limits.velocity_rad_s)
    p[P_LIMIT_ACC : P_LIMIT_ACC + 6] = _six(limits.acceleration_m_s2, limits.acceleration_rad_s2)
    return p
