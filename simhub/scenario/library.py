"""The scenario library: versioned scenario bundles per organisation, checked before storing.

A bundle is the scenario file plus the files it refers to (roads, catalogs), each with a
relative path, so that ``../xodr/road.xodr`` in an uploaded ``xosc/cut-in.xosc`` resolves as it
did on the author's disk. Uploading a name that exists adds a version. A bundle with errors is
refused with every error as a field violation (``file:line:column``); warnings are stored with
the version. Scenarios are private to their organisation (operators may read them all).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Protocol

from simhub.errors import FieldViolation, InvalidArgument, NotFound
from simhub.identity.model import Principal, Role
from simhub.identity.service import require_role
from simhub.scenario import SCENARIO_SUFFIXES, Finding, Findings, validate

MAX_FILES = 500
MAX_BUNDLE_BYTES = 32 * 1024 * 1024
MAX_NAME = 200


@dataclass(frozen=True)
class BundleFile:
    path: str  # relative, "/"-separated, no ".." (e.g. "xodr/e6mini.xodr")
    content: bytes


@dataclass(frozen=True)
class Bundle:
    main_file: str  # the path of the scenario file within ``files``
    files: tuple[BundleFile, ...]


@dataclass(frozen=True)
class StoredScenario:
    id: str
    organisation_id: str
    name: str
    description: str
    latest_version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ScenarioVersion:
    scenario_id: str
    version: int
    main_file: str
    format: str  # "xosc" | "yaml"
    size_bytes: int
    concrete_scenarios: int  # > 1 for a ParameterValueDistribution
    warnings: tuple[Finding, ...]
    created_at: datetime
    created_by_user_id: str


class ScenarioStore(Protocol):
    """Port: where scenarios, versions and their files are kept."""

    def get(self, scenario_id: str) -> StoredScenario | None: ...
    def list_scenarios(
        self, organisation_id: str | None, limit: int, offset: int
    ) -> list[StoredScenario]: ...
    def versions(self, scenario_id: str) -> list[ScenarioVersion]: ...
    def bundle(self, scenario_id: str, version: int) -> Bundle | None: ...
    def add_version(
        self,
        organisation_id: str,
        name: str,
        description: str,
        draft: ScenarioVersion,
        bundle: Bundle,
    ) -> tuple[StoredScenario, ScenarioVersion]:
        """In one transaction: find or create the scenario *name*, number the version after its
        latest, store it and its files. ``draft`` carries everything but the two numbers."""
        ...

    def delete(self, scenario_id: str, at: datetime) -> None: ...


def _clean_path(raw: str, index: int) -> str:
    path = PurePosixPath(raw.replace("\\", "/"))
    if not raw or path.is_absolute() or ".." in path.parts or str(path) in (".", ""):
        raise InvalidArgument(
            f"bundle file {raw!r}: not a relative path inside the bundle",
            [
                FieldViolation(
                    f"files[{index}].path", "a relative path without '..', e.g. 'xodr/road.xodr'"
                )
            ],
        )
    return str(path)


def check_bundle(bundle: Bundle) -> Bundle:
    """Normalise paths and enforce the limits; raise ``InvalidArgument`` naming the field."""
    if not bundle.files:
        raise InvalidArgument(
            "the bundle has no files", [FieldViolation("files", "at least the scenario file")]
        )
    if len(bundle.files) > MAX_FILES:
        raise InvalidArgument(
            f"the bundle has {len(bundle.files)} files; at most {MAX_FILES} are allowed",
            [FieldViolation("files", f"at most {MAX_FILES} files")],
        )
    total = sum(len(f.content) for f in bundle.files)
    if total > MAX_BUNDLE_BYTES:
        raise InvalidArgument(
            f"the bundle has {total} bytes; at most {MAX_BUNDLE_BYTES} are allowed",
            [FieldViolation("files", f"at most {MAX_BUNDLE_BYTES // (1024 * 1024)} MiB in all")],
        )
    files = tuple(BundleFile(_clean_path(f.path, i), f.content) for i, f in enumerate(bundle.files))
    paths = [f.path for f in files]
    duplicates = sorted({p for p in paths if paths.count(p) > 1})
    if duplicates:
        raise InvalidArgument(
            f"the bundle names {duplicates[0]!r} more than once",
            [FieldViolation("files", f"duplicate path {p!r}") for p in duplicates],
        )
    main = _clean_path(bundle.main_file, -1) if bundle.main_file else ""
    if main not in paths:
        raise InvalidArgument(
            f"main_file {bundle.main_file!r} is not one of the bundle's files",
            [FieldViolation("main_file", f"one of: {', '.join(paths[:10])}")],
        )
    if not main.lower().endswith(SCENARIO_SUFFIXES):
        raise InvalidArgument(
            f"main_file {main!r} is not a scenario file",
            [FieldViolation("main_file", f"a file ending in {', '.join(SCENARIO_SUFFIXES)}")],
        )
    return Bundle(main, files)


def materialize(bundle: Bundle, root: Path) -> Path:
    """Write *bundle* under *root* as its author's disk had it; return the scenario file."""
    bundle = check_bundle(bundle)
    for f in bundle.files:
        target = root / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.content)
    return root / bundle.main_file


def validate_bundle(bundle: Bundle) -> Findings:
    """Validate a bundle as its author's disk would: written to a private temporary folder."""
    bundle = check_bundle(bundle)
    with tempfile.TemporaryDirectory(prefix="simhub-scenario-") as tmp:
        root = Path(tmp)
        findings = validate(materialize(bundle, root))

    # Report paths as the bundle names them, never our temporary folder.
    def relative(finding: Finding) -> Finding:
        name = finding.file
        for prefix in (f"{root}/", tmp + "/"):
            name = name.replace(prefix, "")
        return Finding(
            finding.severity,
            name,
            finding.line,
            finding.column,
            finding.message.replace(f"{root}/", ""),
        )

    return Findings(
        bundle.main_file,
        tuple(relative(f) for f in findings.errors),
        tuple(relative(f) for f in findings.warnings),
        findings.concrete_scenarios,
    )


def findings_error(findings: Findings) -> InvalidArgument:
    first = findings.errors[0]
    return InvalidArgument(
        f"{first.file}:{first.line}:{first.column}: {first.message}",
        [FieldViolation(f"{f.file}:{f.line}:{f.column}", f.message) for f in findings.errors],
    )


Clock = Callable[[], datetime]


class ScenarioLibrary:
    def __init__(self, store: ScenarioStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def upload(
        self, principal: Principal, name: str, bundle: Bundle, description: str = ""
    ) -> tuple[StoredScenario, ScenarioVersion]:
        """Store *bundle* as the next version of the organisation's scenario *name*."""
        require_role(principal, Role.ENGINEER, Role.OPERATOR)
        name = name.strip()
        if not name or len(name) > MAX_NAME:
            raise InvalidArgument(
                "scenario name must be 1 to 200 characters",
                [FieldViolation("name", f"found {len(name)} characters; allowed 1 to {MAX_NAME}")],
            )
        bundle = check_bundle(bundle)
        findings = validate_bundle(bundle)
        if not findings.ok:
            raise findings_error(findings)
        draft = ScenarioVersion(
            scenario_id="",
            version=0,
            main_file=bundle.main_file,
            format="xosc" if bundle.main_file.lower().endswith(".xosc") else "yaml",
            size_bytes=sum(len(f.content) for f in bundle.files),
            concrete_scenarios=findings.concrete_scenarios,
            warnings=findings.warnings,
            created_at=self._clock(),
            created_by_user_id=principal.user_id,
        )
        return self._store.add_version(principal.organisation_id, name, description, draft, bundle)

    def get(
        self, principal: Principal, scenario_id: str
    ) -> tuple[StoredScenario, list[ScenarioVersion]]:
        scenario = self._visible(principal, scenario_id)
        return scenario, self._store.versions(scenario.id)

    def list_scenarios(self, principal: Principal, limit: int, offset: int) -> list[StoredScenario]:
        """The caller's organisation's scenarios (every organisation's for operators)."""
        return self._store.list_scenarios(
            None if principal.is_operator else principal.organisation_id, limit, offset
        )

    def bundle(self, principal: Principal, scenario_id: str, version: int = 0) -> Bundle:
        """The files of *version* (0: the latest)."""
        scenario = self._visible(principal, scenario_id)
        wanted = version or scenario.latest_version
        bundle = self._store.bundle(scenario.id, wanted)
        if bundle is None:
            latest = scenario.latest_version
            raise NotFound(f"scenario {scenario_id} has no version {wanted}; latest is {latest}")
        return bundle

    def delete(self, principal: Principal, scenario_id: str) -> None:
        require_role(principal, Role.ENGINEER, Role.OPERATOR)
        scenario = self._visible(principal, scenario_id)
        self._store.delete(scenario.id, self._clock())

    def _visible(self, principal: Principal, scenario_id: str) -> StoredScenario:
        scenario = self._store.get(scenario_id)
        if scenario is None or not principal.can_see(scenario.organisation_id):
            raise NotFound(f"no scenario with id {scenario_id!r}")  # another org's: not leaked
        return scenario
