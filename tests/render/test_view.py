"""The world <-> pixel mapping, regions and the scale bar's lengths."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simhub.errors import InvalidArgument
from simhub.render import MAX_CANVAS_PIXELS, PixelTransform, Region, fit_px_per_m, nice_length_m

coordinates = st.floats(-5_000.0, 5_000.0, allow_nan=False)


@given(
    x=coordinates,
    y=coordinates,
    x_min=coordinates,
    y_max=coordinates,
    px_per_m=st.floats(0.05, 50.0),
)
def test_world_to_pixel_round_trips(
    x: float, y: float, x_min: float, y_max: float, px_per_m: float
) -> None:
    transform = PixelTransform(x_min, y_max, px_per_m, 100, 100)
    u, v = transform.to_pixel(x, y)
    back_x, back_y = transform.to_world(u, v)
    assert float(back_x) == pytest.approx(x, abs=1e-6)
    assert float(back_y) == pytest.approx(y, abs=1e-6)


def test_north_is_up_and_east_is_right() -> None:
    transform = PixelTransform.for_region(Region(0.0, 0.0, 100.0, 50.0), 2.0)
    assert (transform.width, transform.height) == (200, 100)
    assert transform.pixel_index(0.1, 49.9) == (0, 0)  # north-west corner: top-left pixel
    assert transform.pixel_index(99.9, 0.1) == (99, 199)  # south-east corner: bottom-right
    row, col = transform.pixel_index(10.0, 40.0)
    assert transform.pixel_index(12.0, 40.0)[1] > col  # east: further right
    assert transform.pixel_index(10.0, 42.0)[0] < row  # north: further up


def test_a_window_transform_is_the_canvas_transform_shifted() -> None:
    transform = PixelTransform.for_region(Region(-20.0, -10.0, 80.0, 40.0), 4.0)
    window = transform.shifted(30, 12, 50, 40)
    points = np.array([[-3.0, 7.5], [12.25, 20.0], [30.0, -1.0]])
    u, v = transform.to_pixel(points[:, 0], points[:, 1])
    wu, wv = window.to_pixel(points[:, 0], points[:, 1])
    np.testing.assert_allclose(wu, u - 30, atol=1e-9)
    np.testing.assert_allclose(wv, v - 12, atol=1e-9)


def test_region_checks_and_helpers() -> None:
    with pytest.raises(InvalidArgument, match="empty"):
        Region(0.0, 0.0, 0.0, 1.0)
    with pytest.raises(InvalidArgument, match="finite"):
        Region(0.0, math.nan, 1.0, 1.0)
    region = Region.around([1.0, 5.0], [2.0, -2.0], margin_m=3.0)
    assert region == Region(-2.0, -5.0, 8.0, 5.0)
    assert region.center == (3.0, 0.0)
    assert fit_px_per_m(Region(0.0, 0.0, 1000.0, 200.0), 1600) == pytest.approx(1.6)
    assert fit_px_per_m(Region(0.0, 0.0, 10.0, 10.0), 1600) == 10.0  # capped
    with pytest.raises(InvalidArgument, match="nothing"):
        Region.around([], [], 1.0)


def test_scale_and_size_limits() -> None:
    with pytest.raises(InvalidArgument, match="px_per_m"):
        PixelTransform.for_region(Region(0.0, 0.0, 10.0, 10.0), 0.0)
    with pytest.raises(InvalidArgument, match=str(MAX_CANVAS_PIXELS)):
        PixelTransform.for_region(Region(0.0, 0.0, 10_000.0, 10_000.0), 10.0)


@pytest.mark.parametrize(
    ("max_m", "expected"), [(1.0, 1.0), (3.7, 2.0), (9.99, 5.0), (20.0, 20.0), (740.0, 500.0)]
)
def test_scale_bar_lengths_are_round(max_m: float, expected: float) -> None:
    assert nice_length_m(max_m) == pytest.approx(expected)
