"""HTML pages over the booking service: calendar, book (with find-slots), a booking, approvals.

Handlers translate forms to service calls and service errors back to messages next to the
fields they concern; every rule is the booking service's.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simhub.booking.model import (
    HOLDING,
    Booking,
    BookingMode,
    BookingState,
    OpeningInterval,
    Quota,
)
from simhub.booking.planner import Slot, SlotQuery
from simhub.booking.service import BookingFilter, BookingSpec
from simhub.errors import FieldViolation, InvalidArgument, PermissionDenied, SimhubError
from simhub.web.calendar import layout
from simhub.web.deps import AppDep, Caller, FormCaller, PageCaller
from simhub.web.errors import status_of
from simhub.web.schemas import check_day
from simhub.web.templating import facility_zone, render

router = APIRouter(include_in_schema=False)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
BOOK_FIELDS = ("cabin_id", "mode", "start", "duration_minutes", "purpose", "from_day", "days")


def field_errors(error: SimhubError, fields: Iterable[str] = BOOK_FIELDS) -> dict[str, list[str]]:
    """The error's violations keyed by the form field they concern ("form": none of them).

    The rules name ``time_range`` for both a bad length and a taken period; the rule name at
    the start of the description tells which input the user has to change.
    """
    known = set(fields)
    found: dict[str, list[str]] = defaultdict(list)
    for violation in getattr(error, "violations", ()):
        name = getattr(violation, "field", "")
        text = violation.description
        rule = text.split(":", 1)[0]
        if name == "time_range.start":
            key = "start"
        elif name == "time_range.end":  # the end is the start plus the duration the user typed
            key = "duration_minutes"
        elif name == "time_range":
            key = "duration_minutes" if rule == "duration" else "start"
        elif name == "window":
            key = "from_day"
        elif name == "max_results":
            key = "days"
        elif hasattr(violation, "subject"):  # a quota: the length is what the user can change
            key = "duration_minutes"
        else:
            key = name
        found[key if key in known else "form"].append(text)
    if not found:
        found["form"].append(error.message)
    return dict(found)


def _local_start(text: str, zone: ZoneInfo) -> datetime:
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidArgument(
            "the start is not a date and time",
            [FieldViolation("time_range.start", f"found {text!r}; e.g. 2026-07-01T09:00")],
        ) from None
    return naive.replace(tzinfo=zone) if naive.tzinfo is None else naive


# -- calendar -------------------------------------------------------------------------------


@router.get("/calendar", response_class=HTMLResponse)
def calendar_page(
    request: Request,
    app: AppDep,
    caller: PageCaller,
    view: str = Query("week", pattern="^(week|day)$"),
    day: date | None = None,
    booked: str = Query("", max_length=100),
) -> HTMLResponse:
    zone = facility_zone(request)
    today = app.clock().astimezone(zone).date()
    shown = check_day(day) if day else today
    first = shown - timedelta(days=shown.weekday()) if view == "week" else shown
    count = 7 if view == "week" else 1
    schedule = app.booking_service.schedule(caller.principal, first, count)
    policy = app.booking_service.policy(caller.principal)
    grid = layout(schedule, app.facility.cabins, policy.opening_hours, first, count)
    step = timedelta(days=count)
    return render(
        request,
        "calendar.html",
        caller,
        grid=grid,
        view=view,
        day=shown,
        today=today,
        previous=first - step,
        following=first + step,
        booked=booked,
    )


# -- book -----------------------------------------------------------------------------------


def _book_page(
    request: Request,
    app: AppDep,
    caller: Caller,
    values: dict[str, Any],
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
    slots: list[Slot] | None = None,
    find_errors: dict[str, list[str]] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "book.html",
        caller,
        status=status,
        cabins=app.facility.cabins,
        modes=list(BookingMode),
        values=values,
        errors=errors or {},
        find_errors=find_errors or {},
        slots=slots,
        request_id=uuid.uuid4().hex,
    )


@router.get("/book", response_class=HTMLResponse)
def book_form(
    request: Request,
    app: AppDep,
    caller: PageCaller,
    cabin_id: str = Query("passenger", max_length=40),
    mode: BookingMode = BookingMode.MOTION,
    duration_minutes: int = Query(60, ge=1, le=1440),
    from_day: date | None = None,
    days: int = Query(7, ge=1, le=31),
    find: str = "",
) -> HTMLResponse:
    zone = facility_zone(request)
    tomorrow = app.clock().astimezone(zone).date() + timedelta(days=1)
    start_day = check_day(from_day) if from_day else tomorrow
    values: dict[str, Any] = {
        "cabin_id": cabin_id,
        "mode": mode.value,
        "duration_minutes": duration_minutes,
        "from_day": start_day.isoformat(),
        "days": days,
        "start": f"{start_day.isoformat()}T09:00",
        "purpose": "",
    }
    if not find:
        return _book_page(request, app, caller, values)
    window_start = datetime.combine(start_day, time(0), zone)
    query = SlotQuery(
        organisation_id=caller.principal.organisation_id,
        cabin_id=cabin_id,
        mode=mode,
        duration_minutes=duration_minutes,
        window_start=window_start,
        window_end=window_start + timedelta(days=days),
        max_results=10,
    )
    try:
        slots = app.booking_service.find_slots(caller.principal, query)
    except SimhubError as exc:
        return _book_page(
            request, app, caller, values, status_of(exc), find_errors=field_errors(exc)
        )
    return _book_page(request, app, caller, values, slots=slots)


@router.post("/book", response_class=HTMLResponse)
def book(
    request: Request,
    app: AppDep,
    caller: FormCaller,
    cabin_id: Annotated[str, Form(max_length=40)] = "",
    mode: Annotated[str, Form(max_length=20)] = "motion",
    start: Annotated[str, Form(max_length=40)] = "",
    duration_minutes: Annotated[str, Form(max_length=10)] = "",
    purpose: Annotated[str, Form(max_length=2000)] = "",
    request_id: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    zone = facility_zone(request)
    values: dict[str, Any] = {
        "cabin_id": cabin_id,
        "mode": mode,
        "start": start,
        "duration_minutes": duration_minutes,
        "purpose": purpose,
        "days": 7,
        "from_day": start[:10],
    }
    try:
        minutes = int(duration_minutes) if duration_minutes.strip().isdigit() else -1
        if not 0 < minutes <= 24 * 60:
            raise InvalidArgument(
                "the duration is not a number of minutes",
                [FieldViolation("time_range", f"duration: found {duration_minutes!r}; 1 to 1440")],
            )
        try:
            booking_mode = BookingMode(mode)
        except ValueError:
            raise InvalidArgument(
                "unknown mode", [FieldViolation("mode", "allowed: motion, fixed_base")]
            ) from None
        begins = _local_start(start, zone)
        spec = BookingSpec(
            cabin_id=cabin_id,
            mode=booking_mode,
            start=begins,
            end=begins + timedelta(minutes=minutes),
            purpose=purpose,
            request_id=request_id,
        )
        booking = app.booking_service.request(caller.principal, spec)
    except PermissionDenied:
        raise
    except SimhubError as exc:
        return _book_page(request, app, caller, values, status_of(exc), errors=field_errors(exc))
    day = booking.start.astimezone(zone).date().isoformat()
    return RedirectResponse(f"/calendar?day={day}&booked={booking.id}", status_code=303)


# -- one booking ----------------------------------------------------------------------------


@router.get("/bookings/{booking_id}", response_class=HTMLResponse)
def booking_page(
    request: Request, booking_id: str, app: AppDep, caller: PageCaller, error: str = ""
) -> HTMLResponse:
    detail = app.booking_service.get(caller.principal, booking_id)
    return render(
        request,
        "booking.html",
        caller,
        detail=detail,
        booking=detail.booking,
        cabin=app.facility.cabin(detail.booking.cabin_id),
        can_cancel=detail.booking.state
        in {BookingState.WAITLISTED, *HOLDING} - {BookingState.COMPLETED},
    )


def _booking_action(
    request: Request, app: AppDep, caller: Caller, booking_id: str, action: str, reason: str
) -> Response:
    service = app.booking_service
    try:
        if action == "cancel":
            service.cancel(caller.principal, booking_id, reason)
        else:
            service.check_in(caller.principal, booking_id)
    except SimhubError as exc:
        if status_of(exc) in (403, 404):
            raise
        detail = service.get(caller.principal, booking_id)
        return render(
            request,
            "booking.html",
            caller,
            status=status_of(exc),
            detail=detail,
            booking=detail.booking,
            cabin=app.facility.cabin(detail.booking.cabin_id),
            can_cancel=False,
            action_error=exc.message,
        )
    return RedirectResponse(f"/bookings/{booking_id}", status_code=303)


@router.post("/bookings/{booking_id}/cancel")
def cancel(
    request: Request,
    booking_id: str,
    app: AppDep,
    caller: FormCaller,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    return _booking_action(request, app, caller, booking_id, "cancel", reason)


@router.post("/bookings/{booking_id}/check-in")
def check_in(request: Request, booking_id: str, app: AppDep, caller: FormCaller) -> Response:
    return _booking_action(request, app, caller, booking_id, "check-in", "")


# -- approvals (operators) ------------------------------------------------------------------


def _require_operator(caller: Caller) -> None:
    if not caller.principal.is_operator:
        raise PermissionDenied("only facility operators approve bookings and set the policy")


def _conflicts(app: AppDep, caller: Caller, booking: Booking) -> list[Booking]:
    """Other bookings that hold or want the period this request blocks, on the same lane."""
    where = BookingFilter(
        states=frozenset({*HOLDING, BookingState.WAITLISTED}),
        start=booking.blocked_start,
        end=booking.blocked_end,
    )
    found = app.booking_service.list_bookings(caller.principal, where, 100, 0)
    return [
        b
        for b in found
        if b.id != booking.id
        and b.blocked_start < booking.blocked_end
        and booking.blocked_start < b.blocked_end
        and (b.cabin_id == booking.cabin_id or b.mode is booking.mode is BookingMode.MOTION)
    ]


def _approvals(
    request: Request,
    app: AppDep,
    caller: Caller,
    day: date | None = None,
    status: int = 200,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    _require_operator(caller)
    service = app.booking_service
    zone = facility_zone(request)
    shown = day or app.clock().astimezone(zone).date()
    pending = service.list_bookings(
        caller.principal, BookingFilter(states=frozenset({BookingState.REQUESTED})), 200, 0
    )
    organisations = {o.id: o for o in app.identity.organisations()}
    usage = {
        b.id: service.quota_usage(caller.principal, b.organisation_id, b.start) for b in pending
    }
    schedule = service.schedule(caller.principal, shown, 1)
    policy = service.policy(caller.principal)
    hours: dict[int, OpeningInterval] = {}
    for interval in policy.opening_hours:
        hours.setdefault(interval.weekday, interval)
    quotas = {o: policy.quota_of(o) for o in organisations}
    return render(
        request,
        "approvals.html",
        caller,
        status=status,
        pending=[(b, _conflicts(app, caller, b), usage[b.id]) for b in pending],
        organisations=organisations,
        cabins={c.id: c for c in app.facility.cabins},
        day=shown,
        schedule=schedule,
        policy=policy,
        weekdays=WEEKDAYS,
        hours=hours,
        quotas=quotas,
        errors=errors or {},
    )


@router.get("/approvals", response_class=HTMLResponse)
def approvals_page(
    request: Request, app: AppDep, caller: PageCaller, day: date | None = None
) -> HTMLResponse:
    return _approvals(request, app, caller, check_day(day) if day else None)


def _decide(
    request: Request, app: AppDep, caller: Caller, booking_id: str, approve: bool, reason: str
) -> Response:
    _require_operator(caller)
    try:
        if approve:
            app.booking_service.approve(caller.principal, booking_id, reason)
        else:
            app.booking_service.reject(caller.principal, booking_id, reason)
    except SimhubError as exc:
        if status_of(exc) in (403, 404):
            raise
        errors = {f"decision-{booking_id}": exc.message}
        return _approvals(request, app, caller, status=status_of(exc), errors=errors)
    return RedirectResponse("/approvals", status_code=303)


@router.post("/approvals/{booking_id}/approve")
def approve(
    request: Request,
    booking_id: str,
    app: AppDep,
    caller: FormCaller,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    return _decide(request, app, caller, booking_id, True, reason)


@router.post("/approvals/{booking_id}/reject")
def reject(
    request: Request,
    booking_id: str,
    app: AppDep,
    caller: FormCaller,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    return _decide(request, app, caller, booking_id, False, reason)


def _minute(text: str) -> int:
    hours, _, minutes = text.partition(":")
    return int(hours) * 60 + int(minutes or 0)


@router.post("/approvals/opening-hours")
async def opening_hours(request: Request, app: AppDep, caller: FormCaller) -> Response:
    _require_operator(caller)
    form = await request.form()
    intervals = []
    try:
        for weekday in range(7):
            opens, closes = form.get(f"opens_{weekday}"), form.get(f"closes_{weekday}")
            if isinstance(opens, str) and isinstance(closes, str) and opens and closes:
                intervals.append(OpeningInterval(weekday, _minute(opens), _minute(closes)))
    except ValueError:
        errors = {"hours": "times are HH:MM, e.g. 07:00"}
        return _approvals(request, app, caller, status=422, errors=errors)
    try:
        app.booking_service.set_opening_hours(caller.principal, intervals)
    except SimhubError as exc:
        return _approvals(request, app, caller, status=status_of(exc), errors={"hours": str(exc)})
    return RedirectResponse("/approvals#hours", status_code=303)


@router.post("/approvals/blackouts")
def add_blackout(
    request: Request,
    app: AppDep,
    caller: FormCaller,
    start: Annotated[str, Form(max_length=40)] = "",
    end: Annotated[str, Form(max_length=40)] = "",
    cabin_id: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    _require_operator(caller)
    zone = facility_zone(request)
    try:
        app.booking_service.add_blackout(
            caller.principal,
            _local_start(start, zone),
            _local_start(end, zone),
            reason,
            cabin_id or None,
        )
    except SimhubError as exc:
        return _approvals(
            request, app, caller, status=status_of(exc), errors={"blackout": str(exc)}
        )
    return RedirectResponse("/approvals#blackouts", status_code=303)


@router.post("/approvals/blackouts/{blackout_id}/remove")
def remove_blackout(
    request: Request, blackout_id: str, app: AppDep, caller: FormCaller
) -> Response:
    _require_operator(caller)
    app.booking_service.remove_blackout(caller.principal, blackout_id)
    return RedirectResponse("/approvals#blackouts", status_code=303)


@router.post("/approvals/quotas/{organisation_id}")
def set_quota(
    request: Request,
    organisation_id: str,
    app: AppDep,
    caller: FormCaller,
    week: Annotated[str, Form(max_length=10)] = "",
    month: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    _require_operator(caller)
    try:
        quota = Quota(organisation_id, int(week), int(month))
    except ValueError:
        errors = {"quotas": "hours are whole numbers"}
        return _approvals(request, app, caller, status=422, errors=errors)
    try:
        app.booking_service.set_quota(caller.principal, quota)
    except SimhubError as exc:
        if status_of(exc) == 404:
            raise
        return _approvals(request, app, caller, status=status_of(exc), errors={"quotas": str(exc)})
    return RedirectResponse("/approvals#quotas", status_code=303)
