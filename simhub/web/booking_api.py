"""JSON API over the booking service: requests, slots, decisions, the schedule, the policy."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from simhub.booking.model import (
    Blackout,
    Booking,
    BookingState,
    OpeningInterval,
    Policy,
    Quota,
)
from simhub.booking.planner import Slot, SlotQuery
from simhub.booking.service import BookingDetail, BookingFilter, BookingSpec, QuotaUsage, Schedule
from simhub.web.deps import ApiCaller, AppDep
from simhub.web.schemas import (
    BlackoutIn,
    BookingIn,
    OpeningIntervalIn,
    QuotaIn,
    ReasonIn,
    SlotQueryIn,
    check_day,
    check_instant,
)

router = APIRouter(prefix="/api/v1", tags=["booking"])


class BlackoutAdded(BaseModel):
    blackout: Blackout
    meeting: list[Booking]  # slot-holding bookings it meets (left as they are)


@router.get("/bookings", response_model=list[Booking])
def list_bookings(
    caller: ApiCaller,
    app: AppDep,
    state: list[BookingState] = Query([]),
    cabin_id: str | None = Query(None, max_length=40),
    organisation_id: str | None = Query(None, max_length=100),
    start: datetime | None = Query(None, description="bookings ending after this"),
    end: datetime | None = Query(None, description="bookings starting before this"),
    offset: int = Query(0, ge=0, le=1_000_000),
    limit: int = Query(50, ge=1, le=500),
) -> list[Booking]:
    """Bookings by start time: your organisation's (operators: any)."""
    where = BookingFilter(
        organisation_id=organisation_id,
        states=frozenset(state),
        cabin_id=cabin_id,
        start=check_instant(start, "start"),
        end=check_instant(end, "end"),
    )
    return app.booking_service.list_bookings(caller.principal, where, limit, offset)


@router.post("/bookings", response_model=Booking, status_code=201)
def request_booking(body: BookingIn, caller: ApiCaller, app: AppDep) -> Booking:
    """Request a booking; it holds its slot at once and waits for an operator's approval.
    Broken rules come back as ``violations`` naming the field."""
    spec = BookingSpec(
        cabin_id=body.cabin_id,
        mode=body.mode,
        start=body.start,
        end=body.end,
        purpose=body.purpose,
        scenario_ids=tuple(body.scenario_ids),
        request_id=body.request_id,
        join_waitlist=body.join_waitlist,
    )
    return app.booking_service.request(caller.principal, spec)


@router.get("/bookings/{booking_id}", response_model=BookingDetail)
def get_booking(booking_id: str, caller: ApiCaller, app: AppDep) -> BookingDetail:
    return app.booking_service.get(caller.principal, booking_id)


@router.post("/bookings/{booking_id}/cancel", response_model=Booking)
def cancel_booking(booking_id: str, body: ReasonIn, caller: ApiCaller, app: AppDep) -> Booking:
    return app.booking_service.cancel(caller.principal, booking_id, body.reason)


@router.post("/bookings/{booking_id}/approve", response_model=Booking)
def approve_booking(booking_id: str, body: ReasonIn, caller: ApiCaller, app: AppDep) -> Booking:
    """Approve a requested booking (operators only)."""
    return app.booking_service.approve(caller.principal, booking_id, body.reason)


@router.post("/bookings/{booking_id}/reject", response_model=Booking)
def reject_booking(booking_id: str, body: ReasonIn, caller: ApiCaller, app: AppDep) -> Booking:
    """Reject a requested booking with a reason (operators only)."""
    return app.booking_service.reject(caller.principal, booking_id, body.reason)


@router.post("/bookings/{booking_id}/check-in", response_model=Booking)
def check_in(booking_id: str, caller: ApiCaller, app: AppDep) -> Booking:
    return app.booking_service.check_in(caller.principal, booking_id)


@router.post("/slots/search", response_model=list[Slot])
def find_slots(body: SlotQueryIn, caller: ApiCaller, app: AppDep) -> list[Slot]:
    """The planner's best free slots, ranked by the changeover minutes they add."""
    query = SlotQuery(
        organisation_id=caller.principal.organisation_id,
        cabin_id=body.cabin_id,
        mode=body.mode,
        duration_minutes=body.duration_minutes,
        window_start=body.window_start,
        window_end=body.window_end,
        max_results=body.max_results,
        order=body.order,
    )
    return app.booking_service.find_slots(caller.principal, query)


@router.get("/schedule", response_model=Schedule)
def schedule(
    caller: ApiCaller, app: AppDep, day: date, days: int = Query(1, ge=1, le=14)
) -> Schedule:
    """The local days from *day*: bookings (others' only as busy), changeovers, blackouts."""
    return app.booking_service.schedule(caller.principal, check_day(day), days)


@router.get("/policy", response_model=Policy)
def policy(caller: ApiCaller, app: AppDep) -> Policy:
    return app.booking_service.policy(caller.principal)


@router.put("/policy/opening-hours", response_model=Policy)
def set_opening_hours(body: list[OpeningIntervalIn], caller: ApiCaller, app: AppDep) -> Policy:
    hours = [OpeningInterval(i.weekday, i.opens_minute, i.closes_minute) for i in body]
    return app.booking_service.set_opening_hours(caller.principal, hours)


@router.post("/policy/blackouts", response_model=BlackoutAdded, status_code=201)
def add_blackout(body: BlackoutIn, caller: ApiCaller, app: AppDep) -> BlackoutAdded:
    blackout, meeting = app.booking_service.add_blackout(
        caller.principal, body.start, body.end, body.reason, body.cabin_id
    )
    return BlackoutAdded(blackout=blackout, meeting=meeting)


@router.delete("/policy/blackouts/{blackout_id}", status_code=204)
def remove_blackout(blackout_id: str, caller: ApiCaller, app: AppDep) -> Response:
    app.booking_service.remove_blackout(caller.principal, blackout_id)
    return Response(status_code=204)


@router.put("/policy/quotas/{organisation_id}", response_model=Quota)
def set_quota(organisation_id: str, body: QuotaIn, caller: ApiCaller, app: AppDep) -> Quota:
    quota = Quota(organisation_id, body.motion_hours_per_week, body.motion_hours_per_month)
    return app.booking_service.set_quota(caller.principal, quota)


@router.get("/quota-usage", response_model=QuotaUsage)
def quota_usage(
    caller: ApiCaller,
    app: AppDep,
    organisation_id: str = Query("", max_length=100),
    at: datetime | None = None,
) -> QuotaUsage:
    return app.booking_service.quota_usage(
        caller.principal, organisation_id, check_instant(at, "at")
    )
