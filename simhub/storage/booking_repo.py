"""``BookingStore`` over SQLAlchemy.

Writers lock the requesting organisation's row (PostgreSQL ``SELECT ... FOR UPDATE``; SQLite
already holds the database's write lock) so that its quota and request ids are checked and
used by one transaction at a time. Overlaps between organisations are refused by the schema's
exclusion constraints on PostgreSQL; a violation becomes ``SlotUnavailable`` here.

Every write transaction that changed a booking or the policy bumps the counters of
``booking_generation`` (migration 0005) just before it commits, in the same transaction, and
logs the bookings it wrote under the new counter in ``booking_changes`` (migration 0006): the
keys of the service's read caches and what they drop answers by. On PostgreSQL that row
update serialises the writers' last statement (a short row lock held until commit), never
their checks.

Bookings are read with the SQL text of ``booking_sql`` on the transaction's own connection
(the ORM's statement building cost more than the queries), and so are new bookings inserted;
policy rows and state changes go through the ORM session as before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simhub.booking.cache import Change
from simhub.booking.model import (
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
from simhub.storage import booking_sql as sql
from simhub.storage.booking_sql import read_time
from simhub.storage.db import Database, execute
from simhub.storage.tables import (
    BlackoutRow,
    BookingQuotaRow,
    BookingRow,
    BookingSettingsRow,
    BookingTransitionRow,
    OpeningHoursRow,
    OrganisationRow,
)

_EXCLUSION_VIOLATION = "23P01"
_UNIQUE_VIOLATION = "23505"
_LAST_PLANNED = sql.last_planned_before(PLANNED)


def _transition_row(t: Transition) -> BookingTransitionRow:
    return BookingTransitionRow(
        booking_id=t.booking_id,
        from_state=t.from_state.value if t.from_state else None,
        to_state=t.to_state.value,
        at=t.at,
        by_user_id=t.by_user_id,
        reason=t.reason,
    )


def _translate(error: IntegrityError) -> Exception:
    return _translate_driver(error.orig) or error


def _translate_driver(error: BaseException | None) -> Exception | None:
    """Our error for the driver's constraint violation *error* (psycopg's carry a SQLSTATE,
    sqlite3's only a message), or None where it is no violation we know."""
    state = getattr(error, "sqlstate", None)
    if state == _EXCLUSION_VIOLATION:
        return SlotUnavailable(
            "the slot was taken by a concurrent booking; find a free one with FindSlots and retry",
            [FieldViolation("time_range", "overlap: taken meanwhile by a concurrent request")],
        )
    if state == _UNIQUE_VIOLATION or (
        isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error)
    ):
        return Conflict("request_id was used by a concurrent request; retry to get its booking")
    return None


class SqlBookingTransaction:
    """One transaction: a write's ORM session, or a read's pooled connection (which opens an
    ORM session, a snapshot of its own, only for the policy rows)."""

    def __init__(
        self, session: Session | Callable[[], Session], postgres: bool, driver: Any = None
    ) -> None:
        self._session = session if isinstance(session, Session) else None
        self._open_session = session if not isinstance(session, Session) else None
        self._postgres = postgres
        self._dialect = sql.Dialect(postgres)
        self._driver: Any = driver  # the driver's connection of this transaction, once asked
        self._bookings_changed = False
        self._policy_changed = False
        self._orm_pending = False  # ORM objects added or changed: flush before raw reads
        self._changes: list[dict[str, Any]] = []  # bookings written, for the change log

    @property
    def _s(self) -> Session:
        if self._session is None:
            assert self._open_session is not None
            self._session = self._open_session()
        return self._session

    def _cursor(self) -> Any:
        """A driver cursor of this transaction's connection, the ORM's pending rows flushed
        first (so that what the statement reads or checks includes them)."""
        if self._orm_pending:
            self._s.flush()
            self._orm_pending = False
        if self._driver is None:
            self._driver = self._s.connection().connection
        return self._driver.cursor()

    def _fetch(self, statement: str, params: dict[str, Any]) -> list[Any]:
        """Rows of *statement* (``booking_sql``) run on this transaction's connection."""
        cursor = self._cursor()
        try:
            cursor.execute(self._dialect.sql(statement), self._dialect.params(params))
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def _execute(self, statement: str, params: dict[str, Any]) -> None:
        """Run the write *statement* (``booking_sql``) on this transaction's connection; a
        constraint it breaks raises what the ORM's flush would (``_translate_driver``)."""
        cursor = self._cursor()
        try:
            cursor.execute(self._dialect.sql(statement), self._dialect.params(params))
        except Exception as error:
            translated = _translate_driver(error)
            if translated is None:
                raise
            raise translated from error
        finally:
            cursor.close()

    def _bookings(self, statement: str, **params: Any) -> list[Booking]:
        return [sql.booking(row) for row in self._fetch(statement, params)]

    def _booking(self, statement: str, **params: Any) -> Booking | None:
        found = self._bookings(statement, **params)
        return found[0] if found else None

    # -- change counters ----------------------------------------------------------------------

    def generation(self) -> tuple[int, int] | None:
        """(bookings, policy) change counters as this transaction sees them; None where the
        schema has no counter row (nothing may then be cached)."""
        rows = self._fetch(sql.GENERATION, {})
        return (int(rows[0][0]), int(rows[0][1])) if rows else None

    def bump_generation(self) -> None:
        """Count this transaction's changes and log the bookings it wrote under the new
        counter (called by the store just before it commits)."""
        if not (self._bookings_changed or self._policy_changed):
            return
        policy = ", policy = policy + 1" if self._policy_changed else ""
        (row,) = self._fetch(
            f"UPDATE booking_generation SET bookings = bookings + 1{policy} WHERE id = 1"
            " RETURNING bookings",
            {},
        )
        generation = int(row[0])
        if self._changes:
            cursor = self._driver.cursor()
            try:
                cursor.executemany(
                    self._dialect.sql(sql.LOG_CHANGE),
                    [self._dialect.params({**c, "generation": generation}) for c in self._changes],
                )
                if generation % sql.PRUNE_EVERY == 0:
                    cursor.execute(
                        self._dialect.sql(sql.PRUNE_CHANGES),
                        {"before": generation - sql.KEEP_GENERATIONS},
                    )
            finally:
                cursor.close()

    def _log(self, booking: Booking, *states: BookingState) -> None:
        motion = booking.mode is BookingMode.MOTION
        self._changes.append(
            {
                "organisation": booking.organisation_id,
                "motion": motion,
                "planned": any(state in PLANNED for state in states),
                "start": booking.blocked_start,
                "end": booking.blocked_end,
                "minutes": booking.minutes if motion else 0,
            }
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
        self._policy_changed = self._orm_pending = True
        row = self._s.get(BookingSettingsRow, 1) or BookingSettingsRow(id=1)
        for name in BookingRules.__dataclass_fields__:
            setattr(row, name, getattr(rules, name))
        self._s.merge(row)

    def save_opening_hours(self, hours: Sequence[OpeningInterval]) -> None:
        self._policy_changed = self._orm_pending = True
        self._s.execute(delete(OpeningHoursRow))
        self._s.add_all(
            OpeningHoursRow(
                weekday=h.weekday, opens_minute=h.opens_minute, closes_minute=h.closes_minute
            )
            for h in hours
        )

    def add_blackout(self, blackout: Blackout) -> None:
        self._policy_changed = self._orm_pending = True
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
        self._policy_changed = self._orm_pending = True
        self._s.delete(row)
        return True

    def save_quota(self, quota: Quota) -> None:
        self._policy_changed = self._orm_pending = True
        self._s.merge(
            BookingQuotaRow(
                organisation_id=quota.organisation_id,
                motion_hours_per_week=quota.motion_hours_per_week,
                motion_hours_per_month=quota.motion_hours_per_month,
            )
        )

    def organisation_exists(self, organisation_id: str) -> bool:
        return bool(self._fetch(sql.ORGANISATION, {"organisation": organisation_id}))

    def lock_organisation(self, organisation_id: str) -> None:
        if self._postgres:
            self._s.execute(
                select(OrganisationRow.id)
                .where(OrganisationRow.id == organisation_id)
                .with_for_update()
            )

    def sweep_due(self, no_show_started_before: datetime, ended_before: datetime) -> bool:
        """Whether ``sweep`` has anything to do: one query over the state indexes."""
        rows = self._fetch(sql.sweep_due(), {"late": no_show_started_before, "now": ended_before})
        return bool(rows[0][0])

    # -- bookings -------------------------------------------------------------------------------

    def get(self, booking_id: str) -> Booking | None:
        return self._booking(sql.GET, id=booking_id)

    def by_request_id(self, organisation_id: str, request_id: str) -> Booking | None:
        return self._booking(sql.BY_REQUEST_ID, organisation=organisation_id, request_id=request_id)

    def holding_between(self, start: datetime, end: datetime) -> list[Booking]:
        return self._bookings(sql.HOLDING_BETWEEN, start=start, end=end)

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
        statement = (
            f"SELECT {', '.join(sums)} FROM bookings WHERE organisation_id = :organisation"
            f" AND {sql.MOTION} AND state IN ({sql.HOLDING_SQL})"
            " AND start_at < :last AND end_at > :first"
        )
        (row,) = self._fetch(
            statement,
            {
                **params,
                "organisation": organisation_id,
                "first": min(w0 for w0, _ in windows),
                "last": max(w1 for _, w1 in windows),
            },
        )
        return {window: int(minutes) for window, minutes in zip(windows, row, strict=True)}

    def motion_neighbours(self, start: datetime, end: datetime) -> list[Booking]:
        """The slot-holding motion booking that ends last by *start* and the one that
        starts first from *end*, where there is one, in that order."""
        return self._bookings(sql.MOTION_NEIGHBOURS, start=start, end=end)

    def last_planned_motion_before(self, at: datetime) -> Booking | None:
        return self._booking(_LAST_PLANNED, at=at)

    def add(self, booking: Booking, transition: Transition) -> None:
        """Insert *booking* and its first transition by SQL text (``booking_sql``)."""
        self._bookings_changed = True
        self._log(booking, booking.state)
        self._execute(sql.INSERT_BOOKING, sql.booking_params(booking))
        self._execute(
            sql.INSERT_TRANSITION,
            {
                "booking": transition.booking_id,
                "from_state": transition.from_state.value if transition.from_state else None,
                "to_state": transition.to_state.value,
                "at": transition.at,
                "by": transition.by_user_id,
                "reason": transition.reason,
            },
        )

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
        self._s.add(_transition_row(transition))
        self._flush()
        self._bookings_changed = True
        self._log(booking, booking.state, expected)
        return True

    def try_promote(self, booking: Booking, transition: Transition) -> bool:
        """Promote a waitlisted booking inside a savepoint: if a concurrent writer took the
        slot (an exclusion violation), only the promotion is undone. A promotion may move
        the booking's start: its period as it was is logged too (a cached listing page sorted
        by start time holds it where it was)."""
        was = self.get(booking.id)
        try:
            with self._s.begin_nested():
                promoted = self.change(booking, BookingState.WAITLISTED, transition)
        except SlotUnavailable:
            return False
        if promoted and was is not None and was.blocked_start != booking.blocked_start:
            self._log(was, BookingState.WAITLISTED)
        return promoted

    def waitlisted_meeting(self, start: datetime, end: datetime) -> list[Booking]:
        return self._bookings(sql.WAITLISTED_MEETING, start=start, end=end)

    def approved_motion_started_before(self, at: datetime) -> list[Booking]:
        return self._bookings(sql.APPROVED_MOTION_STARTED_BEFORE, at=at)

    def checked_in_ended_before(self, at: datetime) -> list[Booking]:
        return self._bookings(sql.CHECKED_IN_ENDED_BEFORE, at=at)

    def overdue_waitlist(self, ended_before: datetime) -> list[Booking]:
        return self._bookings(sql.WAITLISTED_ENDED_BEFORE, at=ended_before)

    def list_bookings(self, where: BookingFilter, limit: int, offset: int) -> list[Booking]:
        conditions = ["1 = 1"]
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if where.organisation_id is not None:
            conditions.append("organisation_id = :organisation")
            params["organisation"] = where.organisation_id
        if where.states:
            conditions.append(f"state IN ({sql.states_sql(where.states)})")
        if where.cabin_id:
            conditions.append("cabin_id = :cabin")
            params["cabin"] = where.cabin_id
        if where.start is not None:
            conditions.append("end_at > :start")
            params["start"] = where.start
        if where.end is not None:
            conditions.append("start_at < :end")
            params["end"] = where.end
        return self._bookings(
            sql.SELECT
            + " AND ".join(conditions)
            + " ORDER BY start_at, id LIMIT :limit OFFSET :offset",
            **params,
        )

    def transitions(self, booking_id: str) -> list[Transition]:
        return [
            Transition(
                booking_id=booking,
                from_state=BookingState(from_state) if from_state else None,
                to_state=BookingState(to_state),
                at=read_time(at),
                by_user_id=by,
                reason=reason,
            )
            for booking, from_state, to_state, at, by, reason in self._fetch(
                sql.TRANSITIONS, {"booking": booking_id}
            )
        ]


def _rules(row: BookingSettingsRow) -> BookingRules:
    return BookingRules(**{name: getattr(row, name) for name in BookingRules.__dataclass_fields__})


#: Change-log reads kept per store (see ``SqlBookingStore.changes``).
CHANGES_READ = 64


class SqlBookingStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._dialect = sql.Dialect(db.is_postgres)
        self._changes_read: dict[tuple[int, int], tuple[Change, ...] | None] = {}

    def _query(self, statement: str, params: dict[str, Any]) -> list[Any]:
        """Rows of one statement on a pooled connection (no session, no statement building:
        the whole cost of a cached read), committed state."""
        dialect = self._dialect
        connection = self._db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(dialect.sql(statement), dialect.params(params))
                return list(cursor.fetchall())
            finally:
                cursor.close()
        finally:
            connection.close()  # back to the pool, which rolls back what the driver began

    def generation(self) -> tuple[int, int] | None:
        """The change counters as committed now (on this thread's own connection: every
        read asks). None: no counter row."""
        try:
            cursor = self._db.own_connection().cursor()
            try:
                cursor.execute(sql.GENERATION)
                row = cursor.fetchone()
            finally:
                cursor.close()
        except Exception:
            self._db.drop_own_connection()  # broken, perhaps: the next call opens another
            raise
        return None if row is None else (int(row[0]), int(row[1]))

    def changes(self, after: int, upto: int) -> tuple[Change, ...] | None:
        """The bookings written under bookings counters in (after, upto], in order; None
        where a counter in between logged none (a policy change) or was pruned.

        Kept for the next caller asking the same: the service's caches each advance over
        the same counters, and what committed counters logged never changes (a later
        pruning only makes the log forget it)."""
        key = (after, upto)
        if key in self._changes_read:
            return self._changes_read[key]
        found: tuple[Change, ...] | None = None
        if 0 <= upto - after <= sql.KEEP_GENERATIONS // 2:
            found = tuple(
                Change(
                    int(g), org, bool(motion), bool(planned), read_time(b0), read_time(b1), int(m)
                )
                for g, org, motion, planned, b0, b1, m in self._query(
                    sql.CHANGES, {"after": after, "upto": upto}
                )
            )
            if {c.generation for c in found} != set(range(after + 1, upto + 1)):
                found = None
        if len(self._changes_read) >= CHANGES_READ:
            self._changes_read.clear()
        self._changes_read[key] = found
        return found

    @contextmanager
    def read(self) -> Iterator[SqlBookingTransaction]:
        """A read transaction without an ORM session (which cost more to open, begin and
        commit than the reads themselves) unless the policy is read: on this thread's own
        connection (``Database.own_read``: no pool checkout and reset, a fifth of a
        cached-read miss), or on a pooled one while that is in a read already (nested)."""
        with self._db.own_read() as connection:
            if connection is None:
                with self._pooled_read() as tx:
                    yield tx
                return
            with ExitStack() as sessions:
                yield SqlBookingTransaction(
                    lambda: sessions.enter_context(self._db.read()),
                    self._db.is_postgres,
                    connection,
                )

    @contextmanager
    def _pooled_read(self) -> Iterator[SqlBookingTransaction]:
        connection = self._db.engine.raw_connection()
        try:
            if not self._db.is_postgres:  # one snapshot for all the reads (psycopg begins one)
                execute(connection, "BEGIN")
            with ExitStack() as sessions:
                yield SqlBookingTransaction(
                    lambda: sessions.enter_context(self._db.read()),
                    self._db.is_postgres,
                    connection,
                )
        finally:
            connection.close()  # back to the pool, which rolls the read transaction back

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
