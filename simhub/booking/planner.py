"""Finding free slots, and the changeover plan the operators follow.

``find_slots`` walks the granularity grid inside the opening hours of a search window, jumps
over the stretches that other bookings take (``taken_starts``: interval arithmetic, so a
fully booked week costs no per-step checks), ranks the starts left: fewest added
changeover minutes first (a swap costs unmount + mount minutes of idle platform), then
earliest, and offers the best that ``rules.check`` accepts (the very check ``RequestBooking``
runs, so every offered slot is one a request accepts).

``plan_changeovers`` orders the mounts and unmounts that a sequence of motion bookings needs:
an old cabin comes off as soon as its last session ends (so it is free for its bay), a new
cabin goes on just in time for its first session (so it stays usable fixed-base until then).
Both always fit, because the rules keep unmount(old) + mount(new) free between them.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from simhub.booking.model import HOLDING, Booking, BookingMode, BookingState
from simhub.booking.rules import (
    MINUTE,
    Proposal,
    RuleContext,
    changeover_minutes,
    feasible,
    local_midnight,
    opening_windows,
)
from simhub.facility.model import CabinSpec

#: The states the operators plan changeovers for.
PLANNED: frozenset[BookingState] = frozenset(
    {BookingState.APPROVED, BookingState.CHECKED_IN, BookingState.COMPLETED}
)


class SlotOrder(enum.StrEnum):
    FEWEST_SWAPS = "fewest_swaps"  # least added changeover minutes, then earliest
    EARLIEST = "earliest"


@dataclass(frozen=True)
class SlotQuery:
    organisation_id: str
    cabin_id: str
    mode: BookingMode
    duration_minutes: int
    window_start: datetime
    window_end: datetime
    max_results: int = 10
    order: SlotOrder = SlotOrder.FEWEST_SWAPS


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    added_changeover_minutes: int  # platform minutes lost to swaps because of this booking
    changeover_before_minutes: int  # the swap needed right before it (0: cabin already there)


class _MotionTimeline:
    """Slot-holding motion bookings in start order, for 'which comes before / after t'."""

    def __init__(self, bookings: Sequence[Booking]) -> None:
        self.items = sorted(
            (b for b in bookings if b.mode is BookingMode.MOTION and b.state in HOLDING),
            key=lambda b: (b.start, b.id),
        )
        self.starts = [b.start for b in self.items]

    def before(self, at: datetime) -> Booking | None:
        i = bisect.bisect_right(self.starts, at) - 1
        while i >= 0 and self.items[i].end > at:
            i -= 1
        return self.items[i] if i >= 0 else None

    def after(self, at: datetime) -> Booking | None:
        i = bisect.bisect_left(self.starts, at)
        return self.items[i] if i < len(self.items) else None


def _swap(cabins: Mapping[str, CabinSpec], old: str | None, new: str | None) -> int:
    if new is None:
        return 0
    return changeover_minutes(cabins.get(old) if old else None, cabins[new])


def added_changeover(
    start: datetime,
    end: datetime,
    cabin_id: str,
    timeline: _MotionTimeline,
    cabins: Mapping[str, CabinSpec],
    mounted_cabin_id: str | None,
) -> tuple[int, int]:
    """(added minutes, minutes right before) of a motion booking of *cabin_id* in [start, end)."""
    previous = timeline.before(start)
    following = timeline.after(end)
    old = previous.cabin_id if previous else mounted_cabin_id
    new = following.cabin_id if following else None
    before = _swap(cabins, old, cabin_id)
    added = before + _swap(cabins, cabin_id, new) - _swap(cabins, old, new)
    return added, before


def find_slots(
    query: SlotQuery,
    context: RuleContext,
    bookings: Sequence[Booking],
    mounted_cabin_id: str | None,
) -> list[Slot]:
    """The best ``query.max_results`` slots that ``rules.check`` accepts (see module doc).

    The grid starts that ``taken_starts`` leaves are ranked first (the score is cheap) and
    then checked in rank order until enough pass: the same slots, in the same order, as
    checking every start and ranking those that pass, but most starts of a free day are
    never checked."""
    timeline = _MotionTimeline(bookings)
    ranked: list[Slot] = []
    for start, end in _candidates(query, context):
        added, before = (0, 0)
        if query.mode is BookingMode.MOTION:
            added, before = added_changeover(
                start, end, query.cabin_id, timeline, context.cabins, mounted_cabin_id
            )
        ranked.append(Slot(start, end, added, before))
    if query.order is SlotOrder.FEWEST_SWAPS:
        ranked.sort(key=lambda s: (s.added_changeover_minutes, s.start))
    found: list[Slot] = []
    for slot in ranked:
        proposal = Proposal(query.organisation_id, query.cabin_id, query.mode, slot.start, slot.end)
        if feasible(proposal, context):
            found.append(slot)
            if len(found) >= query.max_results:
                break
    return found


def _candidates(query: SlotQuery, context: RuleContext) -> list[tuple[datetime, datetime]]:
    """(start, end) of every grid start inside the opening hours of the window, from the
    earliest that notice allows, that ``taken_starts`` does not rule out, in time order."""
    step = context.policy.rules.granularity_minutes * MINUTE
    length = query.duration_minutes * MINUTE
    earliest = max(
        query.window_start, context.now + context.policy.rules.min_notice_minutes * MINUTE
    )
    first = earliest.astimezone(context.tz).date()
    last = query.window_end.astimezone(context.tz).date()
    taken = taken_starts(query, context)
    taken_at = 0
    found: list[tuple[datetime, datetime]] = []
    for opens, closes in opening_windows(context.policy.opening_hours, context.tz, first, last):
        start = ceil_to_grid(max(opens, earliest), step)
        while start + length <= min(closes, query.window_end):
            while taken_at < len(taken) and taken[taken_at][1] <= start:
                taken_at += 1
            if taken_at < len(taken) and taken[taken_at][0] < start:
                start = ceil_to_grid(taken[taken_at][1], step)  # skip what is taken at once
                continue
            found.append((start, start + length))
            start += step
    return found


def taken_starts(query: SlotQuery, context: RuleContext) -> list[tuple[datetime, datetime]]:
    """The starts that the availability rules refuse for a booking of ``query``'s cabin, mode
    and duration, as sorted, merged *open* intervals (a, b): a start s breaks ``overlap``,
    ``changeover`` or ``cabin_in_use`` against the context's bookings iff a < s < b for one of
    them. The slot finder skips these in one step instead of checking each grid start; every
    start it keeps still goes through ``rules.check``'s full test.

    Derivation, for a proposal [s, s + L) of cabin C (mount m, unmount u): as motion it blocks
    [s - m, s + L + u); it meets a period [b0, b1) iff b0 - u - L < s < b1 + m.
    """
    cabin = context.cabins[query.cabin_id]
    length = query.duration_minutes * MINUTE
    mount, unmount = cabin.mount_minutes * MINUTE, cabin.unmount_minutes * MINUTE
    spans: list[tuple[datetime, datetime]] = []
    if query.mode is BookingMode.MOTION:
        for other in context.motion.items:
            if other.cabin_id == cabin.id:  # same cabin: only the sessions may not overlap
                spans.append((other.start - length, other.end))
            else:  # another cabin: the blocked periods may not meet (changeover)
                spans.append((other.blocked_start - unmount - length, other.blocked_end + mount))
        for other in context.fixed.items:
            if other.cabin_id == cabin.id:  # the cabin is in its bay then
                spans.append((other.start - unmount - length, other.end + mount))
    else:
        for other in (*context.fixed.items, *context.motion.items):
            if other.cabin_id == cabin.id:
                spans.append((other.blocked_start - length, other.blocked_end))
    spans.sort()
    merged: list[tuple[datetime, datetime]] = []
    for a, b in spans:
        if merged and a < merged[-1][1]:  # open intervals: (a, b) and (b, c) leave b free
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def ceil_to_grid(at: datetime, step: timedelta) -> datetime:
    seconds = step.total_seconds()
    remainder = at.timestamp() % seconds
    return at if remainder == 0 else at + timedelta(seconds=seconds - remainder)


# -- the changeover plan ----------------------------------------------------------------------


class StepKind(enum.StrEnum):
    UNMOUNT = "unmount"  # take the cabin off the platform, back to its bay
    MOUNT = "mount"  # bring the cabin from its bay onto the platform


@dataclass(frozen=True)
class ChangeoverStep:
    kind: StepKind
    cabin_id: str
    start: datetime
    end: datetime
    booking_id: str  # the motion booking this step makes way for (unmount) or serves (mount)


def plan_changeovers(
    motion: Sequence[Booking],
    fixed: Sequence[Booking],
    cabins: Mapping[str, CabinSpec],
    mounted_before: str | None,
) -> list[ChangeoverStep]:
    """The mounts and unmounts that *motion* bookings need, in time order.

    *fixed* are the fixed-base bookings around them: a cabin used in its bay between two of
    its own motion sessions has to come off and go back on. *mounted_before* is the cabin on
    the platform before the first of *motion*.
    """
    planned = sorted((b for b in motion if b.state in PLANNED), key=lambda b: (b.start, b.id))
    in_bay: dict[str, list[Booking]] = {}
    for b in fixed:
        if b.state in HOLDING:
            in_bay.setdefault(b.cabin_id, []).append(b)
    steps: list[ChangeoverStep] = []
    current, freed_at = mounted_before, None
    for booking in planned:
        cabin = cabins[booking.cabin_id]
        needed_in_bay = (
            current == booking.cabin_id
            and freed_at is not None
            and any(f.start < booking.start and freed_at < f.end for f in in_bay.get(current, ()))
        )
        if current != booking.cabin_id or needed_in_bay:
            mount_at = booking.start - cabin.mount_minutes * MINUTE
            if current is not None and current in cabins:
                old = cabins[current]
                off = freed_at if freed_at is not None else mount_at - old.unmount_minutes * MINUTE
                steps.append(
                    ChangeoverStep(
                        StepKind.UNMOUNT,
                        old.id,
                        off,
                        off + old.unmount_minutes * MINUTE,
                        booking.id,
                    )
                )
            steps.append(
                ChangeoverStep(StepKind.MOUNT, cabin.id, mount_at, booking.start, booking.id)
            )
        current, freed_at = booking.cabin_id, booking.end
    return steps


def plan_day(
    day: date,
    context: RuleContext,
    bookings: Sequence[Booking],
    mounted_before: str | None,
) -> list[ChangeoverStep]:
    """The changeover schedule of local *day*: mounts and unmounts for its approved motion
    bookings, starting from *mounted_before* (the cabin on the platform before the day)."""
    start = local_midnight(day, context.tz)
    end = local_midnight(day + timedelta(days=1), context.tz)
    return plan_range(start, end, context, bookings, mounted_before)


def plan_range(
    start: datetime,
    end: datetime,
    context: RuleContext,
    bookings: Sequence[Booking],
    mounted_before: str | None,
) -> list[ChangeoverStep]:
    """``plan_day`` over any [start, end): bookings starting in it, steps in time order."""
    motion = [
        b
        for b in bookings
        if b.mode is BookingMode.MOTION and start <= b.start < end and b.state in PLANNED
    ]
    fixed = [b for b in bookings if b.mode is BookingMode.FIXED_BASE]
    return plan_changeovers(motion, fixed, context.cabins, mounted_before)


def mounted_before(at: datetime, bookings: Sequence[Booking], fallback: str | None) -> str | None:
    """The cabin the plan leaves on the platform at *at*: that of the last planned motion
    booking starting before it, else *fallback* (what the facility says is mounted now)."""
    earlier = [
        b for b in bookings if b.mode is BookingMode.MOTION and b.state in PLANNED and b.start < at
    ]
    return max(earlier, key=lambda b: b.start).cabin_id if earlier else fallback
