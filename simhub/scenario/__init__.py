"""Scenarios: the OpenSCENARIO 1.0-1.3 model, its readers (``.xosc`` and the simhub YAML
form), parameter expressions and distributions, and validation with file:line:column errors.

Public API::

    load(path, parameters=None) -> Scenario          # .xosc / .yaml / .yml
    load_distribution(path) -> list[ConcreteScenario]  # ParameterValueDistribution .xosc
    validate(path) -> Findings
    to_yaml(scenario) -> str;  to_xosc(scenario) -> str
    yaml_schema() -> dict                              # JSON Schema of the YAML form
    resolved(x) -> the object, or a CatalogReference's resolved catalog entry
    source_file(x), source_line(x) -> where a model object was read from

Every error a file can cause is a ``simhub.errors.InvalidArgument`` (``ScenarioError``).
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from simhub.errors import InvalidArgument
from simhub.scenario.common import CatalogReference, resolved
from simhub.scenario.document import OpenScenario, Scenario
from simhub.scenario.nodes import ScenarioError, display_path
from simhub.scenario.schema import source_file, source_line
from simhub.scenario.xosc import read_bytes, read_xosc, to_xosc

if TYPE_CHECKING:
    from simhub.scenario.distribution import ConcreteScenario, load_distribution
    from simhub.scenario.yaml_form import SCHEMA_FILE, to_yaml, yaml_schema

SCENARIO_SUFFIXES = (".xosc", ".yaml", ".yml")

# Imported on first use: running an .xosc scenario needs neither distributions nor the YAML
# form, and ``simhub scenario run`` is timed from start-up.
_LAZY = {"ConcreteScenario": "distribution", "load_distribution": "distribution",
         "SCHEMA_FILE": "yaml_form", "to_yaml": "yaml_form", "yaml_schema": "yaml_form"}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"simhub.scenario.{module}"), name)


def load(path: str | Path, parameters: dict[str, str] | None = None) -> Scenario:
    """Read a scenario file (``.xosc``, ``.yaml`` or ``.yml``).

    ``parameters`` override declared top-level parameter values (names must be declared).
    Raises ``InvalidArgument`` (a ``ScenarioError`` with file, line and column).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xosc":
        return read_xosc(path, parameters)
    if suffix in (".yaml", ".yml"):
        from simhub.scenario.yaml_form import read_yaml

        return read_yaml(path, parameters)
    raise ScenarioError(display_path(path), 1, 1, f"unknown scenario file type {suffix!r}",
                        ", ".join(SCENARIO_SUFFIXES))


@dataclass(frozen=True)
class Finding:
    """One problem: ``severity`` is "error" or "warning"; ``line`` / ``column`` 1-based."""

    severity: str
    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class Findings:
    """What ``validate`` found: ``ok`` when there are no errors (warnings allowed)."""

    path: str
    errors: tuple[Finding, ...]
    warnings: tuple[Finding, ...]
    concrete_scenarios: int = 1

    @property
    def ok(self) -> bool:
        return not self.errors


_WARNING = re.compile(r"^(?P<file>.*?):(?P<line>\d+): (?P<message>.*)$", re.S)


def _is_distribution(path: Path) -> bool:
    if path.suffix.lower() != ".xosc":
        return False
    head = read_bytes(path)[:4096]
    return b"<ParameterValueDistribution" in head


def validate(path: str | Path) -> Findings:
    """Check a scenario or distribution file; never raises for a bad file."""
    path = Path(path)
    shown = display_path(path)
    warnings: list[Finding] = []
    count = 1
    try:
        if _is_distribution(path):
            from simhub.scenario.distribution import load_distribution

            expanded = load_distribution(path)
            count = len(expanded)
            texts = [w for concrete in expanded[:1] for w in concrete.scenario.warnings]
        else:
            texts = list(load(path).warnings)
    except ScenarioError as error:
        finding = Finding("error", error.file, error.line, error.column,
                          error.message.split(": ", 1)[-1])
        return Findings(shown, (finding,), ())
    except InvalidArgument as error:
        return Findings(shown, (Finding("error", shown, 1, 1, error.message),), ())
    for text in texts:
        match = _WARNING.match(text)
        if match:
            warnings.append(Finding("warning", match["file"], int(match["line"]), 1,
                                    match["message"]))
        else:
            warnings.append(Finding("warning", shown, 1, 1, text))
    return Findings(shown, (), tuple(warnings), count)


__all__ = [
    "SCENARIO_SUFFIXES",
    "SCHEMA_FILE",
    "CatalogReference",
    "ConcreteScenario",
    "Finding",
    "Findings",
    "OpenScenario",
    "Scenario",
    "ScenarioError",
    "load",
    "load_distribution",
    "resolved",
    "source_file",
    "source_line",
    "to_xosc",
    "to_yaml",
    "validate",
    "yaml_schema",
]
