"""Entities on the canvas: the right colour at the centre, pointing along the heading."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simhub.errors import InvalidArgument
from simhub.render import EntityFrame, EntityKind, Hud, RoadCanvas, Window, WorldFrame
from simhub.render import style as colors
from simhub.road import RoadNetwork, parse_network
from tests.road.helpers import document, geometry_xml, road_xml

PX_PER_M = 8.0
LENGTH_M = 10.0  # a long thin box: ahead and beside at 0.4 x length are far apart
WIDTH_M = 1.0


def _straight_road() -> RoadNetwork:
    return parse_network(
        document(road_xml("1", 200.0, [geometry_xml(0.0, 0.0, 0.0, 0.0, 200.0, "<line/>")])),
        source="straight.xodr",
    )


@pytest.fixture(scope="module")
def canvas() -> RoadCanvas:
    return RoadCanvas.from_network(_straight_road(), px_per_m=PX_PER_M, margin_m=30.0)


def _at(canvas: RoadCanvas, image: np.ndarray, x: float, y: float) -> tuple[int, ...]:
    row, col = canvas.transform.pixel_index(x, y)
    return tuple(int(c) for c in image[row, col])


def _entity(kind: EntityKind, x: float, y: float, heading: float) -> EntityFrame:
    return EntityFrame("e1", "one", kind, x, y, heading, LENGTH_M, WIDTH_M, 5.0)


@pytest.mark.parametrize("kind", list(EntityKind))
@pytest.mark.parametrize("heading", [0.0, 0.7, math.pi / 2, 2.0, -2.5, math.pi])
@pytest.mark.parametrize(("x", "y"), [(60.0, -1.75), (100.0, 15.0)])  # on and off the road
def test_an_entity_is_its_kind_colour_and_points_along_its_heading(
    canvas: RoadCanvas, kind: EntityKind, heading: float, x: float, y: float
) -> None:
    road_only = canvas.draw(None, hud=None)
    image = canvas.draw(WorldFrame(0.0, (_entity(kind, x, y, heading),)), hud=None)
    assert _at(canvas, image, x, y) == colors.ENTITY_FILL[kind]
    reach = 0.4 * LENGTH_M
    ahead = (x + reach * math.cos(heading), y + reach * math.sin(heading))
    beside = (x - reach * math.sin(heading), y + reach * math.cos(heading))
    behind_side = (x + reach * math.sin(heading), y - reach * math.cos(heading))
    assert _at(canvas, image, *ahead) != _at(canvas, road_only, *ahead)
    assert _at(canvas, image, *beside) == _at(canvas, road_only, *beside)
    assert _at(canvas, image, *behind_side) == _at(canvas, road_only, *behind_side)


def test_a_highlight_rings_the_entity_and_the_hud_writes_over_the_image(
    canvas: RoadCanvas,
) -> None:
    frame = WorldFrame(3.25, (_entity(EntityKind.VEHICLE, 60.0, -1.75, 0.0),))
    plain = canvas.draw(frame, hud=None)
    ringed = canvas.draw(frame, highlight="e1", hud=None)
    assert np.any(np.all(ringed == colors.HIGHLIGHT, axis=2))
    assert not np.any(np.all(plain == colors.HIGHLIGHT, axis=2))
    with_hud = canvas.draw(frame, hud=Hud(speed_of="e1", title="check"))
    assert np.count_nonzero(np.any(with_hud != plain, axis=2)) > 100
    assert np.all(with_hud[canvas.transform.height // 2] == plain[canvas.transform.height // 2])


def test_a_window_centres_its_point_and_pads_off_the_canvas(canvas: RoadCanvas) -> None:
    entity = _entity(EntityKind.PEDESTRIAN, 60.0, -1.75, 0.3)
    window = Window(entity.x, entity.y, 200, 120)
    image = canvas.draw(WorldFrame(0.0, (entity,)), window=window, hud=None)
    assert image.shape == (120, 200, 3)
    assert tuple(int(c) for c in image[60, 100]) == colors.ENTITY_FILL[EntityKind.PEDESTRIAN]
    corner = canvas.transform.region
    outside = canvas.draw(None, window=Window(corner.x_min, corner.y_max, 100, 100), hud=None)
    assert np.all(outside[:40, :40] == colors.BACKGROUND)  # beyond the canvas' north-west
    with pytest.raises(InvalidArgument, match="window"):
        canvas.draw(None, window=Window(0.0, 0.0, 0, 10))


def test_frames_reject_nan_poses_and_bad_sizes() -> None:
    with pytest.raises(InvalidArgument, match=r"entity\[ego\]\.x") as caught:
        EntityFrame("ego", "ego", EntityKind.VEHICLE, math.nan, 0.0, 0.0, 4.5, 1.8)
    assert "NaN" in str(caught.value)
    with pytest.raises(InvalidArgument, match=r"entity\[ego\]\.width"):
        EntityFrame("ego", "ego", EntityKind.VEHICLE, 0.0, 0.0, 0.0, 4.5, 0.0)
    with pytest.raises(InvalidArgument, match=r"frame\.time"):
        WorldFrame(math.inf, ())
    with pytest.raises(InvalidArgument, match="allowed: vehicle, pedestrian, misc"):
        WorldFrame.from_arrays(0.0, ["a"], ["bicycle"], 0.0, 0.0, 0.0, 2.0, 1.0)


def test_frames_from_arrays_match_the_arrays() -> None:
    frame = WorldFrame.from_arrays(
        1.5,
        ["ego", "walker"],
        ["vehicle", EntityKind.PEDESTRIAN],
        x=np.array([1.0, 2.0]),
        y=np.array([3.0, 4.0]),
        heading=np.array([0.1, 0.2]),
        length=np.array([4.5, 0.5]),
        width=np.array([1.8, 0.5]),
        speed=np.array([10.0, 1.2]),
        names=["Ego", "Walker"],
    )
    walker = frame.entity("walker")
    assert walker == EntityFrame(
        "walker", "Walker", EntityKind.PEDESTRIAN, 2.0, 4.0, 0.2, 0.5, 0.5, 1.2
    )
    assert frame.entity("nobody") is None
