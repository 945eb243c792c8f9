"""Read caches keyed by the generation of the booking data, invalidated by what changed.

The store keeps change counters (``Generation``: bookings, policy) that every write
transaction bumps before it commits, in the same transaction, whichever process it runs in,
and logs one ``Change`` per booking it wrote under the new bookings counter. A read takes the
counters first and then the data, so what it computes is at least as new as the counters.

A cached answer carries what it read (``Reads``: periods, an organisation, a quota margin).
When a reader brings newer counters, the cache reads the changes logged since the counters it
holds and drops only the answers that one of them can alter; the rest stay right. Where the
log cannot say (the policy moved, a generation has no logged change, the log was pruned, a
store keeps no log) it drops every answer, as it did when any write cleared it. An answer
computed under counters older than the cache's is kept only if the changes in between are
still in memory and alter nothing it read. A generation of None caches nothing.

The caches hold what the service computed before it applies the caller's visibility (tenancy
is decided per call, never by the cache), and hand the same objects to every caller: they are
immutable (frozen dataclasses, tuples).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

#: (bookings counter, policy counter) as one transaction saw them.
Generation = tuple[int, int]

V = TypeVar("V")

#: Entries per cache before it starts over (a day or slot search each: small).
MAX_ENTRIES = 4096
#: Generations of changes kept in memory for answers computed under older counters.
RECENT_GENERATIONS = 256


@dataclass(frozen=True)
class Change:
    """One booking a write transaction added or changed (from the store's change log)."""

    generation: int  # the bookings counter the write committed
    organisation_id: str
    motion: bool  # a motion booking (it can be another slot's neighbour on the platform)
    planned: bool  # planned (approved, checked in, completed) before or after the change
    start: datetime  # its blocked period, as stored after the change
    end: datetime
    motion_minutes: int  # what it can add to its organisation's motion quota (0: fixed-base)


@dataclass(frozen=True)
class Span:
    """A period whose bookings an answer read; None: unbounded on that side."""

    start: datetime | None
    end: datetime | None
    motion_only: bool = False  # only motion bookings in it were read
    planned_only: bool = False  # only planned motion bookings in it were read

    def meets(self, change: Change) -> bool:
        if self.motion_only and not change.motion:
            return False
        if self.planned_only and not (change.motion and change.planned):
            return False
        return (self.start is None or change.end > self.start) and (
            self.end is None or change.start < self.end
        )


@dataclass(frozen=True)
class QuotaMargin:
    """An answer read *organisation_id*'s motion minutes in [start, end) and no quota bound
    it with *minutes* to spare: changes of that organisation that add no more than the
    margin in all cannot make the quota bind (negative: it bound; any change alters it)."""

    organisation_id: str
    start: datetime
    end: datetime
    minutes: int


@dataclass(frozen=True)
class Reads:
    """What a cached answer depends on: a change that meets none of it cannot alter it."""

    spans: tuple[Span, ...] = ()
    organisation_id: str | None = None  # every change of this organisation alters it
    every_organisation: bool = False  # every change alters it (an operator's listing)
    quota: QuotaMargin | None = None
    #: With ``organisation_id`` / ``every_organisation``: the answer is a full page of
    #: bookings in start order whose last row starts at this time. A booking whose blocked
    #: period starts after it sorts after that row, before and after its change (a change
    #: that moves a booking is logged with its old period too), so it cannot enter, leave or
    #: alter the page; only changes that start at or before it do. None: every change does.
    sorted_upto: datetime | None = None


#: The changes logged for bookings counters in (after, upto], in order; None: the log cannot
#: say (a generation without a logged change, or pruned).
ChangeFeed = Callable[[int, int], Sequence[Change] | None]


def _no_log(after: int, upto: int) -> Sequence[Change] | None:
    return None


class _Entry(Generic[V]):
    __slots__ = ("margin", "reads", "value")

    def __init__(self, value: V, reads: Reads) -> None:
        self.value = value
        self.reads = reads
        self.margin = reads.quota.minutes if reads.quota is not None else 0

    def altered_by(self, change: Change) -> bool:
        """Whether *change* can alter this answer (consumes the quota margin it may use)."""
        reads = self.reads
        if (reads.every_organisation or reads.organisation_id == change.organisation_id) and (
            reads.sorted_upto is None or change.start <= reads.sorted_upto
        ):
            return True
        if any(span.meets(change) for span in reads.spans):
            return True
        quota = reads.quota
        if (
            quota is not None
            and change.motion_minutes > 0
            and change.organisation_id == quota.organisation_id
            and change.start < quota.end
            and quota.start < change.end
        ):
            self.margin -= change.motion_minutes
            return self.margin < 0
        return False


class GenerationCache(Generic[V]):
    """Answers valid at the cache's generation; see the module doc."""

    def __init__(self, changes: ChangeFeed = _no_log, max_entries: int = MAX_ENTRIES) -> None:
        self._changes = changes
        self._lock = threading.Lock()
        self._max_entries = max_entries
        self._generation: Generation | None = None
        self._entries: dict[Hashable, _Entry[V]] = {}
        self._recent: list[Change] = []  # the changes after bookings counter _known_from
        self._known_from = 0

    def get(self, generation: Generation | None, key: Hashable) -> V | None:
        if generation is None:
            return None
        with self._lock:
            self._advance(generation)
            entry = self._entries.get(key)
            return None if entry is None else entry.value

    def put(self, generation: Generation | None, key: Hashable, value: V, reads: Reads) -> None:
        """Keep *value*, computed from data at least as new as *generation*."""
        if generation is None:
            return
        with self._lock:
            self._advance(generation)
            assert self._generation is not None
            entry = _Entry(value, reads)
            if generation != self._generation:  # older: check it against what came since
                if generation[1] != self._generation[1] or generation[0] < self._known_from:
                    return
                since = (c for c in self._recent if c.generation > generation[0])
                if any(entry.altered_by(change) for change in since):
                    return
            if len(self._entries) >= self._max_entries:
                self._entries = {}
            self._entries[key] = entry

    def _advance(self, generation: Generation) -> None:
        current = self._generation
        if current is not None and generation <= current:
            return
        changes = None
        if current is not None and generation[1] == current[1]:
            changes = self._changes(current[0], generation[0])
        self._generation = generation
        if changes is None:
            self._entries = {}
            self._recent = []
            self._known_from = generation[0]
            return
        for change in changes:
            altered = [k for k, entry in self._entries.items() if entry.altered_by(change)]
            for key in altered:
                del self._entries[key]
        self._recent.extend(changes)
        if len(self._recent) > RECENT_GENERATIONS:
            del self._recent[: len(self._recent) - RECENT_GENERATIONS]
            self._known_from = self._recent[0].generation - 1
