"""Per-step physics kernels against their one-pair definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simhub.dynamics.collision import boxes_overlap
from simhub.engine.physics import contacts


def _centre(x: float, y: float, heading: float, cx: float, cy: float) -> tuple[float, float]:
    c, s = math.cos(heading), math.sin(heading)
    return x + cx * c - cy * s, y + cx * s + cy * c


def test_contacts_match_the_exact_box_test_for_every_pair() -> None:
    """The bounding-circle shortcut in ``contacts`` never changes a verdict: near misses,
    touches and overlaps of boxes with offset centres all agree with ``boxes_overlap``."""
    rng = np.random.default_rng(7)
    episodes, n = 400, 4
    x = rng.uniform(-6.0, 6.0, (episodes, n))
    y = rng.uniform(-4.0, 4.0, (episodes, n))
    heading = rng.uniform(0.0, 2.0 * math.pi, (episodes, n))
    length = rng.uniform(0.5, 12.0, (episodes, n))
    width = rng.uniform(0.5, 2.6, (episodes, n))
    cx = rng.uniform(-2.0, 2.0, (episodes, n))
    cy = rng.uniform(-0.5, 0.5, (episodes, n))
    present = np.ones((episodes, n), np.bool_)
    out = np.zeros((episodes, n, n), np.bool_)
    contacts(x, y, heading, length, width, cx, cy, present, present, out)
    verdicts = set()
    for e in range(episodes):
        for i in range(n):
            for j in range(i + 1, n):
                centres = [_centre(x[e, k], y[e, k], heading[e, k], cx[e, k], cy[e, k])
                           for k in (i, j)]
                expected = boxes_overlap(
                    *centres[0], heading[e, i], length[e, i], width[e, i],
                    *centres[1], heading[e, j], length[e, j], width[e, j],
                )  # fmt: skip
                assert out[e, i, j] == out[e, j, i] == expected
                verdicts.add(expected)
    assert verdicts == {True, False}


def _bits(value: float) -> int:
    return int(np.float64(value).view(np.int64))


def test_wrap_angle_shortcut_gives_the_arithmetic_to_the_bit() -> None:
    """Angles already in [0, 2 pi) are returned as they are, which is what the floor
    arithmetic gives them (-0.0 included); 2 pi, negative and large angles still take it."""
    from simhub.engine.kinematics import TWO_PI, wrap_angle

    rng = np.random.default_rng(3)
    angles = [0.0, -0.0, TWO_PI, -TWO_PI, math.pi, 1e-300, -1e-300, np.nextafter(TWO_PI, 0.0),
              1e6, -1e6,
              *rng.uniform(-20.0, 20.0, 500), *rng.uniform(0.0, TWO_PI, 500)]
    for angle in angles:
        value = angle - TWO_PI * math.floor(angle / TWO_PI)
        if value < 0.0:
            value += TWO_PI
        if value >= TWO_PI:
            value -= TWO_PI
        got = wrap_angle(angle)
        assert _bits(got) == _bits(value), angle


def test_ego_metrics_of_entities_heading_the_same_way_use_cos_and_sin_of_zero() -> None:
    """The gaps, TTC and distance of an entity heading exactly as the ego (no trigonometry)
    equal those of the same entity turned by the smallest angle there is, and a real turn
    still counts."""
    from simhub.engine.physics import ego_metrics

    def metrics(heading_j: float) -> tuple[float, float]:
        x = np.array([[0.0, 20.0]])
        y = np.array([[0.0, 0.0]])
        heading = np.array([[0.3, heading_j]])
        speed = np.array([[20.0, 10.0]])
        dims = {name: np.array([[value, value]]) for name, value in
                (("length", 4.5), ("width", 1.8), ("cx", 1.4), ("cy", 0.0))}
        present = np.ones((1, 2), np.bool_)
        colliding = np.zeros((1, 2, 2), np.bool_)
        collided = np.zeros(1, np.bool_)
        collision_time = np.full(1, math.nan)
        min_ttc = np.full(1, math.inf)
        min_distance = np.full(1, math.inf)
        x[0, 1], y[0, 1] = 20.0 * math.cos(0.3), 20.0 * math.sin(0.3)
        ego_metrics(0.0, 0, x, y, heading, speed, dims["length"], dims["width"], dims["cx"],
                    dims["cy"], present, colliding, collided, collision_time, min_ttc,
                    min_distance)
        return float(min_ttc[0]), float(min_distance[0])

    same = metrics(0.3)
    assert same == pytest.approx((1.55, 15.5), rel=1e-12)  # 20 m - 1.4 - 2.25 + 1.4 - 2.25
    assert metrics(np.nextafter(0.3, 1.0)) == pytest.approx(same, rel=1e-12)
    # broadside: half its width (0.9 m) reaches back towards the ego instead of its half
    # length, and none of its speed closes in
    assert metrics(0.3 + math.pi / 2) == pytest.approx((15.45 / 20.0, 15.45), rel=1e-9)


@pytest.mark.parametrize("shape", ["sinusoidal", "cubic", "step", "linear"])
def test_duration_for_rate_equals_the_kernels_rate_duration_to_the_bit(shape: str) -> None:
    """The batch engine's ``duration_for_rate`` (arrays) and the fused kernel's
    ``rate_duration`` (one step) give the same durations, or the two paths would part."""
    from simhub.engine.shapes import LINEAR_RATE, RATE_CODES, duration_for_rate, rate_duration

    rng = np.random.default_rng(11)
    change = np.concatenate([rng.normal(0.0, 30.0, 2000), [0.0, -0.0, 1e-300, 1e300]])
    rate = np.concatenate([rng.normal(0.0, 5.0, 2000), [0.0, -0.0, 1e-12, 1e300]])
    got = duration_for_rate(shape, change, rate)
    code = RATE_CODES.get(shape, LINEAR_RATE)
    want = np.array([rate_duration(code, c, r) for c, r in zip(change, rate, strict=True)])
    assert got.dtype == np.float64 and got.shape == change.shape
    assert got.tobytes() == want.tobytes()
    scalar_rate = duration_for_rate(shape, change, np.float64(2.5))  # a broadcast rate
    assert scalar_rate.tobytes() == duration_for_rate(shape, change, np.full(2004, 2.5)).tobytes()
