"""The hot booking queries as SQL text, run on the driver's cursor of the transaction.

FindSlots, GetSchedule, ListBookings and RequestBooking each read a handful of bookings. The
statements themselves take tens of microseconds; built and executed through the ORM session
they took milliseconds each (statement construction, cache-key generation, result wrapping),
which is where a cold read spent its time. A new booking and its first transition are
inserted the same way (the ORM's flush of the two rows cost more than the rest of a
RequestBooking). Here each statement is written once, for both
dialects (``:name`` placeholders become psycopg's ``%(name)s``), and rows are turned into
``Booking`` directly. Times go in and come out as ``UtcDateTime`` stores them: naive UTC text
``YYYY-MM-DD HH:MM:SS.ffffff`` in SQLite (which compares as text), ``timestamptz`` in
PostgreSQL; ``tests/storage/test_booking_sql.py`` checks both agree with the ORM's rows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from simhub.booking.model import HOLDING, Booking, BookingMode, BookingState

COLUMNS = (
    "id, organisation_id, created_by_user_id, cabin_id, mode, state, start_at, end_at,"
    " blocked_start, blocked_end, purpose, scenario_ids, request_id, created_at, updated_at,"
    " checked_in_at, decision_reason"
)
_MODES = {m.value: m for m in BookingMode}
_STATES = {s.value: s for s in BookingState}
_PLACEHOLDER = re.compile(r":([a-z_][a-z0-9_]*)")
#: How ``isoformat`` writes UTC's offset (SQLite stores the text without it).
_UTC_OFFSET = "+00:00"


def states_sql(states: Iterable[BookingState]) -> str:
    """An SQL list of state values (our own enum's, never a caller's text)."""
    return ", ".join(f"'{s.value}'" for s in sorted(states, key=lambda s: s.value))


HOLDING_SQL = states_sql(HOLDING)
MOTION = f"mode = '{BookingMode.MOTION.value}'"


class Dialect:
    """SQL text and parameters in the form one driver takes."""

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres
        self._converted: dict[str, str] = {}

    def sql(self, statement: str) -> str:
        """*statement* with ``:name`` placeholders, in the driver's parameter style."""
        if not self.postgres:
            return statement  # sqlite3 takes :name as it is
        converted = self._converted.get(statement)
        if converted is None:
            converted = _PLACEHOLDER.sub(r"%(\1)s", statement.replace("%", "%%"))
            self._converted[statement] = converted
        return converted

    def time(self, value: datetime) -> Any:
        """A UTC-aware time as the column stores it."""
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: simhub stores UTC-aware times only")
        value = value.astimezone(UTC)
        if self.postgres:
            return value
        # the text without its offset: a UTC time's isoformat ends in "+00:00" (cheaper than
        # a naive copy first: datetime.replace(tzinfo=...) costs more than the formatting)
        return value.isoformat(" ", "microseconds")[: -len(_UTC_OFFSET)]

    def params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """*values* with every datetime converted by ``time``."""
        return {k: self.time(v) if isinstance(v, datetime) else v for k, v in values.items()}


def read_time(value: Any) -> datetime:
    """A stored time back as a UTC-aware datetime."""
    if isinstance(value, str):  # naive UTC text: parsed with its offset in one step
        return datetime.fromisoformat(value + _UTC_OFFSET)
    assert isinstance(value, datetime), value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def booking_params(b: Booking) -> dict[str, Any]:
    """``INSERT_BOOKING``'s parameters for *b* (times still datetimes: see ``Dialect``)."""
    return {
        "id": b.id,
        "organisation": b.organisation_id,
        "by": b.created_by_user_id,
        "cabin": b.cabin_id,
        "mode": b.mode.value,
        "state": b.state.value,
        "start": b.start,
        "end": b.end,
        "blocked_start": b.blocked_start,
        "blocked_end": b.blocked_end,
        "purpose": b.purpose,
        "scenario_ids": json.dumps(list(b.scenario_ids)),
        "request_id": b.request_id,
        "created": b.created_at,
        "updated": b.updated_at,
        "checked_in": b.checked_in_at,
        "reason": b.decision_reason,
    }


def booking(row: Sequence[Any]) -> Booking:
    """A row of ``COLUMNS`` as a ``Booking``."""
    (id_, organisation, by, cabin, mode, state, start, end, b0, b1, purpose, scenarios,
     request_id, created, updated, checked_in, reason) = row  # fmt: skip
    return Booking(
        id=id_,
        organisation_id=organisation,
        created_by_user_id=by,
        cabin_id=cabin,
        mode=_MODES[mode],
        state=_STATES[state],
        start=read_time(start),
        end=read_time(end),
        blocked_start=read_time(b0),
        blocked_end=read_time(b1),
        purpose=purpose,
        scenario_ids=() if scenarios == "[]" else tuple(json.loads(scenarios)),
        request_id=request_id,
        created_at=read_time(created),
        updated_at=read_time(updated),
        checked_in_at=None if checked_in is None else read_time(checked_in),
        decision_reason=reason,
    )


SELECT = f"SELECT {COLUMNS} FROM bookings WHERE "
GET = SELECT + "id = :id"
BY_REQUEST_ID = SELECT + "organisation_id = :organisation AND request_id = :request_id"
HOLDING_BETWEEN = (
    SELECT + f"state IN ({HOLDING_SQL}) AND blocked_start < :end AND blocked_end > :start"
)
# start_at < :start follows from end_at <= :start; it lets the database walk the
# (mode, start_at) index backwards from :start
NEIGHBOUR_BEFORE = (
    SELECT + f"{MOTION} AND state IN ({HOLDING_SQL}) AND start_at < :start AND end_at <= :start"
    " ORDER BY start_at DESC LIMIT 1"
)
NEIGHBOUR_AFTER = (
    SELECT + f"{MOTION} AND state IN ({HOLDING_SQL}) AND start_at >= :end ORDER BY start_at LIMIT 1"
)
# both in one statement (one execute instead of two for every rule context); the one before
# starts before :start, the one after at or after :end > :start: start order puts it second
MOTION_NEIGHBOURS = (
    f"SELECT * FROM ({NEIGHBOUR_BEFORE}) AS before_start"
    f" UNION ALL SELECT * FROM ({NEIGHBOUR_AFTER}) AS after_end ORDER BY start_at"
)
_WAITLISTED = f"state = '{BookingState.WAITLISTED.value}'"
WAITLISTED_MEETING = (
    SELECT + f"{_WAITLISTED} AND start_at < :end AND end_at > :start ORDER BY created_at, id"
)
WAITLISTED_ENDED_BEFORE = SELECT + f"{_WAITLISTED} AND end_at <= :at"
APPROVED_MOTION_STARTED_BEFORE = (
    SELECT + f"state = '{BookingState.APPROVED.value}' AND {MOTION} AND start_at <= :at"
)
CHECKED_IN_ENDED_BEFORE = SELECT + f"state = '{BookingState.CHECKED_IN.value}' AND end_at <= :at"
TRANSITIONS = (
    "SELECT booking_id, from_state, to_state, at, by_user_id, reason FROM booking_transitions"
    " WHERE booking_id = :booking ORDER BY id"
)
INSERT_BOOKING = (
    f"INSERT INTO bookings ({COLUMNS}) VALUES (:id, :organisation, :by, :cabin, :mode, :state,"
    " :start, :end, :blocked_start, :blocked_end, :purpose, :scenario_ids, :request_id,"
    " :created, :updated, :checked_in, :reason)"
)
INSERT_TRANSITION = (
    "INSERT INTO booking_transitions (booking_id, from_state, to_state, at, by_user_id, reason)"
    " VALUES (:booking, :from_state, :to_state, :at, :by, :reason)"
)
ORGANISATION = "SELECT 1 FROM organisations WHERE id = :organisation"
GENERATION = "SELECT bookings, policy FROM booking_generation WHERE id = 1"


def last_planned_before(planned: frozenset[BookingState]) -> str:
    return (
        SELECT + f"{MOTION} AND state IN ({states_sql(planned)}) AND start_at < :at"
        " ORDER BY start_at DESC LIMIT 1"
    )


def sweep_due() -> str:
    no_show = (
        f"SELECT 1 FROM bookings WHERE state = '{BookingState.APPROVED.value}'"
        f" AND start_at <= :late AND {MOTION}"
    )
    ended = (
        "SELECT 1 FROM bookings WHERE state IN"
        f" ({states_sql({BookingState.CHECKED_IN, BookingState.WAITLISTED})})"
        " AND end_at <= :now"
    )
    return f"SELECT (EXISTS ({no_show})) OR (EXISTS ({ended}))"


#: The change log (migration 0006): written by every write transaction, read by the caches.
LOG_CHANGE = (
    "INSERT INTO booking_changes"
    " (generation, organisation_id, motion, planned, start_at, end_at, motion_minutes)"
    " VALUES (:generation, :organisation, :motion, :planned, :start, :end, :minutes)"
)
CHANGES = (
    "SELECT generation, organisation_id, motion, planned, start_at, end_at, motion_minutes"
    " FROM booking_changes WHERE generation > :after AND generation <= :upto"
    " ORDER BY generation, id"
)
PRUNE_CHANGES = "DELETE FROM booking_changes WHERE generation < :before"
#: Writers prune the log every this many generations, keeping the last KEEP_GENERATIONS.
PRUNE_EVERY = 500
KEEP_GENERATIONS = 5000
