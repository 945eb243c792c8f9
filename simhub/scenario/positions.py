"""Positions: World, RelativeWorld, RelativeObject, Road, RelativeRoad, Lane, RelativeLane,
Route and Trajectory positions. Lengths in m, angles in rad."""

# ruff: noqa: RUF009  (attr/child/choice build dataclass fields with XML metadata)

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from simhub.scenario import enums
from simhub.scenario.schema import attr, child, choice, element

if TYPE_CHECKING:
    from simhub.scenario.common import CatalogReference
    from simhub.scenario.routes import Route, Trajectory


@element("Orientation")
@dataclass(frozen=True, kw_only=True)
class Orientation:
    type: str | None = attr("type", "string", enum=enums.REFERENCE_CONTEXT, optional=True)
    h: float | None = attr("h", optional=True)
    p: float | None = attr("p", optional=True)
    r: float | None = attr("r", optional=True)


@element("WorldPosition")
@dataclass(frozen=True, kw_only=True)
class WorldPosition:
    x: float = attr("x")
    y: float = attr("y")
    z: float | None = attr("z", optional=True)
    h: float | None = attr("h", optional=True)
    p: float | None = attr("p", optional=True)
    r: float | None = attr("r", optional=True)


@element("RelativeWorldPosition")
@dataclass(frozen=True, kw_only=True)
class RelativeWorldPosition:
    entity_ref: str = attr("entityRef", "string")
    dx: float = attr("dx")
    dy: float = attr("dy")
    dz: float | None = attr("dz", optional=True)
    orientation: Orientation | None = child("Orientation", "Orientation", optional=True)


@element("RelativeObjectPosition")
@dataclass(frozen=True, kw_only=True)
class RelativeObjectPosition:
    entity_ref: str = attr("entityRef", "string")
    dx: float = attr("dx")
    dy: float = attr("dy")
    dz: float | None = attr("dz", optional=True)
    orientation: Orientation | None = child("Orientation", "Orientation", optional=True)


@element("RoadPosition")
@dataclass(frozen=True, kw_only=True)
class RoadPosition:
    road_id: str = attr("roadId", "string")
    s: float = attr("s")
    t: float = attr("t")
    orientation: Orientation | None = child("Orientation", "Orientation", optional=True)


@element("RelativeRoadPosition")
@dataclass(frozen=True, kw_only=True)
class RelativeRoadPosition:
    entity_ref: str = attr("entityRef", "string")
    ds: float = attr("ds")
    dt: float = attr("dt")
    orientation: Orientation | None = child("Orientation", "Orientation", optional=True)


@element("LanePosition")
@dataclass(frozen=True, kw_only=True)
class LanePosition:
    road_id: str = attr("roadId", "string")
    lane_id: str = attr("laneId", "string")
    s: float = attr("s")
    offset: float | None = attr("offset", optional=True)
    orientation: Orientation | None = child("Orientation", "Orientation", optional=True)


@element("RelativeLanePosition")
@dataclass(frozen=True, kw_only=True)
class RelativeLanePosition:
    entity_ref: str = attr("entityRef", "string")
    d_lane: int = attr("dLane", "int")
    ds: float | None = attr("ds", optional=True)
    ds_lane: float | None = attr("dsLane", optional=True)
    offset: float | None = attr("offset", optional=True)
    orientation: Orientation | None = child("Orientation", "Orientation", optional=True)


@element("FromCurrentEntity")
@dataclass(frozen=True, kw_only=True)
class FromCurrentEntity:
    entity_ref: str = attr("entityRef", "string")


@element("FromRoadCoordinates")
@dataclass(frozen=True, kw_only=True)
class FromRoadCoordinates:
    path_s: float = attr("pathS")
    t: float = attr("t")


@element("FromLaneCoordinates")
@dataclass(frozen=True, kw_only=True)
class FromLaneCoordinates:
    path_s: float = attr("pathS")
    lane_id: str = attr("laneId", "string")
    lane_offset: float | None = attr("laneOffset", optional=True)


@element("RoutePosition")
@dataclass(frozen=True, kw_only=True)
class RoutePosition:
    route: Route | CatalogReference = choice(("Route", "CatalogReference"), wrapper="RouteRef")
    orientation: Orientation | None = child("Orientation", "Orientation", optional=True)
    in_route_position: FromCurrentEntity | FromRoadCoordinates | FromLaneCoordinates = choice(
        ("FromCurrentEntity", "FromRoadCoordinates", "FromLaneCoordinates"),
        wrapper="InRoutePosition",
    )


@element("TrajectoryPosition")
@dataclass(frozen=True, kw_only=True)
class TrajectoryPosition:
    s: float = attr("s")
    t: float | None = attr("t", optional=True)
    orientation: Orientation | None = child("Orientation", "Orientation", optional=True)
    trajectory: Trajectory | CatalogReference = choice(
        ("Trajectory", "CatalogReference"), wrapper="TrajectoryRef"
    )


POSITIONS = (
    "WorldPosition",
    "RelativeWorldPosition",
    "RelativeObjectPosition",
    "RoadPosition",
    "RelativeRoadPosition",
    "LanePosition",
    "RelativeLanePosition",
    "RoutePosition",
    "TrajectoryPosition",
)

Position = (
    WorldPosition
    | RelativeWorldPosition
    | RelativeObjectPosition
    | RoadPosition
    | RelativeRoadPosition
    | LanePosition
    | RelativeLanePosition
    | RoutePosition
    | TrajectoryPosition
)
