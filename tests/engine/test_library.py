"""Every library scenario validates and runs; `simhub scenario run` is deterministic."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from simhub.cli import app
from simhub.engine import compile_batch, compile_scenario
from simhub.scenario import load, load_distribution, validate
from tests.engine.conftest import LIBRARY

SCENARIOS = sorted(p for p in [*LIBRARY.glob("*.xosc"), *LIBRARY.glob("*.yaml")]
                   if "distribution" not in p.name)
DISTRIBUTIONS = sorted(LIBRARY.glob("*distribution*.xosc"))


@pytest.mark.parametrize("path", [*SCENARIOS, *DISTRIBUTIONS], ids=lambda p: p.name)
def test_library_file_validates_and_has_a_description(path: Path) -> None:
    findings = validate(path)
    assert findings.ok, findings.errors
    head = path.read_text(encoding="utf-8")[:3000]
    assert ("<!--" in head) or head.startswith("#"), "needs a header comment describing it"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_library_scenario_runs_to_its_end(path: Path) -> None:
    batch = compile_scenario(load(path), 0.01)
    batch.run(duration=60.0)
    assert batch.done.all(), "the storyboard should end by its stop trigger"
    assert np.isfinite(batch.world.x).all()


@pytest.mark.parametrize("path", DISTRIBUTIONS, ids=lambda p: p.name)
def test_distribution_steps_as_one_batch(path: Path) -> None:
    variants = [c.scenario for c in load_distribution(path)]
    batch = compile_batch(variants, 0.01)
    for _ in range(100):
        batch.step()
    assert batch.world.x.shape[0] == len(variants)
    assert np.isfinite(batch.world.x).all()


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_cli_run_is_byte_for_byte_deterministic(path: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    outputs = []
    for attempt in range(2):
        csv = tmp_path / f"run{attempt}.csv"
        events = tmp_path / f"run{attempt}.jsonl"
        result = runner.invoke(app, ["scenario", "run", str(path), "--dt", "0.01",
                                     "--duration", "4", "--csv", str(csv),
                                     "--events", str(events)])
        assert result.exit_code == 0, result.output
        outputs.append((csv.read_bytes(), events.read_bytes()))
    assert outputs[0] == outputs[1]
    header, first = outputs[0][0].decode().splitlines()[:2]
    assert header == "time,id,name,x,y,z,heading,pitch,roll,speed"
    assert first.startswith("0.000,0,")
    for line in outputs[0][1].decode().splitlines():
        assert set(json.loads(line)) == {"time", "element", "kind", "state"}
