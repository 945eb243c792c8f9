"""Frames and events: what a session publishes, and the ports that carry them out.

A ``Frame`` is written by the real-time loop into arrays allocated once, then handed to every
sink; a sink must copy (``Frame.copy``) or encode what it keeps before it returns. Shapes:
``world`` ``(n_entities, N_FIELDS)`` (``simhub.session.world``), ``ego_status`` ``(n_egos,)``
(``simhub.session.watchdog``), ``motion`` ``(N_MOTION,)`` (``simhub.motion``),
``control_counts`` ``(len(VERDICTS),)`` (``simhub.session.controls``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from simhub.motion import N_MOTION
from simhub.session.controls import VERDICTS
from simhub.session.model import SessionState
from simhub.session.world import N_FIELDS, EntityInfo

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class Frame:
    """One published frame (mutable buffer in the loop; ``copy()`` for keeping)."""

    __slots__ = (
        "control_counts",
        "deadline_misses",
        "ego_status",
        "entities",
        "motion",
        "motion_clipped",
        "motion_ego",
        "published_unix_ns",
        "sequence",
        "session_id",
        "sim_time_s",
        "state",
        "tick",
        "wire",
        "world",
    )

    def __init__(
        self, session_id: str, entities: tuple[EntityInfo, ...], egos: int, motion_ego: int
    ) -> None:
        self.session_id = session_id
        self.entities = entities
        self.sequence = 0  # 1 for the first frame; +1 per frame, no gaps
        self.tick = 0  # physics ticks since start
        self.sim_time_s = 0.0
        self.published_unix_ns = 0
        self.state = SessionState.CREATED
        self.world: FloatArray = np.zeros((len(entities), N_FIELDS))
        self.ego_status: IntArray = np.zeros(egos, np.int64)
        self.motion: FloatArray = np.zeros(N_MOTION)
        self.motion_ego = motion_ego  # index of the ego the platform renders, -1 none
        self.motion_clipped = 0  # OR of the clip bits over the ticks of this frame
        self.deadline_misses = 0
        self.control_counts: IntArray = np.zeros(len(VERDICTS), np.int64)
        # An adapter's encoding of a kept copy, shared by its readers (encode once, not per
        # reader); None in the loop's own buffer.
        self.wire: object = None

    def copy(self) -> Frame:
        other = Frame.__new__(Frame)
        for name in Frame.__slots__:
            value = getattr(self, name)
            setattr(other, name, value.copy() if isinstance(value, np.ndarray) else value)
        other.wire = None
        return other


class EventKind(enum.StrEnum):
    STATE_CHANGED = "state_changed"
    CONTROLS_LOST = "controls_lost"
    CONTROLS_RESTORED = "controls_restored"
    WARNING = "warning"


@dataclass(frozen=True)
class SessionEvent:
    session_id: str
    sequence: int  # per session, from 1, no gaps
    kind: EventKind
    sim_time_s: float
    unix_ns: int
    ego: str = ""
    state: SessionState | None = None
    detail: str = ""


class FrameSink(Protocol):
    """Port: where frames and events go (ZeroMQ PUB, MCAP, gRPC fan-out).

    Called on the loop thread: must return within microseconds and never block (drop instead,
    and count the drops); must copy or encode what it keeps.
    """

    def publish_frame(self, frame: Frame) -> None: ...
    def publish_event(self, event: SessionEvent) -> None: ...


class MotionSink(Protocol):
    """Port: the motion platform's channel (the pose in ``frame.motion``), same rules."""

    def publish_motion(self, frame: Frame) -> None: ...
