"""ParameterValueDistribution files: one scenario expanded into many concrete ones.

Deterministic distributions are the cartesian product, in file order, of every single
parameter distribution (a set of values, or a range walked in steps) and every
multi-parameter value-set distribution. Stochastic distributions draw ``numberOfTestRuns``
parameter sets from numpy's PCG64 generator seeded with ``randomSeed`` (0 when the file
gives none, so that expansion is always reproducible); each parameter is drawn in file order.
Log-normal ``expectedValue`` / ``variance`` are those of the underlying normal distribution.
"""

# ruff: noqa: RUF009  (attr/child/choice build dataclass fields with XML metadata)

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simhub.scenario.common import ParameterAssignment
from simhub.scenario.document import FileHeader, Scenario
from simhub.scenario.expressions import format_value
from simhub.scenario.nodes import Node, display_path, parse_xml
from simhub.scenario.reader import Reader
from simhub.scenario.schema import attr, child, children, choice, element, source_line
from simhub.scenario.xosc import build_scenario, check_root, read_bytes

MAX_CONCRETE_SCENARIOS = 100_000
_MAX_TRUNCATION_TRIES = 1000


@element("ScenarioFile")
@dataclass(frozen=True, kw_only=True)
class ScenarioFile:
    filepath: str = attr("filepath", "string")


@element("Element")
@dataclass(frozen=True, kw_only=True)
class SetElement:
    value: str = attr("value", "string")


@element("DistributionSet")
@dataclass(frozen=True, kw_only=True)
class DistributionSet:
    elements: tuple[SetElement, ...] = children("Element", "SetElement", min_count=1)


@element("Range")
@dataclass(frozen=True, kw_only=True)
class Range:
    lower_limit: float = attr("lowerLimit")
    upper_limit: float = attr("upperLimit")


@element("DistributionRange")
@dataclass(frozen=True, kw_only=True)
class DistributionRange:
    step_width: float = attr("stepWidth")
    range: Range = child("Range", "Range")


@element("DeterministicSingleParameterDistribution")
@dataclass(frozen=True, kw_only=True)
class DeterministicSingleParameterDistribution:
    parameter_name: str = attr("parameterName", "string")
    distribution: DistributionSet | DistributionRange = choice(
        ("DistributionSet", "DistributionRange")
    )


@element("ParameterValueSet")
@dataclass(frozen=True, kw_only=True)
class ParameterValueSet:
    assignments: tuple[ParameterAssignment, ...] = children(
        "ParameterAssignment", "ParameterAssignment", min_count=1
    )


@element("ValueSetDistribution")
@dataclass(frozen=True, kw_only=True)
class ValueSetDistribution:
    sets: tuple[ParameterValueSet, ...] = children("ParameterValueSet", "ParameterValueSet",
                                                   min_count=1)


@element("DeterministicMultiParameterDistribution")
@dataclass(frozen=True, kw_only=True)
class DeterministicMultiParameterDistribution:
    distribution: ValueSetDistribution = child("ValueSetDistribution", "ValueSetDistribution")


@element("Deterministic")
@dataclass(frozen=True, kw_only=True)
class Deterministic:
    single: tuple[DeterministicSingleParameterDistribution, ...] = children(
        "DeterministicSingleParameterDistribution", "DeterministicSingleParameterDistribution"
    )
    multi: tuple[DeterministicMultiParameterDistribution, ...] = children(
        "DeterministicMultiParameterDistribution", "DeterministicMultiParameterDistribution"
    )


@element("NormalDistribution")
@dataclass(frozen=True, kw_only=True)
class NormalDistribution:
    expected_value: float = attr("expectedValue")
    variance: float = attr("variance")
    range: Range | None = child("Range", "Range", optional=True)


@element("LogNormalDistribution")
@dataclass(frozen=True, kw_only=True)
class LogNormalDistribution:
    expected_value: float = attr("expectedValue")
    variance: float = attr("variance")
    range: Range | None = child("Range", "Range", optional=True)


@element("UniformDistribution")
@dataclass(frozen=True, kw_only=True)
class UniformDistribution:
    range: Range = child("Range", "Range")


@element("PoissonDistribution")
@dataclass(frozen=True, kw_only=True)
class PoissonDistribution:
    expected_value: float = attr("expectedValue")
    range: Range | None = child("Range", "Range", optional=True)


@element("Bin")
@dataclass(frozen=True, kw_only=True)
class Bin:
    weight: float = attr("weight")
    range: Range = child("Range", "Range")


@element("Histogram")
@dataclass(frozen=True, kw_only=True)
class Histogram:
    bins: tuple[Bin, ...] = children("Bin", "Bin", min_count=1)


@element("Element")
@dataclass(frozen=True, kw_only=True)
class WeightedElement:
    value: str = attr("value", "string")
    weight: float = attr("weight")


@element("ProbabilityDistributionSet")
@dataclass(frozen=True, kw_only=True)
class ProbabilityDistributionSet:
    elements: tuple[WeightedElement, ...] = children("Element", "WeightedElement", min_count=1)


StochasticKind = (
    NormalDistribution
    | LogNormalDistribution
    | UniformDistribution
    | PoissonDistribution
    | Histogram
    | ProbabilityDistributionSet
)


@element("StochasticDistribution")
@dataclass(frozen=True, kw_only=True)
class StochasticDistribution:
    parameter_name: str = attr("parameterName", "string")
    distribution: StochasticKind = choice((
        "NormalDistribution", "LogNormalDistribution", "UniformDistribution",
        "PoissonDistribution", "Histogram", "ProbabilityDistributionSet",
    ))


@element("Stochastic")
@dataclass(frozen=True, kw_only=True)
class Stochastic:
    number_of_test_runs: int = attr("numberOfTestRuns", "uint")
    random_seed: float | None = attr("randomSeed", optional=True)
    distributions: tuple[StochasticDistribution, ...] = children(
        "StochasticDistribution", "StochasticDistribution", min_count=1
    )


@element("ParameterValueDistribution")
@dataclass(frozen=True, kw_only=True)
class ParameterValueDistribution:
    scenario_file: ScenarioFile = child("ScenarioFile", "ScenarioFile")
    kind: Deterministic | Stochastic = choice(("Deterministic", "Stochastic"))


@element("OpenSCENARIO")
@dataclass(frozen=True, kw_only=True)
class DistributionDocument:
    file_header: FileHeader = child("FileHeader", "FileHeader")
    distribution: ParameterValueDistribution = child("ParameterValueDistribution",
                                                     "ParameterValueDistribution")


@dataclass(frozen=True)
class ConcreteScenario:
    """One expansion of a distribution: the parameter values and the scenario they give."""

    parameters: dict[str, str]
    scenario: Scenario


def read_distribution(path: Path) -> tuple[DistributionDocument, Node]:
    """Read and check a ParameterValueDistribution file."""
    root = parse_xml(read_bytes(path), display_path(path))
    check_root(root)
    document: DistributionDocument = Reader(path.parent).read(root, DistributionDocument)
    return document, root


def _range_values(item: DistributionRange, node: Node) -> list[str]:
    low, high, step = item.range.lower_limit, item.range.upper_limit, item.step_width
    if step <= 0 or high < low:
        raise node.error(f"DistributionRange stepWidth {step} over [{low}, {high}] is empty",
                         "stepWidth > 0 and lowerLimit <= upperLimit")
    count = math.floor((high - low) / step + 1e-9) + 1
    if count > MAX_CONCRETE_SCENARIOS:
        raise node.error(f"DistributionRange gives {count} values",
                         f"at most {MAX_CONCRETE_SCENARIOS}")
    return [format_value(low + index * step) for index in range(count)]


def expand(document: DistributionDocument, root: Node) -> list[dict[str, str]]:
    """Every parameter set the distribution stands for, in a fixed order."""
    kind = document.distribution.kind
    where = _node_at(root, source_line(kind))
    if isinstance(kind, Deterministic):
        axes: list[list[dict[str, str]]] = []
        for single in kind.single:
            values = (
                [e.value for e in single.distribution.elements]
                if isinstance(single.distribution, DistributionSet)
                else _range_values(single.distribution,
                                  _node_at(root, source_line(single.distribution)))
            )
            axes.append([{single.parameter_name: value} for value in values])
        for multi in kind.multi:
            axes.append([{a.parameter_ref: a.value for a in value_set.assignments}
                         for value_set in multi.distribution.sets])
        total = math.prod(len(axis) for axis in axes) if axes else 0
        if total > MAX_CONCRETE_SCENARIOS:
            raise where.error(f"the distribution gives {total} concrete scenarios",
                              f"at most {MAX_CONCRETE_SCENARIOS}")
        return [_merge(combination) for combination in itertools.product(*axes)] if axes else []
    if kind.number_of_test_runs > MAX_CONCRETE_SCENARIOS:
        raise where.error(f"numberOfTestRuns {kind.number_of_test_runs} is too large",
                          f"at most {MAX_CONCRETE_SCENARIOS}")
    seed = int(kind.random_seed) if kind.random_seed is not None else 0
    generator = np.random.default_rng(abs(seed))
    runs = []
    for _ in range(kind.number_of_test_runs):
        runs.append({item.parameter_name: _draw(item.distribution, generator,
                                                _node_at(root, source_line(item)))
                     for item in kind.distributions})
    return runs


def _merge(parts: tuple[dict[str, str], ...]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for part in parts:
        merged.update(part)
    return merged


def _truncated(sample: Any, limits: Range | None, node: Node) -> float:
    if limits is None:
        return float(sample())
    for _ in range(_MAX_TRUNCATION_TRIES):
        value = float(sample())
        if limits.lower_limit <= value <= limits.upper_limit:
            return value
    raise node.error("the distribution almost never falls inside its Range",
                     "a Range that holds a reasonable share of the distribution")


def _draw(kind: StochasticKind, generator: np.random.Generator, node: Node) -> str:
    if isinstance(kind, NormalDistribution | LogNormalDistribution):
        if kind.variance < 0:
            raise node.error(f"variance {kind.variance} is negative", "variance >= 0")
        sigma = math.sqrt(kind.variance)
        mean = kind.expected_value
        if isinstance(kind, NormalDistribution):
            return format_value(_truncated(lambda: generator.normal(mean, sigma), kind.range,
                                           node))
        return format_value(_truncated(lambda: generator.lognormal(mean, sigma), kind.range,
                                       node))
    if isinstance(kind, UniformDistribution):
        low, high = kind.range.lower_limit, kind.range.upper_limit
        if high < low:
            raise node.error(f"Range [{low}, {high}] is empty", "lowerLimit <= upperLimit")
        return format_value(float(generator.uniform(low, high)))
    if isinstance(kind, PoissonDistribution):
        if kind.expected_value < 0:
            raise node.error(f"expectedValue {kind.expected_value} is negative", ">= 0")
        lam = kind.expected_value
        return format_value(int(_truncated(lambda: generator.poisson(lam), kind.range, node)))
    if isinstance(kind, Histogram):
        weights = np.array([b.weight for b in kind.bins], dtype=np.float64)
        chosen = kind.bins[_pick(weights, generator, node)]
        return format_value(float(generator.uniform(chosen.range.lower_limit,
                                                    chosen.range.upper_limit)))
    weights = np.array([e.weight for e in kind.elements], dtype=np.float64)
    return kind.elements[_pick(weights, generator, node)].value


def _pick(weights: np.ndarray[Any, Any], generator: np.random.Generator, node: Node) -> int:
    if (weights < 0).any() or weights.sum() <= 0:
        raise node.error("weights must be >= 0 with a positive sum",
                         "non-negative weights, not all zero")
    return int(generator.choice(len(weights), p=weights / weights.sum()))


def _node_at(root: Node, line: int) -> Node:
    """The first node on ``line`` (for messages about a built object)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.line == line:
            return node
        stack.extend(reversed(node.children))
    return root


def load_distribution(path: Path) -> list[ConcreteScenario]:
    """Expand a ParameterValueDistribution file into concrete scenarios (see module doc)."""
    document, root = read_distribution(path)
    scenario_path = path.parent / document.distribution.scenario_file.filepath
    where = _node_at(root, source_line(document.distribution.scenario_file))
    if not scenario_path.is_file():
        raise where.error(f"scenario file {document.distribution.scenario_file.filepath!r} "
                          "not found", "an existing file relative to the distribution file",
                          attribute="filepath")
    parameter_sets = expand(document, root)
    if scenario_path.suffix.lower() in (".yaml", ".yml"):
        from simhub.scenario.document import OpenScenario
        from simhub.scenario.yaml_form import yaml_to_node

        scenario_root = yaml_to_node(read_bytes(scenario_path), display_path(scenario_path),
                                     OpenScenario)
    else:
        scenario_root = parse_xml(read_bytes(scenario_path), display_path(scenario_path))
    return [ConcreteScenario(parameters, build_scenario(scenario_root, scenario_path,
                                                        parameters))
            for parameters in parameter_sets]
