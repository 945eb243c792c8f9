"""The facility as data: cabins with their vehicles, the motion platform, the bays.

Specs are frozen dataclasses loaded from ``cabins/*.toml`` and ``facility.toml`` by
``simhub.facility.loader``. Units are SI unless a name says otherwise.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class CabinClass(enum.StrEnum):
    PASSENGER = "passenger"
    COMMERCIAL = "commercial"
    SPECIAL = "special"


class VehicleModel(enum.StrEnum):
    """Vehicle models of the CommonRoad family that the dynamics package implements."""

    KS = "ks"  # kinematic single-track
    ST = "st"  # single-track with tyre slip
    KST = "kst"  # kinematic single-track with on-axle trailer


@dataclass(frozen=True)
class TrailerParams:
    """CommonRoad trailer parameters (``p.trailer``)."""

    length_m: float  # l
    width_m: float  # w
    hitch_length_m: float  # l_hitch
    total_length_m: float  # l_total: tractor and trailer
    wheelbase_m: float  # l_wb: hitch to trailer axle


@dataclass(frozen=True)
class VehicleParams:
    """CommonRoad-convention parameters (names mapped to words; CommonRoad's in comments)."""

    model: VehicleModel
    parameter_source: str
    length_m: float  # l
    width_m: float  # w
    mass_kg: float  # m
    yaw_inertia_kg_m2: float  # I_z
    cog_to_front_axle_m: float  # a
    cog_to_rear_axle_m: float  # b
    cog_height_m: float  # h_s
    steering_angle_min_rad: float  # steering.min
    steering_angle_max_rad: float  # steering.max
    steering_rate_min_rad_s: float  # steering.v_min
    steering_rate_max_rad_s: float  # steering.v_max
    speed_min_m_s: float  # longitudinal.v_min
    speed_max_m_s: float  # longitudinal.v_max
    switching_speed_m_s: float  # longitudinal.v_switch
    acceleration_max_m_s2: float  # longitudinal.a_max
    friction_coefficient: float  # tire.p_dy1 (mu on dry asphalt)
    cornering_stiffness_front_per_rad: float  # C_Sf
    cornering_stiffness_rear_per_rad: float  # C_Sr
    trailer: TrailerParams | None = None

    @property
    def wheelbase_m(self) -> float:
        return self.cog_to_front_axle_m + self.cog_to_rear_axle_m


@dataclass(frozen=True)
class ControlLayout:
    steering_ratio: float  # steering-wheel angle / road-wheel angle
    steering_wheel_range_rad: float  # lock to lock
    clutch_pedal: bool
    gearbox: str  # "automatic" | "manual"
    forward_gears: int


@dataclass(frozen=True)
class CabinLimits:
    max_speed_m_s: float
    max_lateral_acceleration_m_s2: float


@dataclass(frozen=True)
class CabinSpec:
    id: str
    name: str
    cabin_class: CabinClass
    description: str
    vehicle: VehicleParams
    controls: ControlLayout
    limits: CabinLimits
    mount_minutes: int
    unmount_minutes: int
    fixed_base_allowed: bool
    home_bay_id: str


@dataclass(frozen=True)
class Axes3:
    """Three symmetric limits, one per axis (x, y, z or roll, pitch, yaw)."""

    x: float
    y: float
    z: float


@dataclass(frozen=True)
class PlatformLimits:
    excursion_m: Axes3  # surge, sway, heave
    excursion_rad: Axes3  # roll, pitch, yaw
    velocity_m_s: Axes3
    velocity_rad_s: Axes3
    acceleration_m_s2: Axes3
    acceleration_rad_s2: Axes3


@dataclass(frozen=True)
class Platform:
    name: str
    limits: PlatformLimits


@dataclass(frozen=True)
class Bay:
    id: str
    name: str


@dataclass(frozen=True)
class Facility:
    """Everything the facility files describe."""

    name: str
    time_zone: str  # IANA name
    platform: Platform
    bays: tuple[Bay, ...]
    cabins: tuple[CabinSpec, ...]
    initial_mounted_cabin_id: str | None

    def cabin(self, cabin_id: str) -> CabinSpec | None:
        return next((c for c in self.cabins if c.id == cabin_id), None)


PLATFORM = "platform"  # the location name of the motion platform in placements


@dataclass(frozen=True)
class Placement:
    """Where a cabin stands (``PLATFORM`` or a bay id) and since when (UTC)."""

    cabin_id: str
    location: str
    since: datetime


@dataclass(frozen=True)
class Changeover:
    """A cabin swap on the platform: unmount the old cabin, mount the new one."""

    id: str
    from_cabin_id: str | None
    to_cabin_id: str
    started_at: datetime
    completes_at: datetime
    duration_minutes: int
    requested_by_user_id: str
    reason: str


@dataclass(frozen=True)
class FacilityState:
    placements: tuple[Placement, ...]
    last_changeover: Changeover | None

    @property
    def mounted(self) -> Placement | None:
        return next((p for p in self.placements if p.location == PLATFORM), None)
