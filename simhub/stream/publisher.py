"""The session's ZeroMQ side: PUB for frames / motion / events, ROUTER for snapshots, PULL for
control inputs.

Late joiners follow the clone pattern of the ZeroMQ guide without sleeping: subscribe, wait for
the first published message (proof that the subscription reached the publisher), ask the
snapshot socket for the newest frame, then apply every buffered and later frame whose sequence
is above the snapshot's (``simhub.stream.subscriber``). PUB never blocks: beyond the send
high-water mark ZeroMQ drops messages for that subscriber only, so a slow subscriber never
slows the loop or the others.
"""

from __future__ import annotations

import logging
import threading

import zmq

from simhub._proto.simhub.v1 import session_pb2 as pb
from simhub.session.controls import ControlMailbox
from simhub.session.frame import Frame, SessionEvent
from simhub.session.model import Session
from simhub.stream import codec
from simhub.stream.curve import CurveKeys, make_server, start_authenticator

log = logging.getLogger("simhub.stream")

SNAPSHOT_REQUEST = b"SNAPSHOT"
POLL_MS = 100


def _bind(socket: zmq.Socket[bytes], endpoint: str) -> str:
    socket.bind(endpoint)
    return str(socket.getsockopt_string(zmq.LAST_ENDPOINT))


class ZmqPublisher:
    """``FrameSink`` and ``MotionSink`` over one PUB socket, plus the snapshot ROUTER thread.

    ``endpoint`` may use ``*`` for the port (``tcp://127.0.0.1:*``); the bound addresses are in
    ``endpoints``. ``send_hwm``: messages queued per subscriber before ZeroMQ drops for it.
    """

    def __init__(
        self,
        context: zmq.Context[zmq.Socket[bytes]],
        session: Session,
        *,
        frames_endpoint: str = "tcp://127.0.0.1:*",
        snapshot_endpoint: str = "tcp://127.0.0.1:*",
        send_hwm: int = 1000,
        curve: CurveKeys | None = None,
        tap: zmq.Socket[bytes] | None = None,
    ) -> None:
        """*tap*: a socket (PUSH) that gets a copy of every message, never blocking: the
        parent process of a loop running in its own process records and fans out from it."""
        self.session = session
        self._tap = tap
        self.tap_dropped = 0
        self._topics = (
            codec.topic(session.id, codec.FRAME),
            codec.topic(session.id, codec.MOTION),
            codec.topic(session.id, codec.EVENT),
        )
        self._auth = start_authenticator(context, curve, session.organisation_id) if curve else None
        self._pub = context.socket(zmq.PUB)
        self._pub.setsockopt(zmq.SNDHWM, send_hwm)
        self._pub.setsockopt(zmq.LINGER, 0)
        self._router = context.socket(zmq.ROUTER)
        self._router.setsockopt(zmq.LINGER, 0)
        if curve is not None:
            make_server(self._pub, curve)
            make_server(self._router, curve)
        self.endpoints = {
            "frames": _bind(self._pub, frames_endpoint),
            "snapshot": _bind(self._router, snapshot_endpoint),
        }
        self._latest: pb.TelemetryFrame | None = None
        self.dropped = 0  # sends that would have blocked (none for PUB; kept for the proof)
        self.published = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._serve_snapshots, daemon=True, name=f"simhub-snapshot-{session.id}"
        )
        self._thread.start()

    # ---- FrameSink / MotionSink (loop thread) ----------------------------------------------

    def publish_frame(self, frame: Frame) -> None:
        message = codec.frame_message(frame)
        self._send(self._topics[0], message.SerializeToString())
        self._latest = message  # after the send: a snapshot is never ahead of the stream

    def publish_motion(self, frame: Frame) -> None:
        self._send(self._topics[1], codec.motion_message(frame).SerializeToString())

    def publish_event(self, event: SessionEvent) -> None:
        self._send(self._topics[2], codec.event_message(event).SerializeToString())

    def _send(self, topic: bytes, payload: bytes) -> None:
        try:
            self._pub.send_multipart((topic, payload), flags=zmq.NOBLOCK, copy=True)
            self.published += 1
        except zmq.Again:
            self.dropped += 1
        if self._tap is not None:
            try:
                self._tap.send_multipart((topic, payload), flags=zmq.NOBLOCK, copy=True)
            except zmq.Again:
                self.tap_dropped += 1

    # ---- snapshots (own thread) ------------------------------------------------------------

    def _serve_snapshots(self) -> None:
        poller = zmq.Poller()
        poller.register(self._router, zmq.POLLIN)
        while not self._stop.is_set():
            if not poller.poll(POLL_MS):
                continue
            parts = self._router.recv_multipart()
            identity, request = parts[0], parts[-1]
            if request != SNAPSHOT_REQUEST:
                continue
            snapshot = pb.Snapshot(session=codec.session_message(self.session))
            latest = self._latest
            if latest is not None:
                snapshot.frame.CopyFrom(latest)
            self._router.send_multipart((identity, snapshot.SerializeToString()))
        self._router.close(0)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2.0)
        self._pub.close(0)
        if self._auth is not None:
            self._auth.stop()


class ZmqControlReceiver:
    """PULL socket (own thread) feeding decoded control inputs into the session's mailbox.

    Cabins, bays and remote programs PUSH ``ControlInput`` messages (one frame each) to the
    ``controls`` endpoint; the mailbox validates and counts them.
    """

    def __init__(
        self,
        context: zmq.Context[zmq.Socket[bytes]],
        session_id: str,
        mailbox: ControlMailbox,
        *,
        endpoint: str = "tcp://127.0.0.1:*",
        receive_hwm: int = 1000,
        curve: CurveKeys | None = None,
    ) -> None:
        self._mailbox = mailbox
        self._socket = context.socket(zmq.PULL)
        self._socket.setsockopt(zmq.RCVHWM, receive_hwm)
        self._socket.setsockopt(zmq.LINGER, 0)
        if curve is not None:
            make_server(self._socket, curve)
        self.endpoint = _bind(self._socket, endpoint)
        self.malformed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, daemon=True, name=f"simhub-controls-{session_id}"
        )
        self._thread.start()

    def _run(self) -> None:
        poller = zmq.Poller()
        poller.register(self._socket, zmq.POLLIN)
        message = pb.ControlInput()
        while not self._stop.is_set():
            if not poller.poll(POLL_MS):
                continue
            while True:
                try:
                    payload = self._socket.recv(zmq.NOBLOCK)
                except zmq.Again:
                    break
                try:
                    message.ParseFromString(payload)
                except Exception:
                    self.malformed += 1
                    self._mailbox.reject_unbound()
                    continue
                self._mailbox.submit(codec.control_input(message))
        self._socket.close(0)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2.0)
