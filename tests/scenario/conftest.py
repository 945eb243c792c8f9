"""Shared paths for the scenario tests."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INTEROP = REPO.parent / "shared" / "interop" / "esmini" / "xosc"
SAMPLES = sorted(INTEROP.glob("*.xosc")) if INTEROP.is_dir() else []
SCENARIOS = REPO / "scenarios"


def need_interop() -> None:
    if not SAMPLES:
        pytest.skip(f"esmini interop samples not found at {INTEROP}")
