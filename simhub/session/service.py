"""Live-session use cases over ports: create, start, pause, stop, watch, drive.

Ports: ``BookingGate`` (is this booking checked in, for which cabin, mode and organisation),
``SessionStore`` (sessions as stored rows), ``IoFactory`` (the adapters of one session: ZeroMQ
publisher and control receiver, MCAP recorder) and ``WorldFactory`` (what world to step; today
``VehicleWorld``, later the scenario engine). Tenancy: only the session's organisation (and
operators) see a session; another organisation gets ``NotFound``, never a hint it exists.
Watching needs any role; creating, starting, stopping and driving need engineer or operator.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from simhub.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PreconditionViolation,
    QuotaExceeded,
    QuotaViolation,
)
from simhub.facility.model import CabinSpec, Facility
from simhub.identity.model import Principal, Role
from simhub.identity.service import require_role
from simhub.identity.tokens import new_id
from simhub.motion import WashoutFilter, parameter_vector, tuning_for
from simhub.session.controls import (
    ControlInput,
    ControlLimits,
    ControlMailbox,
    ControlReader,
    Verdict,
)
from simhub.session.fanout import Fanout, Subscription
from simhub.session.frame import FrameSink, MotionSink
from simhub.session.loop import LiveLoop
from simhub.session.model import (
    BindingKind,
    EgoBinding,
    LoopConfig,
    Session,
    SessionMode,
    SessionState,
    SessionStats,
    TrafficConfig,
)
from simhub.session.realtime import LatenessSummary
from simhub.session.scenarios import (
    ResolvedScenario,
    ScenarioResolver,
    WorldPlan,
    build_world,
    scenario_egos,
)
from simhub.session.world import World

DRIVERS = (Role.ENGINEER, Role.OPERATOR)
MAX_PHYSICS_HZ = 2000.0
MAX_EGOS = 8
MAX_TRAFFIC = 64


@dataclass(frozen=True)
class CheckedInBooking:
    """What the booking gate knows of a checked-in booking."""

    booking_id: str
    organisation_id: str
    cabin_id: str
    mode: SessionMode  # MOTION or FIXED_BASE
    bay_id: str = ""
    mounted_cabin_id: str | None = None  # on the motion platform now (None: none mounted)


class BookingGate(Protocol):
    """Port: the booking a session runs in, if it is checked in now (else None)."""

    def checked_in(self, booking_id: str) -> CheckedInBooking | None: ...


class NoBookings:
    """The gate while no booking service is wired: every booking is unknown."""

    def checked_in(self, booking_id: str) -> CheckedInBooking | None:
        return None


class SessionStore(Protocol):
    """Port: stored sessions (``simhub.storage`` implements it)."""

    def add(self, session: Session) -> None: ...
    def update(self, session: Session) -> None: ...
    def get(self, session_id: str) -> Session | None: ...
    def list(self, organisation_id: str | None, limit: int, offset: int) -> list[Session]: ...


class LoopHandle(Protocol):
    """A running real-time loop as the service sees it: ``LiveLoop`` on a thread of this
    process, or a proxy of one running in a process of its own (``simhub.stream.loop_process``).
    """

    @property
    def state(self) -> SessionState: ...
    @property
    def failure_reason(self) -> str: ...
    @property
    def ticks(self) -> int: ...
    @property
    def skipped(self) -> int: ...
    @property
    def misses(self) -> int: ...
    @property
    def thread_notes(self) -> list[str]: ...

    def start(self, timeout_s: float = 120.0) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def stop(self, timeout_s: float = 10.0) -> None: ...
    def stats(self) -> SessionStats: ...
    def lateness_summary(self) -> LatenessSummary: ...
    def reset_lateness(self) -> None: ...


@dataclass(frozen=True)
class LoopPlan:
    """Everything a loop needs, picklable: built into a ``LiveLoop`` here or in a child."""

    session: Session
    world: WorldPlan
    config: LoopConfig
    motion_ego: int
    washout_parameters: tuple[float, ...]  # empty: no motion cueing


LoopFactory = Callable[
    [LoopPlan, ControlMailbox, tuple[FrameSink, ...], Callable[[SessionState, str], None]],
    LoopHandle,
]


@dataclass
class SessionIo:
    """The adapters of one running session. With ``loop_factory`` the adapter runs the loop
    (in a process of its own) and delivers its frames and events to the service's sinks."""

    sinks: tuple[FrameSink, ...] = ()
    motion_sinks: tuple[MotionSink, ...] = ()
    endpoints: dict[str, str] = field(default_factory=dict)
    recording_path: str = ""
    close: Callable[[], None] = lambda: None
    loop_factory: LoopFactory | None = None


IoFactory = Callable[[Session, ControlMailbox], SessionIo]
WorldFactory = Callable[[WorldPlan], World]
Clock = Callable[[], datetime]


def loop_from_plan(
    plan: LoopPlan,
    mailbox: ControlReader,
    sinks: Sequence[FrameSink],
    motion_sinks: Sequence[MotionSink] = (),
    on_finished: Callable[[SessionState, str], None] | None = None,
    world_factory: WorldFactory = build_world,
    **options: Any,
) -> LiveLoop:
    """The ``LiveLoop`` of *plan* (its world built now: in the process that will run it)."""
    washout = None
    if plan.washout_parameters:
        washout = WashoutFilter(np.array(plan.washout_parameters))
    return LiveLoop(
        plan.session.id,
        world_factory(plan.world),
        mailbox,
        plan.config,
        washout=washout,
        motion_ego=plan.motion_ego,
        sinks=sinks,
        motion_sinks=motion_sinks,
        on_finished=on_finished,
        **options,
    )


def no_io(session: Session, mailbox: ControlMailbox) -> SessionIo:
    return SessionIo()


class MemorySessionStore:
    """A ``SessionStore`` in memory: standalone sessions (``simhub session start``), tests."""

    def __init__(self) -> None:
        self._rows: dict[str, Session] = {}
        self._lock = threading.Lock()

    def add(self, session: Session) -> None:
        with self._lock:
            self._rows[session.id] = session

    def update(self, session: Session) -> None:
        with self._lock:
            self._rows[session.id] = session

    def get(self, session_id: str) -> Session | None:
        with self._lock:
            return self._rows.get(session_id)

    def list(self, organisation_id: str | None, limit: int, offset: int) -> list[Session]:
        with self._lock:
            rows = sorted(self._rows.values(), key=lambda s: (s.created_at, s.id), reverse=True)
        mine = [s for s in rows if organisation_id is None or s.organisation_id == organisation_id]
        return mine[offset : offset + limit]


@dataclass(frozen=True)
class CreateRequest:
    mode: SessionMode
    booking_id: str = ""
    scenario_ref: str = ""
    egos: tuple[EgoBinding, ...] = ()
    traffic: TrafficConfig = field(default_factory=TrafficConfig)
    physics_hz: float = 0.0  # 0: default
    frame_hz: float = 0.0


@dataclass
class _Live:
    session: Session
    loop: LoopHandle
    mailbox: ControlMailbox
    fanout: Fanout
    io: SessionIo


class SessionService:
    def __init__(
        self,
        facility: Facility,
        store: SessionStore,
        gate: BookingGate,
        clock: Clock,
        *,
        io_factory: IoFactory = no_io,
        world_factory: WorldFactory = build_world,
        loop_config: LoopConfig = LoopConfig(),
        max_virtual_sessions_per_org: int = 2,
        scenarios: ScenarioResolver | None = None,
    ) -> None:
        self.facility = facility
        self._store = store
        self._gate = gate
        self._clock = clock
        self._io_factory = io_factory
        self._world_factory = world_factory
        self._config = loop_config
        self.max_virtual_sessions_per_org = max_virtual_sessions_per_org
        self._lock = threading.RLock()
        self._live: dict[str, _Live] = {}
        self._pending: dict[str, Session] = {}  # created, not started: counts for the quota
        self._fanouts: dict[str, Fanout] = {}  # from create to stop: readers may come early
        self._scenarios = scenarios
        self._scenario_files: dict[str, ResolvedScenario] = {}

    # ---- create ----------------------------------------------------------------------------

    def create(self, principal: Principal, request: CreateRequest) -> Session:
        require_role(principal, *DRIVERS)
        organisation = principal.organisation_id
        cabin_id = bay_id = ""
        if request.mode is SessionMode.VIRTUAL:
            if request.booking_id:
                raise _invalid("booking_id", "a virtual session runs without a booking")
        else:
            booking = self._gate.checked_in(request.booking_id) if request.booking_id else None
            if booking is None or not principal.can_see(booking.organisation_id):
                raise FailedPrecondition(
                    f"booking {request.booking_id!r} is not checked in (or not yours); a "
                    f"{request.mode.value} session runs only in a checked-in booking",
                    [
                        PreconditionViolation(
                            "CHECK_IN",
                            f"booking:{request.booking_id}",
                            "check the booking in first",
                        )
                    ],
                )
            if booking.mode is not request.mode:
                raise _invalid(
                    "mode", f"booking {booking.booking_id} is checked in for {booking.mode.value}"
                )
            if booking.mode is SessionMode.MOTION and booking.mounted_cabin_id != booking.cabin_id:
                raise FailedPrecondition(
                    f"booking {booking.booking_id} is for cabin {booking.cabin_id}, but "
                    f"{booking.mounted_cabin_id or 'no cabin'} is mounted on the motion "
                    "platform: swap the cabins first",
                    [
                        PreconditionViolation(
                            "CABIN_MOUNTED",
                            f"cabin:{booking.cabin_id}",
                            "mount the booking's cabin on the platform",
                        )
                    ],
                )
            organisation = booking.organisation_id
            cabin_id, bay_id = booking.cabin_id, booking.bay_id
        physics_hz = request.physics_hz or self._config.physics_hz
        frame_hz = request.frame_hz or self._config.frame_hz
        _check_rates(physics_hz, frame_hz)
        resolved = self._resolve(principal, request)
        egos = request.egos or (_default_ego(request.mode, cabin_id, bay_id),)
        if resolved is not None and not request.egos:
            egos = scenario_egos(resolved.external_entities, egos[0], egos[0].cabin_id)
        self._check_egos(egos, request.mode, cabin_id)
        if resolved is not None:
            strangers = [e.name for e in egos if e.name not in resolved.external_entities]
            if strangers:
                raise _invalid(
                    "egos",
                    f"{strangers} are not external entities of {resolved.ref}; those are "
                    f"{list(resolved.external_entities)}",
                )
        _check_traffic(request.traffic)
        session = Session(
            id=new_id("ses"),
            organisation_id=organisation,
            created_by_user_id=principal.user_id,
            mode=request.mode,
            state=SessionState.CREATED,
            created_at=self._clock(),
            egos=tuple(egos),
            booking_id=request.booking_id,
            cabin_id=cabin_id,
            bay_id=bay_id,
            scenario_ref=request.scenario_ref,
            scenario_file=str(resolved.path) if resolved is not None else "",
            road_file=resolved.road_file if resolved is not None else "",
            traffic=request.traffic,
            physics_hz=physics_hz,
            frame_hz=frame_hz,
        )
        with self._lock:
            if request.mode is SessionMode.VIRTUAL:
                self._check_virtual_quota(organisation)
            self._store.add(session)
            self._pending[session.id] = session
            if resolved is not None:
                self._scenario_files[session.id] = resolved
            self._fanouts[session.id] = Fanout()
        return session

    def _resolve(self, principal: Principal, request: CreateRequest) -> ResolvedScenario | None:
        if not request.scenario_ref:
            return None
        if self._scenarios is None:
            raise _invalid("scenario_ref", "this service runs no scenarios; leave it empty")
        return self._scenarios.resolve(
            principal, request.scenario_ref, virtual=request.mode is SessionMode.VIRTUAL
        )

    def _check_virtual_quota(self, organisation_id: str) -> None:
        live = [
            s
            for s in (*self._pending.values(), *(lv.session for lv in self._live.values()))
            if s.organisation_id == organisation_id
            and s.mode is SessionMode.VIRTUAL
            and self._state_of(s.id, s.state).is_live
        ]
        limit = self.max_virtual_sessions_per_org
        if len(live) >= limit:
            raise QuotaExceeded(
                f"organisation {organisation_id} already runs {len(live)} virtual sessions; "
                f"the limit is {limit} at once: stop one first",
                [
                    QuotaViolation(
                        f"organisation:{organisation_id}",
                        f"at most {limit} concurrent virtual sessions",
                    )
                ],
            )

    def _check_egos(self, egos: Sequence[EgoBinding], mode: SessionMode, cabin_id: str) -> None:
        violations: list[FieldViolation] = []
        names: set[str] = set()
        if len(egos) > MAX_EGOS:
            violations.append(FieldViolation("egos", f"at most {MAX_EGOS} egos"))
        for k, ego in enumerate(egos):
            where = f"egos[{k}]"
            if not ego.name or ego.name in names:
                violations.append(FieldViolation(f"{where}.name", "must be unique and not empty"))
            names.add(ego.name)
            if self.facility.cabin(ego.cabin_id) is None:
                known = ", ".join(c.id for c in self.facility.cabins)
                violations.append(
                    FieldViolation(
                        f"{where}.cabin_id", f"unknown cabin {ego.cabin_id!r}; known: {known}"
                    )
                )
            if ego.binding is BindingKind.CABIN and (
                mode is not SessionMode.MOTION or ego.cabin_id != cabin_id
            ):
                violations.append(
                    FieldViolation(
                        f"{where}.binding",
                        "a cabin binding needs a motion session and the booking's mounted cabin",
                    )
                )
            if not 0 <= ego.lane < 8 or ego.start_speed_m_s < 0:
                violations.append(FieldViolation(where, "lane 0..7, start speed >= 0"))
        if sum(e.binding is BindingKind.CABIN for e in egos) > 1:
            violations.append(FieldViolation("egos", "at most one ego is bound to the cabin"))
        if violations:
            raise InvalidArgument("the session's egos are not valid", violations)

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self, principal: Principal, session_id: str) -> Session:
        """Start a created session (warm-up, then running) or resume a paused one."""
        require_role(principal, *DRIVERS)
        session = self.get(principal, session_id)
        with self._lock:
            live = self._live.get(session_id)
            if live is not None and live.loop.state is SessionState.PAUSED:
                live.loop.resume()
                live.session = replace(live.session, state=SessionState.RUNNING)
                self._store.update(live.session)
                return self._current(live)
            if session.state is not SessionState.CREATED or live is not None:
                raise _precondition(session, "start", "a created or paused session")
            live = self._launch(session)
            self._live[session_id] = live
            self._pending.pop(session_id, None)
        try:
            live.loop.start()
        except Exception:
            self._finish(session_id, SessionState.FAILED, live.loop.failure_reason)
            raise
        started = replace(
            live.session,
            state=SessionState.RUNNING,
            started_at=self._clock(),
            endpoints=live.io.endpoints,
            recording_path=live.io.recording_path,
        )
        live.session = started
        self._store.update(started)
        return self._current(live)

    def _launch(self, session: Session) -> _Live:
        cabins = [self._cabin(e.cabin_id) for e in session.egos]
        config = replace(self._config, physics_hz=session.physics_hz, frame_hz=session.frame_hz)
        mailbox = ControlMailbox(
            [e.name for e in session.egos],
            [ControlLimits.of(c) for c in cabins],
            max_age_s=config.max_control_age_s,
            max_skew_s=config.max_clock_skew_s,
        )
        motion_ego = next(
            (i for i, e in enumerate(session.egos) if e.binding is BindingKind.CABIN),
            0 if session.egos else -1,
        )
        washout: tuple[float, ...] = ()
        if motion_ego >= 0:
            vector = parameter_vector(tuning_for(cabins[motion_ego]), self.facility.platform.limits)
            washout = tuple(float(v) for v in vector)
        resolved = self._scenario_files.get(session.id)
        plan = LoopPlan(
            session=session,
            world=WorldPlan(
                egos=session.egos,
                cabins=tuple(cabins),
                traffic=session.traffic,
                physics_dt_s=1.0 / config.physics_hz,
                max_brake_deceleration_m_s2=config.max_brake_deceleration_m_s2,
                scenario_file=str(resolved.path) if resolved is not None else "",
                engine_hz=config.engine_hz,
            ),
            config=config,
            motion_ego=motion_ego,
            washout_parameters=washout,
        )
        io = self._io_factory(session, mailbox)
        fanout = self._fanouts.setdefault(session.id, Fanout())
        sinks = (*io.sinks, fanout)

        def finished(state: SessionState, reason: str) -> None:
            self._on_finished(session.id, state, reason)

        loop: LoopHandle
        if io.loop_factory is not None:
            loop = io.loop_factory(plan, mailbox, sinks, finished)
        else:
            loop = loop_from_plan(
                plan, mailbox, sinks, io.motion_sinks, finished, self._world_factory
            )
        return _Live(session, loop, mailbox, fanout, io)

    def pause(self, principal: Principal, session_id: str) -> Session:
        require_role(principal, *DRIVERS)
        live = self._running(principal, session_id, "pause")
        live.loop.pause()
        live.session = replace(live.session, state=SessionState.PAUSED)
        self._store.update(live.session)
        return self._current(live)

    def stop(self, principal: Principal, session_id: str) -> Session:
        require_role(principal, *DRIVERS)
        session = self.get(principal, session_id)
        with self._lock:
            created = self._pending.pop(session_id, None)
        if created is not None:
            fanout = self._fanouts.pop(session_id, None)
            if fanout is not None:
                fanout.close()
            stopped = session.with_state(SessionState.STOPPED, stopped_at=self._clock())
            self._store.update(stopped)
            return stopped
        if session_id not in self._live:
            raise _precondition(session, "stop", "a live session")
        self._live[session_id].loop.stop()
        return self._finish(session_id, SessionState.STOPPED, "")

    def _on_finished(self, session_id: str, state: SessionState, reason: str) -> None:
        if state is SessionState.FAILED:
            self._finish(session_id, state, reason)

    def _finish(self, session_id: str, state: SessionState, reason: str) -> Session:
        with self._lock:
            live = self._live.pop(session_id, None)
            self._fanouts.pop(session_id, None)
        if live is None:
            stored = self._store.get(session_id)
            if stored is None:
                raise NotFound(f"session {session_id!r} not found")
            return stored
        live.fanout.close()
        live.io.close()
        final = replace(
            live.session,
            state=state,
            stopped_at=self._clock(),
            failure_reason=reason,
            stats=live.loop.stats(),
        )
        self._store.update(final)
        return final

    def close(self) -> None:
        """Stop every live session (server shutdown)."""
        for session_id in list(self._live):
            live = self._live.get(session_id)
            if live is not None:
                live.loop.stop()
                self._finish(session_id, SessionState.STOPPED, "")

    # ---- reading ---------------------------------------------------------------------------

    def get(self, principal: Principal, session_id: str) -> Session:
        with self._lock:
            live = self._live.get(session_id)
        session = live.session if live is not None else self._store.get(session_id)
        if session is None or not principal.can_see(session.organisation_id):
            raise NotFound(f"session {session_id!r} not found")
        return self._current(live) if live is not None else session

    def list(self, principal: Principal, limit: int, offset: int) -> list[Session]:
        organisation = None if principal.is_operator else principal.organisation_id
        rows = self._store.list(organisation, limit, offset)
        with self._lock:
            return [self._current(self._live[s.id]) if s.id in self._live else s for s in rows]

    def _current(self, live: _Live) -> Session:
        state = live.loop.state
        if state in (SessionState.CREATED, SessionState.WARMING_UP):
            state = live.session.state if live.session.state.is_live else state
        return replace(live.session, state=state, stats=live.loop.stats())

    def _state_of(self, session_id: str, default: SessionState) -> SessionState:
        live = self._live.get(session_id)
        return live.loop.state if live is not None else default

    def _running(self, principal: Principal, session_id: str, verb: str) -> _Live:
        session = self.get(principal, session_id)
        live = self._live.get(session_id)
        if live is None or live.loop.state is not SessionState.RUNNING:
            raise _precondition(session, verb, "a running session")
        return live

    def _cabin(self, cabin_id: str) -> CabinSpec:
        cabin = self.facility.cabin(cabin_id)
        if cabin is None:
            raise NotFound(f"cabin {cabin_id!r} not found")
        return cabin

    # ---- watching and driving --------------------------------------------------------------

    def subscribe(
        self,
        principal: Principal,
        session_id: str,
        notify: Callable[[], None],
        *,
        rate_hz: float = 0.0,
        capacity: int = 64,
        events: bool = False,
    ) -> Subscription:
        """A reader of the session's frames (decimated to ``rate_hz``; 0: every frame) or, with
        ``events``, of its events. Unsubscribe with ``unsubscribe``."""
        session = self.get(principal, session_id)
        if rate_hz < 0 or capacity < 0:
            raise _invalid("rate_hz", "rate and queue size must be >= 0")
        with self._lock:
            fanout = self._fanouts.get(session_id)
            if fanout is None:
                raise _precondition(session, "stream", "a created or live session")
            every = 1 if rate_hz <= 0 else max(1, round(session.frame_hz / rate_hz))
            return fanout.subscribe(Subscription(every, capacity or 64, notify, events=events))

    def unsubscribe(self, session_id: str, subscription: Subscription) -> None:
        fanout = self._fanouts.get(session_id)
        if fanout is not None:
            fanout.unsubscribe(subscription)

    def authorize_driver(self, principal: Principal, session_id: str) -> ControlMailbox:
        """The mailbox a gRPC client's controls go to, after the tenancy and role checks."""
        session = self.get(principal, session_id)
        require_role(principal, *DRIVERS)
        live = self._live.get(session_id)
        if live is None or not live.loop.state.is_live:
            raise _precondition(session, "drive", "a started session")
        return live.mailbox

    def submit_control(self, session_id: str, control: ControlInput) -> Verdict:
        """Submit a gRPC client's input (after ``authorize_driver``): only egos bound to a
        client take remote input; anything else is counted as ``unbound``."""
        live = self._live.get(session_id)
        if live is None:
            return Verdict.UNBOUND
        index = live.session.ego_index(control.ego)
        if index is None or live.session.egos[index].binding is not BindingKind.CLIENT:
            live.mailbox.reject_unbound()
            return Verdict.UNBOUND
        return live.mailbox.submit(control)

    def loop_of(self, session_id: str) -> LoopHandle | None:
        """The running loop (benchmarks, tests)."""
        live = self._live.get(session_id)
        return live.loop if live is not None else None


def _default_ego(mode: SessionMode, cabin_id: str, bay_id: str) -> EgoBinding:
    if mode is SessionMode.MOTION:
        return EgoBinding("ego", BindingKind.CABIN, cabin_id)
    if mode is SessionMode.FIXED_BASE:
        return EgoBinding("ego", BindingKind.BAY, cabin_id, bay_id=bay_id)
    return EgoBinding("ego", BindingKind.CLIENT, "passenger")


def _check_rates(physics_hz: float, frame_hz: float) -> None:
    if not (10.0 <= physics_hz <= MAX_PHYSICS_HZ) or physics_hz != round(physics_hz):
        raise _invalid(
            "physics_hz", f"found {physics_hz}; allowed whole Hz from 10 to {MAX_PHYSICS_HZ:.0f}"
        )
    ratio = physics_hz / frame_hz if frame_hz > 0 else 0.0
    if not (ratio >= 1.0 and abs(ratio - round(ratio)) < 1e-9):
        raise _invalid(
            "frame_hz", f"found {frame_hz}; whole Hz dividing physics_hz ({physics_hz}) evenly"
        )


def _check_traffic(traffic: TrafficConfig) -> None:
    if not (0 <= traffic.vehicles <= MAX_TRAFFIC and 1 <= traffic.lanes <= 8):
        raise _invalid("traffic", f"0 to {MAX_TRAFFIC} vehicles on 1 to 8 lanes")


def _invalid(field_name: str, description: str) -> InvalidArgument:
    return InvalidArgument(
        f"{field_name}: {description}", [FieldViolation(field_name, description)]
    )


def _precondition(session: Session, verb: str, wanted: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"cannot {verb} session {session.id}: it is {session.state.value}; needs {wanted}",
        [PreconditionViolation("STATE", f"session:{session.id}", f"needs {wanted}")],
    )


__all__ = [
    "BookingGate",
    "CheckedInBooking",
    "CreateRequest",
    "IoFactory",
    "LoopFactory",
    "LoopHandle",
    "LoopPlan",
    "MemorySessionStore",
    "NoBookings",
    "SessionIo",
    "SessionService",
    "SessionStats",
    "SessionStore",
    "WorldFactory",
]
