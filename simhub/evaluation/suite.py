"""Evaluation suites: scenario files x parameter variations x seeds, expanded into episodes.

A suite is a small YAML document (or a built-in name: ``ncap``, ``benchmark``, whose files are
``scenarios/evaluation/*.suite.yaml``)::

    name: my-suite
    duration_s: 20          # episode length [s]
    physics_hz: 100         # engine step rate [Hz]
    policy_hz: 10           # how often the policy is asked [Hz]
    chunk_episodes: 256     # episodes stepped together by one task (one engine batch)
    pass_rate: 0.9          # the suite passes when at least this share of episodes passes
    seeds: 1                # a count, or a list: [0, 7]
    scenarios:
      - name: ccrs
        file: ncap_ccrs.xosc           # .xosc / .yaml scenario or a ParameterValueDistribution
        # library: my-cut-in           # instead of file: a stored scenario of the organisation
        # version: 3                   # of the library scenario (default: latest, pinned)
        ego: Ego                       # the entity the policy drives (default: Ego / hero)
        parameters:                    # a grid over the scenario's declared parameters
          EgoSpeed: [10, 20, 30]                  # a list, or
          Overlap: {start: 50, stop: 100, step: 25}  # a range (stop included)
        jitter: {EgoSpeed: 0.5}        # per seed: +- uniform noise on a parameter
        goal_m: "4 * $EgoSpeed / 3.6 - 2"  # distance along the road to cover (expression)
        speed_limit_kph: "$EgoSpeed"   # default: the ego's speed after the Init actions

``file`` is relative to the scenario library folder (``scenarios/``) unless absolute. A
distribution file contributes its parameter sets (in the file's order), crossed with
``parameters``. Expansion is deterministic: scenarios in file order, then distribution rows,
then the grid in the order the parameters are written (last varies fastest), then seeds; each
episode has a stable id ``scenario/Name=value,.../seedN``. The engine is deterministic, so
seeds only differ where ``jitter`` draws from them (a generator seeded by the episode id).
Chunks never mix two suite scenarios: one chunk is one engine batch of one scenario.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simhub.errors import FieldViolation, InvalidArgument

MAX_EPISODES = 1_000_000
SCENARIO_ROOT = Path(__file__).resolve().parents[2] / "scenarios"
SUITE_FOLDER = SCENARIO_ROOT / "evaluation"
BUILTIN = ("ncap", "benchmark")


@dataclass(frozen=True)
class SuiteScenario:
    """One scenario of a suite: ``file`` (absolute path) or ``library`` (+ ``version``)."""

    name: str
    file: str = ""
    library: str = ""
    version: int = 0
    ego: str = ""
    parameters: tuple[tuple[str, tuple[float, ...]], ...] = ()  # name -> values, file order
    jitter: tuple[tuple[str, float], ...] = ()
    goal_m: str = ""
    speed_limit_kph: str = ""

    @property
    def source_key(self) -> str:
        """Names the scenario's files (a bundle) within a job."""
        return self.file if self.file else f"library:{self.library}@{self.version}"


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
    """One concrete episode: ``index`` is its position in the expanded suite; ``assignments``
    the scenario parameters it sets (strings, as in a scenario file); ``parameters`` the
    numeric ones, for results and reports."""

    index: int
    id: str
    scenario: str
    assignments: tuple[tuple[str, str], ...]
    seed: int

    @property
    def parameters(self) -> tuple[tuple[str, float], ...]:
        out = []
        for name, value in self.assignments:
            try:
                out.append((name, float(value)))
            except ValueError:
                continue
        return tuple(out)


@dataclass(frozen=True)
class Chunk:
    index: int
    episodes: tuple[Episode, ...]


#: The parameter sets of a distribution file (``({},)`` for a plain scenario), per scenario.
Variants = Callable[[SuiteScenario], Sequence[Mapping[str, str]]]


def _fmt(value: float) -> str:
    return f"{value:g}"


def _jitter_rng(key: str) -> np.random.Generator:
    digest = hashlib.sha256(key.encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def expand(suite: Suite, variants: Variants) -> list[Episode]:
    """Every episode of *suite*, in the deterministic order of the module doc."""
    episodes: list[Episode] = []
    for scenario in suite.scenarios:
        names = [name for name, _ in scenario.parameters]
        jitter = dict(scenario.jitter)
        for row in variants(scenario):
            for values in itertools.product(*(vals for _, vals in scenario.parameters)):
                base = {**row, **{n: _fmt(v) for n, v in zip(names, values, strict=True)}}
                key = ",".join(f"{n}={v}" for n, v in base.items()) or "default"
                for seed in suite.seeds:
                    episode_id = f"{scenario.name}/{key}/seed{seed}"
                    assigned = dict(base)
                    if jitter:
                        rng = _jitter_rng(episode_id)
                        for name, amplitude in jitter.items():
                            value = float(assigned[name]) + rng.uniform(-amplitude, amplitude)
                            assigned[name] = repr(round(value, 9))
                    episodes.append(
                        Episode(
                            len(episodes), episode_id, scenario.name, tuple(assigned.items()), seed
                        )
                    )
    return episodes


def chunks(suite: Suite, episodes: Sequence[Episode]) -> list[Chunk]:
    """The episodes cut into chunks of at most ``suite.chunk_episodes``, never spanning two
    suite scenarios (a chunk is one engine batch)."""
    out: list[Chunk] = []
    for _, group in itertools.groupby(episodes, key=lambda e: e.scenario):
        items = list(group)
        for start in range(0, len(items), suite.chunk_episodes):
            out.append(Chunk(len(out), tuple(items[start : start + suite.chunk_episodes])))
    return out


def _bad(field: str, description: str) -> InvalidArgument:
    return InvalidArgument(
        f"suite: {field}: {description}", [FieldViolation(f"suite.{field}", description)]
    )


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
        count = math.floor((stop - start) / step + 1e-9) + 1
        return tuple(round(start + i * step, 9) for i in range(count))
    return (_number(value, field),)


def _int(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(field, f"found {value!r}; expected a whole number from {low} to {high}")
    return int(value)


def _text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _bad(
            field,
            f"found {value!r}; expected a number or an expression such as '4 * $EgoSpeed / 3.6'",
        )
    return str(value)


_SCENARIO_KEYS = {
    "name",
    "file",
    "library",
    "version",
    "ego",
    "parameters",
    "jitter",
    "goal_m",
    "speed_limit_kph",
}


def _scenario(item: Any, where: str, base: Path) -> SuiteScenario:
    if not isinstance(item, dict):
        raise _bad(where, "expected {name, file or library, parameters}")
    for key in item:
        if key not in _SCENARIO_KEYS:
            raise _bad(
                f"{where}.{key}", f"unknown key; allowed: {', '.join(sorted(_SCENARIO_KEYS))}"
            )
    file, library = item.get("file"), item.get("library")
    if (file is None) == (library is None) or not isinstance(file or library, str):
        raise _bad(
            where,
            "give exactly one of file (a scenario file) or library (a stored "
            "scenario's name or id)",
        )
    path = ""
    if isinstance(file, str):
        resolved = Path(file) if Path(file).is_absolute() else (base / file)
        if not resolved.is_file():
            raise _bad(f"{where}.file", f"{file!r} not found (relative paths start at {base})")
        path = str(resolved.resolve())
    params = item.get("parameters") or {}
    jitter = item.get("jitter") or {}
    if not isinstance(params, dict) or not isinstance(jitter, dict):
        raise _bad(f"{where}.parameters", "expected a mapping of name -> values")
    for name in jitter:
        if name not in params:
            raise _bad(f"{where}.jitter.{name}", "jitter a parameter listed under parameters")
    return SuiteScenario(
        name=str(item.get("name") or Path(str(file or library)).stem),
        file=path,
        library=str(library or ""),
        version=_int(item.get("version", 0), f"{where}.version", 0, 2**31),
        ego=str(item.get("ego") or ""),
        parameters=tuple(
            (str(k), _values(v, f"{where}.parameters.{k}")) for k, v in params.items()
        ),
        jitter=tuple((str(k), _number(v, f"{where}.jitter.{k}")) for k, v in jitter.items()),
        goal_m=_text(item.get("goal_m"), f"{where}.goal_m"),
        speed_limit_kph=_text(item.get("speed_limit_kph"), f"{where}.speed_limit_kph"),
    )


def from_mapping(data: Any, base: Path = SCENARIO_ROOT) -> Suite:
    """A suite from a parsed YAML document; every error names the field and what is allowed.
    Relative scenario files are taken from *base*."""
    if not isinstance(data, dict):
        raise _bad("(document)", "expected a mapping with name, seeds and scenarios")
    allowed = {
        "name",
        "scenarios",
        "seeds",
        "duration_s",
        "physics_hz",
        "policy_hz",
        "chunk_episodes",
        "pass_rate",
    }
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
        raise _bad("scenarios", "a non-empty list of {name, file or library, parameters}")
    scenarios = tuple(
        _scenario(item, f"scenarios[{i}]", base) for i, item in enumerate(raw_scenarios)
    )
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise _bad("scenarios", "scenario names must be unique within a suite")
    physics_hz = _int(data.get("physics_hz", 100), "physics_hz", 10, 1000)
    policy_hz = _int(data.get("policy_hz", 10), "policy_hz", 1, physics_hz)
    if physics_hz % policy_hz:
        raise _bad("policy_hz", f"must divide physics_hz ({physics_hz})")
    suite = Suite(
        name=name,
        scenarios=scenarios,
        seeds=seeds,
        duration_s=_number(data.get("duration_s", 20.0), "duration_s"),
        physics_hz=physics_hz,
        policy_hz=policy_hz,
        chunk_episodes=_int(data.get("chunk_episodes", 256), "chunk_episodes", 1, 100_000),
        pass_rate=_number(data.get("pass_rate", 0.9), "pass_rate"),
    )
    if not 0 < suite.duration_s <= 600:
        raise _bad("duration_s", "allowed: more than 0 up to 600 s")
    return suite


def check_size(count: int) -> None:
    if count > MAX_EPISODES:
        raise _bad("scenarios", f"{count} episodes; at most {MAX_EPISODES}")


def builtin_file(name: str) -> Path:
    if name not in BUILTIN:
        raise InvalidArgument(
            f"no built-in suite {name!r}",
            [FieldViolation("suite", f"allowed: {', '.join(BUILTIN)}, or a YAML suite")],
        )
    return SUITE_FOLDER / f"{name}.suite.yaml"


def suite_document(suite: Suite) -> dict[str, Any]:
    """The mapping ``from_mapping`` reads back into *suite* (stored with a run; files are
    absolute, library scenarios pinned to a version)."""
    scenarios = []
    for s in suite.scenarios:
        item: dict[str, Any] = {"name": s.name}
        if s.file:
            item["file"] = s.file
        else:
            item["library"], item["version"] = s.library, s.version
        if s.ego:
            item["ego"] = s.ego
        item["parameters"] = {n: list(v) for n, v in s.parameters}
        if s.jitter:
            item["jitter"] = dict(s.jitter)
        if s.goal_m:
            item["goal_m"] = s.goal_m
        if s.speed_limit_kph:
            item["speed_limit_kph"] = s.speed_limit_kph
        scenarios.append(item)
    return {
        "name": suite.name,
        "seeds": list(suite.seeds),
        "duration_s": suite.duration_s,
        "physics_hz": suite.physics_hz,
        "policy_hz": suite.policy_hz,
        "chunk_episodes": suite.chunk_episodes,
        "pass_rate": suite.pass_rate,
        "scenarios": scenarios,
    }
