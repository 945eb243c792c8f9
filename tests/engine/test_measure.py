"""The per-episode distance kernel (conditions, actions, ``measure.relative``) agrees with an
independent vectorised statement of the standard's measures (the oracle below)."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from simhub.engine import measure
from simhub.engine.world import KIND_VEHICLE, EntityInfo, World

F64 = npt.NDArray[np.float64]


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


def _extent_along(world: World, k: int, axis_h: F64) -> tuple[F64, F64]:
    h = world.heading[:, k]
    c, s_ = np.cos(h - axis_h), np.sin(h - axis_h)
    half_l, half_w = world.length[:, k] / 2, world.width[:, k] / 2
    center = world.center_x[:, k] * c - world.center_y[:, k] * s_
    reach = np.abs(half_l * c) + np.abs(half_w * s_)
    return center - reach, center + reach


def _freespace_gap(d: F64, lo_a: F64, hi_a: F64, lo_b: F64, hi_b: F64) -> F64:
    ahead = d + lo_b - hi_a
    behind = d + hi_b - lo_a
    return np.where(ahead > 0, ahead, np.where(behind < 0, behind, 0.0))


def _entity_dx(world: World, a: int, b: int) -> F64:
    h = world.heading[:, a]
    return ((world.x[:, b] - world.x[:, a]) * np.cos(h)
            + (world.y[:, b] - world.y[:, a]) * np.sin(h))


def _longitudinal(world: World, a: int, b: int, system: str, freespace: bool) -> F64:
    if system in ("road", "lane", "trajectory"):
        same_road = world.road[:, a] == world.road[:, b]
        d = (world.s[:, b] - world.s[:, a]) * world.direction[:, a]
        axis = world.heading[:, a] - world.heading_offset[:, a]
        if not same_road.all():
            d = np.where(same_road, d, _entity_dx(world, a, b))
    else:
        d = _entity_dx(world, a, b)
        axis = world.heading[:, a]
    if not freespace:
        return d
    lo_a, hi_a = _extent_along(world, a, axis)
    lo_b, hi_b = _extent_along(world, b, axis)
    return _freespace_gap(d, lo_a, hi_a, lo_b, hi_b)


def _lateral(world: World, a: int, b: int, system: str, freespace: bool) -> F64:
    if system in ("road", "lane", "trajectory"):
        d = (world.t[:, b] - world.t[:, a]) * world.direction[:, a]
        axis = world.heading[:, a] - world.heading_offset[:, a] + math.pi / 2
    else:
        h = world.heading[:, a]
        d = (-(world.x[:, b] - world.x[:, a]) * np.sin(h)
             + (world.y[:, b] - world.y[:, a]) * np.cos(h))
        axis = h + math.pi / 2
    if not freespace:
        return d
    lo_a, hi_a = _extent_along(world, a, axis)
    lo_b, hi_b = _extent_along(world, b, axis)
    return _freespace_gap(d, lo_a, hi_a, lo_b, hi_b)


def _corners(world: World, k: int) -> F64:
    h = world.heading[:, k]
    c, s = np.cos(h), np.sin(h)
    half_l, half_w = world.length[:, k] / 2, world.width[:, k] / 2
    cx = world.x[:, k] + world.center_x[:, k] * c - world.center_y[:, k] * s
    cy = world.y[:, k] + world.center_x[:, k] * s + world.center_y[:, k] * c
    out = np.empty((h.shape[0], 4, 2))
    for i, (fl, fw) in enumerate(((1, 1), (1, -1), (-1, -1), (-1, 1))):
        out[:, i, 0] = cx + fl * half_l * c - fw * half_w * s
        out[:, i, 1] = cy + fl * half_l * s + fw * half_w * c
    return out


def _oracle(world: World, a: int, b: int, kind: str, system: str, freespace: bool) -> F64:
    """The measures as numpy over every episode (what the kernel replaced)."""
    if kind == "longitudinal":
        return _longitudinal(world, a, b, system, freespace)
    if kind == "lateral":
        return _lateral(world, a, b, system, freespace)
    if not freespace:
        return np.hypot(world.x[:, b] - world.x[:, a], world.y[:, b] - world.y[:, a])
    return measure.box_distance(_corners(world, a), _corners(world, b))


@pytest.mark.parametrize("kind", ["longitudinal", "lateral", "euclidianDistance"])
@pytest.mark.parametrize("system", ["entity", "road"])
@pytest.mark.parametrize("freespace", [False, True])
def test_distance_kernel_matches_vectorised_measure(kind: str, system: str,
                                                    freespace: bool) -> None:
    w = _world(seed=len(kind) * 7 + len(system) + freespace)
    expected = _oracle(w, 0, 1, kind, system, freespace)
    code = measure.DISTANCE_KINDS.get(kind, measure.EUCLIDEAN)
    got = np.array([measure.distance_at(e, 0, 1, code, system in measure.ROAD_SYSTEMS,
                                        freespace, w.x, w.y, w.heading, w.road, w.s, w.t,
                                        w.direction, w.heading_offset, w.length, w.width,
                                        w.center_x, w.center_y) for e in range(w.episodes)])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(measure.relative(w, 0, 1, kind, system, freespace), expected,
                               rtol=0, atol=1e-9)
