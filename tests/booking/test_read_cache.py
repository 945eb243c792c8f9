"""The read caches (FindSlots, GetSchedule, ListBookings, the policy) never serve stale data or
another organisation's detail: every read below first fills the cache, then a write through
another path (this service, or a second app on the same database: another server process)
must show at once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from simhub.app import App
from simhub.booking.model import BookingMode, OpeningInterval, Quota
from simhub.booking.planner import SlotQuery
from simhub.booking.service import BookingFilter, BookingSpec, SlotUnavailable
from simhub.errors import QuotaExceeded
from simhub.identity.model import Role
from tests.booking.conftest import Clock, People, at, principal
from tests.conftest import issue

DAY = date(2026, 3, 3)


def slots(app: App, people: People, day: int = 3) -> list[datetime]:
    """The starts of the passenger cabin's free hours in the day from *day* 06:00 UTC on."""
    query = SlotQuery("", "passenger", BookingMode.MOTION, 60, at(day, 6), at(day + 1, 6), 50)
    return sorted(s.start for s in app.booking_service.find_slots(people.engineer, query))


def test_a_write_shows_at_once_in_every_cached_read(app: App, people: People) -> None:
    service = app.booking_service
    before = slots(app, people)
    assert at(3, 9) in before
    assert service.schedule(people.engineer, DAY).entries == ()
    assert service.list_bookings(people.engineer, BookingFilter(), 50, 0) == []
    # the same reads again: answered from the caches, still right
    assert slots(app, people) == before
    booking = service.request(
        people.engineer, BookingSpec("passenger", BookingMode.MOTION, at(3, 9), at(3, 10))
    )
    assert at(3, 9) not in slots(app, people)
    assert [e.booking for e in service.schedule(people.engineer, DAY).entries] == [booking]
    assert service.list_bookings(people.engineer, BookingFilter(), 50, 0) == [booking]
    service.cancel(people.engineer, booking.id)
    assert slots(app, people) == before
    assert service.schedule(people.engineer, DAY).entries == ()
    listed = service.list_bookings(people.engineer, BookingFilter(), 50, 0)
    assert [b.state.value for b in listed] == ["cancelled"]


def test_another_processs_writes_show_at_once(app: App, other_process: App, people: People) -> None:
    service, elsewhere = app.booking_service, other_process.booking_service
    assert at(3, 9) in slots(app, people)
    assert service.schedule(people.engineer, DAY).entries == ()
    assert service.list_bookings(people.engineer, BookingFilter(), 50, 0) == []
    booking = elsewhere.request(
        people.engineer, BookingSpec("passenger", BookingMode.MOTION, at(3, 9), at(3, 10))
    )
    assert at(3, 9) not in slots(app, people)
    assert [e.booking for e in service.schedule(people.engineer, DAY).entries] == [booking]
    assert service.list_bookings(people.engineer, BookingFilter(), 50, 0) == [booking]
    # and this process's write refuses the slot the other one took, cache or not
    with pytest.raises(SlotUnavailable):
        service.request(
            people.other_engineer,
            BookingSpec("commercial", BookingMode.MOTION, at(3, 9), at(3, 10)),
        )


def test_another_processs_policy_changes_show_at_once(
    app: App, other_process: App, people: People
) -> None:
    service = app.booking_service
    assert at(3, 9) in slots(app, people)
    assert service.policy(people.engineer).opening_hours[0].opens_minute == 6 * 60
    operator = principal(other_process, issue(other_process, "Facility", Role.OPERATOR))
    late = [OpeningInterval(day, 12 * 60, 22 * 60) for day in range(7)]
    other_process.booking_service.set_opening_hours(operator, late)
    assert service.policy(people.engineer).opening_hours[0].opens_minute == 12 * 60
    assert min(slots(app, people)) == at(3, 11)  # 12:00 in Berlin
    blackout, _ = other_process.booking_service.add_blackout(
        operator, at(3, 11), at(3, 22), "maintenance"
    )
    assert slots(app, people) == []
    assert service.schedule(people.engineer, DAY).blackouts == (blackout,)
    # a quota set elsewhere binds this process's next request at once
    quota = Quota(people.engineer.organisation_id, 0, 0)
    other_process.booking_service.set_quota(operator, quota)
    other_process.booking_service.remove_blackout(operator, blackout.id)
    assert slots(app, people) == []  # no quota left: no slot is feasible
    with pytest.raises(QuotaExceeded):
        service.request(
            people.engineer, BookingSpec("passenger", BookingMode.MOTION, at(3, 13), at(3, 14))
        )


def test_cached_reads_never_show_another_organisation_its_detail(app: App, people: People) -> None:
    service = app.booking_service
    acme = service.request(
        people.engineer,
        BookingSpec("passenger", BookingMode.MOTION, at(3, 9), at(3, 10), purpose="secret"),
    )
    # Acme fills the caches with full detail ...
    assert [e.booking for e in service.schedule(people.engineer, DAY).entries] == [acme]
    assert service.list_bookings(people.engineer, BookingFilter(), 50, 0) == [acme]
    # ... and Rival, reading the same day and list right after, sees busy/free only
    (entry,) = service.schedule(people.other_engineer, DAY).entries
    assert entry.booking is None and entry.cabin_id == ""
    assert (entry.start, entry.end) == (acme.start, acme.end)
    assert service.list_bookings(people.other_engineer, BookingFilter(), 50, 0) == []
    # the operator sees everything, from the same cached day
    (seen,) = service.schedule(people.operator, DAY).entries
    assert seen.booking == acme


def test_slot_searches_follow_the_clock(app: App, people: People, clock: Clock) -> None:
    """A cached search is reused only while notice and horizon allow the same starts."""
    earliest = min(slots(app, people, day=2))
    assert earliest == at(2, 7, 15)  # now 06:00 + 70 min notice, on the 15 min grid
    clock.advance(minutes=5)
    assert min(slots(app, people, day=2)) == at(2, 7, 15)  # still the same grid start
    clock.advance(hours=2)
    assert min(slots(app, people, day=2)) == at(2, 9, 15)
    clock.advance(days=1)
    assert slots(app, people, day=2) == []  # the whole window is in the past now
    clock.advance(days=-1, hours=-2, minutes=-5)
    assert min(slots(app, people, day=2)) == earliest  # nothing a later clock saw is reused


def test_waitlist_promotion_by_another_process_shows_at_once(
    app: App, other_process: App, people: People
) -> None:
    service, elsewhere = app.booking_service, other_process.booking_service
    first = service.request(
        people.engineer, BookingSpec("passenger", BookingMode.MOTION, at(3, 9), at(3, 10))
    )
    waiting = service.request(
        people.other_engineer,
        BookingSpec("passenger", BookingMode.MOTION, at(3, 9), at(3, 10), join_waitlist=True),
    )
    own = service.list_bookings(people.other_engineer, BookingFilter(), 50, 0)
    assert [b.state.value for b in own] == ["waitlisted"]
    elsewhere.cancel(people.engineer, first.id)
    own = service.list_bookings(people.other_engineer, BookingFilter(), 50, 0)
    assert [(b.id, b.state.value) for b in own] == [(waiting.id, "requested")]
    (entry,) = service.schedule(people.other_engineer, DAY).entries
    assert entry.booking is not None and entry.booking.id == waiting.id
    assert entry.start == at(3, 9) and entry.end - entry.start == timedelta(hours=1)


def test_a_request_rechecks_what_another_process_booked_after_its_early_read(
    app: App, other_process: App, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write reuses the early read's rule context only while no write has committed
    since: here another process takes the slot between the two, which the write must see
    (on SQLite nothing else would stop a double booking)."""
    service = app.booking_service
    early_read = service._refuse_early
    wanted = BookingSpec("passenger", BookingMode.MOTION, at(3, 9), at(3, 10))

    def then_the_other_process_books(*args, **kwargs):  # type: ignore[no-untyped-def]
        read = early_read(*args, **kwargs)
        other_process.booking_service.request(people.other_engineer, wanted)
        return read

    monkeypatch.setattr(service, "_refuse_early", then_the_other_process_books)
    with pytest.raises(SlotUnavailable):
        service.request(people.engineer, wanted)
    monkeypatch.undo()
    listed = service.list_bookings(people.operator, BookingFilter(), 50, 0)
    assert [b.organisation_id for b in listed] == [people.other_engineer.organisation_id]
    # with nothing in between, the early read's context decides the write, as before
    later = BookingSpec("passenger", BookingMode.MOTION, at(3, 12), at(3, 13))
    assert service.request(people.engineer, later).start == at(3, 12)


def test_a_request_read_on_its_own_is_rechecked_by_its_write(
    app: App, other_process: App, people: People
) -> None:
    """The RPC layer takes ``read_request`` where reads run and hands it to ``request`` on
    the write pool: a slot another process booked in between is still refused by the write,
    a read that refuses raises before any write, and a read is only accepted for its own
    principal and spec."""
    service = app.booking_service
    wanted = BookingSpec("passenger", BookingMode.MOTION, at(3, 9), at(3, 10))
    read = service.read_request(people.engineer, wanted)
    other_process.booking_service.request(people.other_engineer, wanted)
    with pytest.raises(SlotUnavailable):
        service.request(people.engineer, wanted, read)
    with pytest.raises(SlotUnavailable):
        service.read_request(people.engineer, wanted)  # refused by the read alone
    later = BookingSpec("passenger", BookingMode.MOTION, at(3, 12), at(3, 13))
    read = service.read_request(people.engineer, later)
    with pytest.raises(ValueError, match="another request"):
        service.request(people.other_engineer, later, read)
    booked = service.request(people.engineer, later, read)
    assert booked.start == at(3, 12) and booked.organisation_id == people.engineer.organisation_id


def test_quota_minutes_kept_for_reads_follow_another_processs_writes(
    app: App, other_process: App, people: People
) -> None:
    """Reads keep an organisation's motion minutes per quota window: a booking or a
    cancellation made elsewhere in the same week must reach the next slot search and the
    next request's early read (kept minutes would offer spent quota, or refuse a freed one)."""
    operator = principal(app, issue(app, "Facility", Role.OPERATOR))
    service = app.booking_service
    service.set_quota(operator, Quota(people.engineer.organisation_id, 1, 2000))
    elsewhere = other_process.booking_service

    def free_hours(results: int) -> list[datetime]:  # a new max_results: the slots not cached
        query = SlotQuery("", "passenger", BookingMode.MOTION, 60, at(4, 6), at(5, 6), results)
        return [s.start for s in service.find_slots(people.engineer, query)]

    assert free_hours(50)  # nothing used this week
    held = elsewhere.request(
        people.engineer, BookingSpec("commercial", BookingMode.MOTION, at(3, 9), at(3, 10))
    )
    assert free_hours(49) == []  # the week's hour is spent
    wanted = BookingSpec("passenger", BookingMode.MOTION, at(4, 9), at(4, 10))
    with pytest.raises(QuotaExceeded):
        service.request(people.engineer, wanted)
    elsewhere.cancel(people.engineer, held.id)
    assert free_hours(48)
    assert service.request(people.engineer, wanted).start == at(4, 9)
