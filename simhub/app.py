"""Composition root: reads settings, builds the adapters and hands them to the services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from simhub.booking.service import BookingService
from simhub.evaluation.service import EvaluationService
from simhub.facility.loader import load_facility
from simhub.facility.model import Facility
from simhub.facility.service import FacilityService
from simhub.identity.service import IdentityService
from simhub.scenario.library import ScenarioLibrary
from simhub.session.booking_gate import StoredBookingGate
from simhub.session.scenarios import ScenarioResolver
from simhub.session.service import SessionService
from simhub.session_io import LiveIo
from simhub.settings import Settings
from simhub.storage.booking_repo import SqlBookingStore
from simhub.storage.db import Database, normalise_url
from simhub.storage.facility_repo import SqlFacilityStore, sync_facility
from simhub.storage.identity_repo import SqlIdentityRepository
from simhub.storage.migrate import upgrade
from simhub.storage.scenario_repo import SqlScenarioStore
from simhub.storage.session_repo import SqlSessionStore


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    settings: Settings
    db: Database
    facility: Facility
    identity: IdentityService
    facility_service: FacilityService
    booking_service: BookingService
    clock: Callable[[], datetime] = utc_now
    sessions: SessionService | None = None  # live sessions; None only in hand-built Apps
    scenarios: ScenarioLibrary | None = None  # the scenario library; None only in hand-built Apps
    evaluation: EvaluationService | None = None  # AI-model evaluation; None only in hand-built Apps

    def close(self) -> None:
        if self.sessions is not None:
            self.sessions.close()
        self.db.dispose()


def recordings_dir(settings: Settings) -> Path:
    """Session recordings live beside an SQLite database file, else in ``var/recordings``."""
    url = make_url(normalise_url(settings.database_url))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).parent / "recordings"
    return Path("var") / "recordings"


def build_app(
    settings: Settings, *, migrate: bool = True, clock: Callable[[], datetime] = utc_now
) -> App:
    """Wire everything for *settings*; with *migrate*, bring the schema up to date and mirror
    the facility files into the database (both idempotent). *clock* drives the booking rules
    (notice, no-shows); tests inject their own."""
    facility = load_facility(settings.facility_file, settings.cabins_dir)
    db = Database(normalise_url(settings.database_url))
    if migrate:
        upgrade(db)
        sync_facility(db, facility, utc_now())
    facility_service = FacilityService(facility, SqlFacilityStore(db), utc_now)

    def mounted_cabin() -> str | None:
        mounted = facility_service.state().mounted
        return mounted.cabin_id if mounted else None

    scenarios = ScenarioLibrary(SqlScenarioStore(db), utc_now)
    sessions = SessionService(
        facility,
        SqlSessionStore(db),
        StoredBookingGate(facility, SqlBookingStore(db), clock, mounted_cabin),
        utc_now,
        io_factory=LiveIo(recordings_dir(settings)),
        scenarios=ScenarioResolver(scenarios, settings.scenarios_dir),
    )
    return App(
        settings=settings,
        db=db,
        facility=facility,
        identity=IdentityService(SqlIdentityRepository(db), utc_now),
        facility_service=facility_service,
        booking_service=BookingService(facility, SqlBookingStore(db), clock, mounted_cabin),
        clock=clock,
        sessions=sessions,
        scenarios=scenarios,
        evaluation=build_evaluation(db),
    )


def build_evaluation(db: Database) -> EvaluationService:
    """The evaluation service with the local executor, and the Ray one when ray is installed
    (it connects to ``SIMHUB_RAY_ADDRESS`` on first use)."""
    from simhub.cluster.setup import evaluation_service

    return evaluation_service(db, utc_now)
