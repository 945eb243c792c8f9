"""The booking rules, as pure functions over plain data.

``check(proposal, context)`` answers every rule a proposed booking breaks (an empty list: it may
be stored). The same function decides ``RequestBooking``, ``FindSlots`` and waitlist promotion,
so a slot the planner offers is one a request accepts.

Platform time: a motion booking of cabin C in [start, end) blocks [start - mount(C),
end + unmount(C)). Two motion bookings never overlap, and two of *different* cabins never
overlap in their blocked periods: between them lies at least unmount(old) + mount(new), the
changeover the facility files prescribe. Bookings of the same cabin may follow back to back.
A cabin is in one place at a time: its fixed-base bookings never meet its motion bookings'
blocked periods. PostgreSQL enforces exactly these three conditions with exclusion
constraints (migration 0002), so the database has the last word.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from simhub.booking.model import (
    Blackout,
    Booking,
    BookingMode,
    BookingRules,
    OpeningInterval,
    Policy,
)
from simhub.errors import FieldViolation
from simhub.facility.model import CabinSpec

MINUTE = timedelta(minutes=1)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

#: Rules a caller fixes by asking for something else (the request itself is out of bounds).
REQUEST_RULES = frozenset(
    {"granularity", "duration", "opening_hours", "blackout", "notice", "horizon", "fixed_base"}
)
#: Rules about what others hold already (the slot is taken; FindSlots finds a free one).
AVAILABILITY_RULES = frozenset({"overlap", "changeover", "cabin_in_use"})
QUOTA_RULES = frozenset({"quota_week", "quota_month"})


@dataclass(frozen=True)
class Proposal:
    """A booking someone wants: who, which cabin, how, when (UTC, [start, end))."""

    organisation_id: str
    cabin_id: str
    mode: BookingMode
    start: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


@dataclass(frozen=True)
class RuleViolation:
    rule: str  # one of REQUEST_RULES | AVAILABILITY_RULES | QUOTA_RULES
    field: str  # the request field at fault, e.g. "time_range.start"
    description: str

    def as_field_violation(self) -> FieldViolation:
        return FieldViolation(self.field, f"{self.rule}: {self.description}")


def blocked_period(
    cabin: CabinSpec, mode: BookingMode, start: datetime, end: datetime
) -> tuple[datetime, datetime]:
    """What a booking keeps from others: padded by mount/unmount minutes for motion."""
    if mode is BookingMode.MOTION:
        return start - cabin.mount_minutes * MINUTE, end + cabin.unmount_minutes * MINUTE
    return start, end


def changeover_minutes(old: CabinSpec | None, new: CabinSpec) -> int:
    """Minutes the platform is idle to swap *old* for *new* (0 when it is the same cabin)."""
    if old is not None and old.id == new.id:
        return 0
    return (old.unmount_minutes if old else 0) + new.mount_minutes


def local_text(at: datetime, tz: ZoneInfo) -> str:
    """``2026-03-02 10:00 CET``: what a person at the facility reads."""
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


# -- opening hours --------------------------------------------------------------------------

#: ``opening_windows`` answers kept (a few days around each booking or search: small).
OPENING_WINDOWS_KEPT = 4096


#: ``local_midnight`` answers kept (the days around each booking, search and quota window).
MIDNIGHTS_KEPT = 4096


@lru_cache(maxsize=MIDNIGHTS_KEPT)
def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant local *day* begins. Kept: every rule check asked for the midnights of
    the weeks and months around it again (a zone conversion each, ~5% of an early read)."""
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def _local_minute(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """The UTC instant of *minute* on local *day*; a time skipped by DST moves forward."""
    if minute >= 1440:
        return local_midnight(day + timedelta(days=1), tz)
    naive = datetime(day.year, day.month, day.day, minute // 60, minute % 60)
    as_utc = naive.replace(tzinfo=tz).astimezone(UTC)
    # A wall time in the spring-forward gap does not exist; round-tripping shows it.
    if as_utc.astimezone(tz).replace(tzinfo=None) != naive:
        as_utc = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    return as_utc


def opening_windows(
    hours: Sequence[OpeningInterval], tz: ZoneInfo, first: date, last: date
) -> tuple[tuple[datetime, datetime], ...]:
    """The open periods (UTC) of local days *first*..*last*, touching ones merged.

    Kept per arguments (``OPENING_WINDOWS_KEPT``): a pure function of immutable values that
    every rule check and slot search asked again for the same days (~6% of a RequestBooking:
    a zone conversion per interval and day)."""
    return _opening_windows(tuple(hours), tz, first, last)


@lru_cache(maxsize=OPENING_WINDOWS_KEPT)
def _opening_windows(
    hours: tuple[OpeningInterval, ...], tz: ZoneInfo, first: date, last: date
) -> tuple[tuple[datetime, datetime], ...]:
    windows: list[tuple[datetime, datetime]] = []
    day = first
    while day <= last:
        for interval in hours:
            if interval.weekday == day.weekday():
                windows.append(
                    (
                        _local_minute(day, interval.opens_minute, tz),
                        _local_minute(day, interval.closes_minute, tz),
                    )
                )
        day += timedelta(days=1)
    windows.sort()
    merged: list[tuple[datetime, datetime]] = []
    for start, end in windows:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        elif end > start:
            merged.append((start, end))
    return tuple(merged)


def minute_text(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def hours_text(hours: Sequence[OpeningInterval], weekday: int) -> str:
    spans = [
        f"{minute_text(i.opens_minute)}-{minute_text(i.closes_minute)}"
        for i in sorted(hours, key=lambda i: i.opens_minute)
        if i.weekday == weekday
    ]
    return ", ".join(spans) or "closed"


# -- quota windows ----------------------------------------------------------------------------


def week_window(at: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The local calendar week (Monday 00:00 to Monday 00:00) containing *at*, in UTC."""
    day = at.astimezone(tz).date()
    monday = day - timedelta(days=day.weekday())
    return local_midnight(monday, tz), local_midnight(monday + timedelta(days=7), tz)


def month_window(at: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The local calendar month containing *at*, in UTC."""
    day = at.astimezone(tz).date()
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return local_midnight(first, tz), local_midnight(following, tz)


_PERIODS = {"week": week_window, "month": month_window}


def quota_windows(
    start: datetime, end: datetime, tz: ZoneInfo, periods: Sequence[str] = ("week", "month")
) -> list[tuple[datetime, datetime]]:
    """Every local week and month (of *periods*) that [start, end) touches: the windows whose
    use the quota rules read for any proposal inside it."""
    found = []
    for period in periods:
        at = start
        while at < end:
            w0, w1 = _PERIODS[period](at, tz)
            found.append((w0, w1))
            at = w1
    return found


def quota_spare_minutes(
    context: RuleContext, organisation_id: str, start: datetime, end: datetime
) -> int:
    """The fewest motion minutes *organisation_id* has left under its quota in any week or
    month that [start, end) touches (negative: over it)."""
    quota = context.policy.quota_of(organisation_id)
    return min(
        hours * 60 - context.used_motion_minutes(organisation_id, w0, w1)
        for period, hours in (
            ("week", quota.motion_hours_per_week),
            ("month", quota.motion_hours_per_month),
        )
        for w0, w1 in quota_windows(start, end, context.tz, (period,))
    )


def overlap_minutes(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> int:
    seconds = (min(a1, b1) - max(a0, b0)).total_seconds()
    return int(seconds // 60) if seconds > 0 else 0


# -- the context: indexes over the bookings that hold slots -----------------------------------


class _Index:
    """Bookings sorted by blocked start, for 'which of them meet [a, b)' in O(log n + k)."""

    def __init__(self, bookings: Iterable[Booking]) -> None:
        self.items = sorted(bookings, key=lambda b: (b.blocked_start, b.id))
        self.starts = [b.blocked_start for b in self.items]
        self.longest = max(
            (b.blocked_end - b.blocked_start for b in self.items), default=timedelta(0)
        )

    def meeting_blocked(self, a: datetime, b: datetime) -> list[Booking]:
        """Bookings whose blocked period overlaps [a, b)."""
        lo = bisect.bisect_left(self.starts, a - self.longest)
        hi = bisect.bisect_left(self.starts, b)
        return [x for x in self.items[lo:hi] if x.blocked_end > a]


class RuleContext:
    """Everything ``check`` reads: policy, cabins, the bookings holding slots, the time now.

    *bookings* must include every slot-holding booking whose blocked period comes within the
    longest changeover of the periods that will be checked (the service loads such a window).
    """

    def __init__(
        self,
        policy: Policy,
        cabins: Mapping[str, CabinSpec],
        bookings: Iterable[Booking],
        now: datetime,
        motion_used: Mapping[str, Mapping[tuple[datetime, datetime], int]] | None = None,
    ) -> None:
        """*motion_used* optionally gives, per organisation, the minutes its slot-holding
        motion bookings hold per quota window (``quota_windows`` of the periods to check,
        summed by the database); other organisations are counted from *bookings*."""
        self.policy = policy
        self.cabins = cabins
        self.now = now
        self.tz = zone(policy.time_zone)
        holding = [b for b in bookings if b.holds_slot]
        self.motion = _Index(b for b in holding if b.mode is BookingMode.MOTION)
        self.fixed = _Index(b for b in holding if b.mode is BookingMode.FIXED_BASE)
        self._org_motion: dict[str, list[tuple[datetime, datetime]]] = {}
        for b in holding:
            if b.mode is BookingMode.MOTION:
                self._org_motion.setdefault(b.organisation_id, []).append((b.start, b.end))
        self._windows: dict[date, tuple[tuple[datetime, datetime], ...]] = {}
        self._used: dict[tuple[str, datetime, datetime], int] = {}
        self._summed = frozenset(motion_used or ())
        for organisation, per_window in (motion_used or {}).items():
            for (w0, w1), minutes in per_window.items():
                self._used[(organisation, w0, w1)] = minutes
        self._quota_windows: dict[tuple[date, str], tuple[datetime, datetime]] = {}

    def quota_window(self, at: datetime, period: str) -> tuple[datetime, datetime]:
        """The local week or month containing *at* (cached by local date)."""
        key = (at.astimezone(self.tz).date(), period)
        if key not in self._quota_windows:
            window = week_window if period == "week" else month_window
            self._quota_windows[key] = window(at, self.tz)
        return self._quota_windows[key]

    def open_windows_around(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        if day not in self._windows:
            self._windows[day] = opening_windows(
                self.policy.opening_hours,
                self.tz,
                day - timedelta(days=1),
                day + timedelta(days=2),
            )
        return self._windows[day]

    def used_motion_minutes(self, organisation_id: str, start: datetime, end: datetime) -> int:
        key = (organisation_id, start, end)
        if key not in self._used:
            if organisation_id in self._summed:  # the caller summed the wrong windows
                raise LookupError(f"quota window {start} to {end} was not summed")
            self._used[key] = sum(
                overlap_minutes(b0, b1, start, end)
                for b0, b1 in self._org_motion.get(organisation_id, ())
            )
        return self._used[key]


# -- the rules --------------------------------------------------------------------------------


def check(
    proposal: Proposal, context: RuleContext, *, skip_notice: bool = False
) -> list[RuleViolation]:
    """Every rule *proposal* breaks against *context*; empty when it may be stored.

    *skip_notice* drops the minimum-notice and horizon rules (waitlist promotion: the request
    was made in time, the slot only came free now).
    """
    return list(_violations(proposal, context, skip_notice))


def feasible(proposal: Proposal, context: RuleContext) -> bool:
    """``not check(...)``, but stops at the first broken rule (the slot finder's fast path)."""
    return next(_violations(proposal, context, False), None) is None


def _violations(
    proposal: Proposal, context: RuleContext, skip_notice: bool
) -> Iterator[RuleViolation]:
    # cheapest and likeliest to fail first, so that ``feasible`` stops early
    cabin = context.cabins[proposal.cabin_id]
    yield from _shape(proposal, cabin, context.policy.rules)
    if not skip_notice:
        yield from _notice(proposal, context)
    yield from _availability(proposal, cabin, context)
    yield from _opening_hours(proposal, context)
    yield from _blackouts(proposal, context.policy.blackouts, context.tz)
    if proposal.mode is BookingMode.MOTION:
        yield from _quota(proposal, context)


def _shape(proposal: Proposal, cabin: CabinSpec, rules: BookingRules) -> list[RuleViolation]:
    found = []
    step = rules.granularity_minutes
    for name, at in (("start", proposal.start), ("end", proposal.end)):
        minutes = int(at.timestamp()) // 60
        if at.second or at.microsecond or minutes % step:
            found.append(
                RuleViolation(
                    "granularity",
                    f"time_range.{name}",
                    f"{name} {at.isoformat()} is not on the {step}-minute grid "
                    f"(allowed: whole multiples of {step} min past the hour)",
                )
            )
    minutes = proposal.minutes
    if not rules.min_duration_minutes <= minutes <= rules.max_duration_minutes:
        found.append(
            RuleViolation(
                "duration",
                "time_range",
                f"lasts {minutes} min; allowed: {rules.min_duration_minutes} to "
                f"{rules.max_duration_minutes} min",
            )
        )
    if proposal.mode is BookingMode.FIXED_BASE and not cabin.fixed_base_allowed:
        found.append(
            RuleViolation(
                "fixed_base",
                "mode",
                f"cabin {cabin.id!r} cannot be used fixed-base; allowed: motion",
            )
        )
    return found


def _notice(proposal: Proposal, context: RuleContext) -> list[RuleViolation]:
    rules = context.policy.rules
    earliest = context.now + rules.min_notice_minutes * MINUTE
    latest = context.now + timedelta(days=rules.max_horizon_days)
    if proposal.start < earliest:
        return [
            RuleViolation(
                "notice",
                "time_range.start",
                f"starts {local_text(proposal.start, context.tz)}; bookings need "
                f"{rules.min_notice_minutes} min notice, so the earliest start now is "
                f"{local_text(earliest, context.tz)}",
            )
        ]
    if proposal.start > latest:
        return [
            RuleViolation(
                "horizon",
                "time_range.start",
                f"starts {local_text(proposal.start, context.tz)}; bookings open at most "
                f"{rules.max_horizon_days} days ahead (until {local_text(latest, context.tz)})",
            )
        ]
    return []


def _opening_hours(proposal: Proposal, context: RuleContext) -> list[RuleViolation]:
    day = proposal.start.astimezone(context.tz).date()
    for opens, closes in context.open_windows_around(day):
        if opens <= proposal.start and proposal.end <= closes:
            return []
    hours = context.policy.opening_hours
    return [
        RuleViolation(
            "opening_hours",
            "time_range",
            f"{local_text(proposal.start, context.tz)} to {local_text(proposal.end, context.tz)}"
            f" is outside the opening hours ({context.tz.key}); {WEEKDAYS[day.weekday()]} "
            f"{day.isoformat()} is open {hours_text(hours, day.weekday())}",
        )
    ]


def _blackouts(
    proposal: Proposal, blackouts: Sequence[Blackout], tz: ZoneInfo
) -> list[RuleViolation]:
    found = []
    for blackout in blackouts:
        applies = (
            proposal.mode is BookingMode.MOTION
            if blackout.cabin_id is None
            else blackout.cabin_id == proposal.cabin_id
        )
        if applies and blackout.start < proposal.end and proposal.start < blackout.end:
            what = (
                "the motion platform" if blackout.cabin_id is None else f"cabin {blackout.cabin_id}"
            )
            found.append(
                RuleViolation(
                    "blackout",
                    "time_range",
                    f"{what} is blacked out from {local_text(blackout.start, tz)} to "
                    f"{local_text(blackout.end, tz)}"
                    + (f" ({blackout.reason})" if blackout.reason else ""),
                )
            )
    return found


def _availability(
    proposal: Proposal, cabin: CabinSpec, context: RuleContext
) -> list[RuleViolation]:
    tz = context.tz
    start, end = proposal.start, proposal.end
    blocked_start, blocked_end = blocked_period(cabin, proposal.mode, start, end)
    found = []
    if proposal.mode is BookingMode.MOTION:
        for other in context.motion.meeting_blocked(blocked_start, blocked_end):
            if other.start < end and start < other.end:
                found.append(
                    RuleViolation(
                        "overlap",
                        "time_range",
                        f"the motion platform is booked from {local_text(other.start, tz)} to "
                        f"{local_text(other.end, tz)}",
                    )
                )
            elif other.cabin_id != cabin.id:
                found.append(
                    RuleViolation(
                        "changeover",
                        "time_range",
                        f"a session with another cabin runs {local_text(other.start, tz)} to "
                        f"{local_text(other.end, tz)}; swapping cabins needs the old cabin's "
                        f"unmount plus the new cabin's mount minutes in between ({cabin.id}: "
                        f"{cabin.mount_minutes} min mount, {cabin.unmount_minutes} min unmount)",
                    )
                )
        for other in context.fixed.meeting_blocked(blocked_start, blocked_end):
            if other.cabin_id == cabin.id:
                found.append(
                    RuleViolation(
                        "cabin_in_use",
                        "time_range",
                        f"cabin {cabin.id} is booked fixed-base in its bay from "
                        f"{local_text(other.start, tz)} to {local_text(other.end, tz)}; with "
                        f"mounting it is needed on the platform from "
                        f"{local_text(blocked_start, tz)} to {local_text(blocked_end, tz)}",
                    )
                )
    else:
        for other in context.fixed.meeting_blocked(start, end):
            if other.cabin_id == cabin.id:
                found.append(
                    RuleViolation(
                        "overlap",
                        "time_range",
                        f"cabin {cabin.id} is booked fixed-base from "
                        f"{local_text(other.start, tz)} to {local_text(other.end, tz)}",
                    )
                )
        for other in context.motion.meeting_blocked(start, end):
            if other.cabin_id == cabin.id:
                found.append(
                    RuleViolation(
                        "cabin_in_use",
                        "time_range",
                        f"cabin {cabin.id} is on the motion platform (or being mounted or "
                        f"unmounted) from {local_text(other.blocked_start, tz)} to "
                        f"{local_text(other.blocked_end, tz)}",
                    )
                )
    return found


def _quota(proposal: Proposal, context: RuleContext) -> list[RuleViolation]:
    quota = context.policy.quota_of(proposal.organisation_id)
    found = []
    for rule, limit_hours, period in (
        ("quota_week", quota.motion_hours_per_week, "week"),
        ("quota_month", quota.motion_hours_per_month, "month"),
    ):
        seen: set[datetime] = set()
        at = proposal.start
        while at < proposal.end:  # every window the booking touches
            w0, w1 = context.quota_window(at, period)
            at = w1
            if w0 in seen:
                continue
            seen.add(w0)
            wanted = overlap_minutes(proposal.start, proposal.end, w0, w1)
            used = context.used_motion_minutes(proposal.organisation_id, w0, w1)
            if used + wanted > limit_hours * 60:
                found.append(
                    RuleViolation(
                        rule,
                        "time_range",
                        f"the organisation holds {used / 60:g} motion hours in the {period} "
                        f"from {local_text(w0, context.tz)}; {wanted / 60:g} more would exceed "
                        f"its quota of {limit_hours} h per {period}",
                    )
                )
    return found


# -- validating the settings operators change --------------------------------------------------


def validate_rules(rules: BookingRules, longest_changeover_minutes: int) -> list[FieldViolation]:
    """What is wrong with *rules* (empty: fine)."""
    found = []
    positive = {
        "granularity_minutes": rules.granularity_minutes,
        "min_duration_minutes": rules.min_duration_minutes,
        "max_duration_minutes": rules.max_duration_minutes,
        "max_horizon_days": rules.max_horizon_days,
    }
    for name, value in positive.items():
        if value <= 0:
            found.append(FieldViolation(f"rules.{name}", f"found {value}; must be > 0"))
    if rules.granularity_minutes > 0 and 1440 % rules.granularity_minutes:
        found.append(
            FieldViolation(
                "rules.granularity_minutes",
                f"found {rules.granularity_minutes}; must divide a day (1440 min) evenly, "
                "e.g. 5, 10, 15, 30, 60",
            )
        )
    if rules.min_duration_minutes > rules.max_duration_minutes:
        found.append(
            FieldViolation(
                "rules.min_duration_minutes",
                f"{rules.min_duration_minutes} exceeds max_duration_minutes "
                f"{rules.max_duration_minutes}",
            )
        )
    if rules.min_notice_minutes < longest_changeover_minutes:
        found.append(
            FieldViolation(
                "rules.min_notice_minutes",
                f"found {rules.min_notice_minutes}; must be at least the longest changeover "
                f"({longest_changeover_minutes} min) so that a swap from the mounted cabin fits",
            )
        )
    for name, value in {
        "default_motion_hours_per_week": rules.default_motion_hours_per_week,
        "default_motion_hours_per_month": rules.default_motion_hours_per_month,
        "check_in_opens_minutes": rules.check_in_opens_minutes,
        "no_show_after_minutes": rules.no_show_after_minutes,
    }.items():
        if value < 0:
            found.append(FieldViolation(f"rules.{name}", f"found {value}; must be >= 0"))
    return found


def validate_opening_hours(hours: Sequence[OpeningInterval]) -> list[FieldViolation]:
    found = []
    for i, interval in enumerate(hours):
        where = f"opening_hours[{i}]"
        if not 0 <= interval.weekday <= 6:
            found.append(
                FieldViolation(
                    f"{where}.weekday", f"found {interval.weekday + 1}; allowed 1 (Mon) to 7 (Sun)"
                )
            )
        if not 0 <= interval.opens_minute < interval.closes_minute <= 1440:
            found.append(
                FieldViolation(
                    where,
                    f"opens {minute_text(interval.opens_minute)}, closes "
                    f"{minute_text(interval.closes_minute)}; must open before it closes, "
                    "within 00:00-24:00",
                )
            )
    by_day: dict[int, list[OpeningInterval]] = {}
    for interval in hours:
        by_day.setdefault(interval.weekday, []).append(interval)
    for day, intervals in by_day.items():
        intervals.sort(key=lambda i: i.opens_minute)
        for a, b in itertools.pairwise(intervals):
            if b.opens_minute < a.closes_minute:
                found.append(
                    FieldViolation(
                        "opening_hours",
                        f"{WEEKDAYS[day % 7]}: {minute_text(a.opens_minute)}-"
                        f"{minute_text(a.closes_minute)} overlaps "
                        f"{minute_text(b.opens_minute)}-{minute_text(b.closes_minute)}",
                    )
                )
    return found
