"""The bookings near a period, read once per block of days and kept while nothing meets them.

A rule context (``BookingService._context``) needs the slot-holding bookings whose blocked
period meets a period padded by the longest changeover, and the platform's motion neighbours of
the period: the slot-holding motion booking that ends last by its start, and the one that
starts first from its end. RequestBooking's early read and every FindSlots miss read both,
two queries that were most of such a call's cost. A ``Block`` holds the slot-holding bookings
whose blocked period meets ``BLOCK_DAYS`` UTC days; it answers the first read for any period
inside it, filtered as the database filters, and the second where it can tell:

- The neighbour before: a motion booking that starts inside the block meets it (its blocked
  period starts by its start and ends after it), so it is in the block. If the latest
  candidate in the block starts inside the block, no candidate outside can start later.
  Otherwise (none, or it starts before the block) the block cannot tell: the caller asks the
  store.
- The neighbour after, likewise: a motion booking that starts before the block ends is in it;
  if a candidate in the block starts before the block ends, it is the first one.

A block stays cached (``GenerationCache``) until a logged change meets the block's days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from simhub.booking.cache import ChangeFeed, Generation, GenerationCache, Reads, Span
from simhub.booking.model import Booking, BookingMode

#: A block: the UTC day a period's padded start falls on and the day after it, so that any
#: period of up to a day (padding included) fits in the block it starts in; a longer one may.
BLOCK_DAYS = 2
#: Blocks kept before the cache starts over (one per UTC day asked about: well over a year's
#: horizon, and a bound on the bookings held: a block holds two days' worth).
BLOCKS_KEPT = 512
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Block:
    """The slot-holding bookings whose blocked period meets [start, end), as the store held
    them."""

    start: datetime
    end: datetime
    holding: tuple[Booking, ...]

    def holding_between(self, start: datetime, end: datetime) -> list[Booking]:
        """The store's ``holding_between(start, end)``; [start, end) must lie in the block."""
        return [b for b in self.holding if b.blocked_start < end and b.blocked_end > start]

    def motion_neighbours(self, start: datetime, end: datetime) -> list[Booking] | None:
        """The store's ``motion_neighbours(start, end)`` (the one before, then the one after,
        where there is one) for [start, end) inside the block; None where the block cannot
        tell (see the module doc)."""
        before = after = None
        for b in self.holding:
            if b.mode is not BookingMode.MOTION:
                continue
            if b.start < start and b.end <= start:
                if before is None or b.start > before.start:
                    before = b
            elif b.start >= end and (after is None or b.start < after.start):
                after = b
        if before is None or before.start < self.start or after is None or after.start >= self.end:
            return None
        return [before, after]

    def reads(self) -> Reads:
        """What the block's answer depends on."""
        return Reads(spans=(Span(self.start, self.end),))


def block_of(start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
    """The block [start, end) lies in: from the UTC midnight by *start*; None where it does
    not fit in one."""
    utc = start.astimezone(UTC)
    first = utc.replace(hour=0, minute=0, second=0, microsecond=0)
    last = first + BLOCK_DAYS * _DAY
    return (first, last) if end <= last else None


class Reader(Protocol):
    """The read of a store transaction that a block is made of."""

    def holding_between(self, start: datetime, end: datetime) -> list[Booking]: ...


class Nearby:
    """Blocks kept per generation of the booking data (see the module doc)."""

    def __init__(self, changes: ChangeFeed) -> None:
        self._blocks: GenerationCache[Block] = GenerationCache(changes, BLOCKS_KEPT)

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
    return Block(start, end, tuple(tx.holding_between(start, end)))
