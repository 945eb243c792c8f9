"""Real-time plumbing: absolute-deadline waiting, lateness statistics, thread set-up, GC guard.

Deadlines are absolute (``start + k * period``), so waiting never drifts. ``wait_until`` sleeps
until ``spin_ns`` before the deadline, then busy-waits the rest: a plain sleep overshoots by the
kernel's timer slack and scheduling delay, which alone misses a few per cent of 1 ms deadlines.
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys
import threading
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

_PR_SET_TIMERSLACK = 29
REALTIME_SWITCH_INTERVAL_S = 0.0001


def wait_until(deadline_ns: int, spin_ns: int) -> None:
    """Return at (just after) ``deadline_ns`` on ``time.perf_counter_ns``'s clock."""
    remaining = deadline_ns - time.perf_counter_ns()
    if remaining > spin_ns:
        time.sleep((remaining - spin_ns) * 1e-9)
    while time.perf_counter_ns() < deadline_ns:
        pass


def prepare_thread(cpu: int | None, priority: int) -> list[str]:
    """Best effort for the calling thread: 1 ns timer slack, CPU affinity, SCHED_FIFO.

    Returns what could not be done (each fallback is fine: the loop still runs, with more
    jitter)."""
    notes: list[str] = []
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_TIMERSLACK, 1, 0, 0, 0) != 0:
            notes.append("timer slack unchanged")
    except (OSError, AttributeError):
        notes.append("timer slack unchanged (no prctl)")
    if cpu is not None:
        try:
            os.sched_setaffinity(0, {cpu})
        except (OSError, ValueError, AttributeError):
            notes.append(f"not pinned to CPU {cpu}")
    if priority > 0:
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
        except (OSError, AttributeError):
            notes.append("SCHED_FIFO not permitted; normal scheduling")
    return notes


class GcGuard:
    """Automatic garbage collection off (and a short GIL switch interval) while any real-time
    loop runs in this process.

    On the first ``acquire`` everything alive is collected and frozen (moved out of the
    collector's sight, so a later collection never walks it) and automatic collection is
    disabled; the last ``release`` restores what was there before. The loop runs a young-
    generation collection once a second itself, in its own time, so cycles made meanwhile by
    other threads (gRPC, asyncio) stay bounded.
    """

    _lock = threading.Lock()
    _holders = 0
    _was_enabled = True
    _switch_interval = 0.005

    @classmethod
    def acquire(cls) -> None:
        with cls._lock:
            if cls._holders == 0:
                cls._was_enabled = gc.isenabled()
                gc.collect()
                gc.freeze()
                gc.disable()
                # A thread waiting for the GIL asks the holder to let go after this long;
                # CPython's 5 ms default would let any other thread make the loop late.
                cls._switch_interval = sys.getswitchinterval()
                sys.setswitchinterval(REALTIME_SWITCH_INTERVAL_S)
            cls._holders += 1

    @classmethod
    def release(cls) -> None:
        with cls._lock:
            cls._holders -= 1
            if cls._holders == 0:
                gc.unfreeze()
                sys.setswitchinterval(cls._switch_interval)
                if cls._was_enabled:
                    gc.enable()


HISTOGRAM_MAX_US = 100_000  # lateness beyond 100 ms lands in the last bin


class LatenessHistogram:
    """Tick lateness in 1 us bins, allocated once; percentiles without storing every tick."""

    def __init__(self, bins: IntArray | None = None) -> None:
        """*bins*: ``(HISTOGRAM_MAX_US + 1,)`` int64 to count into (shared memory), else own."""
        self.bins: IntArray = np.zeros(HISTOGRAM_MAX_US + 1, np.int64) if bins is None else bins
        self.count = 0
        self.max_ns = 0

    def reset(self) -> None:
        self.bins[:] = 0
        self.count = 0
        self.max_ns = 0

    def add(self, lateness_ns: int) -> None:
        us = lateness_ns // 1000
        self.bins[us if us < HISTOGRAM_MAX_US else HISTOGRAM_MAX_US] += 1
        self.count += 1
        if lateness_ns > self.max_ns:
            self.max_ns = lateness_ns

    def percentile_us(self, q: float) -> float:
        """The ``q`` quantile (0..1) in us, at 1 us resolution."""
        if self.count == 0:
            return 0.0
        cumulative = np.cumsum(self.bins)
        return float(np.searchsorted(cumulative, q * self.count, side="left"))


@dataclass(frozen=True)
class LatenessSummary:
    ticks: int
    misses: int
    p50_us: float
    p99_us: float
    max_us: float
