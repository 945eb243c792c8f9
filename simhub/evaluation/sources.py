"""A suite's scenarios as bundles (the files a worker needs, anywhere) and concrete scenarios.

The server turns each suite scenario into a ``Bundle`` (``simhub.scenario.library``): a file of
the scenario folder with the road, catalog and distribution-target files it refers to, or a
stored scenario of the organisation's library, pinned to a version. A worker materialises a
bundle once per process, parses the scenario file once, and builds one ``Scenario`` per distinct
parameter set, with the ego bound to an external controller (the policy).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from simhub.errors import FieldViolation, InvalidArgument, NotFound
from simhub.scenario import Scenario
from simhub.scenario.common import Properties, Property
from simhub.scenario.distribution import expand as expand_distribution
from simhub.scenario.distribution import read_distribution
from simhub.scenario.document import OpenScenario
from simhub.scenario.entities import Controller, ObjectController
from simhub.scenario.library import Bundle, BundleFile, ScenarioStore, materialize
from simhub.scenario.nodes import Node, display_path, parse_xml
from simhub.scenario.xosc import build_scenario, read_bytes
from simhub.scenario.yaml_form import yaml_to_node

POLICY_CONTROLLER = "simhub-policy"
EGO_NAMES = ("ego", "hero")

#: The bundle of a stored scenario as an organisation sees it: (organisation id, scenario name
#: or id, version; 0: latest) -> (scenario id, version, bundle). ``NotFound`` otherwise.
FetchScenario = Callable[[str, str, int], tuple[str, int, Bundle]]


def is_distribution(path: Path) -> bool:
    return (
        path.suffix.lower() == ".xosc" and b"<ParameterValueDistribution" in read_bytes(path)[:4096]
    )


def _referenced(path: Path) -> list[Path]:
    """*path* and every file it refers to: the distribution's scenario, the road, catalogs."""
    files = [path]
    if is_distribution(path):
        document, _ = read_distribution(path)
        target = path.parent / document.distribution.scenario_file.filepath
        return files + _referenced(target)
    scenario = build_scenario(_parse(path), path, None)
    if scenario.road_file is not None:
        files.append(scenario.road_file)
    for folder in scenario.document.catalog_locations.directories():
        if (path.parent / folder).is_dir():
            files.extend(p for p in sorted((path.parent / folder).rglob("*")) if p.is_file())
    return files


def file_bundle(path: str | Path) -> Bundle:
    """A scenario file of this machine and the files it refers to, as one bundle."""
    main = Path(path).resolve()
    files = [p.resolve() for p in _referenced(main)]
    root = Path(os.path.commonpath([str(p.parent) for p in files]))
    unique = dict.fromkeys(files)
    return Bundle(
        main.relative_to(root).as_posix(),
        tuple(BundleFile(p.relative_to(root).as_posix(), p.read_bytes()) for p in unique),
    )


def library_fetcher(store: ScenarioStore) -> FetchScenario:
    """``FetchScenario`` over the scenario library's store: by id, else by name, within the
    organisation only."""

    def fetch(organisation_id: str, name_or_id: str, version: int) -> tuple[str, int, Bundle]:
        stored = store.get(name_or_id)
        if stored is None or stored.organisation_id != organisation_id:
            matches = [
                s for s in store.list_scenarios(organisation_id, 10_000, 0) if s.name == name_or_id
            ]
            stored = matches[0] if matches else None
        if stored is None or stored.organisation_id != organisation_id:
            raise NotFound(f"no stored scenario {name_or_id!r} in your organisation's library")
        pinned = version or stored.latest_version
        bundle = store.bundle(stored.id, pinned)
        if bundle is None:
            raise NotFound(f"stored scenario {name_or_id!r} has no version {pinned}")
        return stored.id, pinned, bundle

    return fetch


def bundle_key(bundle: Bundle) -> str:
    digest = hashlib.sha256(bundle.main_file.encode())
    for f in sorted(bundle.files, key=lambda f: f.path):
        digest.update(f.path.encode() + b"\0" + hashlib.sha256(f.content).digest())
    return digest.hexdigest()


def _parse(path: Path) -> Node:
    if path.suffix.lower() in (".yaml", ".yml"):
        return yaml_to_node(read_bytes(path), display_path(path), OpenScenario)
    return parse_xml(read_bytes(path), display_path(path))


class Prepared:
    """A materialised bundle: its distribution rows and concrete scenarios, built on demand
    (cached per distinct parameter set)."""

    def __init__(self, bundle: Bundle) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="simhub-eval-")
        main = materialize(bundle, Path(self._folder.name))
        self.variants: tuple[dict[str, str], ...] = ({},)
        self.scenario_file = main
        if is_distribution(main):
            document, root = read_distribution(main)
            self.scenario_file = main.parent / document.distribution.scenario_file.filepath
            self.variants = tuple(expand_distribution(document, root))
        self._root = _parse(self.scenario_file)
        self._built: dict[tuple[tuple[str, str], ...], Scenario] = {}

    def scenario(self, assignments: tuple[tuple[str, str], ...], ego: str) -> Scenario:
        """The concrete scenario for *assignments*, the ego driven by the policy."""
        key = (*assignments, ("\0ego", ego))
        if key not in self._built:
            built = build_scenario(self._root, self.scenario_file, dict(assignments))
            self._built[key] = bind_ego(built, ego)
        return self._built[key]


_prepared: dict[str, Prepared] = {}


def prepared(bundle: Bundle) -> Prepared:
    """One ``Prepared`` per bundle and process (workers run many chunks of one run)."""
    key = bundle_key(bundle)
    if key not in _prepared:
        if len(_prepared) > 32:
            _prepared.clear()
        _prepared[key] = Prepared(bundle)
    return _prepared[key]


def ego_name(scenario: Scenario, ego: str) -> str:
    names = [o.name for o in scenario.document.entities.scenario_objects]
    if ego:
        if ego not in names:
            raise InvalidArgument(
                f"{scenario.source}: no entity {ego!r} to bind to the policy",
                [FieldViolation("suite.scenarios.ego", f"one of: {', '.join(names)}")],
            )
        return ego
    for name in names:
        if name.lower() in EGO_NAMES:
            return name
    raise InvalidArgument(
        f"{scenario.source}: no entity named Ego or hero; name the policy's entity",
        [FieldViolation("suite.scenarios.ego", f"one of: {', '.join(names)}")],
    )


def bind_ego(scenario: Scenario, ego: str) -> Scenario:
    """*scenario* with the ego's controllers replaced by one external controller: the engine
    steps it by the vehicle dynamics model with the policy's controls."""
    name = ego_name(scenario, ego)
    policy = ObjectController(
        controller=Controller(
            name=POLICY_CONTROLLER,
            properties=Properties(properties=(Property(name="simhub", value="external"),)),
        )
    )
    document = scenario.document
    objects = tuple(
        dataclasses.replace(o, object_controllers=(policy,)) if o.name == name else o
        for o in document.entities.scenario_objects
    )
    entities = dataclasses.replace(document.entities, scenario_objects=objects)
    return dataclasses.replace(scenario, document=dataclasses.replace(document, entities=entities))


def variants_of(bundles: Mapping[str, Bundle]) -> Callable[[str], Sequence[Mapping[str, str]]]:
    """Distribution rows per source key (``({},)`` for a plain scenario)."""
    return lambda key: prepared(bundles[key]).variants
