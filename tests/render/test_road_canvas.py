"""The rasterised road: lane centres are road, far from the road is background.

The reference points come from ``RoadNetwork.lane_pose`` and ``RoadNetwork.project``, not from
the renderer's own sampling, and are mapped through the canvas transform.
"""

from __future__ import annotations

import numpy as np
import pytest

from simhub.errors import InvalidArgument
from simhub.render import RoadCanvas
from simhub.render import style as colors
from simhub.road import RoadNetwork, parse_network
from tests.render.conftest import SAMPLES, needs_samples, network
from tests.road.helpers import document

PX_PER_M = 4.0
OFF_ROAD_M = 30.0


def _pixel(canvas: RoadCanvas, x: float, y: float) -> tuple[int, ...]:
    row, col = canvas.transform.pixel_index(x, y)
    assert canvas.transform.contains(row, col), (x, y)
    return tuple(int(c) for c in canvas.road_image[row, col])


def _wide_driving_lane_centres(net: RoadNetwork) -> list[tuple[float, float]]:
    """Centre points of driving lanes, outside junctions, where the lane is >= 2 m wide.

    Wide means: the points 1 m either side of the centre project back into the same lane.
    """
    points = []
    for road in net.roads.values():
        if road.junction != "-1":
            continue
        for index, section in enumerate(road.lane_sections):
            end = (
                road.lane_sections[index + 1].s
                if index + 1 < len(road.lane_sections)
                else road.length
            )
            s = np.linspace(section.s + 1.0, end - 1.0, 7)
            if end - section.s < 3.0:
                continue
            for lane in section.lanes:
                if lane.type != "driving" or lane.id == 0:
                    continue
                centre = net.lane_pose(road.id, lane.id, s)
                for side in (-1.0, 1.0):
                    beside = net.lane_pose(road.id, lane.id, s, side)
                    projected = net.project(beside.x, beside.y)
                    keep = (projected.lane_id == lane.id) & projected.on_road
                    s = s[keep]
                    centre = net.lane_pose(road.id, lane.id, s)
                points += [(float(x), float(y)) for x, y in zip(centre.x, centre.y, strict=True)]
    return points


def _off_road_points(net: RoadNetwork) -> list[tuple[float, float]]:
    """Points 30 m beyond the outermost lane of each road side that project off every road,
    as do the points 1.5 m around them."""
    points = []
    for road in net.roads.values():
        section = road.lane_sections[0]
        s = np.linspace(0.0, road.length, 9)
        for lane_id in (max(ln.id for ln in section.lanes), min(ln.id for ln in section.lanes)):
            side = 1.0 if lane_id >= 0 else -1.0
            pose = net.lane_pose(road.id, lane_id, s, side * OFF_ROAD_M)
            finite = np.isfinite(pose.x)
            x, y = pose.x[finite], pose.y[finite]
            far = np.ones(len(x), dtype=bool)
            # off-road with a clearance: a point on the road's very edge is not "far"
            for dx, dy in ((0.0, 0.0), (1.5, 0.0), (-1.5, 0.0), (0.0, 1.5), (0.0, -1.5)):
                far &= ~net.project(x + dx, y + dy).on_road
            points += [(float(px), float(py)) for px, py in zip(x[far], y[far], strict=True)]
    return points


@needs_samples
@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_lane_centres_are_road_and_far_points_are_background(path: object) -> None:
    name = getattr(path, "stem", "")
    net = network(name)
    canvas = RoadCanvas.from_network(net, px_per_m=PX_PER_M, margin_m=OFF_ROAD_M + 10.0)
    centres = _wide_driving_lane_centres(net)
    assert centres, f"{name}: no driving lane to check"
    for x, y in centres:
        assert _pixel(canvas, x, y) == colors.DRIVING_SURFACE, (name, x, y)
    off_road = _off_road_points(net)
    assert off_road, f"{name}: no off-road point to check"
    for x, y in off_road:
        assert _pixel(canvas, x, y) == colors.BACKGROUND, (name, x, y)


@needs_samples
def test_the_default_canvas_fits_the_network_in_the_requested_size() -> None:
    canvas = RoadCanvas.from_network(network("fabriksgatan"), max_side_px=800)
    assert max(canvas.transform.width, canvas.transform.height) <= 801
    image = canvas.road_image
    assert image.dtype == np.uint8
    assert image.shape == (canvas.transform.height, canvas.transform.width, 3)
    assert not image.flags.writeable  # draw() copies it; nobody paints on the shared road


def test_a_network_without_roads_is_rejected() -> None:
    empty = parse_network(document(), source="empty.xodr")
    with pytest.raises(InvalidArgument, match=r"empty\.xodr has nothing to draw"):
        RoadCanvas.from_network(empty)
