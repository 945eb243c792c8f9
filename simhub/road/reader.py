"""OpenDRIVE 1.4-1.8 reader (lxml) into the frozen model of ``simhub.road.model``.

Every problem found is collected first and raised once as ``InvalidArgument`` whose violations
name ``file:line``; elements that are valid but not modelled (objects, signals, superelevation,
lane heights ...) become ``RoadWarning`` entries, never silent omissions.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from simhub.errors import FieldViolation, InvalidArgument
from simhub.road.model import (
    Connection,
    CubicRecord,
    Geometry,
    GeometryKind,
    Header,
    Junction,
    JunctionLaneLink,
    Lane,
    LaneSection,
    LaneSpeed,
    Material,
    Road,
    RoadLink,
    RoadMark,
    RoadTypeRecord,
    RoadWarning,
)

Element = Any  # lxml's _Element; lxml ships no type stubs here

SUPPORTED_MINOR = range(4, 9)
_SPEED_UNITS = {"m/s": 1.0, "km/h": 1.0 / 3.6, "mph": 0.44704}
# Elements read by the parser at each level; anything else there is a listed warning.
_ROAD_CHILDREN = {"link", "type", "planView", "elevationProfile", "lateralProfile", "lanes"}
_LANE_CHILDREN = {"link", "width", "roadMark", "material", "speed"}


@dataclass
class _Context:
    """Per-file state while reading: source name, violations and warnings found so far."""

    source: str
    violations: list[FieldViolation] = field(default_factory=list)
    warnings: list[RoadWarning] = field(default_factory=list)

    def where(self, el: Element) -> str:
        return f"{self.source}:{el.sourceline}"

    def error(self, el: Element, what: str, description: str) -> None:
        self.violations.append(FieldViolation(f"{self.where(el)}:{what}", description))

    def warn(self, el: Element, message: str) -> None:
        self.warnings.append(RoadWarning(self.source, int(el.sourceline or 0), _tag(el), message))

    def number(self, el: Element, name: str, default: float | None = None) -> float:
        """Attribute ``name`` as a finite float; a violation when missing (without default)."""
        raw = el.get(name)
        if raw is None:
            if default is None:
                self.error(el, f"<{_tag(el)}>@{name}", "required attribute is missing")
                return math.nan
            return default
        try:
            value = float(raw)
        except ValueError:
            self.error(el, f"<{_tag(el)}>@{name}", f"expected a number, got {raw!r}")
            return math.nan
        if not math.isfinite(value):
            self.error(el, f"<{_tag(el)}>@{name}", f"expected a finite number, got {raw!r}")
        return value

    def integer(self, el: Element, name: str) -> int:
        raw = el.get(name)
        if raw is None:
            self.error(el, f"<{_tag(el)}>@{name}", "required attribute is missing")
            return 0
        try:
            return int(raw)
        except ValueError:
            self.error(el, f"<{_tag(el)}>@{name}", f"expected an integer, got {raw!r}")
            return 0

    def text(self, el: Element, name: str, default: str | None = None) -> str:
        raw = el.get(name)
        if raw is None:
            if default is None:
                self.error(el, f"<{_tag(el)}>@{name}", "required attribute is missing")
                return ""
            return default
        return str(raw)


def _tag(el: Element) -> str:
    tag = el.tag
    return tag if isinstance(tag, str) else "?"


def _children(el: Element, tag: str) -> list[Element]:
    return [child for child in el if _tag(child) == tag]


def _elements(el: Element) -> list[Element]:
    """Child elements, skipping comments and processing instructions."""
    return [child for child in el if isinstance(child.tag, str)]


@dataclass(frozen=True)
class ParsedDocument:
    """Everything read from one OpenDRIVE file."""

    source: str
    header: Header
    roads: tuple[Road, ...]
    junctions: tuple[Junction, ...]
    warnings: tuple[RoadWarning, ...]


def read_opendrive(path: str | Path) -> ParsedDocument:
    """Read an OpenDRIVE file; raises ``InvalidArgument`` (file:line) when it is malformed."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidArgument(f"{path}: cannot read OpenDRIVE file: {exc.strerror}") from exc
    return parse_opendrive(data, str(path))


def parse_opendrive(data: bytes | str, source: str = "<string>") -> ParsedDocument:
    """Parse OpenDRIVE XML text; ``source`` names the file in messages and warnings."""
    raw = data.encode() if isinstance(data, str) else data
    parser = etree.XMLParser(remove_comments=True, resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno is not None else 0
        raise InvalidArgument(
            f"{source}:{line}: not well-formed XML: {exc.msg}",
            [FieldViolation(f"{source}:{line}", str(exc.msg))],
        ) from exc
    ctx = _Context(source)
    if _tag(root) != "OpenDRIVE":
        ctx.error(root, "root", f"expected <OpenDRIVE> as the root element, got <{_tag(root)}>")
        _raise(ctx)
    headers = _children(root, "header")
    if len(headers) != 1:
        ctx.error(root, "<header>", f"expected exactly one <header>, found {len(headers)}")
        _raise(ctx)
    header = _read_header(ctx, headers[0])
    roads: list[Road] = []
    junctions: list[Junction] = []
    for child in _elements(root):
        tag = _tag(child)
        if tag == "road":
            roads.append(_read_road(ctx, child))
        elif tag == "junction":
            junctions.append(_read_junction(ctx, child))
        elif tag not in ("header", "userData"):
            ctx.warn(child, "is not supported and was ignored")
    _check_references(ctx, roads, junctions)
    _raise(ctx)
    return ParsedDocument(source, header, tuple(roads), tuple(junctions), tuple(ctx.warnings))


def _raise(ctx: _Context) -> None:
    if ctx.violations:
        first = ctx.violations[0]
        raise InvalidArgument(
            f"{ctx.source}: invalid OpenDRIVE ({len(ctx.violations)} problem(s)); first at "
            f"{first.field}: {first.description}",
            ctx.violations,
        )


def _read_header(ctx: _Context, el: Element) -> Header:
    major = ctx.integer(el, "revMajor")
    minor = ctx.integer(el, "revMinor")
    if major != 1:
        ctx.error(el, "<header>@revMajor", f"OpenDRIVE {major}.x is not supported; allowed: 1")
    elif minor not in SUPPORTED_MINOR:
        ctx.warn(el, f"OpenDRIVE 1.{minor} is outside 1.4-1.8; read as the nearest supported")
    geo = ""
    offset = (0.0, 0.0, 0.0, 0.0)
    for child in _elements(el):
        tag = _tag(child)
        if tag == "geoReference":
            geo = (child.text or "").strip()
        elif tag == "offset":
            offset = (
                ctx.number(child, "x", 0.0),
                ctx.number(child, "y", 0.0),
                ctx.number(child, "z", 0.0),
                ctx.number(child, "hdg", 0.0),
            )
            if any(offset):
                ctx.warn(child, "map offset is stored but not applied to coordinates")
        elif tag != "userData":
            ctx.warn(child, "is not supported and was ignored")
    return Header(
        rev_major=major,
        rev_minor=minor,
        name=ctx.text(el, "name", ""),
        version=ctx.text(el, "version", ""),
        date=ctx.text(el, "date", ""),
        north=ctx.number(el, "north", 0.0),
        south=ctx.number(el, "south", 0.0),
        east=ctx.number(el, "east", 0.0),
        west=ctx.number(el, "west", 0.0),
        geo_reference=geo,
        offset=offset,
        line=int(el.sourceline or 0),
    )


def _read_link(ctx: _Context, el: Element | None) -> RoadLink | None:
    if el is None:
        return None
    element_type = ctx.text(el, "elementType")
    if element_type not in ("road", "junction"):
        ctx.error(el, f"<{_tag(el)}>@elementType", f"got {element_type!r}; allowed: road, junction")
    contact = ctx.text(el, "contactPoint", "")
    if element_type == "road" and contact not in ("start", "end"):
        ctx.error(el, f"<{_tag(el)}>@contactPoint", f"got {contact!r}; allowed: start, end")
    return RoadLink(element_type, ctx.text(el, "elementId"), contact, int(el.sourceline or 0))


def _read_road(ctx: _Context, el: Element) -> Road:
    road_id = ctx.text(el, "id")
    length = ctx.number(el, "length")
    predecessor = successor = None
    types: list[RoadTypeRecord] = []
    geometries: list[Geometry] = []
    elevations: list[CubicRecord] = []
    offsets: list[CubicRecord] = []
    sections: list[LaneSection] = []
    for child in _elements(el):
        tag = _tag(child)
        if tag == "link":
            for link_child in _elements(child):
                if _tag(link_child) == "predecessor":
                    predecessor = _read_link(ctx, link_child)
                elif _tag(link_child) == "successor":
                    successor = _read_link(ctx, link_child)
                else:
                    ctx.warn(link_child, "is not supported and was ignored")
        elif tag == "type":
            types.append(_read_road_type(ctx, child))
        elif tag == "planView":
            geometries.extend(_read_geometry(ctx, g) for g in _children(child, "geometry"))
        elif tag == "elevationProfile":
            elevations.extend(_cubic(ctx, e, "s") for e in _children(child, "elevation"))
        elif tag == "lateralProfile":
            for item in _elements(child):
                ctx.warn(item, "lateral profile (superelevation, shape) is not modelled")
        elif tag == "lanes":
            for item in _elements(child):
                if _tag(item) == "laneOffset":
                    offsets.append(_cubic(ctx, item, "s"))
                elif _tag(item) == "laneSection":
                    sections.append(_read_section(ctx, item))
                else:
                    ctx.warn(item, "is not supported and was ignored")
        elif tag in ("objects", "signals"):
            for item in _elements(child):
                ctx.warn(item, f"{tag} are not modelled by the road package")
        elif tag == "surface":
            if _elements(child):
                ctx.warn(child, "surface (OpenCRG) is not supported")
        elif tag != "userData":
            ctx.warn(child, "is not supported and was ignored")
    if not geometries:
        ctx.error(el, f"road[{road_id}].planView", "a road needs at least one <geometry>")
    if not sections:
        ctx.error(el, f"road[{road_id}].lanes", "a road needs at least one <laneSection>")
    _check_sorted(ctx, el, road_id, "planView/geometry@s", [g.s for g in geometries])
    _check_sorted(ctx, el, road_id, "laneSection@s", [s.s for s in sections])
    return Road(
        id=road_id,
        name=ctx.text(el, "name", ""),
        length=length,
        junction=ctx.text(el, "junction", "-1"),
        predecessor=predecessor,
        successor=successor,
        types=tuple(types),
        geometries=tuple(geometries),
        elevations=tuple(elevations),
        lane_offsets=tuple(offsets),
        lane_sections=tuple(sections),
        line=int(el.sourceline or 0),
    )


def _check_sorted(ctx: _Context, el: Element, road_id: str, what: str, values: list[float]) -> None:
    if any(b < a for a, b in itertools.pairwise(values)):
        ctx.error(el, f"road[{road_id}].{what}", "records must be in ascending s")


def _read_road_type(ctx: _Context, el: Element) -> RoadTypeRecord:
    max_speed = None
    for speed in _children(el, "speed"):
        max_speed = _speed(ctx, speed)
    return RoadTypeRecord(
        s=ctx.number(el, "s"),
        type=ctx.text(el, "type"),
        country=ctx.text(el, "country", ""),
        max_speed=max_speed,
        line=int(el.sourceline or 0),
    )


def _speed(ctx: _Context, el: Element) -> float | None:
    raw = ctx.text(el, "max")
    if raw in ("no limit", "undefined"):
        return None
    unit = ctx.text(el, "unit", "m/s")
    if unit not in _SPEED_UNITS:
        ctx.error(el, "<speed>@unit", f"got {unit!r}; allowed: {', '.join(_SPEED_UNITS)}")
        return None
    return ctx.number(el, "max") * _SPEED_UNITS[unit]


def _cubic(ctx: _Context, el: Element, s_name: str) -> CubicRecord:
    return CubicRecord(
        s=ctx.number(el, s_name),
        a=ctx.number(el, "a"),
        b=ctx.number(el, "b"),
        c=ctx.number(el, "c"),
        d=ctx.number(el, "d"),
        line=int(el.sourceline or 0),
    )


def _read_geometry(ctx: _Context, el: Element) -> Geometry:
    shapes = _elements(el)
    s = ctx.number(el, "s")
    x = ctx.number(el, "x")
    y = ctx.number(el, "y")
    heading = ctx.number(el, "hdg")
    length = ctx.number(el, "length")
    line = int(el.sourceline or 0)
    if length < 0:
        ctx.error(el, "<geometry>@length", f"must be >= 0, got {length}")
    if len(shapes) != 1:
        ctx.error(el, "<geometry>", "expected exactly one of line, arc, spiral, poly3, paramPoly3")
        return Geometry(s, x, y, heading, length, GeometryKind.LINE, (), line)
    shape = shapes[0]
    tag = _tag(shape)
    if tag == "line":
        return Geometry(s, x, y, heading, length, GeometryKind.LINE, (), line)
    if tag == "arc":
        params: tuple[float, ...] = (ctx.number(shape, "curvature"),)
        return Geometry(s, x, y, heading, length, GeometryKind.ARC, params, line)
    if tag == "spiral":
        params = (ctx.number(shape, "curvStart"), ctx.number(shape, "curvEnd"))
        return Geometry(s, x, y, heading, length, GeometryKind.SPIRAL, params, line)
    if tag == "poly3":
        params = tuple(ctx.number(shape, name) for name in "abcd")
        ctx.warn(shape, "poly3 is deprecated since OpenDRIVE 1.6; evaluated by arc length")
        return Geometry(s, x, y, heading, length, GeometryKind.POLY3, params, line)
    if tag == "paramPoly3":
        names = ("aU", "bU", "cU", "dU", "aV", "bV", "cV", "dV")
        coeffs = [ctx.number(shape, name) for name in names]
        p_range = ctx.text(shape, "pRange", "normalized")
        if p_range not in ("arcLength", "normalized"):
            ctx.error(
                shape, "<paramPoly3>@pRange", f"got {p_range!r}; allowed: arcLength, normalized"
            )
        normalized = 1.0 if p_range == "normalized" else 0.0
        return Geometry(
            s, x, y, heading, length, GeometryKind.PARAM_POLY3, (*coeffs, normalized), line
        )
    ctx.error(
        shape,
        "<geometry>",
        f"unknown geometry <{tag}>; allowed: line, arc, spiral, poly3, paramPoly3",
    )
    return Geometry(s, x, y, heading, length, GeometryKind.LINE, (), line)


def _read_section(ctx: _Context, el: Element) -> LaneSection:
    lanes: list[Lane] = []
    for side in _elements(el):
        side_tag = _tag(side)
        if side_tag not in ("left", "center", "right"):
            if side_tag != "userData":
                ctx.warn(side, "is not supported and was ignored")
            continue
        for lane_el in _elements(side):
            if _tag(lane_el) != "lane":
                ctx.warn(lane_el, "is not supported and was ignored")
                continue
            lane = _read_lane(ctx, lane_el)
            sign = {"left": 1, "center": 0, "right": -1}[side_tag]
            if (sign == 0 and lane.id != 0) or (lane.id * sign <= 0 and sign != 0):
                ctx.error(
                    lane_el, "<lane>@id", f"lane id {lane.id} does not belong in <{side_tag}>"
                )
            lanes.append(lane)
    lanes.sort(key=lambda lane: -lane.id)
    ids = [lane.id for lane in lanes]
    left = sorted(i for i in ids if i > 0)
    right = sorted(-i for i in ids if i < 0)
    if 0 not in ids:
        ctx.error(el, "<laneSection>", "a lane section needs a <center> lane with id 0")
    if left != list(range(1, len(left) + 1)) or right != list(range(1, len(right) + 1)):
        ctx.error(el, "<laneSection>", f"lane ids must be consecutive from the centre, got {ids}")
    return LaneSection(s=ctx.number(el, "s"), lanes=tuple(lanes), line=int(el.sourceline or 0))


def _read_lane(ctx: _Context, el: Element) -> Lane:
    widths: list[CubicRecord] = []
    marks: list[RoadMark] = []
    materials: list[Material] = []
    speeds: list[LaneSpeed] = []
    predecessors: list[int] = []
    successors: list[int] = []
    lane_id = ctx.integer(el, "id")
    for child in _elements(el):
        tag = _tag(child)
        if tag == "link":
            for item in _elements(child):
                if _tag(item) == "predecessor":
                    predecessors.append(ctx.integer(item, "id"))
                elif _tag(item) == "successor":
                    successors.append(ctx.integer(item, "id"))
        elif tag == "width":
            widths.append(_cubic(ctx, child, "sOffset"))
        elif tag == "roadMark":
            marks.append(_read_mark(ctx, child))
        elif tag == "material":
            materials.append(
                Material(
                    s_offset=ctx.number(child, "sOffset"),
                    surface=ctx.text(child, "surface", ""),
                    friction=ctx.number(child, "friction"),
                    roughness=ctx.number(child, "roughness", 0.0),
                    line=int(child.sourceline or 0),
                )
            )
        elif tag == "speed":
            speed = _speed(ctx, child)
            if speed is not None:
                speeds.append(
                    LaneSpeed(ctx.number(child, "sOffset"), speed, int(child.sourceline or 0))
                )
        elif tag == "border":
            ctx.warn(child, "lane borders are not supported; give lane <width> records instead")
        elif tag != "userData":
            ctx.warn(child, "is not supported and was ignored")
    if lane_id != 0 and not widths:
        ctx.error(el, f"<lane id={lane_id}>", "a non-centre lane needs at least one <width>")
    return Lane(
        id=lane_id,
        type=ctx.text(el, "type", "none"),
        level=ctx.text(el, "level", "false").strip() in ("true", "1"),
        widths=tuple(widths),
        predecessors=tuple(predecessors),
        successors=tuple(successors),
        road_marks=tuple(marks),
        materials=tuple(materials),
        speeds=tuple(speeds),
        line=int(el.sourceline or 0),
    )


def _read_mark(ctx: _Context, el: Element) -> RoadMark:
    for child in _elements(el):
        ctx.warn(child, "detailed road-mark geometry is not modelled; type/color/width are")
    return RoadMark(
        s_offset=ctx.number(el, "sOffset"),
        type=ctx.text(el, "type", "none"),
        weight=ctx.text(el, "weight", "standard"),
        color=ctx.text(el, "color", "standard"),
        width=ctx.number(el, "width", 0.0),
        lane_change=ctx.text(el, "laneChange", "both"),
        line=int(el.sourceline or 0),
    )


def _read_junction(ctx: _Context, el: Element) -> Junction:
    connections: list[Connection] = []
    for child in _elements(el):
        tag = _tag(child)
        if tag == "connection":
            links = tuple(
                JunctionLaneLink(
                    ctx.integer(item, "from"), ctx.integer(item, "to"), int(item.sourceline or 0)
                )
                for item in _children(child, "laneLink")
            )
            contact = ctx.text(child, "contactPoint", "start")
            if contact not in ("start", "end"):
                ctx.error(
                    child, "<connection>@contactPoint", f"got {contact!r}; allowed: start, end"
                )
            connections.append(
                Connection(
                    id=ctx.text(child, "id"),
                    incoming_road=ctx.text(child, "incomingRoad"),
                    connecting_road=ctx.text(child, "connectingRoad"),
                    contact_point=contact,
                    lane_links=links,
                    line=int(child.sourceline or 0),
                )
            )
        elif tag != "userData":
            ctx.warn(child, "is not supported and was ignored")
    return Junction(
        id=ctx.text(el, "id"),
        name=ctx.text(el, "name", ""),
        type=ctx.text(el, "type", "default"),
        connections=tuple(connections),
        line=int(el.sourceline or 0),
    )


def _check_references(ctx: _Context, roads: list[Road], junctions: list[Junction]) -> None:
    road_ids = {road.id for road in roads}
    junction_ids = {junction.id for junction in junctions}
    seen: set[str] = set()
    for road in roads:
        if road.id in seen:
            ctx.violations.append(
                FieldViolation(
                    f"{ctx.source}:{road.line}:road@id", f"duplicate road id {road.id!r}"
                )
            )
        seen.add(road.id)
        for link in (road.predecessor, road.successor):
            if link is None:
                continue
            known = road_ids if link.element_type == "road" else junction_ids
            if link.element_id not in known:
                ctx.violations.append(
                    FieldViolation(
                        f"{ctx.source}:{link.line}:road[{road.id}].link",
                        f"links to unknown {link.element_type} {link.element_id!r}",
                    )
                )
    for junction in junctions:
        for connection in junction.connections:
            for name in (connection.incoming_road, connection.connecting_road):
                if name not in road_ids:
                    ctx.violations.append(
                        FieldViolation(
                            f"{ctx.source}:{connection.line}:junction[{junction.id}].connection",
                            f"refers to unknown road {name!r}",
                        )
                    )
