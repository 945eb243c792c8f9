"""The OpenDRIVE road model as read from a file: frozen dataclasses, SI units.

Lengths in m, angles in rad, speeds in m/s, curvatures in 1/m. ``line`` fields are the source
line numbers of the XML elements, so that later checks can name ``file:line``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class GeometryKind(IntEnum):
    """Reference-line primitive; the integer is the code the numba kernels switch on."""

    LINE = 0
    ARC = 1
    SPIRAL = 2
    POLY3 = 3
    PARAM_POLY3 = 4


@dataclass(frozen=True)
class Geometry:
    """One ``<planView><geometry>`` record.

    ``params`` depends on ``kind``: ARC ``(curvature,)``; SPIRAL ``(curv_start, curv_end)``;
    POLY3 ``(a, b, c, d)`` of ``v(u)``; PARAM_POLY3 ``(aU, bU, cU, dU, aV, bV, cV, dV,
    normalized)`` where ``normalized`` is 1.0 for ``pRange="normalized"`` (p in [0, 1]) and 0.0
    for ``pRange="arcLength"`` (p in [0, length]).
    """

    s: float
    x: float
    y: float
    heading: float
    length: float
    kind: GeometryKind
    params: tuple[float, ...]
    line: int


@dataclass(frozen=True)
class CubicRecord:
    """``value(ds) = a + b ds + c ds^2 + d ds^3`` from ``s`` on (elevation, laneOffset, width).

    For lane widths ``s`` is the ``sOffset`` relative to the lane section start.
    """

    s: float
    a: float
    b: float
    c: float
    d: float
    line: int


@dataclass(frozen=True)
class RoadMark:
    """``<roadMark>``: ``s_offset`` from the lane section start, ``width`` in m (0 if absent)."""

    s_offset: float
    type: str
    weight: str
    color: str
    width: float
    lane_change: str
    line: int


@dataclass(frozen=True)
class Material:
    """``<material>``: surface code, friction coefficient (dimensionless), roughness."""

    s_offset: float
    surface: str
    friction: float
    roughness: float
    line: int


@dataclass(frozen=True)
class LaneSpeed:
    """``<lane><speed>``: maximum speed in m/s from ``s_offset``."""

    s_offset: float
    max_speed: float
    line: int


@dataclass(frozen=True)
class Lane:
    """One lane of a lane section; ``id`` > 0 left of the reference line, < 0 right, 0 centre.

    ``predecessors`` / ``successors`` are the lane ids linked in the neighbouring lane section
    or linked road (``<link>``).
    """

    id: int
    type: str
    level: bool
    widths: tuple[CubicRecord, ...]
    predecessors: tuple[int, ...]
    successors: tuple[int, ...]
    road_marks: tuple[RoadMark, ...]
    materials: tuple[Material, ...]
    speeds: tuple[LaneSpeed, ...]
    line: int


@dataclass(frozen=True)
class LaneSection:
    """``<laneSection>`` starting at ``s`` (m along the road); lanes sorted by id, descending."""

    s: float
    lanes: tuple[Lane, ...]
    line: int

    def lane(self, lane_id: int) -> Lane | None:
        """The lane with this id, or None."""
        for lane in self.lanes:
            if lane.id == lane_id:
                return lane
        return None


@dataclass(frozen=True)
class RoadLink:
    """A road's predecessor or successor: ``element_type`` is ``road`` or ``junction``.

    ``contact_point`` is ``start`` / ``end`` for roads, ``""`` when absent (junctions).
    """

    element_type: str
    element_id: str
    contact_point: str
    line: int


@dataclass(frozen=True)
class RoadTypeRecord:
    """``<road><type>`` from ``s``: type (``motorway``, ``town``), speed limit in m/s or None."""

    s: float
    type: str
    country: str
    max_speed: float | None
    line: int


@dataclass(frozen=True)
class Road:
    """``<road>``: ``junction`` is the id of the junction it belongs to, ``"-1"`` when none."""

    id: str
    name: str
    length: float
    junction: str
    predecessor: RoadLink | None
    successor: RoadLink | None
    types: tuple[RoadTypeRecord, ...]
    geometries: tuple[Geometry, ...]
    elevations: tuple[CubicRecord, ...]
    lane_offsets: tuple[CubicRecord, ...]
    lane_sections: tuple[LaneSection, ...]
    line: int

    def section_index(self, s: float) -> int:
        """Index of the lane section that holds ``s`` (the last whose start is <= s)."""
        index = 0
        for i, section in enumerate(self.lane_sections):
            if section.s <= s + 1e-9:
                index = i
        return index


@dataclass(frozen=True)
class JunctionLaneLink:
    """``<laneLink from to>``: incoming-road lane id -> connecting-road lane id."""

    from_lane: int
    to_lane: int
    line: int


@dataclass(frozen=True)
class Connection:
    """``<connection>``: traffic enters ``connecting_road`` from ``incoming_road`` at its
    ``contact_point`` (``start`` or ``end``)."""

    id: str
    incoming_road: str
    connecting_road: str
    contact_point: str
    lane_links: tuple[JunctionLaneLink, ...]
    line: int


@dataclass(frozen=True)
class Junction:
    """``<junction>`` with its connections."""

    id: str
    name: str
    type: str
    connections: tuple[Connection, ...]
    line: int


@dataclass(frozen=True)
class Header:
    """``<header>``: format revision, name, geo reference (PROJ string) and map offset."""

    rev_major: int
    rev_minor: int
    name: str
    version: str
    date: str
    north: float
    south: float
    east: float
    west: float
    geo_reference: str
    offset: tuple[float, float, float, float]
    line: int


@dataclass(frozen=True)
class RoadWarning:
    """An element the reader understood but does not model (``file:line``, element, why)."""

    file: str
    line: int
    element: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: <{self.element}> {self.message}"
