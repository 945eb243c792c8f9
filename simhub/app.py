"""Composition root: reads settings, builds the adapters and hands them to the services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from simhub.booking.service import BookingService
from simhub.facility.loader import load_facility
from simhub.facility.model import Facility
from simhub.facility.service import FacilityService
from simhub.identity.service import IdentityService
from simhub.settings import Settings
from simhub.storage.booking_repo import SqlBookingStore
from simhub.storage.db import Database, normalise_url
from simhub.storage.facility_repo import SqlFacilityStore, sync_facility
from simhub.storage.identity_repo import SqlIdentityRepository
from simhub.storage.migrate import upgrade


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

    def close(self) -> None:
        self.db.dispose()


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

    return App(
        settings=settings,
        db=db,
        facility=facility,
        identity=IdentityService(SqlIdentityRepository(db), utc_now),
        facility_service=facility_service,
        booking_service=BookingService(facility, SqlBookingStore(db), clock, mounted_cabin),
        clock=clock,
    )
