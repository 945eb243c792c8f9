"""Motion cueing: classical washout filter and the platform's limits (pure core)."""

from simhub.motion.tuning import TUNINGS, WashoutTuning, parameter_vector, tuning_for
from simhub.motion.washout import (
    GRAVITY_M_S2,
    M_ACC,
    M_CLIPPED,
    M_NEUTRAL,
    M_POSE,
    M_TILT_PITCH,
    M_TILT_ROLL,
    M_VEL,
    N_MOTION,
    WashoutFilter,
    washout_step,
)

__all__ = [
    "GRAVITY_M_S2",
    "M_ACC",
    "M_CLIPPED",
    "M_NEUTRAL",
    "M_POSE",
    "M_TILT_PITCH",
    "M_TILT_ROLL",
    "M_VEL",
    "N_MOTION",
    "TUNINGS",
    "WashoutFilter",
    "WashoutTuning",
    "parameter_vector",
    "tuning_for",
    "washout_step",
]
