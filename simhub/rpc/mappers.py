"""The only place that turns domain objects into ``*_pb2`` messages and back."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from simhub._proto.simhub.v1 import common_pb2, facility_pb2
from simhub.facility import model
from simhub.identity.model import Role

_CABIN_CLASS = {
    model.CabinClass.PASSENGER: facility_pb2.CABIN_CLASS_PASSENGER,
    model.CabinClass.COMMERCIAL: facility_pb2.CABIN_CLASS_COMMERCIAL,
    model.CabinClass.SPECIAL: facility_pb2.CABIN_CLASS_SPECIAL,
}
_VEHICLE_MODEL = {
    model.VehicleModel.KS: facility_pb2.VEHICLE_MODEL_KS,
    model.VehicleModel.ST: facility_pb2.VEHICLE_MODEL_ST,
    model.VehicleModel.KST: facility_pb2.VEHICLE_MODEL_KST,
}
_ROLE = {
    Role.VIEWER: common_pb2.ROLE_VIEWER,
    Role.ENGINEER: common_pb2.ROLE_ENGINEER,
    Role.OPERATOR: common_pb2.ROLE_OPERATOR,
}


def timestamp(value: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(value.astimezone(UTC))
    return ts


def from_timestamp(ts: Timestamp) -> datetime:
    return ts.ToDatetime(tzinfo=UTC)


def role(value: Role) -> int:
    return _ROLE[value]


def vector(axes: model.Axes3) -> common_pb2.Vector3:
    return common_pb2.Vector3(x=axes.x, y=axes.y, z=axes.z)


def cabin(spec: model.CabinSpec) -> facility_pb2.Cabin:
    v = spec.vehicle
    vehicle = facility_pb2.VehicleParameters(
        model=_VEHICLE_MODEL[v.model],
        parameter_source=v.parameter_source,
        length_m=v.length_m,
        width_m=v.width_m,
        mass_kg=v.mass_kg,
        yaw_inertia_kg_m2=v.yaw_inertia_kg_m2,
        cog_to_front_axle_m=v.cog_to_front_axle_m,
        cog_to_rear_axle_m=v.cog_to_rear_axle_m,
        cog_height_m=v.cog_height_m,
        steering_angle_min_rad=v.steering_angle_min_rad,
        steering_angle_max_rad=v.steering_angle_max_rad,
        steering_rate_min_rad_s=v.steering_rate_min_rad_s,
        steering_rate_max_rad_s=v.steering_rate_max_rad_s,
        speed_min_m_s=v.speed_min_m_s,
        speed_max_m_s=v.speed_max_m_s,
        switching_speed_m_s=v.switching_speed_m_s,
        acceleration_max_m_s2=v.acceleration_max_m_s2,
        friction_coefficient=v.friction_coefficient,
        cornering_stiffness_front_per_rad=v.cornering_stiffness_front_per_rad,
        cornering_stiffness_rear_per_rad=v.cornering_stiffness_rear_per_rad,
    )
    if v.trailer is not None:
        t = v.trailer
        vehicle.trailer.CopyFrom(
            facility_pb2.TrailerParameters(
                length_m=t.length_m,
                width_m=t.width_m,
                hitch_length_m=t.hitch_length_m,
                total_length_m=t.total_length_m,
                wheelbase_m=t.wheelbase_m,
            )
        )
    c = spec.controls
    return facility_pb2.Cabin(
        id=spec.id,
        name=spec.name,
        cabin_class=_CABIN_CLASS[spec.cabin_class],
        description=spec.description,
        vehicle=vehicle,
        controls=facility_pb2.ControlLayout(
            steering_ratio=c.steering_ratio,
            steering_wheel_range_rad=c.steering_wheel_range_rad,
            clutch_pedal=c.clutch_pedal,
            gearbox=c.gearbox,
            forward_gears=c.forward_gears,
        ),
        limits=facility_pb2.CabinLimits(
            max_speed_m_s=spec.limits.max_speed_m_s,
            max_lateral_acceleration_m_s2=spec.limits.max_lateral_acceleration_m_s2,
        ),
        mount_minutes=spec.mount_minutes,
        unmount_minutes=spec.unmount_minutes,
        fixed_base_allowed=spec.fixed_base_allowed,
        home_bay_id=spec.home_bay_id,
    )


def changeover(c: model.Changeover) -> facility_pb2.Changeover:
    return facility_pb2.Changeover(
        id=c.id,
        from_cabin_id=c.from_cabin_id or "",
        to_cabin_id=c.to_cabin_id,
        started_at=timestamp(c.started_at),
        completes_at=timestamp(c.completes_at),
        duration_minutes=c.duration_minutes,
        requested_by_user_id=c.requested_by_user_id,
        reason=c.reason,
    )


def facility_state(
    facility: model.Facility, state: model.FacilityState, now: datetime
) -> facility_pb2.FacilityState:
    limits = facility.platform.limits
    where = {p.location: p.cabin_id for p in state.placements}
    message = facility_pb2.FacilityState(
        platform_name=facility.platform.name,
        platform_limits=facility_pb2.PlatformLimits(
            excursion_m=vector(limits.excursion_m),
            excursion_rad=vector(limits.excursion_rad),
            velocity_m_s=vector(limits.velocity_m_s),
            velocity_rad_s=vector(limits.velocity_rad_s),
            acceleration_m_s2=vector(limits.acceleration_m_s2),
            acceleration_rad_s2=vector(limits.acceleration_rad_s2),
        ),
        bays=[
            facility_pb2.Bay(id=b.id, name=b.name, cabin_id=where.get(b.id, ""))
            for b in facility.bays
        ],
        placements=[
            facility_pb2.CabinPlacement(
                cabin_id=p.cabin_id, location=p.location, since=timestamp(p.since)
            )
            for p in state.placements
        ],
        time_zone=facility.time_zone,
    )
    mounted = state.mounted
    if mounted is not None:
        message.mounted_cabin_id = mounted.cabin_id
        message.mounted_since.CopyFrom(timestamp(mounted.since))
    last = state.last_changeover
    if last is not None and last.completes_at > now:
        message.changeover_in_progress.CopyFrom(changeover(last))
    return message
