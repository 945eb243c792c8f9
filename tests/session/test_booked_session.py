"""A motion session in a real, checked-in booking, end to end through BookingService; and the
refusals: not checked in, another organisation's booking, the wrong cabin on the platform."""

from __future__ import annotations

import pytest

from simhub.app import App
from simhub.booking.model import BookingMode
from simhub.booking.service import BookingSpec
from simhub.errors import FailedPrecondition
from simhub.session import CreateRequest, SessionMode, SessionState
from tests.booking.conftest import Clock, People, app, at, clock, people  # noqa: F401  (fixtures)


def test_a_checked_in_motion_booking_runs_a_session_on_the_mounted_cabin(
    app: App,  # noqa: F811
    people: People,  # noqa: F811
    clock: Clock,  # noqa: F811
) -> None:
    assert app.sessions is not None
    booking = app.booking_service.request(
        people.engineer, BookingSpec("passenger", BookingMode.MOTION, at(3, 9), at(3, 11))
    )
    app.booking_service.approve(people.operator, booking.id)
    clock.now = at(3, 9, 5)
    app.booking_service.check_in(people.engineer, booking.id)
    booking_id = booking.id
    session = app.sessions.create(
        people.engineer, CreateRequest(mode=SessionMode.MOTION, booking_id=booking_id)
    )
    assert (session.cabin_id, session.organisation_id) == (
        "passenger",
        people.engineer.organisation_id,
    )
    assert session.egos[0].binding.value == "cabin"
    started = app.sessions.start(people.engineer, session.id)
    assert started.state is SessionState.RUNNING
    stopped = app.sessions.stop(people.engineer, session.id)
    assert stopped.state is SessionState.STOPPED and stopped.stats.ticks > 0


def test_refusals_not_checked_in_other_organisation_wrong_cabin(
    app: App,  # noqa: F811
    people: People,  # noqa: F811
    clock: Clock,  # noqa: F811
) -> None:
    assert app.sessions is not None
    service = app.booking_service
    approved = service.request(
        people.engineer, BookingSpec("passenger", BookingMode.MOTION, at(3, 9), at(3, 11))
    )
    service.approve(people.operator, approved.id)
    clock.now = at(3, 9, 5)
    motion = CreateRequest(mode=SessionMode.MOTION, booking_id=approved.id)
    with pytest.raises(FailedPrecondition, match="not checked in"):
        app.sessions.create(people.engineer, motion)  # approved, not checked in
    service.check_in(people.engineer, approved.id)
    with pytest.raises(FailedPrecondition, match="not checked in"):
        app.sessions.create(people.other_engineer, motion)  # Rival cannot use Acme's booking
    assert app.sessions.create(people.engineer, motion).cabin_id == "passenger"
    # a booking of another cabin while the passenger cabin is still on the platform
    clock.now = at(4, 6)
    other = service.request(
        people.engineer, BookingSpec("commercial", BookingMode.MOTION, at(4, 9), at(4, 11))
    )
    service.approve(people.operator, other.id)
    clock.now = at(4, 9, 5)
    service.check_in(people.engineer, other.id)
    with pytest.raises(FailedPrecondition, match="mounted") as refused:
        app.sessions.create(
            people.engineer, CreateRequest(mode=SessionMode.MOTION, booking_id=other.id)
        )
    assert refused.value.violations[0].type == "CABIN_MOUNTED"
