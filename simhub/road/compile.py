"""Compile the frozen road model into the flat arrays the numba kernels read."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from simhub.road.kernels import RoadArrays
from simhub.road.model import CubicRecord, LaneSection, Road

_PARAM_COLUMNS = 9


def _starts(counts: Sequence[int]) -> np.ndarray:
    starts = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(np.asarray(counts, dtype=np.int64), out=starts[1:])
    return starts


def _cubic_table(records: Sequence[CubicRecord]) -> np.ndarray:
    table = np.zeros((len(records), 5), dtype=np.float64)
    for i, record in enumerate(records):
        table[i] = (record.s, record.a, record.b, record.c, record.d)
    return table


def _fixed_borders(sections: Sequence[LaneSection]) -> tuple[np.ndarray, np.ndarray]:
    """``(section_fixed, lane_border)`` (see ``RoadArrays``).

    A section is fixed when its lane ids run n, ..., 1, 0, -1, ..., -m without a gap (the
    layout the kernels index by position) and each lane has no width record (width 0) or one
    constant one. Borders are summed from the centre outward, ``t + w`` on the left and
    ``t + -1.0 * w`` on the right, from zero: the kernels' sums from a zero lane offset.
    """
    fixed = np.zeros(len(sections), dtype=np.bool_)
    borders: list[float] = []
    for index, section in enumerate(sections):
        ids = [lane.id for lane in section.lanes]
        n_left = sum(1 for lane_id in ids if lane_id > 0)
        constant = all(not lane.widths or (len(lane.widths) == 1 and lane.widths[0].b == 0.0
                                           and lane.widths[0].c == 0.0
                                           and lane.widths[0].d == 0.0)
                       for lane in section.lanes)
        fixed[index] = constant and ids == list(range(n_left, n_left - len(ids), -1))
        border = [math.nan] * len(ids)
        if fixed[index]:
            border[n_left] = 0.0
            for step in (-1, 1):  # towards the left lanes (lower positions), then the right
                t = 0.0
                position = n_left + step
                while 0 <= position < len(ids):
                    widths = section.lanes[position].widths
                    w = widths[0].a if widths else 0.0
                    t = t + w if step < 0 else t + -1.0 * w
                    border[position] = t
                    position += step
        borders.extend(border)
    return fixed, np.array(borders, dtype=np.float64)


def compile_roads(roads: Sequence[Road]) -> RoadArrays:
    """Flatten ``roads`` (in this order: road index i is ``roads[i]``) into ``RoadArrays``."""
    geometries = [g for road in roads for g in road.geometries]
    params = np.zeros((len(geometries), _PARAM_COLUMNS), dtype=np.float64)
    for i, geometry in enumerate(geometries):
        params[i, : len(geometry.params)] = geometry.params
    sections = [section for road in roads for section in road.lane_sections]
    lanes = [lane for section in sections for lane in section.lanes]
    widths = [w for lane in lanes for w in sorted(lane.widths, key=lambda w: w.s)]
    elevations = [e for road in roads for e in road.elevations]
    offsets = [o for road in roads for o in road.lane_offsets]
    section_fixed, lane_border = _fixed_borders(sections)
    return RoadArrays(
        road_length=np.array([road.length for road in roads], dtype=np.float64),
        road_geom_start=_starts([len(road.geometries) for road in roads]),
        geom_s=np.array([g.s for g in geometries], dtype=np.float64),
        geom_x=np.array([g.x for g in geometries], dtype=np.float64),
        geom_y=np.array([g.y for g in geometries], dtype=np.float64),
        geom_heading=np.array([g.heading for g in geometries], dtype=np.float64),
        geom_length=np.array([g.length for g in geometries], dtype=np.float64),
        geom_kind=np.array([int(g.kind) for g in geometries], dtype=np.int64),
        geom_params=params,
        road_elev_start=_starts([len(road.elevations) for road in roads]),
        elevation=_cubic_table(elevations),
        road_offset_start=_starts([len(road.lane_offsets) for road in roads]),
        lane_offset=_cubic_table(offsets),
        road_section_start=_starts([len(road.lane_sections) for road in roads]),
        section_s=np.array([section.s for section in sections], dtype=np.float64),
        section_left_count=np.array(
            [sum(1 for lane in section.lanes if lane.id > 0) for section in sections],
            dtype=np.int64,
        ),
        section_lane_start=_starts([len(section.lanes) for section in sections]),
        lane_id=np.array([lane.id for lane in lanes], dtype=np.int64),
        lane_width_start=_starts([len(lane.widths) for lane in lanes]),
        lane_width=_cubic_table(widths),
        section_fixed=section_fixed,
        lane_border=lane_border,
    )
