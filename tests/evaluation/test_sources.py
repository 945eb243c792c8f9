"""Scenario variants built with the memoising reader equal those built from scratch."""

from __future__ import annotations

from pathlib import Path

import pytest

from simhub.evaluation.sources import Prepared, file_bundle
from simhub.scenario.nodes import display_path, parse_xml
from simhub.scenario.xosc import build_scenario, read_bytes

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.mark.parametrize("name", ["ncap_ccrm_distribution.xosc", "ncap_ccrb_distribution.xosc"])
def test_memoised_variants_equal_fresh_builds(name: str) -> None:
    prepared = Prepared(file_bundle(LIBRARY / name))
    path = prepared.scenario_file
    assert len(prepared.variants) > 1
    for variant in prepared.variants:
        fresh = build_scenario(parse_xml(read_bytes(path), display_path(path)), path,
                               dict(variant))
        memoised = prepared._build(dict(variant))
        assert memoised.document == fresh.document, variant
        assert memoised.parameters == fresh.parameters, variant
        assert memoised.warnings == fresh.warnings, variant
