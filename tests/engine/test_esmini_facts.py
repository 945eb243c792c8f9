"""The facts esmini reports for its sample scenarios (shared/interop/README.md) hold:
event times within one 0.01 s step, positions within 0.05 m."""

from __future__ import annotations

import math

import pytest

from simhub.engine import BatchWorld, compile_scenario
from simhub.scenario import load
from tests.engine.conftest import INTEROP

DT = 0.01
STEP = DT + 1e-9
POSITION_M = 0.05


def _fired(batch: BatchWorld, element: str, state: str = "true") -> float:
    times = [e.time for e in batch.events if e.element == element and e.state == state]
    assert times, f"{element} never reached {state}"
    return times[0]


def _run(name: str, samples: dict[float, list[str]] | None = None
         ) -> tuple[BatchWorld, dict[tuple[float, str], tuple[float, float, float, float]]]:
    if not INTEROP.is_dir():
        pytest.skip("shared interop samples are not present")
    batch = compile_scenario(load(INTEROP / name), DT)
    seen: dict[tuple[float, str], tuple[float, float, float, float]] = {}
    w = batch.world
    while not batch.done.all() and w.time < 60:
        batch.step()
        for when, names in (samples or {}).items():
            if abs(w.time - when) < 1e-6:
                for entity in names:
                    k = w.index(entity)
                    seen[(when, entity)] = (w.x[0, k], w.y[0, k], w.heading[0, k], w.speed[0, k])
    return batch, seen


def test_cut_in_event_times() -> None:
    batch, _ = _run("cut-in.xosc")
    assert _fired(batch, "CutInAndBrakeAct", "startTransition") == pytest.approx(0.010, abs=STEP)
    assert _fired(batch, "BrakeCondition_HWT_0.7") == pytest.approx(7.740, abs=STEP)
    assert _fired(batch, "StopCondition") == pytest.approx(16.740, abs=STEP)
    assert _fired(batch, "storyboard", "stopTransition") == pytest.approx(21.740, abs=STEP)


def test_left_hand_traffic_times_and_positions() -> None:
    samples = {2.5: ["Ego", "OverTaker"], 4.38: ["Ego", "OverTaker"], 9.0: ["OverTaker"]}
    batch, seen = _run("left-hand-traffic_by_heading.xosc", samples)
    assert _fired(batch, "Lane change") == pytest.approx(3.75, abs=STEP)
    assert _fired(batch, "Lane change", "endTransition") == pytest.approx(5.74, abs=STEP)
    assert _fired(batch, "storyboard", "stopTransition") == pytest.approx(9.75, abs=STEP)
    expected = {
        (2.5, "Ego"): (-7.546, 115.028, 1.566, 30.0),
        (2.5, "OverTaker"): (-3.971, 115.014, math.nan, 42.0),
        (4.38, "Ego"): (-7.198, 171.427, math.nan, math.nan),
        (4.38, "OverTaker"): (-4.253, 193.963, 1.618, math.nan),
        (9.0, "OverTaker"): (-4.021, 387.926, 1.544, math.nan),
    }
    for key, (x, y, heading, speed) in expected.items():
        got = seen[key]
        assert math.hypot(got[0] - x, got[1] - y) < POSITION_M, (key, got)
        if not math.isnan(heading):
            assert got[2] == pytest.approx(heading, abs=0.002), key
        if not math.isnan(speed):
            assert got[3] == pytest.approx(speed, abs=1e-9), key


def test_left_hand_traffic_relative_distance_at_trigger() -> None:
    """esmini logs rel_dist 10.02 m when the lane change triggers at 3.75 s."""
    from simhub.engine.measure import relative

    if not INTEROP.is_dir():
        pytest.skip("shared interop samples are not present")
    batch = compile_scenario(load(INTEROP / "left-hand-traffic_by_heading.xosc"), DT)
    while batch.world.time < 3.75 - 1e-9:
        batch.step()
    distance = relative(batch.world, 0, 1, "longitudinal", "entity", True)[0]
    assert distance == pytest.approx(10.02, abs=0.01)
