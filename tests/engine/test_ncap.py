"""Euro NCAP outcomes: CCRs at 50 km/h with the IDM ego avoids the collision; without
braking it collides when the gap closes, at the hand-computed time."""

from __future__ import annotations

import pytest

from simhub.engine import compile_scenario
from simhub.scenario import load
from tests.engine.conftest import LIBRARY

CCRS = LIBRARY / "ncap_ccrs.xosc"


def test_ccrs_50_with_idm_avoids_the_collision() -> None:
    batch = compile_scenario(load(CCRS, {"EgoSpeed": "50", "EgoBrakes": "true"}))
    batch.run()
    assert not batch.metrics.collided[0]
    assert batch.world.speed[0, 0] == pytest.approx(0.0, abs=0.05)  # stopped behind it
    assert batch.metrics.min_distance[0] > 0.5


def test_ccrs_50_without_braking_collides_at_the_hand_computed_time() -> None:
    batch = compile_scenario(load(CCRS, {"EgoSpeed": "50", "EgoBrakes": "false"}))
    batch.run()
    # Ego's reference point (rear axle) at s = 50, box front 1.3 + 4.6 / 2 = 3.6 m ahead of
    # it; the target's at s = 150 with its box rear 4.6 / 2 - 1.3 = 1.0 m behind it: the gap
    # of 150 - 50 - 3.6 - 1.0 = 95.4 m closes at 50 / 3.6 m/s.
    expected = 95.4 / (50 / 3.6)
    assert batch.metrics.collided[0]
    assert batch.metrics.collision_time[0] == pytest.approx(expected, abs=0.01 + 1e-9)


def test_ccrs_full_overlap_and_offset_targets_both_collide_without_braking() -> None:
    for overlap in ("100", "50"):
        batch = compile_scenario(load(CCRS, {"Overlap": overlap, "EgoBrakes": "false"}))
        batch.run()
        assert batch.metrics.collided[0], overlap


def test_snow_brakes_less_than_rain() -> None:
    """Friction from the environment: the same lead-vehicle stop ends in a collision on
    snow (mu 0.3) but not in rain (mu 0.7)."""
    rain = compile_scenario(load(LIBRARY / "lead_brake_rain.xosc"))
    rain.run()
    snow = compile_scenario(load(LIBRARY / "lead_brake_snow.xosc"))
    snow.run()
    assert rain.world.friction[0] == pytest.approx(0.7)
    assert snow.world.friction[0] == pytest.approx(0.3)
    assert not rain.metrics.collided[0]
    assert snow.metrics.collided[0]
