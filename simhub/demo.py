"""The demo facility for ``make run``: a demo company with an engineer, and the facility's own
organisation with an operator. Tokens are printed once, when the organisations are created."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from simhub.errors import SimhubError
from simhub.identity.model import IssuedToken, Principal, Role
from simhub.identity.service import IdentityService
from simhub.scenario import SCENARIO_SUFFIXES
from simhub.scenario.library import Bundle, BundleFile, ScenarioLibrary

DEMO_COMPANY = "Demo Motors"
FACILITY_ORG = "Simulator Facility"


@dataclass(frozen=True)
class DemoTokens:
    engineer: IssuedToken
    operator: IssuedToken


def load_demo(identity: IdentityService) -> DemoTokens | None:
    """Create the demo organisations and their users; None if they exist already."""
    if identity.has_organisation(DEMO_COMPANY):
        return None
    company = identity.create_organisation(DEMO_COMPANY)
    facility = (
        identity.find_organisation(FACILITY_ORG)
        if identity.has_organisation(FACILITY_ORG)
        else identity.create_organisation(FACILITY_ORG)
    )
    engineer = identity.create_user(company.id, "demo-engineer", Role.ENGINEER)
    operator = identity.create_user(facility.id, "demo-operator", Role.OPERATOR)
    return DemoTokens(
        engineer=identity.issue_token(engineer.id), operator=identity.issue_token(operator.id)
    )


@dataclass(frozen=True)
class LibraryLoad:
    loaded: tuple[str, ...]
    failed: tuple[tuple[str, str], ...]  # (file, first error)


def library_bundles(scenarios_dir: Path) -> list[tuple[str, Bundle]]:
    """Each top-level scenario file of the library, bundled with every non-scenario file
    beside and below it (roads, catalogs) under its relative path."""
    if not scenarios_dir.is_dir():
        return []
    everything = sorted(p for p in scenarios_dir.rglob("*") if p.is_file())
    mains = [
        p for p in everything if p.parent == scenarios_dir and p.suffix.lower() in SCENARIO_SUFFIXES
    ]
    support = [
        BundleFile(str(p.relative_to(scenarios_dir)), p.read_bytes())
        for p in everything
        if p.suffix.lower() not in SCENARIO_SUFFIXES or p.parent != scenarios_dir
    ]
    return [
        (main.stem, Bundle(main.name, (BundleFile(main.name, main.read_bytes()), *support)))
        for main in mains
    ]


def load_library(
    library: ScenarioLibrary, identity: IdentityService, scenarios_dir: Path
) -> LibraryLoad:
    """Upload the scenario library into the demo company (a version only where it changed)."""
    org = identity.find_organisation(DEMO_COMPANY)
    author = identity.find_user(org.id, "demo-engineer")
    principal = Principal(author.id, org.id, Role.ENGINEER, token_id="demo-load")
    loaded, failed = [], []
    existing = {s.name: s for s in library.list_scenarios(principal, 500, 0)}
    for name, bundle in library_bundles(scenarios_dir):
        if name in existing and _same(library.bundle(principal, existing[name].id), bundle):
            continue
        try:
            library.upload(principal, name, bundle, description=f"library: {bundle.main_file}")
            loaded.append(name)
        except SimhubError as exc:
            failed.append((bundle.main_file, exc.message))
    return LibraryLoad(tuple(loaded), tuple(failed))


def _same(a: Bundle, b: Bundle) -> bool:
    return a.main_file == b.main_file and set(a.files) == set(b.files)
