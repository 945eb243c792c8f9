"""``FacilityStore`` over SQLAlchemy, and the start-up sync of cabins from the facility files."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from simhub.facility.model import PLATFORM, Changeover, Facility, FacilityState, Placement
from simhub.facility.service import initial_placements
from simhub.storage.db import Database
from simhub.storage.tables import CabinPlacementRow, CabinRow, ChangeoverRow


def _changeover(row: ChangeoverRow) -> Changeover:
    return Changeover(
        id=row.id,
        from_cabin_id=row.from_cabin_id,
        to_cabin_id=row.to_cabin_id,
        started_at=row.started_at,
        completes_at=row.completes_at,
        duration_minutes=row.duration_minutes,
        requested_by_user_id=row.requested_by_user_id or "",
        reason=row.reason,
    )


_NEWEST_FIRST = (ChangeoverRow.started_at.desc(), ChangeoverRow.id.desc())


class SqlFacilityTransaction:
    def __init__(self, session: Session, lock: bool) -> None:
        self._s = session
        self._lock = lock

    def load_state(self) -> FacilityState:
        query = select(CabinPlacementRow).order_by(CabinPlacementRow.cabin_id)
        if self._lock:  # PostgreSQL: serialise writers on the rows they decide on
            query = query.with_for_update()
        placements = tuple(
            Placement(r.cabin_id, r.location, r.since) for r in self._s.scalars(query)
        )
        last = self._s.scalar(select(ChangeoverRow).order_by(*_NEWEST_FIRST).limit(1))
        return FacilityState(placements, _changeover(last) if last else None)

    def save_placements(self, placements: tuple[Placement, ...]) -> None:
        for p in placements:
            row = self._s.get(CabinPlacementRow, p.cabin_id)
            if row is None:
                self._s.add(
                    CabinPlacementRow(cabin_id=p.cabin_id, location=p.location, since=p.since)
                )
            else:
                row.location, row.since = p.location, p.since

    def add_changeover(self, c: Changeover) -> None:
        self._s.add(
            ChangeoverRow(
                id=c.id,
                from_cabin_id=c.from_cabin_id,
                to_cabin_id=c.to_cabin_id,
                started_at=c.started_at,
                completes_at=c.completes_at,
                duration_minutes=c.duration_minutes,
                requested_by_user_id=c.requested_by_user_id or None,
                reason=c.reason,
            )
        )


class SqlFacilityStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    @contextmanager
    def read(self) -> Iterator[SqlFacilityTransaction]:
        with self._db.read() as s:
            yield SqlFacilityTransaction(s, lock=False)

    @contextmanager
    def write(self) -> Iterator[SqlFacilityTransaction]:
        with self._db.write() as s:
            yield SqlFacilityTransaction(s, lock=self._db.is_postgres)

    def list_changeovers(self, limit: int, offset: int) -> list[Changeover]:
        with self._db.read() as s:
            rows = s.scalars(
                select(ChangeoverRow).order_by(*_NEWEST_FIRST).offset(offset).limit(limit)
            )
            return [_changeover(r) for r in rows]


def sync_facility(db: Database, facility: Facility, now: datetime) -> None:
    """Mirror the facility files' cabins into the database and place any new cabin.

    Idempotent: run at every start. A cabin that was removed from the files keeps its rows
    (bookings may refer to it) but loses its placement.
    """
    with db.write() as s:
        for cabin in facility.cabins:
            row = s.get(CabinRow, cabin.id) or CabinRow(id=cabin.id)
            row.name = cabin.name
            row.cabin_class = cabin.cabin_class.value
            row.mount_minutes = cabin.mount_minutes
            row.unmount_minutes = cabin.unmount_minutes
            row.home_bay_id = cabin.home_bay_id
            s.merge(row)
        s.flush()
        placed = set(s.scalars(select(CabinPlacementRow.cabin_id)))
        known = {c.id for c in facility.cabins}
        s.execute(delete(CabinPlacementRow).where(CabinPlacementRow.cabin_id.not_in(known)))
        mounted_exists = s.scalar(
            select(CabinPlacementRow.cabin_id).where(CabinPlacementRow.location == PLATFORM)
        )
        for p in initial_placements(facility, now):
            if p.cabin_id in placed:
                continue
            if p.location == PLATFORM and mounted_exists:
                spec = facility.cabin(p.cabin_id)
                assert spec is not None
                p = Placement(p.cabin_id, spec.home_bay_id, now)
            s.add(CabinPlacementRow(cabin_id=p.cabin_id, location=p.location, since=p.since))
