"""Per-step physics kernels against their one-pair definitions."""

from __future__ import annotations

import math

import numpy as np

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
