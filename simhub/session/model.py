"""Live sessions as data: lifecycle states, modes, ego bindings, the rates and limits of a loop.

A session runs one world in real time. It is ``virtual`` (no cabin; needs no booking, counts
against its organisation's limit of concurrent sessions) or bound to a checked-in booking:
``motion`` (the cabin mounted on the motion platform) or ``fixed_base`` (a cabin in a bay).
Each ego entity of the world is bound to who drives it: the cabin, a bay, or a gRPC / ZeroMQ
client. Units are SI; times are UTC.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime


class SessionState(enum.StrEnum):
    CREATED = "created"
    WARMING_UP = "warming_up"  # compiling kernels, priming filters: nothing is published yet
    RUNNING = "running"
    PAUSED = "paused"  # the loop keeps its rate, the world stands still, the platform is neutral
    STOPPED = "stopped"
    FAILED = "failed"

    @property
    def is_live(self) -> bool:
        return self not in (SessionState.STOPPED, SessionState.FAILED)


class SessionMode(enum.StrEnum):
    MOTION = "motion"  # the booking's cabin on the motion platform
    FIXED_BASE = "fixed_base"  # the booking's cabin in a bay
    VIRTUAL = "virtual"  # no cabin: remote clients drive, or nobody does


class BindingKind(enum.StrEnum):
    CABIN = "cabin"  # the cabin on the motion platform (ZeroMQ controls)
    BAY = "bay"  # a cabin in a fixed-base bay (ZeroMQ controls)
    CLIENT = "client"  # a remote program: gRPC SendControls or ZeroMQ


@dataclass(frozen=True)
class EgoBinding:
    """One ego entity of the world and who drives it.

    ``name`` is the entity's name (unique in the session); ``cabin_id`` picks the vehicle model
    and parameters (and, for ``cabin``/``bay`` bindings, the physical cabin); ``lane`` and
    ``start_speed_m_s`` place it on the session road at the start.
    """

    name: str
    binding: BindingKind
    cabin_id: str
    bay_id: str = ""
    lane: int = 0
    start_x_m: float = 0.0
    start_speed_m_s: float = 0.0


@dataclass(frozen=True)
class LoopConfig:
    """Rates and limits of the real-time loop.

    ``physics_hz``: world steps per second; ``frame_hz``: frames published per second (must
    divide ``physics_hz``); ``watchdog_s``: no valid control input for longer than this and the
    ego brakes to a stop; ``max_control_age_s``: a control input whose send time is older is
    stale; ``max_clock_skew_s``: one sent further in the future is rejected too;
    ``spin_s``: busy-wait before each deadline (sleep covers the rest);
    ``watchdog_deceleration_m_s2`` / ``watchdog_jerk_m_s3``: how the watchdog brakes;
    ``engine_hz``: the rate of the scenario engine in a scenario session (the egos still step
    at ``physics_hz``; see ``simhub.session.engine_world``).
    """

    physics_hz: float = 1000.0
    frame_hz: float = 100.0
    watchdog_s: float = 0.1
    max_control_age_s: float = 0.1
    max_clock_skew_s: float = 0.5
    spin_s: float = 0.0002
    watchdog_deceleration_m_s2: float = 3.0
    watchdog_jerk_m_s3: float = 10.0
    max_brake_deceleration_m_s2: float = 9.0
    realtime_priority: int = 10  # SCHED_FIFO priority when permitted (0: don't ask)
    cpu: int | None = None  # pin the loop thread to this CPU when permitted
    engine_hz: float = 50.0  # scenario sessions: storyboard and traffic rate (EngineWorld)

    @property
    def ticks_per_frame(self) -> int:
        return max(1, round(self.physics_hz / self.frame_hz))

    @property
    def period_ns(self) -> int:
        return round(1e9 / self.physics_hz)


@dataclass(frozen=True)
class TrafficConfig:
    """Simple background traffic on the session road: IDM car following, no lane changes."""

    vehicles: int = 0
    lanes: int = 3
    lane_width_m: float = 3.5
    desired_speed_m_s: float = 25.0
    spacing_m: float = 40.0


@dataclass(frozen=True)
class SessionStats:
    """Counters a running session reports (all since start)."""

    ticks: int = 0
    frames: int = 0
    deadline_misses: int = 0
    skipped_ticks: int = 0
    max_lateness_us: float = 0.0
    controls_accepted: int = 0
    controls_rejected_nan: int = 0
    controls_rejected_range: int = 0
    controls_rejected_stale: int = 0
    controls_rejected_unbound: int = 0
    motion_clipped_frames: int = 0


@dataclass(frozen=True)
class Session:
    """A session as stored and shown: who owns it, what it runs, where it stands."""

    id: str
    organisation_id: str
    created_by_user_id: str
    mode: SessionMode
    state: SessionState
    created_at: datetime
    egos: tuple[EgoBinding, ...]
    booking_id: str = ""
    cabin_id: str = ""
    bay_id: str = ""
    scenario_ref: str = ""
    scenario_file: str = ""  # the resolved scenario file (live only, not stored)
    road_file: str = ""  # its OpenDRIVE road network ("" : the built-in straight road)
    traffic: TrafficConfig = TrafficConfig()
    physics_hz: float = 1000.0
    frame_hz: float = 100.0
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    failure_reason: str = ""
    recording_path: str = ""
    endpoints: dict[str, str] = field(default_factory=dict, compare=False)
    stats: SessionStats = SessionStats()

    def with_state(self, state: SessionState, **changes: object) -> Session:
        return replace(self, state=state, **changes)  # type: ignore[arg-type]

    def ego_index(self, name: str) -> int | None:
        return next((i for i, e in enumerate(self.egos) if e.name == name), None)
