"""Global actions: environment (time of day, weather, road condition), entity add/delete,
parameter and variable set/modify, traffic signal state and controller phase.

Each class is registered with the wrapper elements above it in the XML
(``GlobalAction/EnvironmentAction``). Units: s, m, m/s, °C (temperature), Pa, lx, rad.
"""

# ruff: noqa: RUF009  (attr/child/choice build dataclass fields with XML metadata)

from __future__ import annotations

from dataclasses import dataclass

from simhub.scenario import enums
from simhub.scenario.common import (
    BoundingBox,
    CatalogReference,
    File,
    ParameterDeclaration,
    Properties,
)
from simhub.scenario.positions import POSITIONS, Position
from simhub.scenario.schema import attr, child, children, choice, element

_GLOBAL = ("GlobalAction",)


@element("TimeOfDay")
@dataclass(frozen=True, kw_only=True)
class TimeOfDay:
    animation: bool = attr("animation", "bool")
    date_time: str = attr("dateTime", "datetime")


@element("Sun")
@dataclass(frozen=True, kw_only=True)
class Sun:
    azimuth: float = attr("azimuth")
    elevation: float = attr("elevation")
    illuminance: float | None = attr("illuminance", optional=True, aliases=("intensity",))


@element("Fog")
@dataclass(frozen=True, kw_only=True)
class Fog:
    visual_range: float = attr("visualRange")
    bounding_box: BoundingBox | None = child("BoundingBox", "BoundingBox", optional=True)


@element("DomeImage")
@dataclass(frozen=True, kw_only=True)
class DomeImage:
    """A sky image: visual only, listed as a warning."""

    azimuth_offset: float | None = attr("azimuthOffset", optional=True)
    dome_file: File = child("DomeFile", "File")


@element("Precipitation")
@dataclass(frozen=True, kw_only=True)
class Precipitation:
    """Rain or snow; the engine maps it to road friction."""

    precipitation_type: str = attr("precipitationType", "string",
                                   enum=enums.PRECIPITATION_TYPE)
    precipitation_intensity: float | None = attr("precipitationIntensity", optional=True,
                                                 aliases=("intensity",))


@element("Wind")
@dataclass(frozen=True, kw_only=True)
class Wind:
    direction: float = attr("direction")
    speed: float = attr("speed")


@element("Weather")
@dataclass(frozen=True, kw_only=True)
class Weather:
    cloud_state: str | None = attr("cloudState", "string", enum=enums.CLOUD_STATE,
                                   optional=True)
    fractional_cloud_cover: str | None = attr(
        "fractionalCloudCover", "string", enum=enums.FRACTIONAL_CLOUD_COVER, optional=True
    )
    temperature: float | None = attr("temperature", optional=True)
    atmospheric_pressure: float | None = attr("atmosphericPressure", optional=True)
    sun: Sun | None = child("Sun", "Sun", optional=True)
    fog: Fog | None = child("Fog", "Fog", optional=True)
    precipitation: Precipitation | None = child("Precipitation", "Precipitation",
                                                optional=True)
    wind: Wind | None = child("Wind", "Wind", optional=True)
    dome_image: DomeImage | None = child("DomeImage", "DomeImage", optional=True)


@element("RoadCondition")
@dataclass(frozen=True, kw_only=True)
class RoadCondition:
    friction_scale_factor: float = attr("frictionScaleFactor")
    wetness: str | None = attr("wetness", "string", enum=enums.WETNESS, optional=True)
    properties: Properties | None = child("Properties", "Properties", optional=True)


@element("Environment")
@dataclass(frozen=True, kw_only=True)
class Environment:
    name: str = attr("name", "string")
    parameter_declarations: tuple[ParameterDeclaration, ...] = children(
        "ParameterDeclaration", "ParameterDeclaration", wrapper="ParameterDeclarations"
    )
    time_of_day: TimeOfDay | None = child("TimeOfDay", "TimeOfDay", optional=True)
    weather: Weather | None = child("Weather", "Weather", optional=True)
    road_condition: RoadCondition | None = child("RoadCondition", "RoadCondition",
                                                 optional=True)


@element("EnvironmentAction", _GLOBAL)
@dataclass(frozen=True, kw_only=True)
class EnvironmentAction:
    environment: Environment | CatalogReference = choice(("Environment", "CatalogReference"))


@element("AddEntityAction")
@dataclass(frozen=True, kw_only=True)
class AddEntityAction:
    position: Position = choice(POSITIONS, wrapper="Position")


@element("DeleteEntityAction")
@dataclass(frozen=True, kw_only=True)
class DeleteEntityAction:
    pass


@element("EntityAction", _GLOBAL)
@dataclass(frozen=True, kw_only=True)
class EntityAction:
    entity_ref: str = attr("entityRef", "string")
    action: AddEntityAction | DeleteEntityAction = choice(
        ("AddEntityAction", "DeleteEntityAction")
    )


@element("SetAction")
@dataclass(frozen=True, kw_only=True)
class SetAction:
    value: str = attr("value", "string")


@element("AddValue")
@dataclass(frozen=True, kw_only=True)
class AddValue:
    value: float = attr("value")


@element("MultiplyByValue")
@dataclass(frozen=True, kw_only=True)
class MultiplyByValue:
    value: float = attr("value")


@element("ModifyAction")
@dataclass(frozen=True, kw_only=True)
class ModifyAction:
    rule: AddValue | MultiplyByValue = choice(("AddValue", "MultiplyByValue"), wrapper="Rule")


@element("ParameterAction", _GLOBAL)
@dataclass(frozen=True, kw_only=True)
class ParameterAction:
    parameter_ref: str = attr("parameterRef", "string")
    action: SetAction | ModifyAction = choice(("SetAction", "ModifyAction"))


@element("VariableAction", _GLOBAL)
@dataclass(frozen=True, kw_only=True)
class VariableAction:
    variable_ref: str = attr("variableRef", "string")
    action: SetAction | ModifyAction = choice(("SetAction", "ModifyAction"))


@element("TrafficSignalStateAction", ("GlobalAction", "InfrastructureAction",
                                      "TrafficSignalAction"))
@dataclass(frozen=True, kw_only=True)
class TrafficSignalStateAction:
    name: str = attr("name", "string")
    state: str = attr("state", "string")


@element("TrafficSignalControllerAction", ("GlobalAction", "InfrastructureAction",
                                           "TrafficSignalAction"))
@dataclass(frozen=True, kw_only=True)
class TrafficSignalControllerAction:
    traffic_signal_controller_ref: str = attr("trafficSignalControllerRef", "string")
    phase: str = attr("phase", "string")


GLOBAL_ACTIONS = (
    "EnvironmentAction",
    "EntityAction",
    "ParameterAction",
    "VariableAction",
    "TrafficSignalStateAction",
    "TrafficSignalControllerAction",
)


GlobalActionType = (
    EnvironmentAction
    | EntityAction
    | ParameterAction
    | VariableAction
    | TrafficSignalStateAction
    | TrafficSignalControllerAction
)
