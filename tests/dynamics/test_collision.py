"""Oriented-box collisions: SAT against an independent polygon test; broad phase = all pairs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simhub.dynamics import collisions
from simhub.dynamics.collision import boxes_overlap
from simhub.errors import InvalidArgument

Box = tuple[float, float, float, float, float]


def corners(box: Box, grow: float) -> np.ndarray:
    x, y, heading, length, width = box
    c, s = math.cos(heading), math.sin(heading)
    half_l, half_w = length / 2 + grow, width / 2 + grow
    local = [(half_l, half_w), (-half_l, half_w), (-half_l, -half_w), (half_l, -half_w)]
    return np.array([(x + c * a - s * b, y + s * a + c * b) for a, b in local])


def _cross(o: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    return float((a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]))


def _segments_cross(p1: np.ndarray, p2: np.ndarray, q1: np.ndarray, q2: np.ndarray) -> bool:
    d1, d2 = _cross(q1, q2, p1), _cross(q1, q2, p2)
    d3, d4 = _cross(p1, p2, q1), _cross(p1, p2, q2)
    return (d1 > 0) != (d2 > 0) and (d3 > 0) != (d4 > 0)


def _inside(point: np.ndarray, polygon: np.ndarray) -> bool:
    signs = [_cross(polygon[k], polygon[(k + 1) % 4], point) for k in range(4)]
    return all(s > 0 for s in signs) or all(s < 0 for s in signs)


def polygons_overlap(a: Box, b: Box, grow: float) -> bool:
    """Reference without projections: an edge crossing, or one box holding a corner of the other."""
    pa, pb = corners(a, grow), corners(b, grow)
    for i in range(4):
        for j in range(4):
            if _segments_cross(pa[i], pa[(i + 1) % 4], pb[j], pb[(j + 1) % 4]):
                return True
    return _inside(pa[0], pb) or _inside(pb[0], pa)


boxes = st.tuples(
    st.floats(-15, 15), st.floats(-15, 15), st.floats(-math.pi, math.pi),
    st.floats(0.5, 16.5), st.floats(0.5, 2.6),
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(boxes, min_size=2, max_size=8))
def test_sat_agrees_with_polygon_reference(fleet: list[Box]) -> None:
    for i, a in enumerate(fleet):
        for b in fleet[i + 1 :]:
            sat = boxes_overlap(*a, *b)
            # Within a micrometre of touching, either answer is right.
            if polygons_overlap(a, b, -1e-6):
                assert sat, (a, b)
            if not polygons_overlap(a, b, 1e-6):
                assert not sat, (a, b)


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    episodes=st.integers(1, 4),
    vehicles=st.integers(2, 40),
    spread_m=st.floats(5.0, 200.0),
)
def test_broad_phase_finds_exactly_what_all_pairs_find(
    seed: int, episodes: int, vehicles: int, spread_m: float
) -> None:
    rng = np.random.default_rng(seed)
    shape = (episodes, vehicles)
    x, y = rng.uniform(0, spread_m, shape), rng.uniform(0, spread_m / 4, shape)
    heading = rng.uniform(-math.pi, math.pi, shape)
    length, width = rng.uniform(0.5, 16.5, shape), rng.uniform(0.5, 2.6, shape)
    active = rng.random(shape) < 0.9
    swept = collisions(x, y, heading, length, width, active)
    brute = collisions(x, y, heading, length, width, active, broad_phase=False)
    np.testing.assert_array_equal(swept, brute)
    assert (swept[~active] == -1).all()


def test_many_sparse_vehicles_match_all_pairs() -> None:
    rng = np.random.default_rng(3)
    episodes, vehicles = 8, 400
    x = rng.uniform(0, 4000, (episodes, vehicles))
    y = rng.choice([0.0, 3.5, 7.0], (episodes, vehicles))
    heading = rng.normal(0, 0.05, (episodes, vehicles))
    length, width = np.full_like(x, 4.5), np.full_like(x, 1.8)
    swept = collisions(x, y, heading, length, width)
    np.testing.assert_array_equal(
        swept, collisions(x, y, heading, length, width, broad_phase=False)
    )
    assert (swept >= 0).any() and (swept == -1).any()


def test_hand_made_cases() -> None:
    assert boxes_overlap(0, 0, 0, 4, 2, 0, 0, 1.0, 4, 2)  # same place
    assert boxes_overlap(0, 0, 0, 4, 2, 4, 0, 0, 4, 2)  # bumpers touching
    assert not boxes_overlap(0, 0, 0, 4, 2, 4.01, 0, 0, 4, 2)
    # A box turned 45 degrees near a corner: its AABB overlaps, the boxes do not.
    assert not boxes_overlap(0, 0, 0, 2, 2, 2.3, 2.3, math.pi / 4, 2, 2)


def test_non_finite_positions_are_rejected() -> None:
    ones = np.ones((1, 3))
    x = np.array([[0.0, math.nan, 5.0]])
    with pytest.raises(InvalidArgument, match="x of vehicle 1 in episode 0"):
        collisions(x, ones, ones, ones, ones)
    # An empty slot may hold anything.
    assert collisions(x, ones, ones, ones, ones, [[True, False, True]]).tolist() == [[-1, -1, -1]]
