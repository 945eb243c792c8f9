"""Bookings, their states and the facility's booking policy, as plain frozen data.

Times are timezone-aware UTC ``datetime``s; opening hours are minutes of the local day in the
facility's time zone (``Facility.time_zone``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class BookingMode(enum.StrEnum):
    MOTION = "motion"  # the cabin on the motion platform
    FIXED_BASE = "fixed_base"  # the cabin standing in its bay


class BookingState(enum.StrEnum):
    WAITLISTED = "waitlisted"  # wants a taken slot; holds nothing until promoted
    REQUESTED = "requested"  # holds its slot, waits for an operator's decision
    APPROVED = "approved"
    REJECTED = "rejected"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    NO_SHOW = "no_show"  # a motion booking not checked in in time: released
    CANCELLED = "cancelled"


S = BookingState
#: States that occupy the platform or the cabin (and count against the quota).
HOLDING: frozenset[BookingState] = frozenset({S.REQUESTED, S.APPROVED, S.CHECKED_IN, S.COMPLETED})
#: States a booking can still be cancelled from.
OPEN: frozenset[BookingState] = frozenset({S.WAITLISTED, S.REQUESTED, S.APPROVED, S.CHECKED_IN})
#: The allowed transitions; anything else is refused.
TRANSITIONS: dict[BookingState, frozenset[BookingState]] = {
    S.WAITLISTED: frozenset({S.REQUESTED, S.CANCELLED}),
    S.REQUESTED: frozenset({S.APPROVED, S.REJECTED, S.CANCELLED}),
    S.APPROVED: frozenset({S.CHECKED_IN, S.NO_SHOW, S.CANCELLED}),
    S.CHECKED_IN: frozenset({S.COMPLETED, S.CANCELLED}),
}


def may_transition(source: BookingState, target: BookingState) -> bool:
    return target in TRANSITIONS.get(source, frozenset())


@dataclass(frozen=True)
class Booking:
    """One booking. ``blocked_start``/``blocked_end`` is what it keeps from others: for a
    motion booking its period padded by its cabin's mount minutes before and unmount minutes
    after (so two motion bookings of different cabins leave room for a changeover); for a
    fixed-base booking the period itself."""

    id: str
    organisation_id: str
    created_by_user_id: str
    cabin_id: str
    mode: BookingMode
    state: BookingState
    start: datetime
    end: datetime
    blocked_start: datetime
    blocked_end: datetime
    purpose: str
    scenario_ids: tuple[str, ...]
    request_id: str | None
    created_at: datetime
    updated_at: datetime
    checked_in_at: datetime | None = None
    decision_reason: str = ""

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def holds_slot(self) -> bool:
        return self.state in HOLDING


@dataclass(frozen=True)
class Transition:
    """One recorded state change: who (None: the system) and when."""

    booking_id: str
    from_state: BookingState | None  # None: created
    to_state: BookingState
    at: datetime
    by_user_id: str | None
    reason: str = ""


@dataclass(frozen=True)
class OpeningInterval:
    """Open on ``weekday`` (0 = Monday) from ``opens_minute`` to ``closes_minute`` of the local
    day (0..1440; 1440 = midnight at the end of the day)."""

    weekday: int
    opens_minute: int
    closes_minute: int


@dataclass(frozen=True)
class Blackout:
    """No sessions in [start, end): on the motion platform (``cabin_id`` None) or one cabin."""

    id: str
    start: datetime
    end: datetime
    reason: str
    cabin_id: str | None = None


@dataclass(frozen=True)
class Quota:
    """Motion hours an organisation may hold per local calendar week / month."""

    organisation_id: str
    motion_hours_per_week: int
    motion_hours_per_month: int


@dataclass(frozen=True)
class BookingRules:
    """The facility's scalar booking settings (stored; changed by operators)."""

    granularity_minutes: int = 15
    min_duration_minutes: int = 30
    max_duration_minutes: int = 480
    min_notice_minutes: int = 120
    max_horizon_days: int = 180
    default_motion_hours_per_week: int = 20
    default_motion_hours_per_month: int = 60
    check_in_opens_minutes: int = 15  # check-in opens this long before the start
    no_show_after_minutes: int = 15  # released as no-show this long after the start


def default_opening_hours() -> tuple[OpeningInterval, ...]:
    """Monday to Friday 07:00-21:00, Saturday 08:00-16:00 (local time)."""
    weekdays = tuple(OpeningInterval(day, 7 * 60, 21 * 60) for day in range(5))
    return (*weekdays, OpeningInterval(5, 8 * 60, 16 * 60))


@dataclass(frozen=True)
class Policy:
    """Everything the rules need besides the bookings themselves."""

    time_zone: str
    rules: BookingRules = BookingRules()
    opening_hours: tuple[OpeningInterval, ...] = field(default_factory=default_opening_hours)
    blackouts: tuple[Blackout, ...] = ()
    quotas: tuple[Quota, ...] = ()

    def quota_of(self, organisation_id: str) -> Quota:
        for quota in self.quotas:
            if quota.organisation_id == organisation_id:
                return quota
        return Quota(
            organisation_id,
            self.rules.default_motion_hours_per_week,
            self.rules.default_motion_hours_per_month,
        )
