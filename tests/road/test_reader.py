"""Reader: parsed values, listed warnings, and errors that name file and line."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from simhub.errors import InvalidArgument
from simhub.road import GeometryKind, load_opendrive, parse_network
from tests.road.helpers import ESMINI_XODR, document, geometry_xml, road_xml

LINE = geometry_xml(0.0, 0.0, 0.0, 0.0, 100.0, "<line/>")


def test_values_are_read_in_si_units() -> None:
    net = parse_network(document(road_xml("1", 100.0, [LINE])), "mem.xodr")
    road = net.roads["1"]
    assert net.header.rev_minor == 6
    assert road.types[0].type == "rural"
    assert road.types[0].max_speed == pytest.approx(80 / 3.6)
    assert road.geometries[0].kind is GeometryKind.LINE
    lane = road.lane_sections[0].lane(-1)
    assert lane is not None
    assert lane.type == "driving"
    assert lane.speeds[0].max_speed == pytest.approx(50 / 3.6)
    assert lane.materials[0].friction == 0.8
    assert lane.road_marks[0].type == "solid"
    assert lane.road_marks[0].width == 0.12
    assert [lane.id for lane in road.lane_sections[0].lanes] == [1, 0, -1, -2]


def test_malformed_xml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.xodr"
    path.write_text('<OpenDRIVE>\n<header revMajor="1" revMinor="6"/>\n<road id="1">\n</OpenDRIVE>')
    with pytest.raises(InvalidArgument) as caught:
        load_opendrive(path)
    assert f"{path}:4" in str(caught.value)


def test_missing_attributes_are_all_listed_with_lines() -> None:
    text = document(
        road_xml("1", 100.0, ['<geometry s="0" x="0" y="0" hdg="0"><line/></geometry>'])
    )
    text = text.replace('<width sOffset="0" a="1.0"', '<width sOffset="0"')
    with pytest.raises(InvalidArgument) as caught:
        parse_network(text, "case.xodr")
    fields = [v.field for v in caught.value.violations]
    assert any(f.startswith("case.xodr:4:<geometry>@length") for f in fields), fields
    assert any(f.endswith("<width>@a") for f in fields), fields
    assert "case.xodr:4" in caught.value.message


def test_unknown_geometry_bad_numbers_and_links_are_errors() -> None:
    bad = geometry_xml(0.0, 0.0, 0.0, 0.0, 10.0, "<bezier/>")
    link = '<successor elementType="road" elementId="42" contactPoint="start"/>'
    text = document(road_xml("1", 10.0, [bad], link=link)).replace('x="0.0"', 'x="abc"')
    with pytest.raises(InvalidArgument) as caught:
        parse_network(text, "case.xodr")
    descriptions = " | ".join(str(v) for v in caught.value.violations)
    assert "unknown geometry <bezier>" in descriptions
    assert "expected a number, got 'abc'" in descriptions
    assert "unknown road '42'" in descriptions


def test_unsupported_versions_and_missing_files() -> None:
    with pytest.raises(InvalidArgument, match=r"OpenDRIVE 2\.x"):
        parse_network(
            document(road_xml("1", 100.0, [LINE])).replace('revMajor="1"', 'revMajor="2"')
        )
    net = parse_network(
        document(road_xml("1", 100.0, [LINE])).replace('revMinor="6"', 'revMinor="3"')
    )
    assert any("1.3" in w.message for w in net.warnings)
    with pytest.raises(InvalidArgument, match="cannot read"):
        load_opendrive("/nonexistent/road.xodr")


def test_lane_ids_must_be_consecutive() -> None:
    text = document(road_xml("1", 100.0, [LINE])).replace('lane id="-2"', 'lane id="-3"')
    with pytest.raises(InvalidArgument, match="consecutive"):
        parse_network(text)


@pytest.mark.skipif(not ESMINI_XODR.is_dir(), reason=f"no esmini samples under {ESMINI_XODR}")
def test_unsupported_elements_are_listed_with_their_lines() -> None:
    path = ESMINI_XODR / "straight_500m_signs.xodr"
    net = load_opendrive(path)
    lines = path.read_text().splitlines()
    signals = [w for w in net.warnings if w.element == "signal"]
    assert signals
    for warning in signals:
        assert warning.file == str(path)
        assert "<signal" in lines[warning.line - 1]
        assert str(warning).startswith(f"{path}:{warning.line}: <signal>")
    assert math.isclose(net.roads[next(iter(net.roads))].length, 500.0)
