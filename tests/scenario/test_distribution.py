"""ParameterValueDistribution files expand into the right concrete scenarios, reproducibly."""

# ruff: noqa: E501  (the XML fixtures read best one element per line)

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import simhub.scenario as sc
from simhub.scenario.nodes import ScenarioError

from .conftest import SCENARIOS

HEADER = '<FileHeader revMajor="1" revMinor="2" date="2024-01-01T00:00:00" description="d" author="t"/>'


def write(folder: Path, body: str) -> Path:
    shutil.copy(SCENARIOS / "cut_in.yaml", folder / "cut_in.yaml")
    (folder / "roads").mkdir(exist_ok=True)
    shutil.copy(SCENARIOS / "roads" / "straight_500m.xodr", folder / "roads")
    path = folder / "sweep.xosc"
    path.write_text(f"""<?xml version="1.0"?>
<OpenSCENARIO>
  {HEADER}
  <ParameterValueDistribution>
    <ScenarioFile filepath="cut_in.yaml"/>
{body}
  </ParameterValueDistribution>
</OpenSCENARIO>
""")
    return path


DETERMINISTIC = """    <Deterministic>
      <DeterministicSingleParameterDistribution parameterName="EgoSpeed">
        <DistributionRange stepWidth="5"><Range lowerLimit="10" upperLimit="20"/></DistributionRange>
      </DeterministicSingleParameterDistribution>
      <DeterministicMultiParameterDistribution>
        <ValueSetDistribution>
          <ParameterValueSet><ParameterAssignment parameterRef="CutInHeadway" value="0.4"/></ParameterValueSet>
          <ParameterValueSet><ParameterAssignment parameterRef="CutInHeadway" value="0.8"/></ParameterValueSet>
        </ValueSetDistribution>
      </DeterministicMultiParameterDistribution>
    </Deterministic>"""


def test_deterministic_is_the_product_in_file_order(tmp_path: Path) -> None:
    concrete = sc.load_distribution(write(tmp_path, DETERMINISTIC))
    assert [c.parameters for c in concrete] == [
        {"EgoSpeed": speed, "CutInHeadway": headway}
        for speed in ("10", "15", "20")
        for headway in ("0.4", "0.8")
    ]
    for item in concrete:
        assert item.scenario.parameters["EgoSpeed"] == item.parameters["EgoSpeed"]
    assert sc.validate(tmp_path / "sweep.xosc").concrete_scenarios == 6


def test_distribution_set(tmp_path: Path) -> None:
    body = """    <Deterministic>
      <DeterministicSingleParameterDistribution parameterName="EgoSpeed">
        <DistributionSet><Element value="12"/><Element value="${3 * 10}"/></DistributionSet>
      </DeterministicSingleParameterDistribution>
    </Deterministic>"""
    concrete = sc.load_distribution(write(tmp_path, body))
    assert [c.parameters["EgoSpeed"] for c in concrete] == ["12", "30"]


STOCHASTIC = """    <Stochastic numberOfTestRuns="50" randomSeed="{seed}">
      <StochasticDistribution parameterName="EgoSpeed">
        <NormalDistribution expectedValue="20" variance="4"><Range lowerLimit="15" upperLimit="25"/></NormalDistribution>
      </StochasticDistribution>
      <StochasticDistribution parameterName="CutInHeadway">
        <ProbabilityDistributionSet><Element value="0.4" weight="3"/><Element value="0.9" weight="1"/></ProbabilityDistributionSet>
      </StochasticDistribution>
    </Stochastic>"""


def test_stochastic_is_reproducible_with_a_seed(tmp_path: Path) -> None:
    first = [c.parameters for c in sc.load_distribution(write(tmp_path, STOCHASTIC.format(seed=7)))]
    again = [c.parameters for c in sc.load_distribution(write(tmp_path, STOCHASTIC.format(seed=7)))]
    other = [c.parameters for c in sc.load_distribution(write(tmp_path, STOCHASTIC.format(seed=8)))]
    assert first == again and first != other and len(first) == 50
    speeds = [float(p["EgoSpeed"]) for p in first]
    assert all(15 <= s <= 25 for s in speeds)
    assert 18 < sum(speeds) / len(speeds) < 22
    assert {p["CutInHeadway"] for p in first} <= {"0.4", "0.9"}


@pytest.mark.parametrize(
    "distribution",
    [
        '<UniformDistribution><Range lowerLimit="10" upperLimit="12"/></UniformDistribution>',
        '<LogNormalDistribution expectedValue="2.5" variance="0.01"/>',
        '<PoissonDistribution expectedValue="15"/>',
        '<Histogram><Bin weight="1"><Range lowerLimit="10" upperLimit="11"/></Bin>'
        '<Bin weight="0"><Range lowerLimit="50" upperLimit="60"/></Bin></Histogram>',
    ],
)
def test_other_stochastic_kinds(tmp_path: Path, distribution: str) -> None:
    body = f"""    <Stochastic numberOfTestRuns="20" randomSeed="1">
      <StochasticDistribution parameterName="EgoSpeed">{distribution}</StochasticDistribution>
    </Stochastic>"""
    values = [float(c.parameters["EgoSpeed"]) for c in sc.load_distribution(write(tmp_path, body))]
    assert len(values) == 20 and all(5 <= v <= 40 for v in values)


def test_unknown_parameter_in_distribution_suggests(tmp_path: Path) -> None:
    body = DETERMINISTIC.replace('parameterName="EgoSpeed"', 'parameterName="EgoSped"')
    with pytest.raises(ScenarioError, match="did you mean 'EgoSpeed'"):
        sc.load_distribution(write(tmp_path, body))


def test_empty_range_is_an_error_with_line(tmp_path: Path) -> None:
    body = DETERMINISTIC.replace('stepWidth="5"', 'stepWidth="0"')
    with pytest.raises(ScenarioError) as caught:
        sc.load_distribution(write(tmp_path, body))
    assert caught.value.line == 8
