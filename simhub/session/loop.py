"""The real-time loop of one live session, on a dedicated thread.

Each physics tick (default 1 kHz): read the latest controls, run the watchdog, step the world,
run motion cueing for the ego the platform renders; every ``ticks_per_frame`` ticks (default
10: 100 Hz) publish a frame to every sink. Deadlines are absolute; a tick that starts more than
one period late is a deadline miss; when the loop falls more than ``MAX_BACKLOG_TICKS`` behind
it drops the backlog (counted as skipped) instead of racing to catch up. Everything the tick
touches is allocated before ``running``: warm-up compiles the kernels, then garbage collection
is frozen and disabled (``GcGuard``).

Commands from other threads (pause, resume, stop) are flags the loop reads at its next tick;
all events are published from the loop thread, so sinks see one ordered stream.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Sequence

import numpy as np

from simhub.errors import FailedPrecondition
from simhub.motion import GRAVITY_M_S2, M_CLIPPED, M_NEUTRAL, WashoutFilter
from simhub.session import watchdog as wd
from simhub.session.controls import N_CONTROLS, VERDICTS, ControlReader
from simhub.session.frame import EventKind, Frame, FrameSink, MotionSink, SessionEvent
from simhub.session.model import LoopConfig, SessionState, SessionStats
from simhub.session.realtime import (
    GcGuard,
    LatenessHistogram,
    LatenessSummary,
    prepare_thread,
    wait_until,
)
from simhub.session.world import F_ACCEL_LAT, F_ACCEL_LONG, F_YAW_RATE, World

log = logging.getLogger("simhub.session")

MAX_BACKLOG_TICKS = 50


class LiveLoop:
    """Runs *world* in real time; see the module docstring."""

    def __init__(
        self,
        session_id: str,
        world: World,
        mailbox: ControlReader,
        config: LoopConfig,
        *,
        washout: WashoutFilter | None = None,
        motion_ego: int = -1,
        sinks: Sequence[FrameSink] = (),
        motion_sinks: Sequence[MotionSink] = (),
        on_finished: Callable[[SessionState, str], None] | None = None,
        on_frame: Callable[[LiveLoop], None] | None = None,
        lateness: LatenessHistogram | None = None,
    ) -> None:
        self.session_id = session_id
        self.world = world
        self.mailbox = mailbox
        self.config = config
        self.washout = washout
        self.motion_ego = motion_ego if washout is not None else -1
        self.sinks = tuple(sinks)
        self.motion_sinks = tuple(motion_sinks)
        self._on_finished = on_finished
        egos = len(mailbox.egos)
        self.frame = Frame(session_id, world.entities, egos, self.motion_ego)
        self.watchdog = wd.Watchdog(
            egos, config.watchdog_s, config.watchdog_deceleration_m_s2, config.watchdog_jerk_m_s3
        )
        self.lateness = lateness if lateness is not None else LatenessHistogram()
        self._on_frame = on_frame  # after each frame, on the loop thread (stats mirrors)
        self._reset_lateness = False
        self.state = SessionState.CREATED
        self.failure_reason = ""
        self.thread_notes: list[str] = []
        self.ticks = 0
        self.frames = 0
        self.misses = 0
        self.skipped = 0
        self.clipped_frames = 0
        self.sink_errors = 0
        self.sim_time_s = 0.0
        self._controls = np.zeros((egos, N_CONTROLS))
        self._received = np.full(egos, -1, np.int64)
        self._event_sequence = 0
        self._pause_requested = False
        self._stop_requested = False
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- commands (any thread) -------------------------------------------------------------

    def start(self, timeout_s: float = 120.0) -> None:
        """Warm up and start ticking; returns once ``running`` (or raises if warm-up failed)."""
        if self._thread is not None:
            raise FailedPrecondition("the session's loop was started already")
        self._thread = threading.Thread(
            target=self._run, name=f"simhub-loop-{self.session_id}", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(timeout_s):
            raise FailedPrecondition(f"warm-up took longer than {timeout_s} s")
        if self.state is SessionState.FAILED:
            raise FailedPrecondition(f"the session failed to start: {self.failure_reason}")

    def pause(self) -> None:
        self._pause_requested = True

    def resume(self) -> None:
        self._pause_requested = False

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop_requested = True
        if self._thread is not None:
            self._thread.join(timeout_s)

    def join(self, timeout_s: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)

    def reset_lateness(self) -> None:
        """Start the lateness statistics and the miss count afresh (at the next frame)."""
        self._reset_lateness = True

    # ---- statistics ------------------------------------------------------------------------

    def stats(self) -> SessionStats:
        counts = self.mailbox.counts()
        return SessionStats(
            ticks=self.ticks,
            frames=self.frames,
            deadline_misses=self.misses,
            skipped_ticks=self.skipped,
            max_lateness_us=self.lateness.max_ns / 1000.0,
            controls_accepted=counts[VERDICTS[0]],
            controls_rejected_nan=counts[VERDICTS[1]],
            controls_rejected_range=counts[VERDICTS[2]],
            controls_rejected_stale=counts[VERDICTS[3]],
            controls_rejected_unbound=counts[VERDICTS[4]],
            motion_clipped_frames=self.clipped_frames,
        )

    def lateness_summary(self) -> LatenessSummary:
        return LatenessSummary(
            ticks=self.lateness.count,
            misses=self.misses,
            p50_us=self.lateness.percentile_us(0.5),
            p99_us=self.lateness.percentile_us(0.99),
            max_us=self.lateness.max_ns / 1000.0,
        )

    # ---- the loop thread -------------------------------------------------------------------

    def _run(self) -> None:
        final = SessionState.STOPPED
        guarded = False
        try:
            self.thread_notes = prepare_thread(self.config.cpu, self.config.realtime_priority)
            self._set_state(SessionState.WARMING_UP)
            self.world.warm_up()
            if self.washout is not None:
                self.washout.warm_up()
            GcGuard.acquire()
            guarded = True
            self._set_state(SessionState.RUNNING)
            self._ready.set()
            self._ticking()
        except Exception as exc:  # the loop must report, not vanish
            log.exception("session loop failed", extra={"session": self.session_id})
            final = SessionState.FAILED
            self.failure_reason = f"{type(exc).__name__}: {exc}"
        finally:
            if guarded:
                GcGuard.release()
            close_world = getattr(self.world, "close", None)
            if close_world is not None:
                close_world()
            try:
                self._set_state(final, self.failure_reason)
            finally:
                self._ready.set()
                if self._on_finished is not None:
                    self._on_finished(final, self.failure_reason)

    def _ticking(self) -> None:
        config = self.config
        period = config.period_ns
        dt = 1.0 / config.physics_hz
        spin = round(config.spin_s * 1e9)
        per_frame = config.ticks_per_frame
        per_second = max(1, round(config.physics_hz))
        clock = time.perf_counter_ns
        deadline = clock() + period
        while not self._stop_requested:
            wait_until(deadline, spin)
            now = clock()
            late = now - deadline
            self.lateness.add(late)
            if late > period:
                self.misses += 1
            self._tick(now, dt)
            if self.ticks % per_frame == 0:
                self._publish_frame()
            if self.ticks % per_second == 0:
                gc.collect(0)  # young generation only: tens of microseconds
            deadline += period
            behind = (clock() - deadline) // period
            if behind > MAX_BACKLOG_TICKS:
                deadline += behind * period
                self.skipped += behind

    def _tick(self, now: int, dt: float) -> None:
        paused = self._pause_requested
        if paused and self.state is SessionState.RUNNING:
            self._set_state(SessionState.PAUSED)
        elif not paused and self.state is SessionState.PAUSED:
            self._set_state(SessionState.RUNNING)
        self.mailbox.read_into(self._controls, self._received)
        if self.watchdog.update(self._received, now, dt):
            self._watchdog_events()
        if not paused:
            self.world.step(self._controls, self.watchdog.override, dt)
            self.sim_time_s += dt
        if self.washout is not None:
            ego = self.motion_ego
            row = self.world.state[ego]
            force = self.washout.specific_force
            force[0] = row[F_ACCEL_LONG]
            force[1] = row[F_ACCEL_LAT]
            force[2] = GRAVITY_M_S2
            self.washout.angular_rate[2] = row[F_YAW_RATE]
            neutral = paused or self.watchdog.status[ego] != wd.OK
            out = self.washout.step(neutral, dt)
            self.frame.motion_clipped |= int(out[M_CLIPPED])
        self.ticks += 1

    def _watchdog_events(self) -> None:
        status = self.watchdog.status
        previous = self.watchdog.previous
        for i, ego in enumerate(self.mailbox.egos):
            if status[i] == previous[i]:
                continue
            if status[i] == wd.LOST:
                self._event(
                    EventKind.CONTROLS_LOST,
                    ego=ego,
                    detail=f"no valid control input for {self.config.watchdog_s} s; "
                    "braking to a stop, platform to neutral",
                )
            elif previous[i] == wd.LOST:
                self._event(EventKind.CONTROLS_RESTORED, ego=ego)

    def _publish_frame(self) -> None:
        frame = self.frame
        frame.sequence += 1
        frame.tick = self.ticks
        frame.sim_time_s = self.sim_time_s
        frame.state = self.state
        np.copyto(frame.world, self.world.state)
        np.copyto(frame.ego_status, self.watchdog.status)
        if self.washout is not None:
            np.copyto(frame.motion, self.washout.output)
            if frame.motion_clipped and frame.motion[M_NEUTRAL] == 0.0:
                self.clipped_frames += 1
        frame.deadline_misses = self.misses
        self.mailbox.counts_into(frame.control_counts)
        frame.published_unix_ns = time.time_ns()
        for sink in self.sinks:
            try:
                sink.publish_frame(frame)
            except Exception:
                self.sink_errors += 1
        for motion_sink in self.motion_sinks:
            try:
                motion_sink.publish_motion(frame)
            except Exception:
                self.sink_errors += 1
        frame.motion_clipped = 0
        self.frames += 1
        if self._reset_lateness:
            self._reset_lateness = False
            self.lateness.reset()
            self.misses = 0
        if self._on_frame is not None:
            self._on_frame(self)

    def _set_state(self, state: SessionState, detail: str = "") -> None:
        self.state = state
        self._event(EventKind.STATE_CHANGED, state=state, detail=detail)

    def _event(
        self,
        kind: EventKind,
        *,
        ego: str = "",
        state: SessionState | None = None,
        detail: str = "",
    ) -> None:
        self._event_sequence += 1
        event = SessionEvent(
            session_id=self.session_id,
            sequence=self._event_sequence,
            kind=kind,
            sim_time_s=self.sim_time_s,
            unix_ns=time.time_ns(),
            ego=ego,
            state=state,
            detail=detail,
        )
        for sink in self.sinks:
            try:
                sink.publish_event(event)
            except Exception:
                self.sink_errors += 1
