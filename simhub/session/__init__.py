"""Live sessions: lifecycle, the real-time loop, controls and watchdog, multi-driver worlds.

Pure core: imports only the standard library, numpy, numba and other core packages. Ports:
``FrameSink`` / ``MotionSink`` (frames out), ``ControlMailbox`` (controls in, fed by adapters),
``World`` (what is stepped), ``BookingGate`` and ``SessionStore``.
"""

from simhub.session.controls import ControlInput, ControlMailbox, Verdict
from simhub.session.frame import EventKind, Frame, FrameSink, MotionSink, SessionEvent
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
from simhub.session.service import (
    BookingGate,
    CheckedInBooking,
    CreateRequest,
    MemorySessionStore,
    NoBookings,
    SessionIo,
    SessionService,
    SessionStore,
)
from simhub.session.world import EntityInfo, EntityKind, World

__all__ = [
    "BindingKind",
    "BookingGate",
    "CheckedInBooking",
    "ControlInput",
    "ControlMailbox",
    "CreateRequest",
    "EgoBinding",
    "EntityInfo",
    "EntityKind",
    "EventKind",
    "Frame",
    "FrameSink",
    "LiveLoop",
    "LoopConfig",
    "MemorySessionStore",
    "MotionSink",
    "NoBookings",
    "Session",
    "SessionEvent",
    "SessionIo",
    "SessionMode",
    "SessionService",
    "SessionState",
    "SessionStats",
    "SessionStore",
    "TrafficConfig",
    "Verdict",
    "World",
]
