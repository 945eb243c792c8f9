"""Booking domain objects to ``booking_pb2`` messages and back (beside ``mappers.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from simhub._proto.simhub.v1 import booking_pb2 as pb
from simhub._proto.simhub.v1 import common_pb2
from simhub.booking import model
from simhub.booking.planner import ChangeoverStep, Slot, SlotOrder, StepKind
from simhub.booking.rules import minute_text
from simhub.booking.service import BookingDetail, QuotaUsage, Schedule, ScheduleEntry
from simhub.errors import FieldViolation, InvalidArgument
from simhub.rpc.mappers import from_timestamp

_MODE = {
    model.BookingMode.MOTION: pb.BOOKING_MODE_MOTION,
    model.BookingMode.FIXED_BASE: pb.BOOKING_MODE_FIXED_BASE,
}
_MODE_BACK = {v: k for k, v in _MODE.items()}
_STATE = {
    model.BookingState.WAITLISTED: pb.BOOKING_STATE_WAITLISTED,
    model.BookingState.REQUESTED: pb.BOOKING_STATE_REQUESTED,
    model.BookingState.APPROVED: pb.BOOKING_STATE_APPROVED,
    model.BookingState.REJECTED: pb.BOOKING_STATE_REJECTED,
    model.BookingState.CHECKED_IN: pb.BOOKING_STATE_CHECKED_IN,
    model.BookingState.COMPLETED: pb.BOOKING_STATE_COMPLETED,
    model.BookingState.NO_SHOW: pb.BOOKING_STATE_NO_SHOW,
    model.BookingState.CANCELLED: pb.BOOKING_STATE_CANCELLED,
}
_STATE_BACK = {v: k for k, v in _STATE.items()}
_STEP = {
    StepKind.UNMOUNT: pb.CHANGEOVER_STEP_KIND_UNMOUNT,
    StepKind.MOUNT: pb.CHANGEOVER_STEP_KIND_MOUNT,
}


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def timestamp(value: datetime) -> Timestamp:
    """``mappers.timestamp`` for aware datetimes, by integer arithmetic (a listing maps six
    per booking; ``Timestamp.FromDatetime`` goes through ``utctimetuple`` and costs 5x)."""
    since = value - _EPOCH
    return Timestamp(seconds=since.days * 86400 + since.seconds, nanos=since.microseconds * 1000)


def time_range(start: datetime, end: datetime) -> common_pb2.TimeRange:
    return common_pb2.TimeRange(start=timestamp(start), end=timestamp(end))


def required_range(message: common_pb2.TimeRange, field: str) -> tuple[datetime, datetime]:
    """A TimeRange field that must be set, with both ends."""
    if not message.HasField("start") or not message.HasField("end"):
        raise InvalidArgument(
            f"{field} is required",
            [FieldViolation(field, "set both start and end (UTC timestamps)")],
        )
    return from_timestamp(message.start), from_timestamp(message.end)


def optional_range(
    message: common_pb2.TimeRange, present: bool
) -> tuple[datetime | None, datetime | None]:
    if not present:
        return None, None
    start = from_timestamp(message.start) if message.HasField("start") else None
    end = from_timestamp(message.end) if message.HasField("end") else None
    return start, end


def mode_from(value: int, field: str = "mode") -> model.BookingMode:
    if value not in _MODE_BACK:
        raise InvalidArgument(
            f"{field} is required",
            [FieldViolation(field, "allowed: BOOKING_MODE_MOTION, BOOKING_MODE_FIXED_BASE")],
        )
    return _MODE_BACK[value]


def state_from(value: int) -> model.BookingState:
    if value not in _STATE_BACK:
        raise InvalidArgument(
            f"unknown booking state {value}",
            [FieldViolation("states", f"found {value}; use the BookingState values 1..8")],
        )
    return _STATE_BACK[value]


def slot_order(value: int) -> SlotOrder:
    return SlotOrder.EARLIEST if value == pb.SLOT_ORDER_EARLIEST else SlotOrder.FEWEST_SWAPS


def booking(b: model.Booking, transitions: tuple[model.Transition, ...] = ()) -> pb.Booking:
    message = pb.Booking(
        id=b.id,
        organisation_id=b.organisation_id,
        created_by_user_id=b.created_by_user_id,
        cabin_id=b.cabin_id,
        mode=_MODE[b.mode],
        state=_STATE[b.state],
        time_range=time_range(b.start, b.end),
        blocked_range=time_range(b.blocked_start, b.blocked_end),
        purpose=b.purpose,
        scenario_ids=list(b.scenario_ids),
        request_id=b.request_id or "",
        created_at=timestamp(b.created_at),
        updated_at=timestamp(b.updated_at),
        decision_reason=b.decision_reason,
        transitions=[
            pb.BookingTransition(
                from_state=_STATE[t.from_state] if t.from_state else pb.BOOKING_STATE_UNSPECIFIED,
                to_state=_STATE[t.to_state],
                at=timestamp(t.at),
                by_user_id=t.by_user_id or "",
                reason=t.reason,
            )
            for t in transitions
        ],
    )
    if b.checked_in_at is not None:
        message.checked_in_at.CopyFrom(timestamp(b.checked_in_at))
    return message


#: Messages of bookings mapped before, by value (a cached listing maps the same ones again).
_MAPPED: dict[model.Booking, pb.Booking] = {}
MAPPED_MAX = 20_000


def bookings(rows: Sequence[model.Booking]) -> list[pb.Booking]:
    """``booking`` of each row, reusing the message of an equal booking mapped before. The
    messages are shared: only copy them (a repeated field copies what it is given)."""
    found = []
    for b in rows:
        message = _MAPPED.get(b)
        if message is None:
            if len(_MAPPED) >= MAPPED_MAX:
                _MAPPED.clear()
            message = _MAPPED[b] = booking(b)
        found.append(message)
    return found


def detail(d: BookingDetail) -> pb.Booking:
    return booking(d.booking, d.transitions)


def slot(s: Slot) -> pb.Slot:
    return pb.Slot(
        time_range=time_range(s.start, s.end),
        added_changeover_minutes=s.added_changeover_minutes,
        changeover_before_minutes=s.changeover_before_minutes,
    )


def blackout(b: model.Blackout) -> pb.Blackout:
    return pb.Blackout(
        id=b.id, time_range=time_range(b.start, b.end), reason=b.reason, cabin_id=b.cabin_id or ""
    )


def _entry(e: ScheduleEntry) -> pb.ScheduleEntry:
    message = pb.ScheduleEntry(
        mode=_MODE[e.mode],
        cabin_id=e.cabin_id,
        time_range=time_range(e.start, e.end),
        blocked_range=time_range(e.blocked_start, e.blocked_end),
    )
    if e.booking is not None:
        message.booking.CopyFrom(booking(e.booking))
    return message


def _step(s: ChangeoverStep) -> pb.ChangeoverStep:
    return pb.ChangeoverStep(
        kind=_STEP[s.kind],
        cabin_id=s.cabin_id,
        time_range=time_range(s.start, s.end),
        booking_id=s.booking_id,
    )


def schedule(s: Schedule) -> pb.Schedule:
    return pb.Schedule(
        time_range=time_range(s.start, s.end),
        time_zone=s.time_zone,
        entries=[_entry(e) for e in s.entries],
        changeovers=[_step(c) for c in s.changeovers],
        blackouts=[blackout(b) for b in s.blackouts],
    )


def rules(r: model.BookingRules) -> pb.BookingRules:
    return pb.BookingRules(
        **{name: getattr(r, name) for name in model.BookingRules.__dataclass_fields__}
    )


def rules_from(message: pb.BookingRules) -> model.BookingRules:
    return model.BookingRules(
        **{name: getattr(message, name) for name in model.BookingRules.__dataclass_fields__}
    )


def quota(q: model.Quota) -> pb.Quota:
    return pb.Quota(
        organisation_id=q.organisation_id,
        motion_hours_per_week=q.motion_hours_per_week,
        motion_hours_per_month=q.motion_hours_per_month,
    )


def quota_from(message: pb.Quota) -> model.Quota:
    return model.Quota(
        message.organisation_id, message.motion_hours_per_week, message.motion_hours_per_month
    )


def policy(p: model.Policy) -> pb.BookingPolicy:
    return pb.BookingPolicy(
        time_zone=p.time_zone,
        rules=rules(p.rules),
        opening_hours=[
            pb.OpeningHours(
                weekday=h.weekday + 1,
                opens=minute_text(h.opens_minute),
                closes=minute_text(h.closes_minute),
            )
            for h in p.opening_hours
        ],
        blackouts=[blackout(b) for b in p.blackouts],
        quotas=[quota(q) for q in p.quotas],
    )


def _minute_of_day(text: str, field: str, found: list[FieldViolation]) -> int:
    hours, _, minutes = text.partition(":")
    try:
        value = int(hours) * 60 + int(minutes)
        if len(minutes) != 2 or not 0 <= int(minutes) < 60 or not 0 <= value <= 1440:
            raise ValueError
        return value
    except ValueError:
        found.append(FieldViolation(field, f"found {text!r}; allowed: HH:MM from 00:00 to 24:00"))
        return 0


def opening_hours_from(messages: list[pb.OpeningHours]) -> list[model.OpeningInterval]:
    found: list[FieldViolation] = []
    intervals = [
        model.OpeningInterval(
            weekday=h.weekday - 1,
            opens_minute=_minute_of_day(h.opens, f"opening_hours[{i}].opens", found),
            closes_minute=_minute_of_day(h.closes, f"opening_hours[{i}].closes", found),
        )
        for i, h in enumerate(messages)
    ]
    if found:
        raise InvalidArgument("the opening hours are not valid", found)
    return intervals


def quota_usage(u: QuotaUsage) -> pb.QuotaUsage:
    return pb.QuotaUsage(
        quota=quota(u.quota),
        week=time_range(u.week_start, u.week_end),
        week_used_minutes=u.week_used_minutes,
        month=time_range(u.month_start, u.month_end),
        month_used_minutes=u.month_used_minutes,
    )
