"""Re-publish a recording on ZeroMQ, at its own pace times ``speed`` (0: as fast as possible).

Frames, motion and events go out on the same topics as live (``<session_id>.frame`` ...), so
the visual system or ``simhub session watch`` cannot tell a replay from the drive.
"""

from __future__ import annotations

import time
from pathlib import Path

import zmq

from simhub._proto.simhub.v1 import session_pb2 as pb
from simhub.record.reader import read_recording
from simhub.record.recorder import EVENTS, FRAMES, MOTION
from simhub.stream import codec

_KINDS = {FRAMES: codec.FRAME, MOTION: codec.MOTION, EVENTS: codec.EVENT}


def replay(
    path: Path,
    socket: zmq.Socket[bytes],
    *,
    speed: float = 1.0,
    session_id: str | None = None,
) -> int:
    """Send every frame / motion / event message of *path* on *socket* (a bound PUB); returns
    how many were sent. ``session_id`` renames the topics (default: the recorded session)."""
    sent = 0
    first_log: int | None = None
    started = time.monotonic_ns()
    for recorded in read_recording(path):
        kind = _KINDS.get(recorded.topic)
        if kind is None:
            continue
        if first_log is None:
            first_log = recorded.log_time_ns
        if speed > 0:
            due = started + int((recorded.log_time_ns - first_log) / speed)
            delay = due - time.monotonic_ns()
            if delay > 0:
                time.sleep(delay / 1e9)
        message = recorded.message
        assert isinstance(message, (pb.TelemetryFrame, pb.SessionEvent))
        name = session_id or message.session_id
        socket.send_multipart((codec.topic(name, kind), message.SerializeToString()))
        sent += 1
    return sent
