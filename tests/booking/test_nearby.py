"""The blocks of bookings that reads keep (``simhub.booking.nearby``) answer as the store
does, and never outlive a write that meets them or moves a platform neighbour, whichever
process makes it."""

from __future__ import annotations

import contextlib
import random
from datetime import timedelta

import pytest

from simhub.app import App
from simhub.booking.model import BookingMode
from simhub.booking.nearby import BLOCK_DAYS, _read, block_of
from simhub.booking.planner import Slot, SlotQuery
from simhub.booking.service import BookingService, BookingSpec, SlotUnavailable
from simhub.errors import SimhubError
from simhub.storage.booking_repo import SqlBookingStore
from tests.booking.conftest import Clock, People, at

CABINS = ("passenger", "commercial", "special")


def fresh(app: App, clock: Clock) -> BookingService:
    """A service with empty caches over the same database: the oracle."""
    return BookingService(app.facility, SqlBookingStore(app.db), clock, lambda: "passenger")


def test_a_period_lies_in_the_block_from_the_utc_midnight_by_its_start() -> None:
    assert block_of(at(4, 23, 30), at(5, 2)) == (at(4, 0), at(4 + BLOCK_DAYS, 0))
    assert block_of(at(4, 0), at(4 + BLOCK_DAYS, 0)) == (at(4, 0), at(4 + BLOCK_DAYS, 0))
    assert block_of(at(4, 12), at(4 + BLOCK_DAYS, 0, 1)) is None  # longer: read as it is


def test_a_block_answers_as_the_store_for_every_period_inside_it(app: App, people: People) -> None:
    service = app.booking_service
    rng = random.Random(7)
    for _ in range(40):  # bookings of every cabin, both modes, over a week
        start = at(3, 6) + timedelta(minutes=15 * rng.randrange(0, 7 * 96))
        mode = rng.choice([BookingMode.MOTION, BookingMode.FIXED_BASE])
        spec = BookingSpec(rng.choice(CABINS), mode, start, start + timedelta(hours=1))
        with contextlib.suppress(SimhubError):  # some collide: as many as fit
            service.request(people.engineer, spec)
    store = SqlBookingStore(app.db)
    told = 0
    for _ in range(200):
        start = at(3, 0) + timedelta(minutes=5 * rng.randrange(0, 7 * 288))
        end = start + timedelta(minutes=5 * rng.randrange(1, 300))
        bounds = block_of(start, end)
        if bounds is None:
            continue
        with store.read() as tx:
            block = _read(tx, *bounds)
            assert sorted(b.id for b in block.holding_between(start, end)) == sorted(
                b.id for b in tx.holding_between(start, end)
            )
            neighbours = block.motion_neighbours(start, end)
            assert neighbours is None or neighbours == tx.motion_neighbours(start, end)
            told += neighbours is not None
    assert told > 50  # most periods: the block tells their neighbours


def test_an_early_read_sees_another_processs_booking_in_its_block_at_once(
    app: App, other_process: App, people: People
) -> None:
    service = app.booking_service
    later = BookingSpec("passenger", BookingMode.MOTION, at(4, 15), at(4, 16))
    service.read_request(people.engineer, later)  # reads (and keeps) the block of 4 March
    wanted = BookingSpec("commercial", BookingMode.MOTION, at(4, 9), at(4, 10))
    other_process.booking_service.request(people.other_engineer, wanted)
    with pytest.raises(SlotUnavailable):
        service.read_request(people.engineer, wanted)  # refused by the read alone
    service.read_request(people.engineer, later)  # still free


def test_a_new_platform_neighbour_outside_the_block_reaches_the_next_slot_search(
    app: App, other_process: App, people: People, clock: Clock
) -> None:
    """The cabin mounted before a day decides how many swaps its slots add, however long
    before the day it was booked: a booking days earlier, made elsewhere, must reach the
    next search of the day (its block holds the neighbour it read, not the new one)."""
    service = app.booking_service
    service.request(
        people.engineer, BookingSpec("passenger", BookingMode.MOTION, at(3, 9), at(3, 10))
    )

    def search(results: int) -> list[Slot]:  # a new max_results: the slots not cached
        query = SlotQuery("", "commercial", BookingMode.MOTION, 60, at(7, 6), at(8, 6), results)
        return list(service.find_slots(people.engineer, query))

    swaps_before = search(50)
    assert all(s.changeover_before_minutes > 0 for s in swaps_before)
    other_process.booking_service.request(
        people.other_engineer, BookingSpec("commercial", BookingMode.MOTION, at(5, 9), at(5, 10))
    )
    now_found = search(49)
    oracle = fresh(app, clock).find_slots(
        people.engineer,
        SlotQuery("", "commercial", BookingMode.MOTION, 60, at(7, 6), at(8, 6), 49),
    )
    assert now_found == oracle
    assert now_found[0].changeover_before_minutes == 0
