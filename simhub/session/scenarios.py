"""What a session's ``scenario_ref`` names, and the world built for it.

A reference is either a stored scenario of the session's organisation, ``<scenario_id>`` (its
latest version) or ``<scenario_id>@<version>`` (``library:`` in front is allowed, as in
evaluation suites), or, for virtual demonstration sessions only, a file path relative to the
scenario library folder (``cut_in.yaml``, anything ending in ``.xosc`` / ``.yaml`` / ``.yml``).
A stored version is materialized (its files written as the author had them) into a folder of
its own, then read with ``simhub.scenario.load``. Without a reference a session runs the built-in
``VehicleWorld``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from simhub.errors import FieldViolation, InvalidArgument
from simhub.facility.model import CabinSpec
from simhub.identity.model import Principal
from simhub.scenario import load
from simhub.scenario.library import ScenarioLibrary, materialize
from simhub.session.model import EgoBinding, TrafficConfig
from simhub.session.world import World

FILE_SUFFIXES = (".xosc", ".yaml", ".yml")


@dataclass(frozen=True)
class ResolvedScenario:
    """A reference made concrete: the scenario file on disk and its external entities."""

    ref: str
    path: Path
    external_entities: tuple[str, ...]
    road_file: str = ""  # the scenario's OpenDRIVE file, "" if none


def _invalid(description: str) -> InvalidArgument:
    return InvalidArgument(
        f"scenario_ref: {description}", [FieldViolation("scenario_ref", description)]
    )


class ScenarioResolver:
    """Turns references into scenario files (see the module docstring)."""

    def __init__(
        self,
        library: ScenarioLibrary | None,
        library_dir: Path,
        work_dir: Path | None = None,
    ) -> None:
        self._library = library
        self._library_dir = library_dir.resolve()
        self._work_dir = work_dir

    def resolve(self, principal: Principal, ref: str, *, virtual: bool) -> ResolvedScenario:
        """The scenario *ref* names, for *principal*'s organisation; checks it has at least one
        entity with an external controller (someone must drive)."""
        path = self._file(ref, virtual) if ref.lower().endswith(FILE_SUFFIXES) else None
        if path is None:
            path = self._stored(principal, ref)
        external = scenario_external_entities(path)
        if not external:
            raise _invalid(
                f"{ref} has no entity with an external controller; give the ego "
                '<Property name="simhub" value="external"/> (or esmini\'s ExternalController) '
                "so a cabin, a bay or a client can drive it"
            )
        road = load(path).road_file
        return ResolvedScenario(ref, path, tuple(external), str(road) if road else "")

    def _file(self, ref: str, virtual: bool) -> Path:
        if not virtual:
            raise _invalid(
                f"{ref!r} is a library file; a session in a booking runs a stored scenario "
                "version (<scenario_id>[@<version>])"
            )
        path = (self._library_dir / ref).resolve()
        if not path.is_relative_to(self._library_dir) or not path.is_file():
            raise _invalid(f"no scenario file {ref!r} in the scenario library {self._library_dir}")
        return path

    def _stored(self, principal: Principal, ref: str) -> Path:
        if self._library is None:
            raise _invalid("this server has no scenario library; use a library file")
        name = ref.removeprefix("library:")
        scenario_id, _, version_text = name.partition("@")
        try:
            version = int(version_text) if version_text else 0
        except ValueError:
            raise _invalid(f"{ref!r}: the version after @ must be a whole number") from None
        bundle = self._library.bundle(principal, scenario_id, version)
        root = Path(tempfile.mkdtemp(prefix=f"simhub-{scenario_id}-", dir=self._work_dir))
        return materialize(bundle, root)


def scenario_external_entities(path: Path) -> list[str]:
    """Names of the entities of the scenario at *path* with an external controller."""
    from simhub.engine import compile_scenario
    from simhub.session.engine_world import external_entities

    return external_entities(compile_scenario(load(path), 0.02, log_events=False))


@dataclass(frozen=True)
class WorldPlan:
    """Everything needed to build a session's world, in any process (picklable)."""

    egos: tuple[EgoBinding, ...]
    cabins: tuple[CabinSpec, ...]
    traffic: TrafficConfig
    physics_dt_s: float
    max_brake_deceleration_m_s2: float
    scenario_file: str = ""  # "" : the built-in VehicleWorld
    engine_hz: float = 50.0


def build_world(plan: WorldPlan) -> World:
    """The world of *plan*: ``EngineWorld`` for a scenario, else ``VehicleWorld``."""
    if plan.scenario_file:
        from simhub.session.engine_world import EngineWorld

        return EngineWorld(
            load(plan.scenario_file),
            plan.egos,
            plan.cabins,
            plan.physics_dt_s,
            engine_hz=plan.engine_hz,
            max_brake_deceleration_m_s2=plan.max_brake_deceleration_m_s2,
        )
    from simhub.session.vehicle_world import VehicleWorld

    return VehicleWorld(
        plan.egos,
        plan.cabins,
        plan.traffic,
        plan.physics_dt_s,
        max_brake_deceleration_m_s2=plan.max_brake_deceleration_m_s2,
    )


def scenario_egos(
    external: Sequence[str], first: EgoBinding, other_cabin_id: str
) -> tuple[EgoBinding, ...]:
    """Default bindings for a scenario's external entities: the first takes *first*'s binding
    (the cabin, the bay or a client), the others are driven by clients."""
    from dataclasses import replace

    from simhub.session.model import BindingKind

    egos = [replace(first, name=external[0])]
    egos += [EgoBinding(name, BindingKind.CLIENT, other_cabin_id) for name in external[1:]]
    return tuple(egos)
