"""Properties through the real service and database: random request / cancel / approve /
reject sequences never store an overlap or a missing changeover gap, and every slot FindSlots
offers is one RequestBooking then accepts."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simhub.app import App
from simhub.booking.model import BookingMode, BookingState
from simhub.booking.planner import SlotOrder, SlotQuery
from simhub.booking.service import BookingFilter, BookingSpec
from simhub.errors import SimhubError
from tests.booking.conftest import People, at
from tests.booking.oracle import schedule_problems

CABINS = ["commercial", "passenger", "special"]
steps = st.lists(
    st.tuples(
        st.sampled_from(["request", "request", "request", "cancel", "approve", "reject"]),
        st.sampled_from(CABINS),
        st.sampled_from(list(BookingMode)),
        st.integers(0, 2 * 16 * 4),  # quarter hours over two opening days
        st.integers(2, 10),
        st.integers(0, 1000),
        st.booleans(),  # which organisation
    ),
    min_size=1,
    max_size=12,
)
SETTINGS = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(ops=steps)
def test_random_sequences_keep_the_schedule_consistent(
    app: App,
    people: People,
    ops: list[tuple],  # type: ignore[type-arg]
) -> None:
    service = app.booking_service
    for op, cabin, mode, quarter, quarters, pick, rival in ops:
        who = people.other_engineer if rival else people.engineer
        open_ = service.list_bookings(people.operator, BookingFilter(), 1000, 0)
        try:
            if op == "request":
                day = 3 + quarter // 64
                start = at(day, 5) + timedelta(minutes=15 * (quarter % 64))
                end = start + timedelta(minutes=15 * quarters)
                service.request(who, BookingSpec(cabin, mode, start, end))
            elif open_ and op == "cancel":
                service.cancel(people.operator, open_[pick % len(open_)].id)
            elif open_ and op == "approve":
                service.approve(people.operator, open_[pick % len(open_)].id)
            elif open_ and op == "reject":
                service.reject(people.operator, open_[pick % len(open_)].id, "no")
        except SimhubError:
            pass  # refusals are fine; what is stored must stay consistent
    stored = service.list_bookings(people.operator, BookingFilter(), 10_000, 0)
    assert schedule_problems(stored, service.cabins) == []


@SETTINGS
@given(
    cabin=st.sampled_from(CABINS),
    mode=st.sampled_from(list(BookingMode)),
    minutes=st.sampled_from([30, 60, 90, 150]),
    order=st.sampled_from(list(SlotOrder)),
)
def test_found_slots_are_accepted(
    app: App, people: People, cabin: str, mode: BookingMode, minutes: int, order: SlotOrder
) -> None:
    service = app.booking_service
    query = SlotQuery("", cabin, mode, minutes, at(3, 5), at(4, 21), 3, order)
    slots = service.find_slots(people.engineer, query)
    assert slots  # two long days always leave room somewhere
    for slot in slots[:1]:  # the best one: booking it changes the picture for the rest
        booked = service.request(people.engineer, BookingSpec(cabin, mode, slot.start, slot.end))
        assert booked.state is BookingState.REQUESTED
    stored = service.list_bookings(people.operator, BookingFilter(), 10_000, 0)
    assert schedule_problems(stored, service.cabins) == []
