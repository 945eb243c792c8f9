"""The committed ``simhub/_proto`` must be exactly what ``make proto`` generates from ``proto/``."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("protogen", REPO / "scripts" / "protogen.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_generated_code_matches_proto_sources(tmp_path: Path) -> None:
    fresh = tmp_path / "_proto"
    _generator().generate(fresh)
    committed = _tree(REPO / "simhub" / "_proto")
    regenerated = _tree(fresh)
    stale = sorted(
        k for k in committed.keys() | regenerated.keys() if committed.get(k) != regenerated.get(k)
    )
    assert not stale, f"simhub/_proto is stale in {stale}; run `make proto` and commit"


def test_detects_a_stale_file(tmp_path: Path) -> None:
    """Edit a .proto in a copy of the tree: the regenerated output differs from the committed."""
    gen = _generator()
    copy = tmp_path / "proto"
    shutil.copytree(REPO / "proto", copy)
    facility = copy / "simhub" / "v1" / "facility.proto"
    facility.write_text(
        facility.read_text().replace(
            "string reason = 2;", "string reason = 2;\n  bool dry_run = 3;"
        )
    )
    original = gen.PROTO_DIR
    try:
        gen.PROTO_DIR = copy
        gen.generate(tmp_path / "out")
    finally:
        gen.PROTO_DIR = original
    assert _tree(tmp_path / "out") != _tree(REPO / "simhub" / "_proto")
