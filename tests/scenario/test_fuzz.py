"""Fuzz: mutated valid .xosc and YAML files never crash the reader. Every outcome is a
scenario or a ScenarioError (an InvalidArgument) with a line number."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

import simhub.scenario as sc
from simhub.scenario import yaml_form
from simhub.scenario.nodes import ScenarioError
from simhub.scenario.xosc import parse_xosc_text
from simhub.scenario.yaml_form import parse_yaml_text

from .conftest import INTEROP, SCENARIOS

SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
BAD_VALUES = st.sampled_from([
    "", "abc", "1e400", "-1e400", "99999999999999999999999", "NaN", "inf", "$", "$nope",
    "${", "${1/0}", "${sqrt(-1)}", "${pow(10,400)}", "-1", "1.5", "true", "${$x}", "\u00e9",
    "${" + "(" * 300 + "1" + ")" * 300 + "}", "0x10", "1_000", " 3 ",
])
BASE_XOSC = (INTEROP / "cut-in_simple.xosc") if INTEROP.is_dir() else None
BASE_XOSC_TEXT = (BASE_XOSC.read_bytes() if BASE_XOSC
                  else sc.to_xosc(sc.load(SCENARIOS / "cut_in.yaml")).encode())
BASE_DIR = INTEROP if BASE_XOSC else SCENARIOS
YAML_TEXT = (SCENARIOS / "cut_in.yaml").read_text()


def outcome_is_clean(run: Any, base_dir: Path | None = None) -> None:
    """A scenario (which then survives parse(write(x)) == x in both forms) or a clean error."""
    try:
        scenario = run()
    except ScenarioError as error:
        assert error.line >= 1 and error.column >= 1
        assert f":{error.line}:" in str(error)
        assert error.violations
        return
    assert isinstance(scenario, sc.Scenario)
    if base_dir is not None:
        again = parse_xosc_text(sc.to_xosc(scenario), base_dir, "again.xosc")
        assert again.document == scenario.document
        again = parse_yaml_text(sc.to_yaml(scenario), base_dir, "again.yaml")
        assert again.document == scenario.document


@st.composite
def xml_mutation(draw: st.DrawFn) -> bytes:
    root = etree.fromstring(BASE_XOSC_TEXT)
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    for _ in range(draw(st.integers(1, 3))):
        target = draw(st.sampled_from(elements))
        kind = draw(st.sampled_from(["delete_attr", "bad_value", "unknown_element",
                                     "unknown_attr", "delete_element", "duplicate",
                                     "cycle", "rename"]))
        names = list(target.attrib)
        if kind == "delete_attr" and names:
            del target.attrib[draw(st.sampled_from(names))]
        elif kind == "bad_value" and names:
            target.set(draw(st.sampled_from(names)), draw(BAD_VALUES))
        elif kind == "unknown_element":
            target.append(etree.Element(draw(st.sampled_from(["Foo", "Privat", "Speed"]))))
        elif kind == "unknown_attr":
            target.set(draw(st.sampled_from(["foo", "nme", "valu"])), "1")
        elif kind == "delete_element" and target.getparent() is not None:
            parent = target.getparent()
            assert parent is not None
            parent.remove(target)
            elements = [e for e in root.iter() if isinstance(e.tag, str)]
        elif kind == "duplicate" and target.getparent() is not None:
            parent = target.getparent()
            assert parent is not None
            parent.append(etree.fromstring(etree.tostring(target)))
        elif kind == "rename":
            target.tag = draw(st.sampled_from(["Event", "Action", "Position", "Xyz"]))
        elif kind == "cycle":
            declarations = root.find("ParameterDeclarations")
            if declarations is None:
                declarations = etree.SubElement(root, "ParameterDeclarations")
            for name, other in (("P", "Q"), ("Q", "P")):
                etree.SubElement(declarations, "ParameterDeclaration", name=name,
                                 parameterType="double", value=f"${{${other} + 1}}")
            if names:
                target.set(draw(st.sampled_from(names)), "$P")
    return bytes(etree.tostring(root))


@SETTINGS
@given(xml_mutation())
def test_mutated_xosc_never_crashes(data: bytes) -> None:
    outcome_is_clean(lambda: parse_xosc_text(data, BASE_DIR, "fuzz.xosc"), BASE_DIR)


@SETTINGS
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_garbage_xosc_never_crashes(data: bytes) -> None:
    outcome_is_clean(lambda: parse_xosc_text(data, BASE_DIR, "garbage.xosc"))


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


YAML_VALUES = st.one_of(BAD_VALUES, st.integers(), st.floats(), st.booleans(), st.none(),
                        st.just([1, 2]), st.just({"foo": 1}))


@st.composite
def yaml_mutation(draw: st.DrawFn) -> str:
    data = yaml.safe_load(YAML_TEXT)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        path = draw(st.sampled_from(paths))
        parent = _get(data, path[:-1])
        kind = draw(st.sampled_from(["delete", "replace", "unknown_key", "cycle"]))
        if kind == "delete":
            del parent[path[-1]]
        elif kind == "replace":
            parent[path[-1]] = draw(YAML_VALUES)
        elif kind == "unknown_key" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["speed_acton", "foo", "nam"]))] = 1
        elif kind == "cycle":
            data["parameter_declarations"] = [
                {"name": "P", "parameter_type": "double", "value": "${$Q * 2}"},
                {"name": "Q", "parameter_type": "double", "value": "$P"},
            ]
            if not isinstance(parent, dict | list):
                continue
            parent[path[-1]] = "$P"
    return yaml.safe_dump(data, sort_keys=False)


@SETTINGS
@given(yaml_mutation())
def test_mutated_yaml_never_crashes(text: str) -> None:
    outcome_is_clean(lambda: parse_yaml_text(text, SCENARIOS, "fuzz.yaml"), SCENARIOS)


@SETTINGS
@given(st.text(max_size=200))
def test_garbage_yaml_never_crashes(text: str) -> None:
    outcome_is_clean(lambda: parse_yaml_text(text, SCENARIOS, "garbage.yaml"))


def test_element_limit_guards_alias_expansion(monkeypatch: pytest.MonkeyPatch) -> None:
    # YAML aliases are expanded as the tree is walked; a cap on elements stops alias bombs
    monkeypatch.setattr(yaml_form, "MAX_ELEMENTS", 50)
    with pytest.raises(ScenarioError, match="too many elements"):
        parse_yaml_text(YAML_TEXT, SCENARIOS, "bomb.yaml")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.floats(allow_nan=False, allow_infinity=False),
    # text starting with "$" is a parameter reference in OpenSCENARIO, not a literal
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30).filter(
        lambda t: not t.lstrip().startswith("$")),
    st.integers(0, 2**32 - 1),
)
def test_round_trip_of_generated_values(number: float, text: str, count: int) -> None:
    data = yaml.safe_load(YAML_TEXT)
    data["file_header"]["description"] = text
    data["storyboard"]["stop_trigger"]["condition_groups"][0]["conditions"][0][
        "simulation_time_condition"]["value"] = number
    group = data["storyboard"]["stories"][0]["acts"][0]["maneuver_groups"][0]
    group["maximum_execution_count"] = count
    scenario = parse_yaml_text(yaml.safe_dump(data), SCENARIOS, "generated.yaml")
    assert scenario.document.file_header.description == text
    for again in (parse_xosc_text(sc.to_xosc(scenario), SCENARIOS, "g.xosc"),
                  parse_yaml_text(sc.to_yaml(scenario), SCENARIOS, "g.yaml")):
        assert again.document == scenario.document
