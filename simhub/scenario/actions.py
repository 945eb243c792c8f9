"""Private actions: longitudinal, lateral, visibility, synchronize, controller, teleport,
routing (global actions are in ``global_actions.py``).

Each class is registered with the wrapper elements above it in the XML
(``PrivateAction/LongitudinalAction/SpeedAction``), so the model holds the action itself.
Units: m, s, m/s, m/s², rad.
"""

# ruff: noqa: RUF009  (attr/child/choice build dataclass fields with XML metadata)

from __future__ import annotations

from dataclasses import dataclass

from simhub.scenario import enums
from simhub.scenario.common import CatalogReference
from simhub.scenario.entities import Controller, ObjectController
from simhub.scenario.positions import POSITIONS, Position
from simhub.scenario.routes import Route, Trajectory
from simhub.scenario.schema import attr, child, children, choice, element

_LONGITUDINAL = ("PrivateAction", "LongitudinalAction")
_LATERAL = ("PrivateAction", "LateralAction")
_ROUTING = ("PrivateAction", "RoutingAction")
_CONTROLLER = ("PrivateAction", "ControllerAction")
_PRIVATE = ("PrivateAction",)


@element("TransitionDynamics")
@dataclass(frozen=True, kw_only=True)
class TransitionDynamics:
    """How a value changes: ``shape`` over ``value`` s, m or units/s (``dimension``)."""

    dynamics_shape: str = attr("dynamicsShape", "string", enum=enums.DYNAMICS_SHAPE)
    value: float = attr("value")
    dynamics_dimension: str = attr("dynamicsDimension", "string",
                                   enum=enums.DYNAMICS_DIMENSION)
    following_mode: str | None = attr("followingMode", "string", enum=enums.FOLLOWING_MODE,
                                      optional=True)


@element("AbsoluteTargetSpeed")
@dataclass(frozen=True, kw_only=True)
class AbsoluteTargetSpeed:
    value: float = attr("value")


@element("RelativeTargetSpeed")
@dataclass(frozen=True, kw_only=True)
class RelativeTargetSpeed:
    entity_ref: str = attr("entityRef", "string")
    value: float = attr("value")
    speed_target_value_type: str = attr("speedTargetValueType", "string",
                                        enum=enums.SPEED_TARGET_VALUE_TYPE)
    continuous: bool = attr("continuous", "bool")


@element("SpeedAction", _LONGITUDINAL)
@dataclass(frozen=True, kw_only=True)
class SpeedAction:
    dynamics: TransitionDynamics = child("SpeedActionDynamics", "TransitionDynamics")
    target: AbsoluteTargetSpeed | RelativeTargetSpeed = choice(
        ("AbsoluteTargetSpeed", "RelativeTargetSpeed"), wrapper="SpeedActionTarget"
    )


@element("DynamicConstraints")
@dataclass(frozen=True, kw_only=True)
class DynamicConstraints:
    max_acceleration: float | None = attr("maxAcceleration", optional=True)
    max_deceleration: float | None = attr("maxDeceleration", optional=True)
    max_speed: float | None = attr("maxSpeed", optional=True)
    max_acceleration_rate: float | None = attr("maxAccelerationRate", optional=True)
    max_deceleration_rate: float | None = attr("maxDecelerationRate", optional=True)


@element("LongitudinalDistanceAction", _LONGITUDINAL)
@dataclass(frozen=True, kw_only=True)
class LongitudinalDistanceAction:
    entity_ref: str = attr("entityRef", "string")
    freespace: bool = attr("freespace", "bool")
    continuous: bool = attr("continuous", "bool")
    distance: float | None = attr("distance", optional=True)
    time_gap: float | None = attr("timeGap", optional=True)
    coordinate_system: str | None = attr("coordinateSystem", "string",
                                         enum=enums.COORDINATE_SYSTEM, optional=True)
    displacement: str | None = attr("displacement", "string",
                                    enum=enums.LONGITUDINAL_DISPLACEMENT, optional=True)
    dynamic_constraints: DynamicConstraints | None = child(
        "DynamicConstraints", "DynamicConstraints", optional=True
    )


@element("SpeedProfileEntry")
@dataclass(frozen=True, kw_only=True)
class SpeedProfileEntry:
    speed: float = attr("speed")
    time: float | None = attr("time", optional=True)


@element("SpeedProfileAction", _LONGITUDINAL)
@dataclass(frozen=True, kw_only=True)
class SpeedProfileAction:
    following_mode: str = attr("followingMode", "string", enum=enums.FOLLOWING_MODE)
    entity_ref: str | None = attr("entityRef", "string", optional=True)
    dynamic_constraints: DynamicConstraints | None = child(
        "DynamicConstraints", "DynamicConstraints", optional=True
    )
    entries: tuple[SpeedProfileEntry, ...] = children(
        "SpeedProfileEntry", "SpeedProfileEntry", min_count=1
    )


@element("RelativeTargetLane")
@dataclass(frozen=True, kw_only=True)
class RelativeTargetLane:
    entity_ref: str = attr("entityRef", "string")
    value: int = attr("value", "int")


@element("AbsoluteTargetLane")
@dataclass(frozen=True, kw_only=True)
class AbsoluteTargetLane:
    value: str = attr("value", "string")


@element("LaneChangeAction", _LATERAL)
@dataclass(frozen=True, kw_only=True)
class LaneChangeAction:
    target_lane_offset: float | None = attr("targetLaneOffset", optional=True)
    dynamics: TransitionDynamics = child("LaneChangeActionDynamics", "TransitionDynamics")
    target: RelativeTargetLane | AbsoluteTargetLane = choice(
        ("RelativeTargetLane", "AbsoluteTargetLane"), wrapper="LaneChangeTarget"
    )


@element("LaneOffsetActionDynamics")
@dataclass(frozen=True, kw_only=True)
class LaneOffsetActionDynamics:
    dynamics_shape: str = attr("dynamicsShape", "string", enum=enums.DYNAMICS_SHAPE)
    max_lateral_acc: float | None = attr("maxLateralAcc", optional=True)


@element("RelativeTargetLaneOffset")
@dataclass(frozen=True, kw_only=True)
class RelativeTargetLaneOffset:
    entity_ref: str = attr("entityRef", "string")
    value: float = attr("value")


@element("AbsoluteTargetLaneOffset")
@dataclass(frozen=True, kw_only=True)
class AbsoluteTargetLaneOffset:
    value: float = attr("value")


@element("LaneOffsetAction", _LATERAL)
@dataclass(frozen=True, kw_only=True)
class LaneOffsetAction:
    continuous: bool = attr("continuous", "bool")
    dynamics: LaneOffsetActionDynamics = child("LaneOffsetActionDynamics",
                                               "LaneOffsetActionDynamics")
    target: RelativeTargetLaneOffset | AbsoluteTargetLaneOffset = choice(
        ("RelativeTargetLaneOffset", "AbsoluteTargetLaneOffset"), wrapper="LaneOffsetTarget"
    )


@element("SensorReference")
@dataclass(frozen=True, kw_only=True)
class SensorReference:
    name: str = attr("name", "string")


@element("VisibilityAction", _PRIVATE)
@dataclass(frozen=True, kw_only=True)
class VisibilityAction:
    graphics: bool = attr("graphics", "bool")
    traffic: bool = attr("traffic", "bool")
    sensors: bool = attr("sensors", "bool")
    sensor_references: tuple[SensorReference, ...] = children(
        "SensorReference", "SensorReference", wrapper="SensorReferenceSet"
    )


@element("ConnectTrailerAction", ("PrivateAction", "TrailerAction"))
@dataclass(frozen=True, kw_only=True)
class ConnectTrailerAction:
    trailer_ref: str = attr("trailerRef", "string")


@element("DisconnectTrailerAction", ("PrivateAction", "TrailerAction"))
@dataclass(frozen=True, kw_only=True)
class DisconnectTrailerAction:
    pass


@element("AbsoluteSpeed")
@dataclass(frozen=True, kw_only=True)
class AbsoluteSpeed:
    value: float = attr("value")


@element("RelativeSpeedToMaster")
@dataclass(frozen=True, kw_only=True)
class RelativeSpeedToMaster:
    value: float = attr("value")
    speed_target_value_type: str = attr("speedTargetValueType", "string",
                                        enum=enums.SPEED_TARGET_VALUE_TYPE)


@element("SynchronizeAction", _PRIVATE)
@dataclass(frozen=True, kw_only=True)
class SynchronizeAction:
    master_entity_ref: str = attr("masterEntityRef", "string")
    target_tolerance_master: float | None = attr("targetToleranceMaster", optional=True)
    target_tolerance: float | None = attr("targetTolerance", optional=True)
    target_position_master: Position = choice(POSITIONS, wrapper="TargetPositionMaster")
    target_position: Position = choice(POSITIONS, wrapper="TargetPosition")
    final_speed: AbsoluteSpeed | RelativeSpeedToMaster | None = choice(
        ("AbsoluteSpeed", "RelativeSpeedToMaster"), wrapper="FinalSpeed", optional=True
    )


@element("AssignControllerAction", _CONTROLLER)
@dataclass(frozen=True, kw_only=True)
class AssignControllerAction:
    activate_lateral: bool | None = attr("activateLateral", "bool", optional=True)
    activate_longitudinal: bool | None = attr("activateLongitudinal", "bool", optional=True)
    activate_lighting: bool | None = attr("activateLighting", "bool", optional=True)
    activate_animation: bool | None = attr("activateAnimation", "bool", optional=True)
    controller: Controller | CatalogReference | ObjectController = choice(
        ("Controller", "CatalogReference", "ObjectController")
    )


@element("ActivateControllerAction", _CONTROLLER, _PRIVATE)
@dataclass(frozen=True, kw_only=True)
class ActivateControllerAction:
    lateral: bool | None = attr("lateral", "bool", optional=True)
    longitudinal: bool | None = attr("longitudinal", "bool", optional=True)
    lighting: bool | None = attr("lighting", "bool", optional=True)
    animation: bool | None = attr("animation", "bool", optional=True)
    controller_ref: str | None = attr("controllerRef", "string", optional=True)
    object_controller_ref: str | None = attr("objectControllerRef", "string", optional=True)


@element("TeleportAction", _PRIVATE)
@dataclass(frozen=True, kw_only=True)
class TeleportAction:
    position: Position = choice(POSITIONS, wrapper="Position")


@element("AssignRouteAction", _ROUTING)
@dataclass(frozen=True, kw_only=True)
class AssignRouteAction:
    route: Route | CatalogReference = choice(("Route", "CatalogReference"))


@element("Timing")
@dataclass(frozen=True, kw_only=True)
class Timing:
    domain_absolute_relative: str = attr("domainAbsoluteRelative", "string",
                                         enum=enums.REFERENCE_CONTEXT)
    scale: float = attr("scale")
    offset: float = attr("offset")


@element("None")
@dataclass(frozen=True, kw_only=True)
class NoTiming:
    """``TimeReference/None``: the trajectory's times are ignored."""


@element("TrajectoryFollowingMode")
@dataclass(frozen=True, kw_only=True)
class TrajectoryFollowingMode:
    following_mode: str = attr("followingMode", "string", enum=enums.FOLLOWING_MODE)
    lateral_profile: str | None = attr("lateralProfile", "string", optional=True)


@element("FollowTrajectoryAction", _ROUTING)
@dataclass(frozen=True, kw_only=True)
class FollowTrajectoryAction:
    initial_distance_offset: float | None = attr("initialDistanceOffset", optional=True)
    trajectory: Trajectory | CatalogReference = choice(
        ("Trajectory", "CatalogReference"), wrapper="TrajectoryRef", wrapper_optional=True
    )
    time_reference: NoTiming | Timing = choice(("NoTiming", "Timing"), wrapper="TimeReference")
    trajectory_following_mode: TrajectoryFollowingMode = child(
        "TrajectoryFollowingMode", "TrajectoryFollowingMode"
    )


@element("AcquirePositionAction", _ROUTING)
@dataclass(frozen=True, kw_only=True)
class AcquirePositionAction:
    position: Position = choice(POSITIONS, wrapper="Position")


PRIVATE_ACTIONS = (
    "SpeedAction",
    "LongitudinalDistanceAction",
    "SpeedProfileAction",
    "LaneChangeAction",
    "LaneOffsetAction",
    "VisibilityAction",
    "SynchronizeAction",
    "AssignControllerAction",
    "ActivateControllerAction",
    "TeleportAction",
    "AssignRouteAction",
    "FollowTrajectoryAction",
    "AcquirePositionAction",
    "ConnectTrailerAction",
    "DisconnectTrailerAction",
)
PrivateActionType = (
    SpeedAction
    | LongitudinalDistanceAction
    | SpeedProfileAction
    | LaneChangeAction
    | LaneOffsetAction
    | VisibilityAction
    | SynchronizeAction
    | AssignControllerAction
    | ActivateControllerAction
    | TeleportAction
    | AssignRouteAction
    | FollowTrajectoryAction
    | AcquirePositionAction
    | ConnectTrailerAction
    | DisconnectTrailerAction
)
