"""Projection (x, y) -> (road, lane, s, t): round trips on the samples and on built roads."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simhub.errors import InvalidArgument
from simhub.road import RoadNetwork, load_opendrive, parse_network
from simhub.road.kernels import road_extent
from tests.road.helpers import ESMINI_XODR, document, geometry_xml, road_xml

SAMPLES = sorted(ESMINI_XODR.glob("*.xodr")) if ESMINI_XODR.is_dir() else []
LIBRARY_ROADS = sorted((Path(__file__).parents[2] / "scenarios" / "roads").glob("*.xodr"))


def _road_points(net: RoadNetwork, road_id: str, n: int, seed: int) -> tuple[np.ndarray, ...]:
    """Random ``(s, t)`` inside the road's lanes (5 cm in from the edges)."""
    rng = np.random.default_rng(seed)
    road = net.roads[road_id]
    index = net.road_index(road_id)
    s = rng.uniform(0.0, road.length, n)
    t = np.empty(n)
    for i in range(n):
        right, left = road_extent(net.arrays, index, s[i])
        t[i] = rng.uniform(right + 0.05, left - 0.05) if left - right > 0.1 else right
    return s, t


@pytest.mark.skipif(not SAMPLES, reason=f"esmini interop samples not found under {ESMINI_XODR}")
@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: Path(p).name)
def test_round_trip_on_esmini_roads_within_1mm(path: Path) -> None:
    net = load_opendrive(path)
    for seed, (road_id, road) in enumerate(net.roads.items()):
        s, t = _road_points(net, road_id, 200, seed)
        pose = net.reference_pose(road_id, s, t)
        found = net.project(pose.x, pose.y)
        assert np.all(found.on_road)
        # Whatever road is found, its (s, t) must name the same world point.
        for i in range(s.size):
            back = net.reference_pose(found.road_id(i), found.s[i], found.t[i])
            assert math.hypot(back.x[0] - pose.x[i], back.y[0] - pose.y[i]) < 1e-3
        same = np.array([found.road_id(i) == road_id for i in range(s.size)])
        others = {found.road_id(i) for i in range(s.size) if not same[i]}
        # Only overlapping junction roads may claim a point of another road.
        assert all(net.roads[other].junction != "-1" or road.junction != "-1" for other in others)
        assert np.max(np.abs(found.s[same] - s[same]), initial=0.0) < 1e-3
        assert np.max(np.abs(found.t[same] - t[same]), initial=0.0) < 1e-3


def _spiral_road() -> RoadNetwork:
    geometries = [
        geometry_xml(0.0, 0.0, 0.0, 0.0, 50.0, '<spiral curvStart="0" curvEnd="0.04"/>'),
    ]
    return parse_network(document(road_xml("9", 50.0, geometries)))


SPIRAL = _spiral_road()


@settings(max_examples=300, deadline=None)
@given(s=st.floats(0.0, 50.0), fraction=st.floats(0.0, 1.0))
def test_round_trip_on_a_clothoid_within_1mm(s: float, fraction: float) -> None:
    right, left = road_extent(SPIRAL.arrays, 0, s)
    t = right + fraction * (left - right)
    pose = SPIRAL.reference_pose("9", s, t)
    found = SPIRAL.project(pose.x, pose.y)
    assert found.road_id(0) == "9"
    assert found.s[0] == pytest.approx(s, abs=1e-3)
    assert found.t[0] == pytest.approx(t, abs=1e-3)


def test_projection_reports_lane_and_off_road_points() -> None:
    net = parse_network(
        document(road_xml("1", 100.0, [geometry_xml(0.0, 0.0, 0.0, 0.0, 100.0, "<line/>")]))
    )
    # Lanes: 1 = [0, 3.5], -1 = [-3.5, 0], -2 = [-4.5, -3.5].
    found = net.project([10.0, 20.0, 30.0, 40.0, 50.0], [1.0, -1.0, -4.0, -9.0, 500.0])
    assert found.lane_id.tolist() == [1, -1, -2, -2, 1]
    assert found.on_road.tolist() == [True, True, True, False, False]
    np.testing.assert_allclose(found.s, [10.0, 20.0, 30.0, 40.0, 50.0], atol=1e-9)
    np.testing.assert_allclose(found.t, [1.0, -1.0, -4.0, -9.0, 500.0], atol=1e-9)


def test_projection_rejects_nan() -> None:
    with pytest.raises(InvalidArgument, match="finite"):
        SPIRAL.project([0.0, math.nan], [0.0, 0.0])


@pytest.mark.skipif(not SAMPLES, reason=f"esmini interop samples not found under {ESMINI_XODR}")
def test_lane_and_extent_is_lane_borders_and_road_extent_to_the_bit() -> None:
    """The one-pass placement helper gives exactly what its two reference functions give,
    for every lane id (absent ones too) of every road of the esmini samples and the library:
    both in sections of constant lane widths (borders summed at compile time) and elsewhere
    (widths evaluated), on roads with and without a lane offset."""
    from simhub.road.kernels import lane_and_extent, lane_borders, section_at

    checked = fixed = evaluated = 0
    for path in [*SAMPLES, *LIBRARY_ROADS]:
        net = load_opendrive(path)
        arrays = net.arrays
        for road_id, road in net.roads.items():
            index = net.road_index(road_id)
            no_offset = arrays.road_offset_start[index] == arrays.road_offset_start[index + 1]
            for s in np.random.default_rng(7).uniform(0.0, road.length, 25):
                section = section_at(arrays, index, s)
                right, left = road_extent(arrays, index, s)
                for lane in range(-5, 6):
                    inner, outer, _, _ = lane_borders(arrays, index, section, lane, s)
                    got = lane_and_extent(arrays, index, lane, s)
                    np.testing.assert_array_equal(got, (inner, outer, right, left),
                                                  err_msg=f"{path.name} road {road_id} s={s}")
                    checked += not math.isnan(inner)
                    if arrays.section_fixed[section] and no_offset:
                        fixed += 1
                    else:
                        evaluated += 1
    assert checked > 1000
    assert fixed > 1000 and evaluated > 1000, (fixed, evaluated)


def test_sections_of_constant_widths_are_fixed_and_others_not() -> None:
    """A section is summed at compile time only when every lane keeps one constant width."""
    lanes = ('<lanes><laneSection s="0"><left>'
             '<lane id="2" type="driving"><width sOffset="0" a="3.0" b="0" c="0" d="0"/>'
             '</lane><lane id="1" type="driving"><width sOffset="0" a="3.5" b="0" c="0" d="0"/>'
             '</lane></left><center><lane id="0" type="none"/></center>'
             '<right><lane id="-1" type="driving"><width sOffset="0" a="3.25" b="{b}" c="0" '
             'd="0"/></lane></right></laneSection></lanes>')
    constant = parse_network(document(road_xml("1", 100.0, [geometry_xml(
        0, 0, 0, 0, 100.0, "<line/>")], lanes=lanes.format(b="0"))))
    widening = parse_network(document(road_xml("1", 100.0, [geometry_xml(
        0, 0, 0, 0, 100.0, "<line/>")], lanes=lanes.format(b="0.01"))))
    assert constant.arrays.section_fixed.tolist() == [True]
    assert constant.arrays.lane_border.tolist() == [6.5, 3.5, 0.0, -3.25]
    assert widening.arrays.section_fixed.tolist() == [False]
