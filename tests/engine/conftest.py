"""Paths shared by the engine tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INTEROP = ROOT.parent / "shared" / "interop" / "esmini" / "xosc"
LIBRARY = ROOT / "scenarios"
