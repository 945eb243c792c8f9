"""No-show release and waitlist promotion, on an injected clock, over both databases."""

from __future__ import annotations

import pytest

from simhub.app import App
from simhub.booking.model import BookingMode, BookingState
from simhub.booking.service import BookingSpec, SlotUnavailable
from simhub.errors import FailedPrecondition, InvalidArgument
from tests.booking.conftest import Clock, People, at
from tests.booking.oracle import schedule_problems


def spec(cabin: str, start_hour: int, end_hour: int, **extra: object) -> BookingSpec:
    return BookingSpec(cabin, BookingMode.MOTION, at(3, start_hour), at(3, end_hour), **extra)  # type: ignore[arg-type]


def test_no_show_is_released_and_the_waitlist_promoted(
    app: App, people: People, clock: Clock
) -> None:
    service = app.booking_service
    held = service.request(people.engineer, spec("passenger", 9, 11))
    service.approve(people.operator, held.id)
    with pytest.raises(SlotUnavailable):
        service.request(people.other_engineer, spec("passenger", 9, 11))
    waiting = service.request(people.other_engineer, spec("passenger", 9, 11, join_waitlist=True))
    assert waiting.state is BookingState.WAITLISTED
    # a waitlist entry never hides a request that breaks other rules
    with pytest.raises(InvalidArgument):
        service.request(people.other_engineer, spec("passenger", 22, 23, join_waitlist=True))

    clock.now = at(3, 9, 14)  # still inside the check-in window: nothing happens
    assert service.sweep().no_shows == []
    clock.now = at(3, 9, 16)
    result = service.sweep()
    assert [b.id for b in result.no_shows] == [held.id]
    (promoted,) = result.promoted
    assert promoted.id == waiting.id and promoted.state is BookingState.REQUESTED
    # it keeps what is still ahead of its period, from the next grid step
    assert (promoted.start, promoted.end) == (at(3, 9, 30), at(3, 11))
    detail = service.get(people.other_engineer, waiting.id)
    assert [t.to_state for t in detail.transitions] == [
        BookingState.WAITLISTED,
        BookingState.REQUESTED,
    ]
    assert detail.transitions[-1].by_user_id is None
    assert service.get(people.engineer, held.id).booking.state is BookingState.NO_SHOW
    assert service.sweep().no_shows == []  # idempotent
    stored = service.list_bookings(people.operator, _all(), 100, 0)
    assert schedule_problems(stored, service.cabins) == []


def test_cancel_promotes_first_come_first_served(app: App, people: People, clock: Clock) -> None:
    service = app.booking_service
    held = service.request(people.engineer, spec("commercial", 9, 10))
    first = service.request(people.other_engineer, spec("passenger", 9, 10, join_waitlist=True))
    clock.advance(minutes=1)
    second = service.request(people.engineer, spec("special", 9, 10, join_waitlist=True))
    service.cancel(people.engineer, held.id, "plans changed")
    assert service.get(people.other_engineer, first.id).booking.state is BookingState.REQUESTED
    assert service.get(people.engineer, second.id).booking.state is BookingState.WAITLISTED
    clock.now = at(3, 10)
    expired = service.sweep().expired
    assert [b.id for b in expired] == [second.id]


def test_lazy_release_on_any_write(app: App, people: People, clock: Clock) -> None:
    """Without the background sweep, the next write applies the overdue no-show first."""
    service = app.booking_service
    held = service.request(people.engineer, spec("passenger", 9, 10))
    service.approve(people.operator, held.id)
    clock.now = at(3, 9, 20)
    with pytest.raises(FailedPrecondition):  # too late to check in: released first
        service.check_in(people.engineer, held.id)
    assert service.get(people.engineer, held.id).booking.state is BookingState.NO_SHOW


def _all():  # type: ignore[no-untyped-def]
    from simhub.booking.service import BookingFilter

    return BookingFilter()
