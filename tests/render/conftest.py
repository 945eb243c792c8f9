"""Fixtures of the render tests: the esmini sample roads, loaded once, and the artifact folder."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from simhub.road import RoadNetwork, load_opendrive
from tests.road.helpers import ESMINI_XODR

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts" / "render"
SAMPLES = sorted(ESMINI_XODR.glob("*.xodr")) if ESMINI_XODR.is_dir() else []
needs_samples = pytest.mark.skipif(
    not SAMPLES, reason=f"esmini interop samples not found under {ESMINI_XODR}"
)


@cache
def network(name: str) -> RoadNetwork:
    """The esmini sample ``name`` (without ``.xodr``), loaded once per test session."""
    return load_opendrive(ESMINI_XODR / f"{name}.xodr")


@pytest.fixture
def artifacts() -> Path:
    """``tests/artifacts/render/`` (gitignored): files worth looking at after a run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
