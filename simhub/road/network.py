"""``RoadNetwork``: a loaded OpenDRIVE file with its compiled arrays and the road queries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from simhub.errors import FieldViolation, InvalidArgument, NotFound
from simhub.road.compile import compile_roads
from simhub.road.evaluate import lane_poses, reference_poses
from simhub.road.kernels import RoadArrays
from simhub.road.model import Header, Junction, Road, RoadWarning
from simhub.road.projection import ProjectionTable, build_projection_table, project_points
from simhub.road.reader import ParsedDocument, parse_opendrive, read_opendrive
from simhub.road.topology import LaneRef, Topology

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Poses:
    """World poses, one row per query point; every array has shape ``(n,)``.

    ``x``, ``y``, ``z`` in m; ``heading`` in rad counter-clockwise from +x; ``pitch`` in rad,
    OpenDRIVE's sign (positive nose down, i.e. negative uphill).
    """

    x: F64
    y: F64
    z: F64
    heading: F64
    pitch: F64


@dataclass(frozen=True)
class Projection:
    """Road coordinates of projected world points, every array of shape ``(n,)``.

    ``road_index`` indexes ``RoadNetwork.road_ids`` (-1 when the network has no roads);
    ``lane_id`` is the lane holding the point, or the outermost lane on that side when
    ``on_road`` is false; ``s`` and ``t`` in m (``t`` positive left of the reference line).
    """

    road_index: I64
    lane_id: I64
    s: F64
    t: F64
    on_road: npt.NDArray[np.bool_]
    road_ids: tuple[str, ...]

    def road_id(self, i: int) -> str:
        """The road id of point ``i``."""
        return self.road_ids[int(self.road_index[i])]


def _floats(values: npt.ArrayLike, name: str, n: int) -> F64:
    array = np.ascontiguousarray(np.broadcast_to(np.asarray(values, dtype=np.float64), (n,)))
    if not np.all(np.isfinite(array)):
        raise InvalidArgument(
            f"{name} must be finite numbers", [FieldViolation(name, "NaN or infinite value")]
        )
    return array


def _length(*values: npt.ArrayLike) -> int:
    return int(np.broadcast(*(np.asarray(v) for v in values)).size)


class RoadNetwork:
    """An OpenDRIVE road network: the read model, warnings and the numba-backed queries.

    Road ids are OpenDRIVE's strings; queries accept scalars or 1-D arrays that broadcast.
    """

    def __init__(self, document: ParsedDocument) -> None:
        self.source: str = document.source
        self.header: Header = document.header
        self.road_ids: tuple[str, ...] = tuple(road.id for road in document.roads)
        self.roads: Mapping[str, Road] = MappingProxyType({r.id: r for r in document.roads})
        self.junctions: Mapping[str, Junction] = MappingProxyType(
            {j.id: j for j in document.junctions}
        )
        self.warnings: tuple[RoadWarning, ...] = document.warnings
        self._index = {road_id: i for i, road_id in enumerate(self.road_ids)}
        self.arrays: RoadArrays = compile_roads(document.roads)
        self._topology = Topology(self.roads, self.junctions)

    @cached_property
    def _table(self) -> ProjectionTable:
        return build_projection_table(self.arrays)

    def road_index(self, road_id: str) -> int:
        """Index of ``road_id`` in ``road_ids`` (and the compiled arrays)."""
        try:
            return self._index[road_id]
        except KeyError:
            raise NotFound(f"road {road_id!r} is not in {self.source}") from None

    def _road_indices(self, road_id: str | npt.ArrayLike, n: int) -> I64:
        if isinstance(road_id, str):
            return np.full(n, self.road_index(road_id), dtype=np.int64)
        ids = np.broadcast_to(np.asarray(road_id), (n,))
        return np.array([self.road_index(str(r)) for r in ids], dtype=np.int64)

    def reference_pose(
        self, road_id: str | npt.ArrayLike, s: npt.ArrayLike, t: npt.ArrayLike = 0.0
    ) -> Poses:
        """Poses of road coordinates ``(road, s, t)``; ``s`` is clamped to ``[0, length]``."""
        n = _length(s, t) if isinstance(road_id, str) else _length(road_id, s, t)
        roads = self._road_indices(road_id, n)
        out = reference_poses(self.arrays, roads, _floats(s, "s", n), _floats(t, "t", n))
        return Poses(out[:, 0], out[:, 1], out[:, 2], out[:, 3], out[:, 4])

    def lane_pose(
        self,
        road_id: str | npt.ArrayLike,
        lane_id: npt.ArrayLike,
        s: npt.ArrayLike,
        offset: npt.ArrayLike = 0.0,
    ) -> Poses:
        """Poses ``offset`` m left of a lane's centre line at ``s``; the heading follows the lane.

        Rows for a lane that does not exist at ``s`` are NaN.
        """
        n = (
            _length(lane_id, s, offset)
            if isinstance(road_id, str)
            else _length(road_id, lane_id, s, offset)
        )
        roads = self._road_indices(road_id, n)
        lanes = np.ascontiguousarray(np.broadcast_to(np.asarray(lane_id, dtype=np.int64), (n,)))
        out = lane_poses(
            self.arrays, roads, lanes, _floats(s, "s", n), _floats(offset, "offset", n)
        )
        return Poses(out[:, 0], out[:, 1], out[:, 2], out[:, 3], out[:, 4])

    def project(self, x: npt.ArrayLike, y: npt.ArrayLike) -> Projection:
        """Project world points ``(x, y)`` (m, shape ``(n,)``) to road coordinates."""
        n = _length(x, y)
        xs = _floats(x, "x", n)
        ys = _floats(y, "y", n)
        road, lane, s, t, on_road = project_points(self.arrays, self._table, xs, ys)
        return Projection(road, lane, s, t, on_road, self.road_ids)

    def lane_successors(self, road_id: str, lane_id: int, s: float) -> tuple[LaneRef, ...]:
        """Lanes that continue ``lane_id`` past the end of the lane section holding ``s``,
        in the road's ``s`` direction (across lane sections, road links and junctions)."""
        section = self.roads[road_id].section_index(s) if road_id in self.roads else 0
        return self._topology.lane_neighbours(road_id, lane_id, section, forward=True)

    def lane_predecessors(self, road_id: str, lane_id: int, s: float) -> tuple[LaneRef, ...]:
        """Lanes that lead into ``lane_id`` before the start of the lane section holding ``s``."""
        section = self.roads[road_id].section_index(s) if road_id in self.roads else 0
        return self._topology.lane_neighbours(road_id, lane_id, section, forward=False)

    def distance_along(self, road_a: str, s_a: float, road_b: str, s_b: float) -> float:
        """Distance in m along the roads from ``(road_a, s_a)`` to ``(road_b, s_b)``.

        Same road: ``s_b - s_a``. Linked roads: the shortest route over road and junction
        links, positive when it leaves ``road_a`` at its end, negative at its start.
        """
        return self._topology.distance_along(road_a, s_a, road_b, s_b)


def load_opendrive(path: str | Path) -> RoadNetwork:
    """Read an OpenDRIVE 1.4-1.8 file into a ``RoadNetwork``.

    Raises ``InvalidArgument`` naming ``file:line`` when the file is malformed; elements it
    does not model are listed in ``RoadNetwork.warnings``.
    """
    return RoadNetwork(read_opendrive(path))


def parse_network(data: bytes | str, source: str = "<string>") -> RoadNetwork:
    """Like ``load_opendrive`` for XML text; ``source`` names it in messages."""
    return RoadNetwork(parse_opendrive(data, source))
