"""Control inputs from the drivers: validation, counters and the mailbox the loop reads.

A control input carries the steering-wheel angle [rad, positive = left], throttle and brake
pedal positions [0, 1], the gear (-1 reverse, 0 neutral, 1.. forward) and the indicators
(0 off, 1 left, 2 right, 3 hazard), with the sender's sequence number and send time (UTC, ns
since the Unix epoch). NaN or infinite values, values out of range and stale inputs (older
than ``max_control_age_s``, further than ``max_clock_skew_s`` in the future, or a sequence
number not above the last accepted one) are rejected and counted, never stepped.

Adapters (ZeroMQ, gRPC) call ``ControlMailbox.submit`` from their own threads; the real-time
loop copies the latest accepted inputs with ``read_into`` into arrays it allocated once.
"""

from __future__ import annotations

import enum
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from simhub.facility.model import CabinSpec

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Columns of the (n_egos, N_CONTROLS) control array the loop reads.
C_STEERING_WHEEL = 0  # rad, positive = left
C_THROTTLE = 1  # 0..1
C_BRAKE = 2  # 0..1
C_GEAR = 3  # -1 reverse, 0 neutral, 1.. forward
C_INDICATOR = 4  # 0 off, 1 left, 2 right, 3 hazard
N_CONTROLS = 5

INDICATOR_MAX = 3


class Verdict(enum.StrEnum):
    ACCEPTED = "accepted"
    NAN = "nan"  # a value is NaN or infinite
    RANGE = "range"  # a value is outside what the cabin allows
    STALE = "stale"  # too old, from the future, or not newer than the last accepted
    UNBOUND = "unbound"  # no such ego, or it is not driven by this kind of source


VERDICTS = tuple(Verdict)


@dataclass(frozen=True)
class ControlInput:
    """One control message as an adapter decoded it (units in the module docstring)."""

    ego: str
    steering_wheel_rad: float
    throttle: float
    brake: float
    gear: int
    indicator: int
    sequence: int
    sent_at_unix_ns: int


@dataclass(frozen=True)
class ControlLimits:
    """What one ego's cabin accepts."""

    steering_wheel_max_rad: float  # half the lock-to-lock range
    forward_gears: int

    @staticmethod
    def of(cabin: CabinSpec) -> ControlLimits:
        return ControlLimits(
            steering_wheel_max_rad=cabin.controls.steering_wheel_range_rad / 2.0,
            forward_gears=cabin.controls.forward_gears,
        )


def check(
    control: ControlInput,
    limits: ControlLimits,
    now_unix_ns: int,
    last_sequence: int,
    max_age_s: float,
    max_skew_s: float,
) -> Verdict:
    """Decide whether *control* may be stepped (pure)."""
    values = (control.steering_wheel_rad, control.throttle, control.brake)
    if not all(math.isfinite(v) for v in values):
        return Verdict.NAN
    if (
        abs(control.steering_wheel_rad) > limits.steering_wheel_max_rad
        or not 0.0 <= control.throttle <= 1.0
        or not 0.0 <= control.brake <= 1.0
        or not -1 <= control.gear <= limits.forward_gears
        or not 0 <= control.indicator <= INDICATOR_MAX
    ):
        return Verdict.RANGE
    age_s = (now_unix_ns - control.sent_at_unix_ns) * 1e-9
    if age_s > max_age_s or -age_s > max_skew_s or control.sequence <= last_sequence:
        return Verdict.STALE
    return Verdict.ACCEPTED


class ControlReader(Protocol):
    """What the real-time loop reads controls from: a ``ControlMailbox`` in its process, or a
    shared-memory mirror of one when the loop runs in a process of its own."""

    @property
    def egos(self) -> tuple[str, ...]: ...
    def read_into(self, controls: FloatArray, received_ns: IntArray) -> None: ...
    def counts_into(self, counts: IntArray) -> None: ...
    def counts(self) -> dict[Verdict, int]: ...


class ControlMailbox:
    """The latest accepted control input per ego, shared between adapters and the loop.

    ``driven_by`` names, per ego, which source kinds may drive it (``"client"`` for gRPC and
    remote ZeroMQ programs, ``"cabin"`` / ``"bay"`` for cabins); ``monotonic_ns`` is the clock
    the loop's watchdog reads (the loop's own clock).
    """

    def __init__(
        self,
        egos: Sequence[str],
        limits: Sequence[ControlLimits],
        *,
        max_age_s: float,
        max_skew_s: float,
        unix_ns: Callable[[], int] = time.time_ns,
        monotonic_ns: Callable[[], int] = time.perf_counter_ns,
    ) -> None:
        self.egos = tuple(egos)
        self._index = {name: i for i, name in enumerate(self.egos)}
        self._limits = tuple(limits)
        self._max_age_s = max_age_s
        self._max_skew_s = max_skew_s
        self._unix_ns = unix_ns
        self._monotonic_ns = monotonic_ns
        self._lock = threading.Lock()
        n = len(self.egos)
        self._controls: FloatArray = np.zeros((n, N_CONTROLS))
        self._controls[:, C_GEAR] = 1.0
        self._received_ns: IntArray = np.full(n, -1, np.int64)  # -1: never
        self._last_sequence = [-(2**63)] * n
        self._counts: IntArray = np.zeros(len(VERDICTS), np.int64)
        self._observers: list[Callable[[ControlInput, Verdict], None]] = []
        self._mirrors: list[Callable[[FloatArray, IntArray, IntArray], None]] = []

    def mirror(self, write: Callable[[FloatArray, IntArray, IntArray], None]) -> None:
        """Call *write(controls, received_ns, counts)* under the mailbox's lock after every
        submission (and once now): keeps a copy elsewhere (shared memory) exactly current."""
        with self._lock:
            self._mirrors.append(write)
            write(self._controls, self._received_ns, self._counts)

    def observe(self, observer: Callable[[ControlInput, Verdict], None]) -> None:
        """Call *observer* (from the submitting thread) with every input and its verdict."""
        self._observers.append(observer)

    def submit(self, control: ControlInput) -> Verdict:
        """Validate *control* and, when accepted, make it the ego's latest input."""
        i = self._index.get(control.ego)
        with self._lock:
            if i is None:
                verdict = Verdict.UNBOUND
            else:
                verdict = check(
                    control,
                    self._limits[i],
                    self._unix_ns(),
                    self._last_sequence[i],
                    self._max_age_s,
                    self._max_skew_s,
                )
            self._counts[VERDICTS.index(verdict)] += 1
            if verdict is Verdict.ACCEPTED and i is not None:
                row = self._controls[i]
                row[C_STEERING_WHEEL] = control.steering_wheel_rad
                row[C_THROTTLE] = control.throttle
                row[C_BRAKE] = control.brake
                row[C_GEAR] = control.gear
                row[C_INDICATOR] = control.indicator
                self._received_ns[i] = self._monotonic_ns()
                self._last_sequence[i] = control.sequence
            for write in self._mirrors:
                write(self._controls, self._received_ns, self._counts)
        for observer in self._observers:
            observer(control, verdict)
        return verdict

    def reject_unbound(self) -> None:
        """Count an input for an ego the source may not drive."""
        with self._lock:
            self._counts[VERDICTS.index(Verdict.UNBOUND)] += 1
            for write in self._mirrors:
                write(self._controls, self._received_ns, self._counts)

    def read_into(self, controls: FloatArray, received_ns: IntArray) -> None:
        """Copy the latest inputs ``(n_egos, N_CONTROLS)`` and their receive times (loop clock,
        ns; -1 never) into the caller's arrays. Allocates nothing."""
        with self._lock:
            np.copyto(controls, self._controls)
            np.copyto(received_ns, self._received_ns)

    def counts_into(self, counts: IntArray) -> None:
        """Copy the counters, one per verdict in ``VERDICTS`` order, into *counts*."""
        with self._lock:
            np.copyto(counts, self._counts)

    def counts(self) -> dict[Verdict, int]:
        with self._lock:
            return {v: int(self._counts[k]) for k, v in enumerate(VERDICTS)}
