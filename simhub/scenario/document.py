"""The top of a scenario: file header, parameters, catalog locations, road network,
entities and storyboard, plus the ``Scenario`` that a reader returns."""

# ruff: noqa: RUF009  (attr/child/choice build dataclass fields with XML metadata)

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from simhub.scenario.common import ParameterDeclaration, Properties
from simhub.scenario.entities import Entities
from simhub.scenario.schema import attr, child, children, element
from simhub.scenario.storyboard import Storyboard


@element("FileHeader")
@dataclass(frozen=True, kw_only=True)
class FileHeader:
    rev_major: int = attr("revMajor", "ushort")
    rev_minor: int = attr("revMinor", "ushort")
    date: str = attr("date", "datetime")
    description: str = attr("description", "string")
    author: str = attr("author", "string")
    properties: Properties | None = child("Properties", "Properties", optional=True)


@element("Directory")
@dataclass(frozen=True, kw_only=True)
class Directory:
    path: str = attr("path", "string")


@element("CatalogLocations")
@dataclass(frozen=True, kw_only=True)
class CatalogLocations:
    """Catalog directories, relative to the scenario file."""

    vehicle_catalog: CatalogLocation | None = child("VehicleCatalog", "CatalogLocation",
                                                    optional=True)
    controller_catalog: CatalogLocation | None = child("ControllerCatalog", "CatalogLocation",
                                                 optional=True)
    pedestrian_catalog: CatalogLocation | None = child("PedestrianCatalog", "CatalogLocation",
                                                 optional=True)
    misc_object_catalog: CatalogLocation | None = child("MiscObjectCatalog", "CatalogLocation",
                                                  optional=True)
    environment_catalog: CatalogLocation | None = child("EnvironmentCatalog", "CatalogLocation",
                                                  optional=True)
    maneuver_catalog: CatalogLocation | None = child("ManeuverCatalog", "CatalogLocation",
                                               optional=True)
    trajectory_catalog: CatalogLocation | None = child("TrajectoryCatalog", "CatalogLocation",
                                                 optional=True)
    route_catalog: CatalogLocation | None = child("RouteCatalog", "CatalogLocation", optional=True)

    def directories(self) -> list[str]:
        """Every listed directory path, as written."""
        found = []
        for location in (
            self.vehicle_catalog, self.controller_catalog, self.pedestrian_catalog,
            self.misc_object_catalog, self.environment_catalog, self.maneuver_catalog,
            self.trajectory_catalog, self.route_catalog,
        ):
            if location is not None:
                found.append(location.path)
        return found


@element("CatalogLocation")
@dataclass(frozen=True, kw_only=True)
class CatalogLocation:
    directory: Directory = child("Directory", "Directory")

    @property
    def path(self) -> str:
        return self.directory.path


@element("LogicFile")
@dataclass(frozen=True, kw_only=True)
class LogicFile:
    filepath: str = attr("filepath", "string")


@element("TrafficSignalState")
@dataclass(frozen=True, kw_only=True)
class TrafficSignalState:
    traffic_signal_id: str = attr("trafficSignalId", "string")
    state: str = attr("state", "string")


@element("Phase")
@dataclass(frozen=True, kw_only=True)
class Phase:
    name: str = attr("name", "string")
    duration: float = attr("duration")
    traffic_signal_states: tuple[TrafficSignalState, ...] = children(
        "TrafficSignalState", "TrafficSignalState"
    )


@element("TrafficSignalController")
@dataclass(frozen=True, kw_only=True)
class TrafficSignalController:
    name: str = attr("name", "string")
    delay: float | None = attr("delay", optional=True)
    reference: str | None = attr("reference", "string", optional=True)
    phases: tuple[Phase, ...] = children("Phase", "Phase")


@element("RoadNetwork")
@dataclass(frozen=True, kw_only=True)
class RoadNetwork:
    """The OpenDRIVE file (``logic_file``, relative to the scenario file); the scene graph
    file is visual only and listed as a warning when present."""

    logic_file: LogicFile | None = child("LogicFile", "LogicFile", optional=True)
    scene_graph_file: LogicFile | None = child("SceneGraphFile", "LogicFile", optional=True)
    traffic_signal_controllers: tuple[TrafficSignalController, ...] = children(
        "TrafficSignalController", "TrafficSignalController", wrapper="TrafficSignals"
    )


@element("OpenSCENARIO")
@dataclass(frozen=True, kw_only=True)
class OpenScenario:
    """One OpenSCENARIO scenario definition, as written (parameters resolved)."""

    file_header: FileHeader = child("FileHeader", "FileHeader")
    parameter_declarations: tuple[ParameterDeclaration, ...] = children(
        "ParameterDeclaration", "ParameterDeclaration", wrapper="ParameterDeclarations"
    )
    variable_declarations: tuple[VariableDeclaration, ...] = children(
        "VariableDeclaration", "VariableDeclaration", wrapper="VariableDeclarations"
    )
    catalog_locations: CatalogLocations = child("CatalogLocations", "CatalogLocations")
    road_network: RoadNetwork = child("RoadNetwork", "RoadNetwork")
    entities: Entities = child("Entities", "Entities")
    storyboard: Storyboard = child("Storyboard", "Storyboard")


@element("VariableDeclaration")
@dataclass(frozen=True, kw_only=True)
class VariableDeclaration:
    name: str = attr("name", "string")
    variable_type: str = attr("variableType", "string")
    value: str = attr("value", "string")


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """A loaded scenario: the document, where it came from, and the warnings found.

    ``road_file`` is the OpenDRIVE file resolved against the scenario's folder (None when the
    scenario names none); ``warnings`` lists what was read but only matters for rendering.
    """

    document: OpenScenario
    source: Path | None = None
    road_file: Path | None = None
    parameters: dict[str, str] = field(default_factory=dict, compare=False)
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def version(self) -> tuple[int, int]:
        header = self.document.file_header
        return header.rev_major, header.rev_minor
