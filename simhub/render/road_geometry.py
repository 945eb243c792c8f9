"""A road network sampled into world-space polygons and polylines, ready to rasterise.

Lane borders are computed here from the lane widths and the lane offset (the same cubic
records the road kernels use) and turned into world points with one
``RoadNetwork.reference_pose`` call per road. Everything is in m, world frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from simhub.errors import FieldViolation, InvalidArgument
from simhub.render.view import Region
from simhub.road import CubicRecord, LaneSection, Road, RoadMark, RoadNetwork

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

DASH_LENGTH_M = 3.0  # [m] painted part of a broken line
DASH_GAP_M = 6.0  # [m] gap between dashes
DEFAULT_MARK_WIDTH_M = {"standard": 0.12, "bold": 0.25}  # [m] when <roadMark width> is absent
DOUBLE_LINE_SPACING_M = 0.15  # [m] from a double line's middle to each line's centre


class LineStyle(StrEnum):
    """How a mark is painted along its length."""

    SOLID = "solid"
    BROKEN = "broken"
    DOTS = "dots"


@dataclass(frozen=True)
class LaneSurface:
    """One lane of one lane section: ``polygon`` of shape ``(n, 2)`` (x, y in m)."""

    road_id: str
    lane_id: int
    lane_type: str
    polygon: F64


@dataclass(frozen=True)
class MarkLine:
    """One painted line: ``points`` of shape ``(n, 2)`` along it, ``width_m``, style, colour."""

    points: F64
    style: LineStyle
    color: str
    width_m: float


@dataclass(frozen=True)
class RoadGeometry:
    """Everything the road layer draws, plus the network's bounding box."""

    surfaces: tuple[LaneSurface, ...]
    marks: tuple[MarkLine, ...]
    edges: tuple[F64, ...]
    bounds: Region


def _cubic(records: tuple[CubicRecord, ...], s: F64) -> F64:
    """Piecewise cubic at ``s`` (same base as the records' ``s``); 0 where there are none."""
    if not records:
        return np.zeros_like(s)
    starts = np.array([r.s for r in records])
    coefficients = np.array([(r.a, r.b, r.c, r.d) for r in records])
    index = np.clip(np.searchsorted(starts, s + 1e-9, side="right") - 1, 0, len(records) - 1)
    ds = s - starts[index]
    a, b, c, d = coefficients[index].T
    result: F64 = a + ds * (b + ds * (c + ds * d))
    return result


def _mark_components(mark: RoadMark) -> list[tuple[LineStyle, float]]:
    """``(style, t shift)`` of each line a mark paints; shift in m, left positive."""
    kind = mark.type.strip().lower()
    single = {
        "solid": LineStyle.SOLID,
        "broken": LineStyle.BROKEN,
        "botts dots": LineStyle.DOTS,
        "custom": LineStyle.SOLID,
        "edge": LineStyle.SOLID,
    }
    if kind in single:
        return [(single[kind], 0.0)]
    parts = kind.split()
    if len(parts) == 2 and all(p in ("solid", "broken") for p in parts):
        return [
            (LineStyle(parts[0]), DOUBLE_LINE_SPACING_M),
            (LineStyle(parts[1]), -DOUBLE_LINE_SPACING_M),
        ]
    return []  # none, grass, curb: nothing painted


@dataclass
class _Batch:
    """The (s, t) rows of one road, queried in one ``reference_pose`` call."""

    s: list[F64]
    t: list[F64]
    size: int = 0

    def add(self, s: F64, t: F64) -> I64:
        """Append rows; returns their indices into the eventual pose arrays."""
        self.s.append(s)
        self.t.append(t)
        self.size += len(s)
        return np.arange(self.size - len(s), self.size)


def _section_borders(road: Road, section: LaneSection, s: F64) -> dict[int, tuple[F64, F64]]:
    """``lane id -> (t_inner, t_outer)`` over ``s``; lane 0 gets the lane-offset line twice."""
    offset = _cubic(road.lane_offsets, s)
    ds = s - section.s
    borders = {0: (offset, offset)}
    for side in (1, -1):
        inner = offset
        for lane in sorted(
            (ln for ln in section.lanes if ln.id * side > 0), key=lambda ln: abs(ln.id)
        ):
            outer = inner + side * _cubic(lane.widths, ds)
            borders[lane.id] = (inner, outer)
            inner = outer
    return borders


def _section_end(road: Road, index: int) -> float:
    sections = road.lane_sections
    return sections[index + 1].s if index + 1 < len(sections) else road.length


def _sample_road(
    network: RoadNetwork, road: Road, step_m: float
) -> tuple[list[LaneSurface], list[MarkLine], list[F64]]:
    batch = _Batch([], [])
    surfaces: list[tuple[int, str, I64, I64]] = []
    marks: list[tuple[RoadMark, LineStyle, I64]] = []
    edges: list[I64] = []
    for index, section in enumerate(road.lane_sections):
        s0, s1 = section.s, min(_section_end(road, index), road.length)
        if s1 - s0 < 1e-6:
            continue
        s = np.linspace(s0, s1, max(2, math.ceil((s1 - s0) / step_m) + 1))
        borders = _section_borders(road, section, s)
        # each border is evaluated once: a lane's inner border is its inner neighbour's outer
        outer_rows = {lane_id: batch.add(s, outer) for lane_id, (_, outer) in borders.items()}
        for lane in section.lanes:
            if lane.id != 0 and lane.type != "none":
                inner_rows = outer_rows[lane.id - (1 if lane.id > 0 else -1)]
                surfaces.append((lane.id, lane.type, inner_rows, outer_rows[lane.id][::-1]))
            outer = borders[lane.id][1]
            for k, mark in enumerate(lane.road_marks):
                start = s0 + mark.s_offset
                end = s0 + lane.road_marks[k + 1].s_offset if k + 1 < len(lane.road_marks) else s1
                inside = (s >= start - 1e-9) & (s <= end + 1e-9)
                if np.count_nonzero(inside) < 2:
                    continue
                for style, shift in _mark_components(mark):
                    rows = (
                        outer_rows[lane.id][inside]
                        if shift == 0.0
                        else batch.add(s[inside], outer[inside] + shift)
                    )
                    marks.append((mark, style, rows))
        if road.junction == "-1":
            outermost = [ln.id for ln in section.lanes if ln.type != "none" and ln.id != 0]
            for lane_id in (max(outermost, default=0), min(outermost, default=0)):
                if lane_id != 0:
                    edges.append(outer_rows[lane_id])
    if not batch.s:
        return [], [], []
    poses = network.reference_pose(road.id, np.concatenate(batch.s), np.concatenate(batch.t))
    xy = np.stack([poses.x, poses.y], axis=1)
    lane_surfaces = [
        LaneSurface(road.id, lane_id, lane_type, np.concatenate([xy[inner], xy[outer]]))
        for lane_id, lane_type, inner, outer in surfaces
    ]
    mark_lines = [
        MarkLine(
            xy[rows],
            style,
            mark.color.strip().lower() or "standard",
            mark.width if mark.width > 0.0 else DEFAULT_MARK_WIDTH_M.get(mark.weight, 0.12),
        )
        for mark, style, rows in marks
    ]
    return lane_surfaces, mark_lines, [xy[rows] for rows in edges]


def sample_network(network: RoadNetwork, step_m: float = 0.5) -> RoadGeometry:
    """Lane polygons, painted marks and road edges of every road, sampled every ``step_m`` m.

    Raises ``InvalidArgument`` when the network has no drawable lane.
    """
    surfaces: list[LaneSurface] = []
    marks: list[MarkLine] = []
    edges: list[F64] = []
    for road in network.roads.values():
        road_surfaces, road_marks, road_edges = _sample_road(network, road, step_m)
        surfaces += road_surfaces
        marks += road_marks
        edges += road_edges
    points = [surface.polygon for surface in surfaces if np.all(np.isfinite(surface.polygon))]
    if not points:
        raise InvalidArgument(
            f"road network {network.source} has nothing to draw",
            [FieldViolation(f"{network.source}:roads", "need at least one road with a lane")],
        )
    stacked = np.concatenate(points)
    bounds = Region(
        float(stacked[:, 0].min()),
        float(stacked[:, 1].min()),
        float(stacked[:, 0].max()) + 1e-3,
        float(stacked[:, 1].max()) + 1e-3,
    )
    return RoadGeometry(tuple(surfaces), tuple(marks), tuple(edges), bounds)


def road_bounds(network: RoadNetwork) -> Region:
    """The box around every lane of ``network`` in m (sampled every 4 m)."""
    return sample_network(network, step_m=4.0).bounds


def dash_segments(points: F64, dash_m: float, gap_m: float, step_m: float) -> list[F64]:
    """Pieces of the polyline ``points`` ``(n, 2)``: ``dash_m`` painted, then ``gap_m`` not."""
    distance = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(points, axis=0).T))])
    total = float(distance[-1])
    pieces = []
    for start in np.arange(0.0, total, dash_m + gap_m):
        end = min(start + dash_m, total)
        if end - start < 1e-3:
            continue
        along = np.linspace(start, end, max(2, math.ceil((end - start) / step_m) + 1))
        pieces.append(
            np.stack(
                [
                    np.interp(along, distance, points[:, 0]),
                    np.interp(along, distance, points[:, 1]),
                ],
                axis=1,
            )
        )
    return pieces
