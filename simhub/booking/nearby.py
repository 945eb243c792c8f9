"""The bookings near a period, read once per block of days and kept while nothing meets them.

A rule context (``BookingService._context``) needs the slot-holding bookings whose blocked
period meets a period padded by the longest changeover, and the platform's motion neighbours of
the period: the slot-holding motion booking that ends last by its start, and the one that
starts first from its end. RequestBooking's early read and every FindSlots miss read both,
two queries that were most of such a call's cost. ``Nearby`` answers both for any period that
fits in one block of ``BLOCK_DAYS`` UTC days from what it read for the whole block: the
bookings holding slots in the block and the platform's neighbours of the block itself.

Why the block's answer is the database's answer, for a period [start, end) inside it:

- A booking whose blocked period meets the padded period meets the block: it is among the
  block's bookings, filtered here as the database filters them.
- The neighbour before: a motion booking that starts inside the block meets it (its blocked
  period starts by its start and ends after it), so it is among the block's bookings. One that
  starts before the block either ends after the block starts (it meets the block: among its
  bookings) or ends by then: the latest of those is the block's own neighbour before. The
  latest of all those candidates is the one the database would find.
- The neighbour after, likewise: a motion booking starting before the block ends meets it;
  the first one starting later is the block's own neighbour after.

A block stays cached (``GenerationCache``) until a logged change meets the block, or meets the
motion bookings between the block and its neighbours (where a new or cancelled booking would
change which booking is the neighbour).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from simhub.booking.cache import ChangeFeed, Generation, GenerationCache, Reads, Span
from simhub.booking.model import Booking, BookingMode

#: A block: the UTC day a period's padded start falls on and the two days after it, so that a
#: period of up to a day and a half (padding included) always fits in the block it starts in.
BLOCK_DAYS = 3
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Block:
    """What the store held for [start, end): its slot-holding bookings (blocked period meets
    it), and the platform's motion neighbours of the block (as ``motion_neighbours``)."""

    start: datetime
    end: datetime
    holding: tuple[Booking, ...]
    before: Booking | None  # ends by ``start``, starts last: the neighbour before the block
    after: Booking | None  # starts first from ``end``: the neighbour after the block

    def holding_between(self, start: datetime, end: datetime) -> list[Booking]:
        """The store's ``holding_between(start, end)``; [start, end) must lie in the block."""
        return [b for b in self.holding if b.blocked_start < end and b.blocked_end > start]

    def motion_neighbours(self, start: datetime, end: datetime) -> list[Booking]:
        """The store's ``motion_neighbours(start, end)`` (the one before, then the one after,
        where there is one); [start, end) must lie in the block (see the module doc)."""
        motion = [b for b in self.holding if b.mode is BookingMode.MOTION]
        before = max(
            (b for b in (*motion, self.before) if b and b.start < start and b.end <= start),
            key=lambda b: b.start,
            default=None,
        )
        after = min(
            (b for b in (*motion, self.after) if b and b.start >= end),
            key=lambda b: b.start,
            default=None,
        )
        return [b for b in (before, after) if b is not None]

    def reads(self) -> Reads:
        """What the block's answer depends on (see the module doc)."""
        return Reads(
            spans=(
                Span(self.start, self.end),
                Span(
                    self.before.blocked_start if self.before else None, self.start, motion_only=True
                ),
                Span(self.end, self.after.blocked_end if self.after else None, motion_only=True),
            )
        )


def block_of(start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
    """The block [start, end) lies in: from the UTC midnight by *start*; None where it does
    not fit in one."""
    utc = start.astimezone(UTC)
    first = utc.replace(hour=0, minute=0, second=0, microsecond=0)
    last = first + BLOCK_DAYS * _DAY
    return (first, last) if end <= last else None


class Reader(Protocol):
    """The two reads of a store transaction that a block is made of."""

    def holding_between(self, start: datetime, end: datetime) -> list[Booking]: ...
    def motion_neighbours(self, start: datetime, end: datetime) -> list[Booking]: ...


class Nearby:
    """Blocks kept per generation of the booking data (see the module doc)."""

    def __init__(self, changes: ChangeFeed) -> None:
        self._blocks: GenerationCache[Block] = GenerationCache(changes)

    def block(
        self, read_at: Generation | None, start: datetime, end: datetime, tx: Reader
    ) -> Block | None:
        """The block that [start, end) lies in, cached or read by *tx* (a transaction begun
        after the counters *read_at* were read); None where the period fits in no block."""
        bounds = block_of(start, end)
        if bounds is None:
            return None
        found = self._blocks.get(read_at, bounds)
        if found is None:
            found = _read(tx, *bounds)
            self._blocks.put(read_at, bounds, found, found.reads())
        return found


def _read(tx: Reader, start: datetime, end: datetime) -> Block:
    holding = tuple(tx.holding_between(start, end))
    before = after = None
    for b in tx.motion_neighbours(start, end):
        if b.start >= end:
            after = b
        else:
            before = b
    return Block(start, end, holding, before, after)
