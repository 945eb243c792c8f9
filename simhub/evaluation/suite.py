"""Evaluation suites: scenarios x parameter variations x seeds, expanded into episodes.

A suite is a small YAML document (or a built-in name: ``ncap``, ``benchmark``)::

    name: my-suite
    duration_s: 20          # episode length [s]
    physics_hz: 100         # physics step rate [Hz]
    policy_hz: 10           # how often the policy is asked [Hz]
    chunk_episodes: 256     # episodes stepped together by one task
    pass_rate: 0.9          # the suite passes when at least this share of episodes passes
    seeds: [0, 1]           # or a count: seeds: 3
    scenarios:
      - name: ccrs
        template: ccrs
        parameters:
          ego_speed_kph: [10, 20, 30]               # a list, or
          ttc_s: {start: 3.0, stop: 4.0, step: 0.5}  # a range (stop included)

Expansion is deterministic: scenarios in file order, then the parameter grid in the order the
parameters are written (last varies fastest), then seeds; each episode has a stable id
``scenario/name=value,.../seedN`` that does not depend on chunking or on the machine.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from simhub.errors import FieldViolation, InvalidArgument
from simhub.evaluation.templates import check_parameters

MAX_EPISODES = 1_000_000


@dataclass(frozen=True)
class SuiteScenario:
    name: str
    template: str
    parameters: tuple[tuple[str, tuple[float, ...]], ...]  # name -> values, in file order


@dataclass(frozen=True)
class Suite:
    name: str
    scenarios: tuple[SuiteScenario, ...]
    seeds: tuple[int, ...]
    duration_s: float = 20.0
    physics_hz: int = 100
    policy_hz: int = 10
    chunk_episodes: int = 256
    pass_rate: float = 0.9


@dataclass(frozen=True)
class Episode:
    """One concrete episode: ``index`` is its position in the expanded suite."""

    index: int
    id: str
    scenario: str
    template: str
    parameters: tuple[tuple[str, float], ...]
    seed: int


@dataclass(frozen=True)
class Chunk:
    index: int
    episodes: tuple[Episode, ...]


def _fmt(value: float) -> str:
    return f"{value:g}"


def expand(suite: Suite) -> list[Episode]:
    """Every episode of *suite*, in the deterministic order of the module doc."""
    episodes: list[Episode] = []
    for scenario in suite.scenarios:
        names = [name for name, _ in scenario.parameters]
        for values in itertools.product(*(vals for _, vals in scenario.parameters)):
            key = ",".join(f"{n}={_fmt(v)}" for n, v in zip(names, values, strict=True))
            for seed in suite.seeds:
                episodes.append(
                    Episode(
                        index=len(episodes),
                        id=f"{scenario.name}/{key}/seed{seed}",
                        scenario=scenario.name,
                        template=scenario.template,
                        parameters=tuple(zip(names, values, strict=True)),
                        seed=seed,
                    )
                )
    return episodes


def episode_count(suite: Suite) -> int:
    grid = sum(math.prod(len(v) for _, v in s.parameters) for s in suite.scenarios)
    return grid * len(suite.seeds)


def chunks(suite: Suite, episodes: Sequence[Episode] | None = None) -> list[Chunk]:
    """The episodes cut into chunks of ``suite.chunk_episodes`` (the last may be shorter)."""
    all_episodes = list(episodes if episodes is not None else expand(suite))
    size = suite.chunk_episodes
    return [
        Chunk(i, tuple(all_episodes[start : start + size]))
        for i, start in enumerate(range(0, len(all_episodes), size))
    ]


def _bad(field: str, description: str) -> InvalidArgument:
    return InvalidArgument(f"suite: {field}: {description}", [FieldViolation(f"suite.{field}", description)])


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(field, f"found {value!r}; expected a finite number")
    return float(value)


def _values(value: Any, field: str) -> tuple[float, ...]:
    if isinstance(value, list):
        if not value:
            raise _bad(field, "an empty list; give at least one value")
        return tuple(_number(v, f"{field}[{i}]") for i, v in enumerate(value))
    if isinstance(value, dict):
        if set(value) != {"start", "stop", "step"}:
            raise _bad(field, "a range needs exactly start, stop and step")
        start, stop, step = (_number(value[k], f"{field}.{k}") for k in ("start", "stop", "step"))
        if step <= 0 or stop < start:
            raise _bad(field, "a range needs step > 0 and stop >= start")
        count = int(math.floor((stop - start) / step + 1e-9)) + 1
        return tuple(round(start + i * step, 9) for i in range(count))
    return (_number(value, field),)


def _int(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(field, f"found {value!r}; expected a whole number from {low} to {high}")
    return value


def from_mapping(data: Any) -> Suite:
    """A suite from a parsed YAML document; every error names the field and what is allowed."""
    if not isinstance(data, dict):
        raise _bad("(document)", "expected a mapping with name, seeds and scenarios")
    allowed = {"name", "scenarios", "seeds", "duration_s", "physics_hz", "policy_hz",
               "chunk_episodes", "pass_rate"}  # fmt: skip
    for key in data:
        if key not in allowed:
            raise _bad(str(key), f"unknown key; allowed: {', '.join(sorted(allowed))}")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise _bad("name", "a non-empty name is required")
    seeds_raw = data.get("seeds", 1)
    if isinstance(seeds_raw, list):
        seeds = tuple(_int(s, f"seeds[{i}]", 0, 2**31) for i, s in enumerate(seeds_raw))
    else:
        seeds = tuple(range(_int(seeds_raw, "seeds", 1, 100_000)))
    raw_scenarios = data.get("scenarios")
    if not isinstance(raw_scenarios, list) or not raw_scenarios:
        raise _bad("scenarios", "a non-empty list of {name, template, parameters}")
    scenarios = []
    for i, item in enumerate(raw_scenarios):
        where = f"scenarios[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("template"), str):
            raise _bad(where, "expected {name, template, parameters}")
        params = item.get("parameters") or {}
        if not isinstance(params, dict):
            raise _bad(f"{where}.parameters", "expected a mapping of name -> values")
        check_parameters(item["template"], params, f"suite.{where}")
        scenarios.append(
            SuiteScenario(
                name=str(item.get("name") or item["template"]),
                template=item["template"],
                parameters=tuple(
                    (str(k), _values(v, f"{where}.parameters.{k}")) for k, v in params.items()
                ),
            )
        )
    physics_hz = _int(data.get("physics_hz", 100), "physics_hz", 10, 1000)
    policy_hz = _int(data.get("policy_hz", 10), "policy_hz", 1, physics_hz)
    if physics_hz % policy_hz:
        raise _bad("policy_hz", f"must divide physics_hz ({physics_hz})")
    suite = Suite(
        name=name,
        scenarios=tuple(scenarios),
        seeds=seeds,
        duration_s=_number(data.get("duration_s", 20.0), "duration_s"),
        physics_hz=physics_hz,
        policy_hz=policy_hz,
        chunk_episodes=_int(data.get("chunk_episodes", 256), "chunk_episodes", 1, 100_000),
        pass_rate=_number(data.get("pass_rate", 0.9), "pass_rate"),
    )
    if not 0 < suite.duration_s <= 600:
        raise _bad("duration_s", "allowed: more than 0 up to 600 s")
    if episode_count(suite) > MAX_EPISODES:
        raise _bad("scenarios", f"{episode_count(suite)} episodes; at most {MAX_EPISODES}")
    return suite


BUILTIN: Mapping[str, Mapping[str, Any]] = {
    # Euro NCAP AEB car-to-car rear (CCRs, CCRm, CCRb) plus cut-ins: 3 seeds each.
    "ncap": {
        "name": "ncap",
        "seeds": 3,
        "chunk_episodes": 64,
        "scenarios": [
            {"name": "ccrs", "template": "ccrs",
             "parameters": {"ego_speed_kph": {"start": 10, "stop": 50, "step": 10}}},
            {"name": "ccrm", "template": "ccrm",
             "parameters": {"ego_speed_kph": {"start": 30, "stop": 80, "step": 10}}},
            {"name": "ccrb", "template": "ccrb",
             "parameters": {"gap_m": [12, 40], "target_decel_mps2": [2, 6]}},
            {"name": "cut_in", "template": "cut_in",
             "parameters": {"ego_speed_kph": [50, 72, 90], "cut_in_headway_s": [0.5, 1.0],
                            "brake_mps2": [0, 4]}},
        ],
    },
    # The benchmark of benchmarks/evaluation.py: CCRm and cut-in variations, 10,000 episodes.
    "benchmark": {
        "name": "benchmark",
        "seeds": 50,
        "chunk_episodes": 1000,
        "scenarios": [
            {"name": "ccrm", "template": "ccrm",
             "parameters": {"ego_speed_kph": {"start": 35, "stop": 80, "step": 5},
                            "target_speed_kph": {"start": 5, "stop": 50, "step": 5}}},
            {"name": "cut_in", "template": "cut_in",
             "parameters": {"ego_speed_kph": {"start": 50, "stop": 140, "step": 10},
                            "cut_in_headway_s": {"start": 0.3, "stop": 1.2, "step": 0.1}}},
        ],
    },
}  # fmt: skip


def builtin(name: str) -> Suite:
    if name not in BUILTIN:
        raise InvalidArgument(
            f"no built-in suite {name!r}",
            [FieldViolation("suite", f"allowed: {', '.join(BUILTIN)}, or a YAML suite")],
        )
    return from_mapping(dict(BUILTIN[name]))


def suite_document(suite: Suite) -> dict[str, Any]:
    """The mapping ``from_mapping`` reads back into *suite* (stored with a run)."""
    return {
        "name": suite.name,
        "seeds": list(suite.seeds),
        "duration_s": suite.duration_s,
        "physics_hz": suite.physics_hz,
        "policy_hz": suite.policy_hz,
        "chunk_episodes": suite.chunk_episodes,
        "pass_rate": suite.pass_rate,
        "scenarios": [
            {"name": s.name, "template": s.template,
             "parameters": {n: list(v) for n, v in s.parameters}}
            for s in suite.scenarios
        ],
    }  # fmt: skip


def parameters_of(episode: Episode) -> Mapping[str, float]:
    return dict(episode.parameters)
