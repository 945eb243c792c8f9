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
import re
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
from simhub.scenario.nodes import Node, ScenarioError, display_path, parse_xml
from simhub.scenario.reader import Reader
from simhub.scenario.xosc import build_scenario, read_bytes
from simhub.scenario.yaml_form import yaml_to_node

POLICY_CONTROLLER = "simhub-policy"
MAX_BUILT = 20_000  # concrete scenarios kept per bundle and process
MAX_MEMO = 200_000  # elements read and kept for reuse, per bundle and process
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


#: Elements whose reading changes the parameter scope or reads other files: never memoised.
_SCOPED = frozenset(
    {"OpenSCENARIO", "ParameterDeclarations", "CatalogReference", "ParameterAssignments"}
)
_REFERENCE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def _memo_plan(root: Node) -> dict[int, tuple[str, ...]]:
    """For each element of *root*'s tree that can be memoised, the parameters its subtree
    refers to (by ``id``; *root* must outlive the plan)."""
    plan: dict[int, tuple[str, ...]] = {}

    def walk(node: Node) -> tuple[set[str], bool]:
        names = {m for value in node.attrib.values() for m in _REFERENCE.findall(value)}
        scoped = node.tag in _SCOPED
        for child in node.children:
            child_names, child_scoped = walk(child)
            names |= child_names
            scoped = scoped or child_scoped
        if not scoped:
            plan[id(node)] = tuple(sorted(names))
        return names, scoped

    walk(root)
    return plan


class _MemoReader(Reader):
    """A ``Reader`` that reuses what it read before for an element of the same tree whose
    parameters (those its subtree refers to) resolve to the same values: variants of one
    scenario differ in a few attributes, so most of the model is read once per process.

    The model objects are frozen dataclasses, shared between the variants' documents."""

    def __init__(
        self,
        base_dir: Path,
        overrides: dict[str, str],
        plan: dict[int, tuple[str, ...]],
        memo: dict[tuple[object, ...], tuple[object, tuple[str, ...]]],
    ) -> None:
        super().__init__(base_dir, overrides)
        self._plan, self._memo = plan, memo

    def read(self, node: Node, cls: type[object]) -> object:
        names = self._plan.get(id(node))
        if names is None or self._pending_assignments is not None:
            return super().read(node, cls)
        try:
            values = tuple(self.scope.lookup(name, node, "") for name in names)
        except ScenarioError:
            return super().read(node, cls)  # raises the reader's own error
        key = (id(node), cls, values)
        hit = self._memo.get(key)
        if hit is not None:
            self.warnings.extend(hit[1])
            return hit[0]
        before = len(self.warnings)
        instance = super().read(node, cls)
        self._memo[key] = (instance, tuple(self.warnings[before:]))
        return instance


class Prepared:
    """A materialised bundle: its distribution rows and concrete scenarios, built on demand
    (cached per distinct parameter set; the elements variants share are read once)."""

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
        self._plan = _memo_plan(self._root)
        self._memo: dict[tuple[object, ...], tuple[object, tuple[str, ...]]] = {}

    def scenario(self, assignments: tuple[tuple[str, str], ...], ego: str) -> Scenario:
        """The concrete scenario for *assignments*, the ego driven by the policy."""
        key = (*assignments, ("\0ego", ego))
        if key not in self._built:
            if len(self._built) >= MAX_BUILT:
                self._built.clear()
            self._built[key] = bind_ego(self._build(dict(assignments)), ego)
        return self._built[key]

    def _build(self, parameters: dict[str, str]) -> Scenario:
        """``build_scenario`` with the memoising reader."""
        if len(self._memo) > MAX_MEMO:
            self._memo.clear()
        reader = _MemoReader(self.scenario_file.parent, parameters, self._plan, self._memo)
        return build_scenario(self._root, self.scenario_file, parameters, reader=reader)


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
