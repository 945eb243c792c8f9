"""Read caches keyed by the generation of the booking data.

The store keeps change counters (``Generation``: bookings, policy) that every write
transaction bumps before it commits, in the same transaction, whichever process it runs in. A
read takes the counters first and then the data, so what it computes is at least as new as the
counters: a result stored under them stays right until they move, and a reader that sees new
counters never gets an older result. A generation of None (a schema without the counter row)
caches nothing.

The caches hold what the service computed from the database before it applies the caller's
visibility (tenancy is decided per call, never by the cache), and hand out the same objects
to every caller: they are immutable (frozen dataclasses, tuples).
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Generic, TypeVar

#: (bookings counter, policy counter) as one transaction saw them.
Generation = tuple[int, int]

V = TypeVar("V")

#: Entries per cache before it starts over (a day or slot search each: small).
MAX_ENTRIES = 4096


class GenerationCache(Generic[V]):
    """Values of one generation; a newer generation drops them all, an older one is ignored."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._lock = threading.Lock()
        self._max_entries = max_entries
        self._generation: Generation | None = None
        self._entries: dict[Hashable, V] = {}

    def get(self, generation: Generation | None, key: Hashable) -> V | None:
        if generation is None:
            return None
        with self._lock:
            if generation != self._generation:
                return None
            return self._entries.get(key)

    def put(self, generation: Generation | None, key: Hashable, value: V) -> None:
        if generation is None:
            return
        with self._lock:
            if generation != self._generation:
                if self._generation is not None and generation < self._generation:
                    return  # computed by a reader that started before the latest write
                self._generation = generation
                self._entries = {}
            if len(self._entries) >= self._max_entries:
                self._entries = {}
            self._entries[key] = value
