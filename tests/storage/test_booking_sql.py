"""The booking queries written as SQL text (``simhub.storage.booking_sql``) read back exactly
what the ORM wrote, and compare times as the ORM stores them, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from simhub.app import App
from simhub.booking.model import Booking, BookingMode, BookingState, Transition
from simhub.booking.service import BookingFilter
from simhub.identity.model import Role
from simhub.storage import booking_sql as sql
from simhub.storage.booking_repo import SqlBookingStore
from simhub.storage.booking_sql import read_time
from tests.conftest import issue

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _booking(app: App, n: int, start: datetime, **changes: object) -> Booking:
    principal = app.identity.authenticate(issue(app, "Acme", Role.ENGINEER))
    fields: dict[str, object] = {
        "id": f"bkg_{n:04d}",
        "organisation_id": principal.organisation_id,
        "created_by_user_id": principal.user_id,
        "cabin_id": "passenger",
        "mode": BookingMode.MOTION,
        "state": BookingState.REQUESTED,
        "start": start,
        "end": start + timedelta(hours=1),
        "blocked_start": start - timedelta(minutes=30),
        "blocked_end": start + timedelta(minutes=80),
        "purpose": f"study {n}",
        "scenario_ids": ("cut-in", "ncap") if n % 2 else (),
        "request_id": f"req-{n}" if n % 3 else None,
        "created_at": T0 + timedelta(microseconds=123_456 * n),
        "updated_at": T0 + timedelta(seconds=n),
        "checked_in_at": T0 if n % 4 == 0 else None,
        "decision_reason": "",
    }
    fields.update(changes)
    return Booking(**fields)  # type: ignore[arg-type]


def test_rows_read_as_sql_text_equal_what_the_orm_wrote(app: App) -> None:
    store = SqlBookingStore(app.db)
    day = T0 + timedelta(days=3)
    wanted = [_booking(app, n, day + timedelta(hours=2 * n)) for n in range(6)]
    wanted.append(_booking(app, 6, day, mode=BookingMode.FIXED_BASE, state=BookingState.WAITLISTED))
    with store.write() as tx:
        for b in wanted:
            tx.add(b, Transition(b.id, None, b.state, T0, None))
    with store.read() as tx:
        assert [tx.get(b.id) for b in wanted] == wanted
        assert tx.by_request_id(wanted[1].organisation_id, "req-1") == wanted[1]
        listed = tx.list_bookings(BookingFilter(), 100, 0)
        assert listed == sorted(wanted, key=lambda b: (b.start, b.id))
        # the period bounds are open: a booking ending where the window starts is not in it
        first = wanted[0]
        assert first not in tx.holding_between(first.blocked_end, first.blocked_end + timedelta(1))
        just_before = first.blocked_end - timedelta(microseconds=1)
        assert first in tx.holding_between(just_before, first.blocked_end + timedelta(1))
        assert tx.holding_between(first.blocked_start - timedelta(1), first.blocked_start) == []
        # waitlisted entries hold nothing; the neighbours are the nearest motion bookings
        assert wanted[6] not in tx.holding_between(day - timedelta(1), day + timedelta(1))
        assert tx.motion_neighbours(wanted[2].start, wanted[2].end) == [wanted[1], wanted[3]]
        # one statement reads both sides: either may be missing, the order stays
        assert tx.motion_neighbours(wanted[0].start, wanted[0].end) == [wanted[1]]
        assert tx.motion_neighbours(wanted[5].start, wanted[5].end) == [wanted[4]]
        assert tx.motion_neighbours(wanted[5].end, wanted[5].end + timedelta(1)) == [wanted[5]]
        assert tx.motion_neighbours(day - timedelta(1), wanted[5].end) == []
        assert tx.waitlisted_meeting(day, day + timedelta(hours=1)) == [wanted[6]]


def test_times_go_to_sqlite_as_fixed_width_utc_text_and_come_back_aware() -> None:
    """``Dialect.time`` writes what ``UtcDateTime`` stores in SQLite (naive UTC text that
    compares as time) and ``read_time`` reads it back as the same UTC instant."""
    berlin, tokyo = ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Tokyo")
    for value in (
        datetime(2026, 3, 2, 6, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 3, 30, 0, 5, tzinfo=berlin),  # just after the spring change
        datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=berlin),  # the repeated hour, second time
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=tokyo),
    ):
        utc = value.astimezone(UTC)
        text = sql.Dialect(postgres=False).time(value)
        assert text == f"{utc:%Y-%m-%d %H:%M:%S}.{utc.microsecond:06d}"
        back = read_time(text)
        assert back == utc and back.tzinfo is UTC
        assert sql.Dialect(postgres=True).time(value) == utc
