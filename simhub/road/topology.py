"""Road and lane connectivity: lane successors / predecessors and distance along linked roads.

"Successor" follows the road's ``s`` direction (OpenDRIVE's convention), whichever way traffic
drives in the lane. A road end is named ``(road_id, "start" | "end")``.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from dataclasses import dataclass

from simhub.errors import InvalidArgument, NotFound
from simhub.road.model import Junction, Road, RoadLink

RoadEnd = tuple[str, str]


@dataclass(frozen=True)
class LaneRef:
    """One lane of one lane section: ``section`` indexes ``Road.lane_sections``."""

    road_id: str
    section: int
    lane_id: int


def _section_at_contact(road: Road, contact_point: str) -> int:
    return 0 if contact_point == "start" else len(road.lane_sections) - 1


def _far_end(road: Road, at_end: bool) -> RoadLink | None:
    return road.successor if at_end else road.predecessor


class Topology:
    """Lane and road connectivity of one network (built once, queried many times)."""

    def __init__(self, roads: Mapping[str, Road], junctions: Mapping[str, Junction]) -> None:
        self._roads = roads
        self._junctions = junctions
        self._graph: dict[RoadEnd, list[tuple[RoadEnd, float]]] = {}
        for road in roads.values():
            self._edge((road.id, "start"), (road.id, "end"), road.length)
            for link, end in ((road.predecessor, "start"), (road.successor, "end")):
                if link is not None and link.element_type == "road":
                    self._edge((road.id, end), (link.element_id, link.contact_point), 0.0)
        for junction in junctions.values():
            for connection in junction.connections:
                incoming = roads[connection.incoming_road]
                for end, link in (("start", incoming.predecessor), ("end", incoming.successor)):
                    if (
                        link is not None
                        and link.element_id == junction.id
                        and (link.element_type == "junction")
                    ):
                        target = (connection.connecting_road, connection.contact_point)
                        self._edge((incoming.id, end), target, 0.0)

    def _edge(self, a: RoadEnd, b: RoadEnd, length: float) -> None:
        self._graph.setdefault(a, []).append((b, length))
        self._graph.setdefault(b, []).append((a, length))

    def road(self, road_id: str) -> Road:
        try:
            return self._roads[road_id]
        except KeyError:
            raise NotFound(f"road {road_id!r} is not in this network") from None

    def lane_neighbours(
        self, road_id: str, lane_id: int, section: int, forward: bool
    ) -> tuple[LaneRef, ...]:
        """Lanes continuing ``lane_id`` of ``section`` forward (successors) or backward."""
        road = self.road(road_id)
        if not 0 <= section < len(road.lane_sections):
            raise InvalidArgument(
                f"road {road_id!r} has {len(road.lane_sections)} lane sections; got {section}"
            )
        lane = road.lane_sections[section].lane(lane_id)
        if lane is None:
            raise NotFound(f"road {road_id!r} section {section} has no lane {lane_id}")
        links = lane.successors if forward else lane.predecessors
        next_section = section + (1 if forward else -1)
        if 0 <= next_section < len(road.lane_sections):
            return tuple(LaneRef(road_id, next_section, other) for other in links)
        link = _far_end(road, forward)
        if link is None:
            return ()
        if link.element_type == "road":
            other_road = self.road(link.element_id)
            other_section = _section_at_contact(other_road, link.contact_point)
            return tuple(LaneRef(other_road.id, other_section, other) for other in links)
        junction = self._junctions.get(link.element_id)
        if junction is None:
            return ()
        found: list[LaneRef] = []
        for connection in junction.connections:
            if connection.incoming_road != road_id:
                continue
            connecting = self.road(connection.connecting_road)
            other_section = _section_at_contact(connecting, connection.contact_point)
            for lane_link in connection.lane_links:
                if lane_link.from_lane == lane_id:
                    found.append(LaneRef(connecting.id, other_section, lane_link.to_lane))
        return tuple(found)

    def distance_along(self, road_a: str, s_a: float, road_b: str, s_b: float) -> float:
        """Shortest travel distance in m from ``(road_a, s_a)`` to ``(road_b, s_b)``.

        On one road it is ``s_b - s_a`` (signed). Across roads it is the shortest route over
        road and junction links, positive when it leaves ``road_a`` through its end (growing
        ``s``) and negative through its start. Raises ``NotFound`` when no route exists.
        """
        a = self.road(road_a)
        b = self.road(road_b)
        if road_a == road_b:
            return s_b - s_a
        best: dict[RoadEnd, tuple[float, float]] = {}
        queue: list[tuple[float, RoadEnd, float]] = []
        for end, cost, sign in (("end", a.length - s_a, 1.0), ("start", s_a, -1.0)):
            heapq.heappush(queue, (cost, (road_a, end), sign))
        answer = math.inf
        answer_sign = 1.0
        while queue:
            cost, node, sign = heapq.heappop(queue)
            if node in best or cost >= answer:
                continue
            best[node] = (cost, sign)
            if node[0] == road_b:
                total = cost + (s_b if node[1] == "start" else b.length - s_b)
                if total < answer:
                    answer, answer_sign = total, sign
            for neighbour, length in self._graph.get(node, []):
                if neighbour[0] == road_a:
                    continue  # leaving road_a was already costed from s_a
                if neighbour not in best:
                    heapq.heappush(queue, (cost + length, neighbour, sign))
        if math.isinf(answer):
            raise NotFound(f"no route along linked roads from road {road_a!r} to {road_b!r}")
        return answer_sign * answer
