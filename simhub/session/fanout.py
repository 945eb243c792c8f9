"""In-process fan-out of frames and events to many readers (gRPC streams), never blocking the
loop: each reader has a bounded queue that drops its oldest frame when full and counts it.

The loop calls ``publish_frame``; the frame is copied once (only when some reader wants it) and
offered to each reader whose decimation admits its sequence number. ``notify`` is the reader's
wake-up (an asyncio ``call_soon_threadsafe`` in the gRPC adapter); it must not block.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from simhub.session.frame import Frame, SessionEvent


class Subscription:
    """One reader: every ``every``-th frame, at most ``capacity`` queued."""

    def __init__(
        self, every: int, capacity: int, notify: Callable[[], None], events: bool = False
    ) -> None:
        self.every = max(1, every)
        self.capacity = max(1, capacity)
        self.events = events
        self._notify = notify
        self._lock = threading.Lock()
        self._frames: deque[Frame] = deque()
        self._events: deque[SessionEvent] = deque()
        self.dropped = 0  # frames dropped from this reader's queue, since it subscribed
        self.closed = False

    def wants(self, sequence: int) -> bool:
        return not self.events and sequence % self.every == 0

    def offer(self, frame: Frame) -> None:
        with self._lock:
            wake = not self._frames  # a reader with a backlog is awake already
            if len(self._frames) >= self.capacity:
                self._frames.popleft()
                self.dropped += 1
            self._frames.append(frame)
        if wake:
            self._notify()

    def offer_event(self, event: SessionEvent) -> None:
        with self._lock:
            wake = not self._events
            self._events.append(event)
        if wake:
            self._notify()

    def close(self) -> None:
        """The session ended: wake the reader so it sees ``closed``."""
        self.closed = True
        self._notify()

    def drain(self) -> tuple[list[Frame], list[SessionEvent], int]:
        """Everything queued, and the drop count so far."""
        with self._lock:
            frames = list(self._frames)
            events = list(self._events)
            self._frames.clear()
            self._events.clear()
            return frames, events, self.dropped


class Fanout:
    """A ``FrameSink`` that hands frames and events to in-process subscriptions."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: tuple[
            Subscription, ...
        ] = ()  # replaced, never mutated: lock-free reads

    def subscribe(self, subscription: Subscription) -> Subscription:
        with self._lock:
            self._subscriptions = (*self._subscriptions, subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions = tuple(s for s in self._subscriptions if s is not subscription)

    def publish_frame(self, frame: Frame) -> None:
        copied: Frame | None = None
        for subscription in self._subscriptions:
            if subscription.wants(frame.sequence):
                if copied is None:
                    copied = frame.copy()
                subscription.offer(copied)

    def publish_encoded(self, frame: Frame) -> None:
        """Offer a frame that is already private to the fan-out (``frame.wire`` set by the
        adapter that decoded it): no copy."""
        for subscription in self._subscriptions:
            if subscription.wants(frame.sequence):
                subscription.offer(frame)

    def publish_event(self, event: SessionEvent) -> None:
        for subscription in self._subscriptions:
            if subscription.events:
                subscription.offer_event(event)

    def close(self) -> None:
        for subscription in self._subscriptions:
            subscription.close()
