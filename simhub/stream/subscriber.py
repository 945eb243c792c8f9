"""Client side: a late-joining frame subscriber and a control pusher.

``FrameSubscriber.join`` implements the clone handshake (see ``simhub.stream.publisher``):
SUB first, wait for one published frame, ask for the snapshot, then drop what the snapshot
already covers. After that, ``receive`` returns frames in order; ``gaps`` counts sequence jumps
(frames ZeroMQ dropped because this subscriber was too slow).
"""

from __future__ import annotations

import time
from collections import deque

import zmq

from simhub._proto.simhub.v1 import session_pb2 as pb
from simhub.errors import FailedPrecondition
from simhub.session.controls import ControlInput
from simhub.stream import codec
from simhub.stream.curve import make_client
from simhub.stream.publisher import SNAPSHOT_REQUEST


class FrameSubscriber:
    def __init__(
        self,
        context: zmq.Context[zmq.Socket[bytes]],
        session_id: str,
        frames_endpoint: str,
        snapshot_endpoint: str,
        *,
        receive_hwm: int = 1000,
        kinds: tuple[str, ...] = (codec.FRAME,),
        curve: tuple[bytes, bytes, bytes] | None = None,  # server public, own public, own secret
    ) -> None:
        self.session_id = session_id
        self._frame_topic = codec.topic(session_id, codec.FRAME)
        self._sub = context.socket(zmq.SUB)
        self._sub.setsockopt(zmq.RCVHWM, receive_hwm)
        self._sub.setsockopt(zmq.LINGER, 0)
        self._dealer = context.socket(zmq.DEALER)
        self._dealer.setsockopt(zmq.LINGER, 0)
        if curve is not None:
            make_client(self._sub, *curve)
            make_client(self._dealer, *curve)
        for kind in kinds:
            self._sub.setsockopt(zmq.SUBSCRIBE, codec.topic(session_id, kind))
        self._sub.connect(frames_endpoint)
        self._dealer.connect(snapshot_endpoint)
        self._pending: deque[tuple[bytes, bytes]] = deque()
        self.snapshot: pb.Snapshot | None = None
        self.last_sequence = 0
        self.gaps = 0

    def _recv(self, timeout_s: float) -> tuple[bytes, bytes] | None:
        if self._sub.poll(round(timeout_s * 1000), zmq.POLLIN):
            topic, payload = self._sub.recv_multipart()
            return topic, payload
        return None

    def join(self, timeout_s: float = 10.0) -> pb.Snapshot:
        """The snapshot; afterwards ``receive`` continues with the next sequence number."""
        deadline = time.monotonic() + timeout_s
        first = self._recv(timeout_s)
        if first is None:
            raise FailedPrecondition(f"no frame from session {self.session_id} in {timeout_s} s")
        self._pending.append(first)
        self._dealer.send_multipart((b"", SNAPSHOT_REQUEST))
        while not self._dealer.poll(10, zmq.POLLIN):
            message = self._recv(0.0)  # keep buffering the stream while we wait
            if message is not None:
                self._pending.append(message)
            if time.monotonic() > deadline:
                raise FailedPrecondition(f"no snapshot from session {self.session_id}")
        snapshot = pb.Snapshot()
        snapshot.ParseFromString(self._dealer.recv_multipart()[-1])
        self.snapshot = snapshot
        self.last_sequence = snapshot.frame.sequence
        return snapshot

    def receive(self, timeout_s: float = 5.0) -> tuple[str, pb.TelemetryFrame | pb.SessionEvent]:
        """The next message after the snapshot: (kind, message); raises on timeout."""
        while True:
            item = self._pending.popleft() if self._pending else self._recv(timeout_s)
            if item is None:
                raise TimeoutError(f"no message from session {self.session_id} in {timeout_s} s")
            topic, payload = item
            kind = topic.decode().rsplit(".", 1)[-1]
            if kind == codec.EVENT:
                event = pb.SessionEvent()
                event.ParseFromString(payload)
                return kind, event
            frame = pb.TelemetryFrame()
            frame.ParseFromString(payload)
            if topic == self._frame_topic:
                if frame.sequence <= self.last_sequence:
                    continue  # covered by the snapshot
                if self.last_sequence and frame.sequence != self.last_sequence + 1:
                    self.gaps += 1
                self.last_sequence = frame.sequence
            return kind, frame

    def next_frame(self, timeout_s: float = 5.0) -> pb.TelemetryFrame:
        while True:
            kind, message = self.receive(timeout_s)
            if kind == codec.FRAME:
                assert isinstance(message, pb.TelemetryFrame)
                return message

    def close(self) -> None:
        self._sub.close(0)
        self._dealer.close(0)


class ControlPusher:
    """PUSH control inputs to a session's ``controls`` endpoint (cabins, ``simhub drive``)."""

    def __init__(
        self,
        context: zmq.Context[zmq.Socket[bytes]],
        endpoint: str,
        *,
        curve: tuple[bytes, bytes, bytes] | None = None,
    ) -> None:
        self._socket = context.socket(zmq.PUSH)
        self._socket.setsockopt(zmq.SNDHWM, 100)
        self._socket.setsockopt(zmq.LINGER, 0)
        if curve is not None:
            make_client(self._socket, *curve)
        self._socket.connect(endpoint)

    def send(self, control: ControlInput) -> bool:
        """Queue *control*; False when it had to be dropped (the session is not reading)."""
        try:
            self._socket.send(codec.control_message(control).SerializeToString(), zmq.NOBLOCK)
            return True
        except zmq.Again:
            return False

    def send_raw(self, payload: bytes) -> None:
        self._socket.send(payload, zmq.NOBLOCK)

    def close(self) -> None:
        self._socket.close(0)
