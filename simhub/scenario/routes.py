"""Routes and trajectories: waypoints, polylines, clothoids, clothoid splines and NURBS.
Lengths in m, curvature in 1/m, curvature rate in 1/m², times in s."""

# ruff: noqa: RUF009  (attr/child/choice build dataclass fields with XML metadata)

from __future__ import annotations

from dataclasses import dataclass

from simhub.scenario import enums
from simhub.scenario.common import ParameterDeclaration
from simhub.scenario.positions import POSITIONS, Position
from simhub.scenario.schema import attr, children, choice, element


@element("Waypoint")
@dataclass(frozen=True, kw_only=True)
class Waypoint:
    route_strategy: str = attr("routeStrategy", "string", enum=enums.ROUTE_STRATEGY)
    position: Position = choice(POSITIONS, wrapper="Position")


@element("Route")
@dataclass(frozen=True, kw_only=True)
class Route:
    name: str = attr("name", "string")
    closed: bool = attr("closed", "bool")
    parameter_declarations: tuple[ParameterDeclaration, ...] = children(
        "ParameterDeclaration", "ParameterDeclaration", wrapper="ParameterDeclarations"
    )
    waypoints: tuple[Waypoint, ...] = children("Waypoint", "Waypoint", min_count=2)


@element("Vertex")
@dataclass(frozen=True, kw_only=True)
class Vertex:
    time: float | None = attr("time", optional=True)
    position: Position = choice(POSITIONS, wrapper="Position")


@element("Polyline")
@dataclass(frozen=True, kw_only=True)
class Polyline:
    vertices: tuple[Vertex, ...] = children("Vertex", "Vertex", min_count=1)


@element("Clothoid")
@dataclass(frozen=True, kw_only=True)
class Clothoid:
    curvature: float = attr("curvature")
    curvature_prime: float | None = attr("curvaturePrime", optional=True,
                                         aliases=("curvatureDot",))
    length: float = attr("length")
    start_time: float | None = attr("startTime", optional=True)
    stop_time: float | None = attr("stopTime", optional=True)
    position: Position | None = choice(POSITIONS, wrapper="Position", optional=True)


@element("ClothoidSplineSegment")
@dataclass(frozen=True, kw_only=True)
class ClothoidSplineSegment:
    curvature_start: float = attr("curvatureStart")
    curvature_end: float = attr("curvatureEnd")
    length: float = attr("length")
    h_offset: float | None = attr("hOffset", optional=True)
    time_start: float | None = attr("timeStart", optional=True)
    position_start: Position | None = choice(POSITIONS, wrapper="PositionStart", optional=True)


@element("ClothoidSpline")
@dataclass(frozen=True, kw_only=True)
class ClothoidSpline:
    time_end: float | None = attr("timeEnd", optional=True)
    segments: tuple[ClothoidSplineSegment, ...] = children(
        "ClothoidSplineSegment", "ClothoidSplineSegment", min_count=1
    )


@element("ControlPoint")
@dataclass(frozen=True, kw_only=True)
class ControlPoint:
    time: float | None = attr("time", optional=True)
    weight: float | None = attr("weight", optional=True)
    position: Position = choice(POSITIONS, wrapper="Position")


@element("Knot")
@dataclass(frozen=True, kw_only=True)
class Knot:
    value: float = attr("value")


@element("Nurbs")
@dataclass(frozen=True, kw_only=True)
class Nurbs:
    order: int = attr("order", "uint")
    control_points: tuple[ControlPoint, ...] = children("ControlPoint", "ControlPoint",
                                                        min_count=2)
    knots: tuple[Knot, ...] = children("Knot", "Knot", min_count=2)


@element("Trajectory")
@dataclass(frozen=True, kw_only=True)
class Trajectory:
    name: str = attr("name", "string")
    closed: bool = attr("closed", "bool")
    parameter_declarations: tuple[ParameterDeclaration, ...] = children(
        "ParameterDeclaration", "ParameterDeclaration", wrapper="ParameterDeclarations"
    )
    shape: Polyline | Clothoid | ClothoidSpline | Nurbs = choice(
        ("Polyline", "Clothoid", "ClothoidSpline", "Nurbs"), wrapper="Shape"
    )



