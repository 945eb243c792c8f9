"""Conditions and triggers. A trigger is an OR of condition groups, a group an AND of
conditions; each condition has a ``delay`` (s) and an edge. Units: m, s, m/s, m/s²."""

# ruff: noqa: RUF009  (attr/child/choice build dataclass fields with XML metadata)

from __future__ import annotations

from dataclasses import dataclass

from simhub.scenario import enums
from simhub.scenario.common import EntityRef
from simhub.scenario.positions import POSITIONS, Position
from simhub.scenario.schema import attr, child, children, choice, element

_BY_VALUE = ("ByValueCondition",)


@element("EndOfRoadCondition")
@dataclass(frozen=True, kw_only=True)
class EndOfRoadCondition:
    duration: float = attr("duration")


@element("OffroadCondition")
@dataclass(frozen=True, kw_only=True)
class OffroadCondition:
    duration: float = attr("duration")


@element("ByType")
@dataclass(frozen=True, kw_only=True)
class ByType:
    type: str = attr("type", "string", enum=enums.OBJECT_TYPE)


@element("CollisionCondition")
@dataclass(frozen=True, kw_only=True)
class CollisionCondition:
    target: EntityRef | ByType = choice(("EntityRef", "ByType"))


@element("TimeHeadwayCondition")
@dataclass(frozen=True, kw_only=True)
class TimeHeadwayCondition:
    entity_ref: str = attr("entityRef", "string")
    value: float = attr("value")
    freespace: bool = attr("freespace", "bool")
    rule: str = attr("rule", "string", enum=enums.RULE)
    along_route: bool | None = attr("alongRoute", "bool", optional=True)
    coordinate_system: str | None = attr("coordinateSystem", "string",
                                         enum=enums.COORDINATE_SYSTEM, optional=True)
    relative_distance_type: str | None = attr(
        "relativeDistanceType", "string", enum=enums.RELATIVE_DISTANCE_TYPE, optional=True
    )
    routing_algorithm: str | None = attr("routingAlgorithm", "string",
                                         enum=enums.ROUTING_ALGORITHM, optional=True)


@element("TimeToCollisionCondition")
@dataclass(frozen=True, kw_only=True)
class TimeToCollisionCondition:
    value: float = attr("value")
    freespace: bool = attr("freespace", "bool")
    rule: str = attr("rule", "string", enum=enums.RULE)
    along_route: bool | None = attr("alongRoute", "bool", optional=True)
    coordinate_system: str | None = attr("coordinateSystem", "string",
                                         enum=enums.COORDINATE_SYSTEM, optional=True)
    relative_distance_type: str | None = attr(
        "relativeDistanceType", "string", enum=enums.RELATIVE_DISTANCE_TYPE, optional=True
    )
    routing_algorithm: str | None = attr("routingAlgorithm", "string",
                                         enum=enums.ROUTING_ALGORITHM, optional=True)
    target: Position | EntityRef = choice(
        (*POSITIONS, "EntityRef"), wrapper="TimeToCollisionConditionTarget"
    )


@element("AccelerationCondition")
@dataclass(frozen=True, kw_only=True)
class AccelerationCondition:
    value: float = attr("value")
    rule: str = attr("rule", "string", enum=enums.RULE)
    direction: str | None = attr("direction", "string", enum=enums.DIRECTIONAL_DIMENSION,
                                 optional=True)


@element("StandStillCondition")
@dataclass(frozen=True, kw_only=True)
class StandStillCondition:
    duration: float = attr("duration")


@element("SpeedCondition")
@dataclass(frozen=True, kw_only=True)
class SpeedCondition:
    value: float = attr("value")
    rule: str = attr("rule", "string", enum=enums.RULE)
    direction: str | None = attr("direction", "string", enum=enums.DIRECTIONAL_DIMENSION,
                                 optional=True)


@element("RelativeSpeedCondition")
@dataclass(frozen=True, kw_only=True)
class RelativeSpeedCondition:
    entity_ref: str = attr("entityRef", "string")
    value: float = attr("value")
    rule: str = attr("rule", "string", enum=enums.RULE)
    direction: str | None = attr("direction", "string", enum=enums.DIRECTIONAL_DIMENSION,
                                 optional=True)


@element("TraveledDistanceCondition")
@dataclass(frozen=True, kw_only=True)
class TraveledDistanceCondition:
    value: float = attr("value")


@element("ReachPositionCondition")
@dataclass(frozen=True, kw_only=True)
class ReachPositionCondition:
    tolerance: float = attr("tolerance")
    position: Position = choice(POSITIONS, wrapper="Position")


@element("DistanceCondition")
@dataclass(frozen=True, kw_only=True)
class DistanceCondition:
    value: float = attr("value")
    freespace: bool = attr("freespace", "bool")
    rule: str = attr("rule", "string", enum=enums.RULE)
    along_route: bool | None = attr("alongRoute", "bool", optional=True)
    coordinate_system: str | None = attr("coordinateSystem", "string",
                                         enum=enums.COORDINATE_SYSTEM, optional=True)
    relative_distance_type: str | None = attr(
        "relativeDistanceType", "string", enum=enums.RELATIVE_DISTANCE_TYPE, optional=True
    )
    routing_algorithm: str | None = attr("routingAlgorithm", "string",
                                         enum=enums.ROUTING_ALGORITHM, optional=True)
    position: Position = choice(POSITIONS, wrapper="Position")


@element("RelativeDistanceCondition")
@dataclass(frozen=True, kw_only=True)
class RelativeDistanceCondition:
    entity_ref: str = attr("entityRef", "string")
    relative_distance_type: str = attr("relativeDistanceType", "string",
                                       enum=enums.RELATIVE_DISTANCE_TYPE)
    value: float = attr("value")
    freespace: bool = attr("freespace", "bool")
    rule: str = attr("rule", "string", enum=enums.RULE)
    coordinate_system: str | None = attr("coordinateSystem", "string",
                                         enum=enums.COORDINATE_SYSTEM, optional=True)
    routing_algorithm: str | None = attr("routingAlgorithm", "string",
                                         enum=enums.ROUTING_ALGORITHM, optional=True)


@element("RelativeLaneRange")
@dataclass(frozen=True, kw_only=True)
class RelativeLaneRange:
    from_lane: int | None = attr("from", "int", optional=True)
    to_lane: int | None = attr("to", "int", optional=True)


@element("RelativeClearanceCondition")
@dataclass(frozen=True, kw_only=True)
class RelativeClearanceCondition:
    opposite_lanes: bool = attr("oppositeLanes", "bool")
    distance_forward: float | None = attr("distanceForward", optional=True)
    distance_backward: float | None = attr("distanceBackward", optional=True)
    free_space: bool = attr("freeSpace", "bool")
    lane_ranges: tuple[RelativeLaneRange, ...] = children("RelativeLaneRange",
                                                          "RelativeLaneRange")
    entity_refs: tuple[EntityRef, ...] = children("EntityRef", "EntityRef")


ENTITY_CONDITIONS = (
    "EndOfRoadCondition",
    "CollisionCondition",
    "OffroadCondition",
    "TimeHeadwayCondition",
    "TimeToCollisionCondition",
    "AccelerationCondition",
    "StandStillCondition",
    "SpeedCondition",
    "RelativeSpeedCondition",
    "TraveledDistanceCondition",
    "ReachPositionCondition",
    "DistanceCondition",
    "RelativeDistanceCondition",
    "RelativeClearanceCondition",
)

EntityConditionType = (
    EndOfRoadCondition
    | CollisionCondition
    | OffroadCondition
    | TimeHeadwayCondition
    | TimeToCollisionCondition
    | AccelerationCondition
    | StandStillCondition
    | SpeedCondition
    | RelativeSpeedCondition
    | TraveledDistanceCondition
    | ReachPositionCondition
    | DistanceCondition
    | RelativeDistanceCondition
    | RelativeClearanceCondition
)


@element("TriggeringEntities")
@dataclass(frozen=True, kw_only=True)
class TriggeringEntities:
    triggering_entities_rule: str = attr("triggeringEntitiesRule", "string",
                                         enum=enums.TRIGGERING_ENTITIES_RULE)
    entity_refs: tuple[EntityRef, ...] = children("EntityRef", "EntityRef", min_count=1)


@element("ByEntityCondition")
@dataclass(frozen=True, kw_only=True)
class ByEntityCondition:
    triggering_entities: TriggeringEntities = child("TriggeringEntities", "TriggeringEntities")
    condition: EntityConditionType = choice(ENTITY_CONDITIONS, wrapper="EntityCondition")


@element("ParameterCondition", _BY_VALUE)
@dataclass(frozen=True, kw_only=True)
class ParameterCondition:
    parameter_ref: str = attr("parameterRef", "string")
    value: str = attr("value", "string")
    rule: str = attr("rule", "string", enum=enums.RULE)


@element("VariableCondition", _BY_VALUE)
@dataclass(frozen=True, kw_only=True)
class VariableCondition:
    variable_ref: str = attr("variableRef", "string")
    value: str = attr("value", "string")
    rule: str = attr("rule", "string", enum=enums.RULE)


@element("TimeOfDayCondition", _BY_VALUE)
@dataclass(frozen=True, kw_only=True)
class TimeOfDayCondition:
    date_time: str = attr("dateTime", "datetime")
    rule: str = attr("rule", "string", enum=enums.RULE)


@element("SimulationTimeCondition", _BY_VALUE)
@dataclass(frozen=True, kw_only=True)
class SimulationTimeCondition:
    value: float = attr("value")
    rule: str = attr("rule", "string", enum=enums.RULE)


@element("StoryboardElementStateCondition", _BY_VALUE)
@dataclass(frozen=True, kw_only=True)
class StoryboardElementStateCondition:
    storyboard_element_type: str = attr("storyboardElementType", "string",
                                        enum=enums.STORYBOARD_ELEMENT_TYPE)
    storyboard_element_ref: str = attr("storyboardElementRef", "string")
    state: str = attr("state", "string", enum=enums.STORYBOARD_ELEMENT_STATE)


@element("TrafficSignalCondition", _BY_VALUE)
@dataclass(frozen=True, kw_only=True)
class TrafficSignalCondition:
    name: str = attr("name", "string")
    state: str = attr("state", "string")


@element("TrafficSignalControllerCondition", _BY_VALUE)
@dataclass(frozen=True, kw_only=True)
class TrafficSignalControllerCondition:
    traffic_signal_controller_ref: str = attr("trafficSignalControllerRef", "string")
    phase: str = attr("phase", "string")


@element("Condition")
@dataclass(frozen=True, kw_only=True)
class Condition:
    name: str = attr("name", "string")
    delay: float = attr("delay")
    condition_edge: str = attr("conditionEdge", "string", enum=enums.CONDITION_EDGE)
    kind: (
        ByEntityCondition
        | ParameterCondition
        | VariableCondition
        | TimeOfDayCondition
        | SimulationTimeCondition
        | StoryboardElementStateCondition
        | TrafficSignalCondition
        | TrafficSignalControllerCondition
    ) = choice(
        (
            "ByEntityCondition",
            "ParameterCondition",
            "VariableCondition",
            "TimeOfDayCondition",
            "SimulationTimeCondition",
            "StoryboardElementStateCondition",
            "TrafficSignalCondition",
            "TrafficSignalControllerCondition",
        )
    )


@element("ConditionGroup")
@dataclass(frozen=True, kw_only=True)
class ConditionGroup:
    """True when all its conditions are true."""

    conditions: tuple[Condition, ...] = children("Condition", "Condition", min_count=1)


@element("Trigger")
@dataclass(frozen=True, kw_only=True)
class Trigger:
    """True when any of its condition groups is true (an empty trigger never fires)."""

    condition_groups: tuple[ConditionGroup, ...] = children("ConditionGroup", "ConditionGroup")
