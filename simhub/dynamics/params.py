"""Vehicle parameters as one flat float64 row per parameter set, and road friction.

The kernels take a parameter *table* ``params`` of shape ``(n_sets, N_PARAMS)`` and, per
vehicle, the row it uses (``param_rows``, shape ``(N,)``, int64), so one compiled call steps
a fleet that mixes, say, the passenger car and the fire engine (both ``st``).

Row layout (index constant -> CommonRoad name, unit):

====================  ===  =======================  ========
constant              idx  CommonRoad               unit
====================  ===  =======================  ========
``P_FRONT``             0  ``a``                    m
``P_REAR``              1  ``b``                    m
``P_MASS``              2  ``m``                    kg
``P_YAW_INERTIA``       3  ``I_z``                  kg m^2
``P_COG_HEIGHT``        4  ``h_s``                  m
``P_STEER_MIN``         5  ``steering.min``         rad
``P_STEER_MAX``         6  ``steering.max``         rad
``P_STEER_RATE_MIN``    7  ``steering.v_min``       rad/s
``P_STEER_RATE_MAX``    8  ``steering.v_max``       rad/s
``P_SPEED_MIN``         9  ``longitudinal.v_min``   m/s
``P_SPEED_MAX``        10  ``longitudinal.v_max``   m/s
``P_SWITCH_SPEED``     11  ``longitudinal.v_switch`` m/s
``P_ACCEL_MAX``        12  ``longitudinal.a_max``   m/s^2
``P_TYRE_FRICTION``    13  ``tire.p_dy1``           1
``P_CS_FRONT``         14  ``C_Sf``                 1/rad
``P_CS_REAR``          15  ``C_Sr``                 1/rad
``P_TRAILER_WB``       16  ``trailer.l_wb``         m (0 without trailer)
``P_LENGTH``           17  ``l``                    m
``P_WIDTH``            18  ``w``                    m
``P_TRAILER_LENGTH``   19  ``trailer.l``            m (0 without trailer)
``P_TRAILER_WIDTH``    20  ``trailer.w``            m (0 without trailer)
``P_HITCH_LENGTH``     21  ``trailer.l_hitch``      m (0 without trailer)
====================  ===  =======================  ========

Road friction ``mu_road`` (per vehicle, dimensionless, 1.0 = dry asphalt) multiplies the tyre
friction ``p_dy1``: it scales the tyre forces of ``st`` and caps every model's longitudinal
acceleration at ``mu_road * p_dy1 * g`` (see ``simhub.dynamics.constraints``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from simhub.errors import FieldViolation, InvalidArgument
from simhub.facility.model import VehicleParams

P_FRONT = 0
P_REAR = 1
P_MASS = 2
P_YAW_INERTIA = 3
P_COG_HEIGHT = 4
P_STEER_MIN = 5
P_STEER_MAX = 6
P_STEER_RATE_MIN = 7
P_STEER_RATE_MAX = 8
P_SPEED_MIN = 9
P_SPEED_MAX = 10
P_SWITCH_SPEED = 11
P_ACCEL_MAX = 12
P_TYRE_FRICTION = 13
P_CS_FRONT = 14
P_CS_REAR = 15
P_TRAILER_WB = 16
P_LENGTH = 17
P_WIDTH = 18
P_TRAILER_LENGTH = 19
P_TRAILER_WIDTH = 20
P_HITCH_LENGTH = 21
N_PARAMS = 22

GRAVITY_M_S2 = 9.81  # CommonRoad's g

# Road friction coefficient relative to dry asphalt, by surface.
ROAD_FRICTION: Mapping[str, float] = MappingProxyType(
    {"dry": 1.0, "wet": 0.7, "snow": 0.3, "ice": 0.1}
)

FloatArray = npt.NDArray[np.float64]


def param_row(vehicle: VehicleParams) -> FloatArray:
    """One vehicle's parameters as a flat row, shape ``(N_PARAMS,)``, layout in the module doc."""
    row = np.zeros(N_PARAMS, dtype=np.float64)
    row[P_FRONT] = vehicle.cog_to_front_axle_m
    row[P_REAR] = vehicle.cog_to_rear_axle_m
    row[P_MASS] = vehicle.mass_kg
    row[P_YAW_INERTIA] = vehicle.yaw_inertia_kg_m2
    row[P_COG_HEIGHT] = vehicle.cog_height_m
    row[P_STEER_MIN] = vehicle.steering_angle_min_rad
    row[P_STEER_MAX] = vehicle.steering_angle_max_rad
    row[P_STEER_RATE_MIN] = vehicle.steering_rate_min_rad_s
    row[P_STEER_RATE_MAX] = vehicle.steering_rate_max_rad_s
    row[P_SPEED_MIN] = vehicle.speed_min_m_s
    row[P_SPEED_MAX] = vehicle.speed_max_m_s
    row[P_SWITCH_SPEED] = vehicle.switching_speed_m_s
    row[P_ACCEL_MAX] = vehicle.acceleration_max_m_s2
    row[P_TYRE_FRICTION] = vehicle.friction_coefficient
    row[P_CS_FRONT] = vehicle.cornering_stiffness_front_per_rad
    row[P_CS_REAR] = vehicle.cornering_stiffness_rear_per_rad
    row[P_LENGTH] = vehicle.length_m
    row[P_WIDTH] = vehicle.width_m
    if vehicle.trailer is not None:
        row[P_TRAILER_WB] = vehicle.trailer.wheelbase_m
        row[P_TRAILER_LENGTH] = vehicle.trailer.length_m
        row[P_TRAILER_WIDTH] = vehicle.trailer.width_m
        row[P_HITCH_LENGTH] = vehicle.trailer.hitch_length_m
    if not np.all(np.isfinite(row)):
        raise InvalidArgument(
            "vehicle parameters must be finite numbers",
            [FieldViolation("vehicle", "a parameter is NaN or infinite")],
        )
    return row


def param_table(vehicles: Sequence[VehicleParams]) -> FloatArray:
    """Parameter table, shape ``(len(vehicles), N_PARAMS)``; row ``k`` is ``vehicles[k]``."""
    if not vehicles:
        raise InvalidArgument(
            "a parameter table needs at least one vehicle",
            [FieldViolation("vehicles", "empty; give one VehicleParams or more")],
        )
    return np.ascontiguousarray(np.stack([param_row(v) for v in vehicles]))


def road_friction(surface: str) -> float:
    """Friction coefficient of a road surface (``dry``, ``wet``, ``snow``, ``ice``)."""
    try:
        return ROAD_FRICTION[surface]
    except KeyError:
        allowed = ", ".join(ROAD_FRICTION)
        raise InvalidArgument(
            f"unknown road surface {surface!r}",
            [FieldViolation("surface", f"{surface!r} is not one of: {allowed}")],
        ) from None
