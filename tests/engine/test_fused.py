"""The fused run kernel against the Python step it replaces.

Every library and esmini scenario runs twice: ``run(fused=False)`` (the Python step, the
reference) and ``run()`` (the fused kernel where the scenario allows it), stopping at the same
sampled times; positions, speeds and storyboard states must agree to 1e-9 at every stop and
the event logs (time, element, kind, state) must be identical.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simhub.engine import BatchWorld, compile_scenario
from simhub.engine import fused as fused_module
from simhub.scenario import load
from tests.engine.conftest import INTEROP, LIBRARY

FIELDS = ("x", "y", "z", "heading", "speed", "s", "t", "lane", "lane_offset", "odometer",
          "acceleration", "heading_offset")
STOPS = (0.005, 0.5, 1.0, 2.5, 4.0, 6.0, 9.0, 13.0, 20.0, 30.0)
# scenarios the kernel must take (a change that drops one of them should be deliberate)
FUSED = ("cut-in.xosc", "cut-in_simple.xosc", "cut_in.yaml", "slow-lead-vehicle.xosc",
         "left-hand-traffic_by_heading.xosc", "straight_500m.xosc",
         "straight_500m_pedestrian.xosc", "lane_change_simple.xosc", "lane_change_crest.xosc",
         "speed_over_distance.xosc", "accident_scene.xosc", "cut_out.xosc",
         "lane_change_curve.xosc", "lead_brake_rain.xosc", "lead_brake_snow.xosc",
         "ncap_ccrb.xosc", "ncap_ccrm.xosc", "ncap_ccrs.xosc", "truck_trailer_curve.xosc",
         "cut-in_cr.xosc", "fire_engine_blue_light.xosc")


def _scenarios() -> list[Path]:
    files = sorted(LIBRARY.glob("*.xosc")) + sorted(LIBRARY.glob("*.yaml"))
    files += sorted(INTEROP.glob("*.xosc"))
    return [f for f in files
            if f.suffix != ".xosc" or b"<ParameterValueDistribution" not in f.read_bytes()]


def _same(fused: BatchWorld, python: BatchWorld, where: str) -> None:
    a, b = fused.world, python.world
    assert (a.frame, a.time) == (b.frame, b.time), where
    for name in FIELDS:
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=0, atol=1e-9,
                                   err_msg=f"{where}: {name}")
    for metric in ("collided", "collision_time", "min_ttc", "min_distance"):
        np.testing.assert_array_equal(getattr(fused.metrics, metric),
                                      getattr(python.metrics, metric), err_msg=metric)
    assert [(e.name, int(e.state[0]), int(e.executions[0])) for e in _elements(fused)] == \
        [(e.name, int(e.state[0]), int(e.executions[0])) for e in _elements(python)], where


def _elements(batch: BatchWorld) -> list:
    board = batch.storyboard
    found = list(board.init_actions)
    todo = [board.root]
    while todo:
        element = todo.pop()
        found.append(element)
        todo.extend(element.children)
    return found


def _log(batch: BatchWorld) -> list[tuple[float, int, str, str, str]]:
    return [(e.time, e.episode, e.element, e.kind, e.state) for e in batch.events]


@pytest.mark.parametrize("path", _scenarios(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fused_run_equals_python_steps(path: Path) -> None:
    fused = compile_scenario(load(path), 0.01)
    python = compile_scenario(load(path), 0.01)
    if path.name in FUSED:
        assert fused.fused_reason is None
    for stop in STOPS:
        fused.run(duration=stop)
        python.run(duration=stop, fused=False)
        _same(fused, python, f"{path.name} at {stop} s")
    fused.run(max_steps=1000)  # on until the storyboard ends
    python.run(max_steps=1000, fused=False)
    _same(fused, python, f"{path.name} at its end")
    assert _log(fused) == _log(python)


def test_steps_and_runs_mix() -> None:
    """Python steps, then a fused run, then steps again: the same as stepping throughout."""
    path = INTEROP / "cut-in.xosc"
    mixed = compile_scenario(load(path), 0.01)
    python = compile_scenario(load(path), 0.01)
    assert mixed.fused_reason is None
    for _ in range(150):
        mixed.step()
    mixed.run(duration=6.0)
    for _ in range(300):
        mixed.step()
    mixed.run(duration=15.0)
    python.run(duration=15.0, fused=False)
    _same(mixed, python, "mixed")
    assert _log(mixed) == _log(python)


def test_a_full_log_is_emptied_and_the_run_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fused_module, "LOG_ROOM", 5)
    path = INTEROP / "cut-in.xosc"
    fused = compile_scenario(load(path), 0.01)
    python = compile_scenario(load(path), 0.01)
    fused.run(duration=25.0)
    python.run(duration=25.0, fused=False)
    _same(fused, python, "small log")
    assert _log(fused) == _log(python)


def test_without_event_log() -> None:
    path = INTEROP / "cut-in.xosc"
    fused = compile_scenario(load(path), 0.01, log_events=False)
    python = compile_scenario(load(path), 0.01, log_events=False)
    fused.run(duration=25.0)
    python.run(duration=25.0, fused=False)
    _same(fused, python, "no log")
    assert fused.events == []


OFFSET_ACTION = (
    '<LaneOffsetAction continuous="false"><LaneOffsetActionDynamics dynamicsShape="sinusoidal"'
    ' maxLateralAcc="1.0"/><LaneOffsetTarget><AbsoluteTargetLaneOffset value="-1.4"/>'
    "</LaneOffsetTarget></LaneOffsetAction>"
)


@pytest.mark.parametrize(
    ("continuous", "shape", "target"),
    [
        ("false", "linear", '<AbsoluteTargetLaneOffset value="-1.4"/>'),
        ("false", "cubic", '<AbsoluteTargetLaneOffset value="0.9"/>'),
        ("false", "step", '<AbsoluteTargetLaneOffset value="-1.4"/>'),
        ("true", "sinusoidal", '<AbsoluteTargetLaneOffset value="-1.4"/>'),
        ("false", "sinusoidal", '<RelativeTargetLaneOffset entityRef="Car2" value="-0.8"/>'),
        ("true", "linear", '<RelativeTargetLaneOffset entityRef="Ego" value="1.2"/>'),
    ],
)
def test_every_lane_offset_runs_fused_as_it_steps(
    tmp_path: Path, continuous: str, shape: str, target: str
) -> None:
    """The fused kernel's lane offsets (``_lane_offset_step``) for every shape, absolute and
    relative targets, continuous or not, against the Python step, in the fire engine case."""
    source = LIBRARY / "fire_engine_blue_light.xosc"
    text = source.read_text()
    assert OFFSET_ACTION in text
    action = (
        f'<LaneOffsetAction continuous="{continuous}"><LaneOffsetActionDynamics '
        f'dynamicsShape="{shape}" maxLateralAcc="0.7"/><LaneOffsetTarget>{target}'
        "</LaneOffsetTarget></LaneOffsetAction>"
    )
    road = source.parent / "roads" / "highway_3lane.xodr"
    path = tmp_path / "offset.xosc"
    path.write_text(
        text.replace(OFFSET_ACTION, action).replace("roads/highway_3lane.xodr", str(road))
    )
    fused = compile_scenario(load(path), 0.01)
    python = compile_scenario(load(path), 0.01)
    assert fused.fused_reason is None
    for stop in STOPS:
        fused.run(duration=stop)
        python.run(duration=stop, fused=False)
        _same(fused, python, f"{shape} {target} at {stop} s")
    assert _log(fused) == _log(python)
    offsets = python.world.lane_offset[0]
    assert np.any(np.abs(offsets) > 0.3)  # the offset did move someone
