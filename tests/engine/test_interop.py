"""Every esmini sample scenario loads, validates and runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simhub.engine import compile_scenario
from simhub.scenario import load, validate
from tests.engine.conftest import INTEROP

FILES = sorted(INTEROP.glob("*.xosc")) if INTEROP.is_dir() else []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_sample_loads_validates_and_runs(path: Path) -> None:
    assert validate(path).ok
    batch = compile_scenario(load(path), 0.01)
    batch.run(duration=25.0)
    w = batch.world
    assert w.time == pytest.approx(25.0) or batch.done.all()
    for name in ("x", "y", "heading", "speed"):
        assert np.isfinite(getattr(w, name)).all(), name
