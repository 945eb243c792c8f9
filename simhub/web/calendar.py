"""Calendar layout: where each booking, changeover and blackout of a ``Schedule`` sits in a
grid of local days (columns) x lanes (the motion platform, then each cabin's bay) x hours.

Read-only presentation: the schedule itself (who may see what) comes from the booking service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from simhub.booking.model import BookingMode, OpeningInterval
from simhub.booking.service import Schedule
from simhub.facility.model import CabinSpec

PLATFORM_LANE = "platform"


@dataclass(frozen=True)
class Block:
    """One box on the grid: ``top_pct``/``height_pct`` of the day's visible hours."""

    day: int  # column index
    lane: str  # PLATFORM_LANE or a cabin id (its bay)
    top_pct: float
    height_pct: float
    kind: str  # "own" | "busy" | "changeover" | "blackout"
    label: str
    title: str
    href: str = ""
    state: str = ""


@dataclass(frozen=True)
class Grid:
    days: tuple[date, ...]
    lanes: tuple[tuple[str, str, str], ...]  # (lane id, short label, label)
    first_hour: int
    last_hour: int  # exclusive
    blocks: tuple[Block, ...]

    @property
    def hours(self) -> range:
        return range(self.first_hour, self.last_hour)

    def at(self, day: int, lane: str) -> list[Block]:
        return [b for b in self.blocks if b.day == day and b.lane == lane]


def _hour_range(
    hours: Sequence[OpeningInterval], spans: Sequence[tuple[datetime, datetime]], zone: ZoneInfo
) -> tuple[int, int]:
    first = min((h.opens_minute // 60 for h in hours), default=7)
    last = max((-(-h.closes_minute // 60) for h in hours), default=21)
    for start, end in spans:
        s, e = start.astimezone(zone), end.astimezone(zone)
        if s.date() == e.date():
            first, last = min(first, s.hour), max(last, e.hour + (1 if e.minute else 0))
        else:
            first, last = 0, 24
    return max(0, min(first, 23)), max(1, min(last, 24))


def layout(
    schedule: Schedule,
    cabins: Sequence[CabinSpec],
    opening_hours: Sequence[OpeningInterval],
    first_day: date,
    days: int,
) -> Grid:
    zone = ZoneInfo(schedule.time_zone)
    names = {c.id: c.name for c in cabins}
    spans = [(e.start, e.end) for e in schedule.entries]
    spans += [(s.start, s.end) for s in schedule.changeovers]
    first_hour, last_hour = _hour_range(opening_hours, spans, zone)
    day_list = tuple(first_day + timedelta(days=i) for i in range(days))
    blocks: list[Block] = []

    def place(start: datetime, end: datetime, lane: str, **what: str) -> None:
        for index, day in enumerate(day_list):
            lo = datetime.combine(day, time(first_hour), zone)
            hi = datetime.combine(day, time(0), zone) + timedelta(hours=last_hour)
            s, e = max(start, lo), min(end, hi)
            if s >= e:
                continue
            span = (hi - lo).total_seconds()
            blocks.append(
                Block(
                    day=index,
                    lane=lane,
                    top_pct=round(100 * (s - lo).total_seconds() / span, 3),
                    height_pct=round(100 * (e - s).total_seconds() / span, 3),
                    **what,
                )
            )

    def hm(at: datetime) -> str:
        return at.astimezone(zone).strftime("%H:%M")

    for blackout in schedule.blackouts:
        lane = blackout.cabin_id or PLATFORM_LANE
        title = f"Blackout {hm(blackout.start)}-{hm(blackout.end)}: {blackout.reason}"
        place(blackout.start, blackout.end, lane, kind="blackout", label="blackout", title=title)
    for step in schedule.changeovers:
        what = f"{step.kind.value} {names.get(step.cabin_id, step.cabin_id) or 'a cabin'}"
        title = f"Changeover {hm(step.start)}-{hm(step.end)}: {what}"
        label = step.kind.value
        place(step.start, step.end, PLATFORM_LANE, kind="changeover", label=label, title=title)
    for entry in schedule.entries:
        lane = PLATFORM_LANE if entry.mode is BookingMode.MOTION else entry.cabin_id
        when = f"{hm(entry.start)}-{hm(entry.end)}"
        booking = entry.booking
        if booking is None:
            place(entry.start, entry.end, lane, kind="busy", label="busy", title=f"Busy {when}")
            continue
        cabin = names.get(booking.cabin_id, booking.cabin_id)
        label = when
        title = f"{cabin} ({booking.mode.value}) {when}, {booking.state.value}"
        if booking.purpose:
            title += f": {booking.purpose}"
        place(
            entry.start,
            entry.end,
            lane,
            kind="own",
            label=label,
            title=title,
            href=f"/bookings/{booking.id}",
            state=booking.state.value,
        )
    lanes = (
        (PLATFORM_LANE, "MP", "Motion platform"),
        *((c.id, short_name(c.name), f"{c.name} bay") for c in cabins),
    )
    return Grid(day_list, lanes, first_hour, last_hour, tuple(blocks))


def short_name(name: str) -> str:
    """Initials of a cabin's name for the narrow lanes of the week view ("Fire engine" -> FE)."""
    words = [w for w in name.replace("-", " ").split() if w[:1].isalpha() and w[0] != "("]
    return "".join(w[0].upper() for w in words[:2]) or name[:2]
