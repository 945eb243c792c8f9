"""Entities: vehicles (with performance, axles, trailers), pedestrians, misc objects,
controllers, and the scenario objects that name them. Units: m, m/s, m/s², kg, rad."""

# ruff: noqa: RUF009  (attr/child/choice build dataclass fields with XML metadata)

from __future__ import annotations

from dataclasses import dataclass

from simhub.scenario import enums
from simhub.scenario.common import (
    BoundingBox,
    CatalogReference,
    ParameterDeclaration,
    Properties,
)
from simhub.scenario.schema import attr, child, children, choice, element

ENTITY_OBJECTS = ("CatalogReference", "Vehicle", "Pedestrian", "MiscObject",
                  "ExternalObjectReference")


@element("Performance")
@dataclass(frozen=True, kw_only=True)
class Performance:
    max_speed: float = attr("maxSpeed")
    max_acceleration: float = attr("maxAcceleration")
    max_deceleration: float = attr("maxDeceleration")
    max_acceleration_rate: float | None = attr("maxAccelerationRate", optional=True)
    max_deceleration_rate: float | None = attr("maxDecelerationRate", optional=True)


@element("Axle")
@dataclass(frozen=True, kw_only=True)
class Axle:
    max_steering: float = attr("maxSteering")
    wheel_diameter: float = attr("wheelDiameter")
    track_width: float = attr("trackWidth")
    position_x: float = attr("positionX")
    position_z: float = attr("positionZ")


@element("Axles")
@dataclass(frozen=True, kw_only=True)
class Axles:
    front_axle: Axle | None = child("FrontAxle", "Axle", optional=True)
    rear_axle: Axle = child("RearAxle", "Axle")
    additional_axles: tuple[Axle, ...] = children("AdditionalAxle", "Axle")


@element("TrailerHitch")
@dataclass(frozen=True, kw_only=True)
class TrailerHitch:
    dx: float = attr("dx")
    dz: float | None = attr("dz", optional=True)


@element("TrailerCoupler")
@dataclass(frozen=True, kw_only=True)
class TrailerCoupler:
    dx: float = attr("dx")
    dz: float | None = attr("dz", optional=True)


@element("Trailer")
@dataclass(frozen=True, kw_only=True)
class TrailerObject:
    """A trailer defined in place (1.3 ``Trailer/Trailer``, a scenario object)."""

    name: str = attr("name", "string")
    entity: Vehicle | Pedestrian | MiscObject | ExternalObjectReference | CatalogReference = (
        choice(ENTITY_OBJECTS)
    )
    object_controllers: tuple[ObjectController, ...] = children(
        "ObjectController", "ObjectController"
    )


@element("TrailerRef")
@dataclass(frozen=True, kw_only=True)
class TrailerRef:
    """A trailer that is another scenario object (empty ``entity_ref``: none)."""

    entity_ref: str = attr("entityRef", "string")


@element("Vehicle")
@dataclass(frozen=True, kw_only=True)
class Vehicle:
    name: str = attr("name", "string")
    vehicle_category: str = attr("vehicleCategory", "string", enum=enums.VEHICLE_CATEGORY)
    mass: float | None = attr("mass", optional=True)
    model3d: str | None = attr("model3d", "string", optional=True)
    role: str | None = attr("role", "string", enum=enums.ROLE, optional=True)
    parameter_declarations: tuple[ParameterDeclaration, ...] = children(
        "ParameterDeclaration", "ParameterDeclaration", wrapper="ParameterDeclarations"
    )
    bounding_box: BoundingBox = child("BoundingBox", "BoundingBox")
    performance: Performance = child("Performance", "Performance")
    axles: Axles = child("Axles", "Axles")
    properties: Properties | None = child("Properties", "Properties", optional=True)
    trailer_hitch: TrailerHitch | None = child("TrailerHitch", "TrailerHitch", optional=True)
    trailer_coupler: TrailerCoupler | None = child(
        "TrailerCoupler", "TrailerCoupler", optional=True
    )
    trailer: TrailerObject | TrailerRef | None = choice(
        ("TrailerObject", "TrailerRef"), wrapper="Trailer", optional=True
    )


@element("Pedestrian")
@dataclass(frozen=True, kw_only=True)
class Pedestrian:
    name: str = attr("name", "string")
    pedestrian_category: str = attr(
        "pedestrianCategory", "string", enum=enums.PEDESTRIAN_CATEGORY
    )
    mass: float = attr("mass")
    model: str | None = attr("model", "string", optional=True)
    model3d: str | None = attr("model3d", "string", optional=True)
    role: str | None = attr("role", "string", enum=enums.ROLE, optional=True)
    parameter_declarations: tuple[ParameterDeclaration, ...] = children(
        "ParameterDeclaration", "ParameterDeclaration", wrapper="ParameterDeclarations"
    )
    bounding_box: BoundingBox = child("BoundingBox", "BoundingBox")
    properties: Properties | None = child("Properties", "Properties", optional=True)


@element("MiscObject")
@dataclass(frozen=True, kw_only=True)
class MiscObject:
    name: str = attr("name", "string")
    misc_object_category: str = attr(
        "miscObjectCategory", "string", enum=enums.MISC_OBJECT_CATEGORY
    )
    mass: float = attr("mass")
    model3d: str | None = attr("model3d", "string", optional=True)
    parameter_declarations: tuple[ParameterDeclaration, ...] = children(
        "ParameterDeclaration", "ParameterDeclaration", wrapper="ParameterDeclarations"
    )
    bounding_box: BoundingBox = child("BoundingBox", "BoundingBox")
    properties: Properties | None = child("Properties", "Properties", optional=True)


@element("Controller")
@dataclass(frozen=True, kw_only=True)
class Controller:
    """A controller: a driver model, the cabin's human driver or an AI policy (by properties)."""

    name: str = attr("name", "string")
    controller_type: str | None = attr(
        "controllerType", "string", enum=enums.CONTROLLER_TYPE, optional=True
    )
    parameter_declarations: tuple[ParameterDeclaration, ...] = children(
        "ParameterDeclaration", "ParameterDeclaration", wrapper="ParameterDeclarations"
    )
    properties: Properties | None = child("Properties", "Properties", optional=True)


@element("ObjectController")
@dataclass(frozen=True, kw_only=True)
class ObjectController:
    name: str | None = attr("name", "string", optional=True)
    controller: Controller | CatalogReference = choice(("Controller", "CatalogReference"))


@element("ExternalObjectReference")
@dataclass(frozen=True, kw_only=True)
class ExternalObjectReference:
    """An object defined outside the scenario (by name, e.g. in the road network)."""

    name: str = attr("name", "string")


@element("ScenarioObject")
@dataclass(frozen=True, kw_only=True)
class ScenarioObject:
    """A named entity of the scenario: a vehicle, pedestrian or misc object, and controllers."""

    name: str = attr("name", "string")
    entity: Vehicle | Pedestrian | MiscObject | ExternalObjectReference | CatalogReference = (
        choice(ENTITY_OBJECTS)
    )
    object_controllers: tuple[ObjectController, ...] = children(
        "ObjectController", "ObjectController"
    )


@element("Entities")
@dataclass(frozen=True, kw_only=True)
class Entities:
    scenario_objects: tuple[ScenarioObject, ...] = children("ScenarioObject", "ScenarioObject")

