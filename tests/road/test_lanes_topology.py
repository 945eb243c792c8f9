"""Lane poses, elevation, lane successors across sections / roads / junctions, distances."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simhub.errors import NotFound
from simhub.road import RoadNetwork, load_opendrive, parse_network
from tests.road.helpers import ESMINI_XODR, document, geometry_xml, road_xml

needs_samples = pytest.mark.skipif(
    not ESMINI_XODR.is_dir(), reason=f"esmini interop samples not found under {ESMINI_XODR}"
)


def test_lane_centres_on_a_straight_road() -> None:
    net = parse_network(
        document(
            road_xml("1", 100.0, [geometry_xml(0.0, 5.0, 0.0, 0.5 * math.pi, 100.0, "<line/>")])
        )
    )
    # Road heads +y, so left (+t) is -x. Lane 1 centre t = 1.75, lane -2 centre t = -4.0.
    pose = net.lane_pose("1", [1, -1, -2], 20.0, [0.0, 0.0, 0.25])
    np.testing.assert_allclose(pose.x, [5.0 - 1.75, 5.0 + 1.75, 5.0 + 3.75], atol=1e-12)
    np.testing.assert_allclose(pose.y, 20.0, atol=1e-12)
    np.testing.assert_allclose(pose.heading, 0.5 * math.pi, atol=1e-12)
    assert np.isnan(net.lane_pose("1", 3, 20.0).x[0])


@needs_samples
def test_elevation_and_pitch_on_the_crest() -> None:
    net = load_opendrive(ESMINI_XODR / "crest-curve.xodr")
    road_id = next(iter(net.roads))
    # Record at s=200: a=0 b=0 c=0.00367346938776 d=-0.0000349854227405.
    ds = 35.0
    z = 0.00367346938776 * ds**2 - 0.0000349854227405 * ds**3
    slope = 2 * 0.00367346938776 * ds - 3 * 0.0000349854227405 * ds**2
    pose = net.reference_pose(road_id, 235.0)
    assert pose.z[0] == pytest.approx(z, abs=1e-12)
    assert pose.pitch[0] == pytest.approx(-math.atan(slope), abs=1e-12)
    assert net.reference_pose(road_id, 270.0).z[0] == pytest.approx(6.0, abs=1e-6)


def _assert_successors_continue(net: RoadNetwork, tolerance_m: float) -> int:
    """Every lane successor starts where its lane ends (lane centre positions)."""
    checked = 0
    for road_id, road in net.roads.items():
        for index, section in enumerate(road.lane_sections):
            end_s = (
                road.lane_sections[index + 1].s
                if index + 1 < len(road.lane_sections)
                else (road.length)
            )
            for lane in section.lanes:
                if lane.id == 0:
                    continue
                here = net.lane_pose(road_id, lane.id, end_s - 1e-6)
                for ref in net.lane_successors(road_id, lane.id, section.s):
                    other = net.roads[ref.road_id]
                    start = other.lane_sections[ref.section].s
                    if ref.section == len(other.lane_sections) - 1 and (
                        ref.road_id != road_id and _enters_at_end(net, road_id, ref.road_id)
                    ):
                        start = other.length
                    there = net.lane_pose(ref.road_id, ref.lane_id, start)
                    gap = math.hypot(here.x[0] - there.x[0], here.y[0] - there.y[0])
                    assert gap < tolerance_m, (road_id, lane.id, ref, gap)
                    checked += 1
    return checked


def _enters_at_end(net: RoadNetwork, road_id: str, other_id: str) -> bool:
    road = net.roads[road_id]
    if road.successor is not None and road.successor.element_type == "road":
        return road.successor.contact_point == "end"
    for junction in net.junctions.values():
        for connection in junction.connections:
            if connection.incoming_road == road_id and connection.connecting_road == other_id:
                return connection.contact_point == "end"
    return False


@needs_samples
def test_lane_successors_across_sections_continue() -> None:
    net = load_opendrive(ESMINI_XODR / "two_plus_one.xodr")
    assert _assert_successors_continue(net, 0.05) > 5


@needs_samples
def test_lane_successors_through_a_junction_continue() -> None:
    net = load_opendrive(ESMINI_XODR / "fabriksgatan.xodr")
    successors = net.lane_successors("2", -1, 0.0)
    assert successors and all(net.roads[ref.road_id].junction == "4" for ref in successors)
    assert _assert_successors_continue(net, 0.05) > 10
    predecessors = net.lane_predecessors(successors[0].road_id, successors[0].lane_id, 0.0)
    assert any(ref.road_id == "2" and ref.lane_id == -1 for ref in predecessors)


def _two_roads(contact: str) -> RoadNetwork:
    a_link = f'<successor elementType="road" elementId="B" contactPoint="{contact}"/>'
    heading = 0.0 if contact == "start" else math.pi
    b_start = (100.0, 0.0) if contact == "start" else (150.0, 0.0)
    b_link = (
        '<predecessor elementType="road" elementId="A" contactPoint="end"/>'
        if contact == "start"
        else '<successor elementType="road" elementId="A" contactPoint="end"/>'
    )
    return parse_network(
        document(
            road_xml("A", 100.0, [geometry_xml(0.0, 0.0, 0.0, 0.0, 100.0, "<line/>")], a_link),
            road_xml("B", 50.0, [geometry_xml(0.0, *b_start, heading, 50.0, "<line/>")], b_link),
        )
    )


def test_distance_along_linked_roads() -> None:
    forward = _two_roads("start")
    assert forward.distance_along("A", 10.0, "A", 30.0) == pytest.approx(20.0)
    assert forward.distance_along("A", 10.0, "B", 5.0) == pytest.approx(95.0)
    assert forward.distance_along("B", 5.0, "A", 10.0) == pytest.approx(-95.0)
    reversed_b = _two_roads("end")
    # B runs backwards from x=150 to x=100: its s=40 is at x=110, 100 m from A's s=10.
    assert reversed_b.distance_along("A", 10.0, "B", 40.0) == pytest.approx(100.0)
    pose = reversed_b.reference_pose("B", 40.0)
    assert pose.x[0] - 10.0 == pytest.approx(100.0)


def test_distance_between_unlinked_roads_is_not_found() -> None:
    net = parse_network(
        document(
            road_xml("A", 10.0, [geometry_xml(0.0, 0.0, 0.0, 0.0, 10.0, "<line/>")]),
            road_xml("B", 10.0, [geometry_xml(0.0, 0.0, 50.0, 0.0, 10.0, "<line/>")]),
        )
    )
    with pytest.raises(NotFound, match="no route"):
        net.distance_along("A", 1.0, "B", 1.0)
    with pytest.raises(NotFound):
        net.reference_pose("C", 1.0)
