"""``SessionStore`` over SQLAlchemy (table ``live_sessions``)."""

from __future__ import annotations

import dataclasses
import json

from sqlalchemy import select

from simhub.session.model import (
    BindingKind,
    EgoBinding,
    Session,
    SessionMode,
    SessionState,
    SessionStats,
    TrafficConfig,
)
from simhub.storage.db import Database
from simhub.storage.tables import LiveSessionRow


def _fill(row: LiveSessionRow, s: Session) -> None:
    row.organisation_id = s.organisation_id
    row.created_by_user_id = s.created_by_user_id
    row.mode = s.mode.value
    row.state = s.state.value
    row.booking_id = s.booking_id
    row.cabin_id = s.cabin_id
    row.bay_id = s.bay_id
    row.scenario_ref = s.scenario_ref
    row.egos_json = json.dumps([dataclasses.asdict(e) for e in s.egos])
    row.traffic_json = json.dumps(dataclasses.asdict(s.traffic))
    row.physics_hz = round(s.physics_hz)
    row.frame_hz = round(s.frame_hz)
    row.created_at = s.created_at
    row.started_at = s.started_at
    row.stopped_at = s.stopped_at
    row.failure_reason = s.failure_reason
    row.recording_path = s.recording_path
    row.stats_json = json.dumps(dataclasses.asdict(s.stats))


def _session(row: LiveSessionRow) -> Session:
    egos = tuple(
        EgoBinding(**{**e, "binding": BindingKind(e["binding"])}) for e in json.loads(row.egos_json)
    )
    return Session(
        id=row.id,
        organisation_id=row.organisation_id,
        created_by_user_id=row.created_by_user_id,
        mode=SessionMode(row.mode),
        state=SessionState(row.state),
        created_at=row.created_at,
        egos=egos,
        booking_id=row.booking_id,
        cabin_id=row.cabin_id,
        bay_id=row.bay_id,
        scenario_ref=row.scenario_ref,
        traffic=TrafficConfig(**json.loads(row.traffic_json)),
        physics_hz=float(row.physics_hz),
        frame_hz=float(row.frame_hz),
        started_at=row.started_at,
        stopped_at=row.stopped_at,
        failure_reason=row.failure_reason,
        recording_path=row.recording_path,
        stats=SessionStats(**json.loads(row.stats_json)),
    )


class SqlSessionStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, session: Session) -> None:
        with self._db.write() as s:
            row = LiveSessionRow(id=session.id)
            _fill(row, session)
            s.add(row)

    def update(self, session: Session) -> None:
        with self._db.write() as s:
            row = s.get(LiveSessionRow, session.id)
            if row is None:
                row = LiveSessionRow(id=session.id)
                s.add(row)
            _fill(row, session)

    def get(self, session_id: str) -> Session | None:
        with self._db.read() as s:
            row = s.get(LiveSessionRow, session_id)
            return _session(row) if row is not None else None

    def list(self, organisation_id: str | None, limit: int, offset: int) -> list[Session]:
        query = select(LiveSessionRow).order_by(
            LiveSessionRow.created_at.desc(), LiveSessionRow.id.desc()
        )
        if organisation_id is not None:
            query = query.where(LiveSessionRow.organisation_id == organisation_id)
        with self._db.read() as s:
            return [_session(r) for r in s.scalars(query.limit(limit).offset(offset))]

    def fail_orphans(self, reason: str) -> int:
        """Mark sessions left live by a process that died as failed (at start-up)."""
        live = [st.value for st in SessionState if st.is_live]
        with self._db.write() as s:
            rows = list(s.scalars(select(LiveSessionRow).where(LiveSessionRow.state.in_(live))))
            for row in rows:
                row.state = SessionState.FAILED.value
                row.failure_reason = reason
            return len(rows)
