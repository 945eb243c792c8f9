"""Readers: every esmini sample loads, validates and round-trips through .xosc and YAML;
errors point at file:line:column with what is allowed and a suggestion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import simhub.scenario as sc
from simhub.errors import InvalidArgument
from simhub.scenario import actions, conditions, entities, positions
from simhub.scenario.nodes import ScenarioError
from simhub.scenario.xosc import parse_xosc_text
from simhub.scenario.yaml_form import SCHEMA_FILE, parse_yaml_text, schema_text

from .conftest import INTEROP, SAMPLES, SCENARIOS, need_interop


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_every_esmini_sample_loads_validates_and_round_trips(path: Path) -> None:
    scenario = sc.load(path)
    assert scenario.road_file is not None and scenario.road_file.is_file()
    assert sc.validate(path).ok
    again = parse_xosc_text(sc.to_xosc(scenario), path.parent, "written.xosc")
    assert again.document == scenario.document
    from_yaml = parse_yaml_text(sc.to_yaml(scenario), path.parent, "written.yaml")
    assert from_yaml.document == scenario.document


def test_interop_present_or_skipped() -> None:
    need_interop()
    assert len(SAMPLES) >= 16


def test_cut_in_model_details() -> None:
    need_interop()
    scenario = sc.load(INTEROP / "cut-in.xosc")
    assert scenario.version == (1, 1)
    objects = {o.name: o for o in scenario.document.entities.scenario_objects}
    ego = objects["Ego"].entity
    assert isinstance(ego, sc.CatalogReference)
    assert ego.catalog_name == "VehicleCatalog" and ego.entry_name == "car_white"
    vehicle: object = sc.resolved(ego)
    assert isinstance(vehicle, entities.Vehicle)
    assert sc.source_file(vehicle).endswith("VehicleCatalog.xosc") and sc.source_line(vehicle) > 1
    assert sc.source_file(ego).endswith("cut-in.xosc")
    assert vehicle.performance.max_speed == pytest.approx(250 / 3.6)
    events = [
        event
        for story in scenario.document.storyboard.stories
        for act in story.acts
        for group in act.maneuver_groups
        for maneuver in group.maneuvers
        for event in maneuver.events
    ]
    names = [c.name for e in events if e.start_trigger
             for g in e.start_trigger.condition_groups for c in g.conditions]
    assert "BrakeCondition_HWT_0.7" in names
    speed = [a.kind for e in events for a in e.actions if isinstance(a.kind, actions.SpeedAction)]
    assert speed and isinstance(speed[0].dynamics, actions.TransitionDynamics)
    init = scenario.document.storyboard.init.actions.privates
    assert any(isinstance(a, actions.TeleportAction) for p in init for a in p.actions)
    assert any("SceneGraphFile" in w for w in scenario.warnings)


def test_typed_conditions_and_positions() -> None:
    need_interop()
    scenario = sc.load(INTEROP / "cut-in_simple.xosc")
    privates = scenario.document.storyboard.init.actions.privates
    teleports = [a for p in privates for a in p.actions if isinstance(a, actions.TeleportAction)]
    assert isinstance(teleports[0].position, positions.LanePosition)
    assert isinstance(teleports[1].position, positions.RelativeRoadPosition)
    stop = scenario.document.storyboard.stop_trigger
    assert stop is not None
    kinds = [c.kind for g in stop.condition_groups for c in g.conditions]
    assert isinstance(kinds[0], conditions.SimulationTimeCondition)
    assert isinstance(kinds[1], conditions.ByEntityCondition)
    assert isinstance(kinds[1].condition, conditions.AccelerationCondition)


def test_parameter_override_changes_values() -> None:
    need_interop()
    base = sc.load(INTEROP / "cut-in.xosc")
    faster = sc.load(INTEROP / "cut-in.xosc", parameters={"EgoSpeed": "144"})
    assert base.parameters["EgoSpeed"] == "108" and faster.parameters["EgoSpeed"] == "144"
    assert base.document != faster.document
    with pytest.raises(InvalidArgument, match="did you mean 'EgoSpeed'"):
        sc.load(INTEROP / "cut-in.xosc", parameters={"EgoSped": "1"})


def test_library_yaml_cut_in() -> None:
    scenario = sc.load(SCENARIOS / "cut_in.yaml")
    assert scenario.road_file == SCENARIOS / "roads" / "straight_500m.xodr"
    assert scenario.road_file.is_file()
    assert sc.validate(SCENARIOS / "cut_in.yaml").ok
    assert len((SCENARIOS / "cut_in.yaml").read_text().splitlines()) <= 40
    again = parse_xosc_text(sc.to_xosc(scenario), SCENARIOS, "cut_in.xosc")
    assert again.document == scenario.document


def test_published_schema_is_current_and_covers_the_library() -> None:
    assert json.loads(SCHEMA_FILE.read_text()) == sc.yaml_schema()
    assert SCHEMA_FILE.read_text() == schema_text()
    schema = sc.yaml_schema()
    assert schema["$ref"] == "#/$defs/OpenScenario"
    assert "speed_action" in json.dumps(schema["$defs"]["Action"])


# --- errors -------------------------------------------------------------------------------

MINIMAL = """<?xml version="1.0"?>
<OpenSCENARIO>
  <FileHeader revMajor="1" revMinor="2" date="2024-01-01T00:00:00" description="t" author="t"/>
  <ParameterDeclarations>
    <ParameterDeclaration name="Speed" parameterType="double" value="10"/>
  </ParameterDeclarations>
  <CatalogLocations/>
  <RoadNetwork/>
  <Entities/>
  <Storyboard>
    <Init><Actions/></Init>
    <StopTrigger>
      <ConditionGroup>
        <Condition name="end" delay="0" conditionEdge="rising">
          <ByValueCondition>
            <SimulationTimeCondition value="$Speed" rule="greaterThan"/>
          </ByValueCondition>
        </Condition>
      </ConditionGroup>
    </StopTrigger>
  </Storyboard>
</OpenSCENARIO>
"""


def error_of(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        parse_xosc_text(text, Path("."), "t.xosc")
    return caught.value


def test_minimal_loads() -> None:
    scenario = parse_xosc_text(MINIMAL, Path("."), "t.xosc")
    stop = scenario.document.storyboard.stop_trigger
    assert stop is not None
    condition = stop.condition_groups[0].conditions[0].kind
    assert isinstance(condition, conditions.SimulationTimeCondition)
    assert condition.value == 10.0


def test_misspelt_element_names_line_and_suggestion() -> None:
    error = error_of(MINIMAL.replace("<SimulationTimeCondition", "<SimulationTimeConditon"))
    assert error.line == 16
    assert error.suggestion == "SimulationTimeCondition"
    assert "t.xosc:16:" in str(error) and "allowed:" in str(error)
    assert error.violations and "t.xosc:16" in error.violations[0].field


def test_misspelt_attribute() -> None:
    error = error_of(MINIMAL.replace('rule="greaterThan"', 'rul="greaterThan"'))
    assert error.line == 16 and error.suggestion == "rule"
    assert error.column > 1


def test_bad_enum_value_suggests() -> None:
    error = error_of(MINIMAL.replace('rule="greaterThan"', 'rule="greaterThen"'))
    assert error.suggestion == "greaterThan" and "lessThan" in str(error)


def test_wrong_type() -> None:
    error = error_of(MINIMAL.replace('delay="0"', 'delay="soon"'))
    assert error.line == 14 and "not a number" in str(error)


def test_missing_attribute() -> None:
    error = error_of(MINIMAL.replace(' conditionEdge="rising"', ""))
    assert error.line == 14 and "conditionEdge" in str(error)


def test_undeclared_parameter_suggests() -> None:
    error = error_of(MINIMAL.replace('value="$Speed"', 'value="$Sped"'))
    assert error.line == 16 and error.suggestion == "Speed"


def test_parameter_cycle_is_an_error() -> None:
    text = MINIMAL.replace(
        '<ParameterDeclaration name="Speed" parameterType="double" value="10"/>',
        '<ParameterDeclaration name="Speed" parameterType="double" value="${$B + 1}"/>\n'
        '    <ParameterDeclaration name="B" parameterType="double" value="$Speed"/>',
    )
    error = error_of(text)
    assert "cycle" in str(error) and "$Speed -> $B -> $Speed" in str(error)
    assert error.line in (5, 6)


def test_expression_error_position() -> None:
    error = error_of(MINIMAL.replace('value="$Speed"', 'value="${$Speed + }"'))
    assert error.line == 16 and "character" in str(error)


def test_unsupported_element_is_an_error() -> None:
    text = MINIMAL.replace("<Init><Actions/></Init>",
                           "<Init><Actions><Private entityRef='x'><PrivateAction>"
                           "<AppearanceAction/></PrivateAction></Private></Actions></Init>")
    error = error_of(text)
    assert "AppearanceAction" in str(error) and "allowed" in str(error)


def test_unsupported_version() -> None:
    error = error_of(MINIMAL.replace('revMinor="2"', 'revMinor="9"'))
    assert error.line == 3 and "1.0, 1.1, 1.2, 1.3" in str(error)


def test_malformed_xml() -> None:
    error = error_of(MINIMAL.replace("</Storyboard>", "</Storybord>"))
    assert error.line > 1 and "malformed XML" in str(error)


def test_missing_road_file(tmp_path: Path) -> None:
    (tmp_path / "s.xosc").write_text(
        MINIMAL.replace("<RoadNetwork/>",
                        '<RoadNetwork><LogicFile filepath="nope.xodr"/></RoadNetwork>'))
    findings = sc.validate(tmp_path / "s.xosc")
    assert not findings.ok and findings.errors[0].line == 8


def test_yaml_errors_point_at_key() -> None:
    text = (SCENARIOS / "cut_in.yaml").read_text().replace("simulation_time_condition: {value: 20",
                                                           "simulation_time_conditon: {value: 20")
    with pytest.raises(ScenarioError) as caught:
        parse_yaml_text(text, SCENARIOS, "c.yaml")
    assert caught.value.line == 36 and caught.value.column > 1
    assert caught.value.suggestion == "simulation_time_condition"


def test_yaml_bad_value_points_at_value() -> None:
    text = (SCENARIOS / "cut_in.yaml").read_text().replace("value: 20, rule", "value: x, rule")
    with pytest.raises(ScenarioError) as caught:
        parse_yaml_text(text, SCENARIOS, "c.yaml")
    assert caught.value.line == 36 and "not a number" in str(caught.value)


def test_load_rejects_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match=r"\.xosc"):
        sc.load(tmp_path / "x.txt")


def test_unknown_entity_reference_suggests() -> None:
    need_interop()
    text = (INTEROP / "cut-in_simple.xosc").read_text().replace(
        '<Private entityRef="OverTaker">', '<Private entityRef="OverTaken">')
    with pytest.raises(ScenarioError) as caught:
        parse_xosc_text(text, INTEROP, "t.xosc")
    assert caught.value.suggestion == "OverTaker" and caught.value.line > 1


def test_unknown_storyboard_element_reference() -> None:
    text = (SCENARIOS / "cut_in.yaml").read_text().replace(
        "storyboard_element_ref: CutInEvent", "storyboard_element_ref: CutInEvnt")
    with pytest.raises(ScenarioError) as caught:
        parse_yaml_text(text, SCENARIOS, "c.yaml")
    assert caught.value.suggestion == "CutInEvent"


def test_duplicate_entity_name() -> None:
    need_interop()
    text = (INTEROP / "cut-in_simple.xosc").read_text().replace(
        '<ScenarioObject name="OverTaker">', '<ScenarioObject name="Ego">')
    with pytest.raises(ScenarioError, match="used twice"):
        parse_xosc_text(text, INTEROP, "t.xosc")


def test_findings_list_warnings_with_lines() -> None:
    need_interop()
    findings = sc.validate(INTEROP / "cut-in.xosc")
    assert findings.ok and findings.warnings
    assert all(w.line >= 1 and w.severity == "warning" for w in findings.warnings)
    assert any("SceneGraphFile" in w.message for w in findings.warnings)
    bad = sc.validate(SCENARIOS / "does_not_exist.yaml")
    assert not bad.ok and "cannot read" in bad.errors[0].message


def test_newer_element_in_older_version_is_a_listed_warning() -> None:
    text = MINIMAL.replace('revMinor="2"', 'revMinor="0"').replace(
        "<CatalogLocations/>",
        '<VariableDeclarations><VariableDeclaration name="v" variableType="double" value="1"/>'
        "</VariableDeclarations><CatalogLocations/>")
    scenario = parse_xosc_text(text, Path("."), "t.xosc")
    assert any("VariableDeclaration> is OpenSCENARIO 1.2+" in w and "t.xosc:7" in w
               for w in scenario.warnings)


def test_parameter_constraints_are_checked() -> None:
    constrained = MINIMAL.replace(
        '<ParameterDeclaration name="Speed" parameterType="double" value="10"/>',
        '<ParameterDeclaration name="Speed" parameterType="double" value="10">'
        '<ConstraintGroup><ValueConstraint rule="greaterThan" value="0"/>'
        '<ValueConstraint rule="lessOrEqual" value="70"/></ConstraintGroup>'
        "</ParameterDeclaration>")
    scenario = parse_xosc_text(constrained, Path("."), "t.xosc")
    assert scenario.document.parameter_declarations[0].constraint_groups
    assert parse_xosc_text(sc.to_xosc(scenario), Path("."), "t.xosc").document == \
        scenario.document
    with pytest.raises(ScenarioError, match="breaks its constraints") as caught:
        parse_xosc_text(constrained, Path("."), "t.xosc", parameters={"Speed": "90"})
    assert "lessOrEqual 70" in str(caught.value)
    error = error_of(constrained.replace('value="10">', 'value="-1">'))
    assert error.line == 5


def test_yaml_files_validate_against_the_published_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    validator = jsonschema.Draft202012Validator(sc.yaml_schema())
    documents = [yaml.safe_load((SCENARIOS / "cut_in.yaml").read_text())]
    documents += [yaml.safe_load(sc.to_yaml(sc.load(path))) for path in SAMPLES[:2]]
    for document in documents:
        errors = list(validator.iter_errors(document))
        assert not errors, errors[0].message
    broken = dict(documents[0], storyboard={"init": {"actions": {}}, "storys": []})
    assert list(validator.iter_errors(broken))
