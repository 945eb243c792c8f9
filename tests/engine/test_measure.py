"""The per-episode distance kernel (used by conditions) agrees with the vectorised measures."""

from __future__ import annotations

import numpy as np
import pytest

from simhub.engine import measure
from simhub.engine.world import KIND_VEHICLE, EntityInfo, World


def _world(seed: int, episodes: int = 64) -> World:
    rng = np.random.default_rng(seed)
    entities = (EntityInfo("a", KIND_VEHICLE, "car"), EntityInfo("b", KIND_VEHICLE, "car"))
    w = World.empty(entities, episodes)
    shape = (episodes, 2)
    w.x[:] = rng.uniform(-30, 30, shape)
    w.y[:] = rng.uniform(-30, 30, shape)
    w.heading[:] = rng.uniform(0, 2 * np.pi, shape)
    w.heading_offset[:] = rng.uniform(-0.2, 0.2, shape)
    w.s[:] = rng.uniform(0, 200, shape)
    w.t[:] = rng.uniform(-8, 8, shape)
    w.road[:] = rng.integers(0, 2, shape)  # some pairs on different roads
    w.direction[:] = rng.choice([-1.0, 1.0], shape)
    w.length[:] = rng.uniform(1, 12, shape)
    w.width[:] = rng.uniform(0.5, 3, shape)
    w.center_x[:] = rng.uniform(-1, 2, shape)
    w.center_y[:] = rng.uniform(-0.3, 0.3, shape)
    return w


@pytest.mark.parametrize("kind", ["longitudinal", "lateral", "euclidianDistance"])
@pytest.mark.parametrize("system", ["entity", "road"])
@pytest.mark.parametrize("freespace", [False, True])
def test_distance_kernel_matches_vectorised_measure(kind: str, system: str,
                                                    freespace: bool) -> None:
    w = _world(seed=len(kind) * 7 + len(system) + freespace)
    expected = measure.relative(w, 0, 1, kind, system, freespace)
    code = measure.DISTANCE_KINDS.get(kind, measure.EUCLIDEAN)
    got = np.array([measure.distance_at(e, 0, 1, code, system in measure.ROAD_SYSTEMS,
                                        freespace, w.x, w.y, w.heading, w.road, w.s, w.t,
                                        w.direction, w.heading_offset, w.length, w.width,
                                        w.center_x, w.center_y) for e in range(w.episodes)])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
