"""A write drops exactly the cached answers it can alter, never one it alters.

The read caches keep an answer across writes that cannot change it (another day, another
organisation's listing, a quota with room to spare) and drop it when the change log says a
write touched what it read: a booking by one organisation shows at once in another's busy
blocks and slot search, a booking far before a day moves that day's changeover plan, the
quota binds as soon as it is spent, a full listing page stays until a booking sorts into it (or
a promotion moves one of its bookings out). The oracle is a service with empty caches over the same
database: after every write, every cached answer must equal what it computes.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from simhub.app import App
from simhub.booking.model import BookingMode, Quota
from simhub.booking.planner import SlotQuery
from simhub.booking.service import BookingFilter, BookingService, BookingSpec
from simhub.errors import SimhubError
from simhub.identity.model import Principal
from simhub.storage.booking_repo import SqlBookingStore
from tests.booking.conftest import Clock, People, at

DAYS = (3, 4, 5, 6)
CABINS = ("passenger", "commercial", "special")


def fresh(app: App, clock: Clock) -> BookingService:
    """A service over the same database with caches of its own (another server process)."""
    return BookingService(app.facility, SqlBookingStore(app.db), clock, lambda: "passenger")


def answers(service: BookingService, people: People) -> list[object]:
    """Every read the caches keep, for both organisations and the operator."""
    found: list[object] = []
    callers: tuple[Principal, ...] = (people.engineer, people.other_engineer, people.operator)
    for caller in callers:
        found.append(service.list_bookings(caller, BookingFilter(), 50, 0))
        # full pages: kept across writes of bookings that sort after them, not before
        found.append(service.list_bookings(caller, BookingFilter(), 2, 0))
        found.append(service.list_bookings(caller, BookingFilter(), 2, 2))
        for day in DAYS:
            found.append(service.schedule(caller, date(2026, 3, day)))
    for caller in callers[:2]:
        for day in DAYS:
            for cabin in CABINS:
                query = SlotQuery("", cabin, BookingMode.MOTION, 60, at(day, 4), at(day + 1, 4), 5)
                found.append(service.find_slots(caller, query))
    return found


def test_another_organisations_booking_shows_in_busy_blocks_and_slots_at_once(
    app: App, people: People, clock: Clock
) -> None:
    reader = fresh(app, clock)
    query = SlotQuery("", "passenger", BookingMode.MOTION, 60, at(4, 4), at(5, 4), 50)
    assert reader.schedule(people.other_engineer, date(2026, 3, 4)).entries == ()
    assert at(4, 9) in [s.start for s in reader.find_slots(people.other_engineer, query)]
    other_day = reader.schedule(people.other_engineer, date(2026, 3, 6))
    # Acme books through another service (process): Rival's cached reads must show it
    app.booking_service.request(
        people.engineer, BookingSpec("passenger", BookingMode.MOTION, at(4, 9), at(4, 10))
    )
    (entry,) = reader.schedule(people.other_engineer, date(2026, 3, 4)).entries
    assert entry.booking is None and (entry.start, entry.end) == (at(4, 9), at(4, 10))
    assert at(4, 9) not in [s.start for s in reader.find_slots(people.other_engineer, query)]
    # a day the booking cannot touch answers as before
    assert reader.schedule(people.other_engineer, date(2026, 3, 6)) == other_day


@pytest.mark.parametrize("seed", [1, 2])
def test_cached_answers_equal_fresh_ones_after_every_write(
    app: App, people: People, clock: Clock, seed: int
) -> None:
    rng = random.Random(seed)
    # a tight weekly quota for Acme, so that its own bookings make it bind
    app.booking_service.set_quota(people.operator, Quota(people.engineer.organisation_id, 3, 2000))
    cached = fresh(app, clock)
    writers = (cached, app.booking_service)  # this process's cache, and another one's
    made = []
    answers(cached, people)
    for _ in range(24):
        writer = rng.choice(writers)
        roll = rng.random()
        try:
            if roll < 0.6 or not made:
                who = rng.choice((people.engineer, people.other_engineer))
                start = at(rng.choice(DAYS), rng.randrange(5, 20), rng.choice((0, 30)))
                mode = BookingMode.MOTION if rng.random() < 0.8 else BookingMode.FIXED_BASE
                hours = timedelta(minutes=rng.choice((60, 90, 120)))
                spec = BookingSpec(rng.choice(CABINS), mode, start, start + hours)
                made.append((who, writer.request(who, spec)))
            elif roll < 0.8:
                who, booking = rng.choice(made)
                writer.approve(people.operator, booking.id)
            else:
                who, booking = rng.choice(made)
                writer.cancel(who, booking.id)
        except SimhubError:
            pass  # refused: nothing written
        assert answers(cached, people) == answers(fresh(app, clock), people)


def test_a_full_listing_page_stays_until_a_booking_sorts_into_it(
    app: App, people: People, clock: Clock
) -> None:
    reader = fresh(app, clock)
    writer = app.booking_service

    def book(day: int, hour: int) -> None:
        spec = BookingSpec("passenger", BookingMode.FIXED_BASE, at(day, hour), at(day, hour + 1))
        writer.request(people.engineer, spec)

    book(4, 9)
    book(4, 12)
    page = reader.list_bookings(people.engineer, BookingFilter(), 2, 0)
    book(5, 9)  # after the page's last row: the cached page still stands
    assert reader.list_bookings(people.engineer, BookingFilter(), 2, 0) == page
    assert reader.list_bookings(people.engineer, BookingFilter(), 2, 0) is not page
    book(4, 10)  # before it: the page must show it
    again = reader.list_bookings(people.engineer, BookingFilter(), 2, 0)
    assert [b.start for b in again] == [at(4, 9), at(4, 10)]
    assert again == fresh(app, clock).list_bookings(people.engineer, BookingFilter(), 2, 0)


def test_a_promotion_that_moves_a_booking_out_of_a_full_page_shows_at_once(
    app: App, people: People, clock: Clock
) -> None:
    reader = fresh(app, clock)
    writer = app.booking_service
    held = writer.request(
        people.engineer, BookingSpec("passenger", BookingMode.MOTION, at(3, 9), at(3, 11))
    )
    writer.approve(people.operator, held.id)
    waiting = writer.request(
        people.other_engineer,
        BookingSpec("passenger", BookingMode.MOTION, at(3, 9), at(3, 11), join_waitlist=True),
    )
    later = writer.request(
        people.other_engineer,
        BookingSpec("special", BookingMode.FIXED_BASE, at(3, 9, 15), at(3, 10)),
    )
    (first,) = reader.list_bookings(people.other_engineer, BookingFilter(), 1, 0)
    assert first.id == waiting.id
    clock.now = at(3, 9, 16)  # the held booking is a no-show: the waitlist moves up
    (promoted,) = writer.sweep().promoted
    assert promoted.start == at(3, 9, 30)  # after the page's last row, where it was before
    (shown,) = reader.list_bookings(people.other_engineer, BookingFilter(), 1, 0)
    assert shown.id == later.id
