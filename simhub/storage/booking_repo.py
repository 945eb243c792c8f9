"""``BookingStore`` over SQLAlchemy.

Writers lock the requesting organisation's row (PostgreSQL ``SELECT ... FOR UPDATE``; SQLite
already holds the database's write lock) so that its quota and request ids are checked and
used by one transaction at a time. Overlaps between organisations are refused by the schema's
exclusion constraints on PostgreSQL; a violation becomes ``SlotUnavailable`` here.

Every write transaction that changed a booking or the policy bumps the counters of
``booking_generation`` (migration 0005) just before it commits, in the same transaction: the
keys of the service's read caches. On PostgreSQL that row update serialises the writers' last
statement (a short row lock held until commit), never their checks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, delete, exists, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simhub.booking.model import (
    HOLDING,
    Blackout,
    Booking,
    BookingMode,
    BookingRules,
    BookingState,
    OpeningInterval,
    Policy,
    Quota,
    Transition,
)
from simhub.booking.planner import PLANNED
from simhub.booking.service import BookingFilter, SlotUnavailable
from simhub.errors import Conflict, FieldViolation
from simhub.storage.db import Database
from simhub.storage.tables import (
    BlackoutRow,
    BookingGenerationRow,
    BookingQuotaRow,
    BookingRow,
    BookingSettingsRow,
    BookingTransitionRow,
    OpeningHoursRow,
    OrganisationRow,
    UtcDateTime,
)

_HOLDING = [s.value for s in HOLDING]
_PLANNED = [s.value for s in PLANNED]
_EXCLUSION_VIOLATION = "23P01"
_UNIQUE_VIOLATION = "23505"


_BOOKINGS = BookingRow.__table__
#: Every column, in ``Booking``'s field order: read as plain rows (Core), not ORM objects,
#: which costs a third as much per booking on the hot read paths.
_COLUMNS = (
    _BOOKINGS.c.id,
    _BOOKINGS.c.organisation_id,
    _BOOKINGS.c.created_by_user_id,
    _BOOKINGS.c.cabin_id,
    _BOOKINGS.c.mode,
    _BOOKINGS.c.state,
    _BOOKINGS.c.start_at,
    _BOOKINGS.c.end_at,
    _BOOKINGS.c.blocked_start,
    _BOOKINGS.c.blocked_end,
    _BOOKINGS.c.purpose,
    _BOOKINGS.c.scenario_ids,
    _BOOKINGS.c.request_id,
    _BOOKINGS.c.created_at,
    _BOOKINGS.c.updated_at,
    _BOOKINGS.c.checked_in_at,
    _BOOKINGS.c.decision_reason,
)
_MODES = {m.value: m for m in BookingMode}
_STATES = {s.value: s for s in BookingState}


def _select() -> Select[Any]:
    return select(*_COLUMNS)


def _booking(row: Row[Any]) -> Booking:
    (id_, organisation, by, cabin, mode, state, start, end, b0, b1, purpose, scenarios,
     request_id, created, updated, checked_in, reason) = row  # fmt: skip
    return Booking(
        id=id_,
        organisation_id=organisation,
        created_by_user_id=by,
        cabin_id=cabin,
        mode=_MODES[mode],
        state=_STATES[state],
        start=start,
        end=end,
        blocked_start=b0,
        blocked_end=b1,
        purpose=purpose,
        scenario_ids=() if scenarios == "[]" else tuple(json.loads(scenarios)),
        request_id=request_id,
        created_at=created,
        updated_at=updated,
        checked_in_at=checked_in,
        decision_reason=reason,
    )


def _transition_row(t: Transition) -> BookingTransitionRow:
    return BookingTransitionRow(
        booking_id=t.booking_id,
        from_state=t.from_state.value if t.from_state else None,
        to_state=t.to_state.value,
        at=t.at,
        by_user_id=t.by_user_id,
        reason=t.reason,
    )


def _sqlstate(error: IntegrityError) -> str | None:
    return getattr(error.orig, "sqlstate", None)


def _translate(error: IntegrityError) -> Exception:
    state = _sqlstate(error)
    if state == _EXCLUSION_VIOLATION:
        return SlotUnavailable(
            "the slot was taken by a concurrent booking; find a free one with FindSlots and retry",
            [FieldViolation("time_range", "overlap: taken meanwhile by a concurrent request")],
        )
    if state == _UNIQUE_VIOLATION or "UNIQUE" in str(error.orig):
        return Conflict("request_id was used by a concurrent request; retry to get its booking")
    return error


_GENERATION = select(BookingGenerationRow.bookings, BookingGenerationRow.policy).where(
    BookingGenerationRow.id == 1
)


class SqlBookingTransaction:
    def __init__(self, session: Session, postgres: bool) -> None:
        self._s = session
        self._postgres = postgres
        self._bookings_changed = False
        self._policy_changed = False

    # -- change counters ----------------------------------------------------------------------

    def generation(self) -> tuple[int, int] | None:
        """(bookings, policy) change counters as this transaction sees them; None where the
        schema has no counter row (nothing may then be cached)."""
        row = self._s.execute(_GENERATION).first()
        return None if row is None else (int(row[0]), int(row[1]))

    def bump_generation(self) -> None:
        """Count this transaction's changes (called by the store just before it commits)."""
        if not (self._bookings_changed or self._policy_changed):
            return
        row = BookingGenerationRow
        values: dict[str, Any] = {"bookings": row.bookings + 1}
        if self._policy_changed:
            values["policy"] = row.policy + 1
        self._s.execute(
            update(row)
            .where(row.id == 1)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    # -- policy -------------------------------------------------------------------------------

    def load_policy(self, time_zone: str) -> Policy:
        row = self._s.get(BookingSettingsRow, 1)
        rules = BookingRules() if row is None else _rules(row)
        hours = tuple(
            OpeningInterval(r.weekday, r.opens_minute, r.closes_minute)
            for r in self._s.scalars(
                select(OpeningHoursRow).order_by(
                    OpeningHoursRow.weekday, OpeningHoursRow.opens_minute
                )
            )
        )
        blackouts = tuple(
            Blackout(r.id, r.start_at, r.end_at, r.reason, r.cabin_id)
            for r in self._s.scalars(select(BlackoutRow).order_by(BlackoutRow.start_at))
        )
        quotas = tuple(
            Quota(r.organisation_id, r.motion_hours_per_week, r.motion_hours_per_month)
            for r in self._s.scalars(select(BookingQuotaRow))
        )
        return Policy(time_zone, rules, hours, blackouts, quotas)

    def save_rules(self, rules: BookingRules) -> None:
        self._policy_changed = True
        row = self._s.get(BookingSettingsRow, 1) or BookingSettingsRow(id=1)
        for name in BookingRules.__dataclass_fields__:
            setattr(row, name, getattr(rules, name))
        self._s.merge(row)

    def save_opening_hours(self, hours: Sequence[OpeningInterval]) -> None:
        self._policy_changed = True
        self._s.execute(delete(OpeningHoursRow))
        self._s.add_all(
            OpeningHoursRow(
                weekday=h.weekday, opens_minute=h.opens_minute, closes_minute=h.closes_minute
            )
            for h in hours
        )

    def add_blackout(self, blackout: Blackout) -> None:
        self._policy_changed = True
        self._s.add(
            BlackoutRow(
                id=blackout.id,
                start_at=blackout.start,
                end_at=blackout.end,
                reason=blackout.reason,
                cabin_id=blackout.cabin_id,
            )
        )

    def remove_blackout(self, blackout_id: str) -> bool:
        row = self._s.get(BlackoutRow, blackout_id)
        if row is None:
            return False
        self._policy_changed = True
        self._s.delete(row)
        return True

    def save_quota(self, quota: Quota) -> None:
        self._policy_changed = True
        self._s.merge(
            BookingQuotaRow(
                organisation_id=quota.organisation_id,
                motion_hours_per_week=quota.motion_hours_per_week,
                motion_hours_per_month=quota.motion_hours_per_month,
            )
        )

    def organisation_exists(self, organisation_id: str) -> bool:
        return self._s.get(OrganisationRow, organisation_id) is not None

    def lock_organisation(self, organisation_id: str) -> None:
        if self._postgres:
            self._s.execute(
                select(OrganisationRow.id)
                .where(OrganisationRow.id == organisation_id)
                .with_for_update()
            )

    def sweep_due(self, no_show_started_before: datetime, ended_before: datetime) -> bool:
        """Whether ``sweep`` has anything to do: one query over the state indexes."""
        no_show = select(BookingRow.id).where(
            BookingRow.state == BookingState.APPROVED.value,
            BookingRow.start_at <= no_show_started_before,
            BookingRow.mode == BookingMode.MOTION.value,
        )
        ended = select(BookingRow.id).where(
            BookingRow.state.in_([BookingState.CHECKED_IN.value, BookingState.WAITLISTED.value]),
            BookingRow.end_at <= ended_before,
        )
        return bool(self._s.scalar(select(or_(exists(no_show), exists(ended)))))

    # -- bookings -------------------------------------------------------------------------------

    def _all(self, query: Select[Any]) -> list[Booking]:
        return [_booking(r) for r in self._s.execute(query)]

    def _one(self, query: Select[Any]) -> Booking | None:
        row = self._s.execute(query).first()
        return _booking(row) if row else None

    def get(self, booking_id: str) -> Booking | None:
        return self._one(_select().where(BookingRow.id == booking_id))

    def by_request_id(self, organisation_id: str, request_id: str) -> Booking | None:
        return self._one(
            _select().where(
                BookingRow.organisation_id == organisation_id,
                BookingRow.request_id == request_id,
            )
        )

    def holding_between(self, start: datetime, end: datetime) -> list[Booking]:
        return self._all(
            _select().where(
                BookingRow.state.in_(_HOLDING),
                BookingRow.blocked_start < end,
                BookingRow.blocked_end > start,
            )
        )

    def motion_minutes_of(
        self, organisation_id: str, windows: Sequence[tuple[datetime, datetime]]
    ) -> dict[tuple[datetime, datetime], int]:
        """Minutes of the organisation's slot-holding motion bookings inside each window, as
        ``rules.overlap_minutes`` counts them, summed by the database in one statement."""
        windows = list(dict.fromkeys(windows))
        if not windows:
            return {}
        sums, params = [], {}
        for n, (w0, w1) in enumerate(windows):
            lo, hi = f":w0_{n}", f":w1_{n}"
            if self._postgres:
                minutes = (
                    f"FLOOR(EXTRACT(EPOCH FROM LEAST(end_at, {hi}) - GREATEST(start_at, {lo}))"
                    " / 60)"
                )
            else:  # fixed-width UTC text: min/max compare as times; strftime('%s'): epoch s
                minutes = (
                    f"(CAST(strftime('%s', min(end_at, {hi})) AS INTEGER)"
                    f" - CAST(strftime('%s', max(start_at, {lo})) AS INTEGER)) / 60"
                )
            sums.append(
                f"COALESCE(SUM(CASE WHEN start_at < {hi} AND end_at > {lo}"
                f" THEN {minutes} ELSE 0 END), 0)"
            )
            params[f"w0_{n}"], params[f"w1_{n}"] = w0, w1
        holding = ", ".join(f"'{state}'" for state in _HOLDING)
        statement = text(
            f"SELECT {', '.join(sums)} FROM bookings WHERE organisation_id = :organisation"
            f" AND mode = '{BookingMode.MOTION.value}' AND state IN ({holding})"
            " AND start_at < :last AND end_at > :first"
        ).bindparams(*(bindparam(name, type_=UtcDateTime()) for name in (*params, "first", "last")))
        row = self._s.execute(
            statement,
            {
                **params,
                "organisation": organisation_id,
                "first": min(w0 for w0, _ in windows),
                "last": max(w1 for _, w1 in windows),
            },
        ).one()
        return {window: int(minutes) for window, minutes in zip(windows, row, strict=True)}

    def motion_neighbours(self, start: datetime, end: datetime) -> list[Booking]:
        motion = _select().where(
            BookingRow.mode == BookingMode.MOTION.value, BookingRow.state.in_(_HOLDING)
        )
        before = self._one(  # start_at < start follows from end_at <= start; it lets the
            # database walk the (mode, start_at) index backwards from *start*
            motion.where(BookingRow.start_at < start, BookingRow.end_at <= start)
            .order_by(BookingRow.start_at.desc())
            .limit(1)
        )
        after = self._one(
            motion.where(BookingRow.start_at >= end).order_by(BookingRow.start_at).limit(1)
        )
        return [b for b in (before, after) if b is not None]

    def last_planned_motion_before(self, at: datetime) -> Booking | None:
        return self._one(
            _select()
            .where(
                BookingRow.mode == BookingMode.MOTION.value,
                BookingRow.state.in_(_PLANNED),
                BookingRow.start_at < at,
            )
            .order_by(BookingRow.start_at.desc())
            .limit(1)
        )

    def add(self, booking: Booking, transition: Transition) -> None:
        self._bookings_changed = True
        self._s.add(
            BookingRow(
                id=booking.id,
                organisation_id=booking.organisation_id,
                created_by_user_id=booking.created_by_user_id,
                cabin_id=booking.cabin_id,
                mode=booking.mode.value,
                state=booking.state.value,
                start_at=booking.start,
                end_at=booking.end,
                blocked_start=booking.blocked_start,
                blocked_end=booking.blocked_end,
                purpose=booking.purpose,
                scenario_ids=json.dumps(list(booking.scenario_ids)),
                request_id=booking.request_id,
                created_at=booking.created_at,
                updated_at=booking.updated_at,
                checked_in_at=booking.checked_in_at,
                decision_reason=booking.decision_reason,
            )
        )
        self._flush()
        self._s.add(_transition_row(transition))
        self._flush()

    def _flush(self) -> None:
        try:
            self._s.flush()
        except IntegrityError as error:
            translated = _translate(error)
            if translated is error:
                raise
            raise translated from error

    def change(self, booking: Booking, expected: BookingState, transition: Transition) -> bool:
        """Compare-and-set: store *booking* only if it is still in state *expected*."""
        result = self._s.execute(
            update(BookingRow)
            .where(BookingRow.id == booking.id, BookingRow.state == expected.value)
            .values(
                state=booking.state.value,
                start_at=booking.start,
                end_at=booking.end,
                blocked_start=booking.blocked_start,
                blocked_end=booking.blocked_end,
                updated_at=booking.updated_at,
                checked_in_at=booking.checked_in_at,
                decision_reason=booking.decision_reason,
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            return False
        self._bookings_changed = True
        self._s.add(_transition_row(transition))
        self._flush()
        return True

    def try_promote(self, booking: Booking, transition: Transition) -> bool:
        """Promote a waitlisted booking inside a savepoint: if a concurrent writer took the
        slot (an exclusion violation), only the promotion is undone."""
        try:
            with self._s.begin_nested():
                return self.change(booking, BookingState.WAITLISTED, transition)
        except SlotUnavailable:
            return False

    def waitlisted_meeting(self, start: datetime, end: datetime) -> list[Booking]:
        return self._all(
            _select()
            .where(
                BookingRow.state == BookingState.WAITLISTED.value,
                BookingRow.start_at < end,
                BookingRow.end_at > start,
            )
            .order_by(BookingRow.created_at, BookingRow.id)
        )

    def approved_motion_started_before(self, at: datetime) -> list[Booking]:
        return self._all(
            _select().where(
                BookingRow.state == BookingState.APPROVED.value,
                BookingRow.mode == BookingMode.MOTION.value,
                BookingRow.start_at <= at,
            )
        )

    def checked_in_ended_before(self, at: datetime) -> list[Booking]:
        return self._all(
            _select().where(
                BookingRow.state == BookingState.CHECKED_IN.value, BookingRow.end_at <= at
            )
        )

    def overdue_waitlist(self, ended_before: datetime) -> list[Booking]:
        return self._all(
            _select().where(
                BookingRow.state == BookingState.WAITLISTED.value,
                BookingRow.end_at <= ended_before,
            )
        )

    def list_bookings(self, where: BookingFilter, limit: int, offset: int) -> list[Booking]:
        query = _select()
        if where.organisation_id is not None:
            query = query.where(BookingRow.organisation_id == where.organisation_id)
        if where.states:
            query = query.where(BookingRow.state.in_([s.value for s in where.states]))
        if where.cabin_id:
            query = query.where(BookingRow.cabin_id == where.cabin_id)
        if where.start is not None:
            query = query.where(BookingRow.end_at > where.start)
        if where.end is not None:
            query = query.where(BookingRow.start_at < where.end)
        query = query.order_by(BookingRow.start_at, BookingRow.id).offset(offset).limit(limit)
        return self._all(query)

    def transitions(self, booking_id: str) -> list[Transition]:
        rows = self._s.scalars(
            select(BookingTransitionRow)
            .where(BookingTransitionRow.booking_id == booking_id)
            .order_by(BookingTransitionRow.id)
        )
        return [
            Transition(
                booking_id=r.booking_id,
                from_state=BookingState(r.from_state) if r.from_state else None,
                to_state=BookingState(r.to_state),
                at=r.at,
                by_user_id=r.by_user_id,
                reason=r.reason,
            )
            for r in rows
        ]


def _rules(row: BookingSettingsRow) -> BookingRules:
    return BookingRules(**{name: getattr(row, name) for name in BookingRules.__dataclass_fields__})


_GENERATION_SQL = "SELECT bookings, policy FROM booking_generation WHERE id = 1"


class SqlBookingStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def generation(self) -> tuple[int, int] | None:
        """The change counters, committed state, in one statement on a pooled connection (no
        session, no statement building: the whole cost of a cached read). None: no counter row."""
        connection = self._db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(_GENERATION_SQL)
                row = cursor.fetchone()
            finally:
                cursor.close()
        finally:
            connection.close()  # back to the pool, which rolls back what the driver began
        return None if row is None else (int(row[0]), int(row[1]))

    @contextmanager
    def read(self) -> Iterator[SqlBookingTransaction]:
        with self._db.read() as s:
            yield SqlBookingTransaction(s, postgres=self._db.is_postgres)

    @contextmanager
    def write(self) -> Iterator[SqlBookingTransaction]:
        try:
            with self._db.write() as s:
                tx = SqlBookingTransaction(s, postgres=self._db.is_postgres)
                yield tx
                tx.bump_generation()
        except IntegrityError as error:  # raised at commit (deferred checks)
            translated = _translate(error)
            if translated is error:
                raise
            raise translated from error
