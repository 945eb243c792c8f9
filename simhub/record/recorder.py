"""Record a session to MCAP: frames, motion, events and control inputs, with protobuf schemas,
so a recording opens in Foxglove and in any ``mcap`` reader.

The loop thread only copies a frame into a bounded queue (drops, counted, if the disk cannot
keep up); a writer thread encodes and writes. The writer closes a chunk and flushes the file
every ``flush_interval_s``: a crash of the process (even SIGKILL) leaves a file that is readable
up to the last flushed chunk (``simhub.record.reader`` reads such a file; it has no summary).

Channels: ``/frames`` (``simhub.v1.TelemetryFrame``), ``/motion`` (``TelemetryFrame`` with
only the motion part), ``/events`` (``simhub.v1.SessionEvent``), ``/controls``
(``simhub.v1.ControlInput``, with the verdict in the channel of rejected inputs:
``/controls/rejected``). Log times are the publish / receive times, UTC ns. Metadata
``session``: ``session_id``, ``scenario_ref``, ``road_file``, ``lanes``, ``lane_width_m`` (the
built-in straight road's layout); attachment ``road.xodr``: the scenario's road network, so a
recording renders (``simhub session export``) without the scenario's files.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, BinaryIO

from google.protobuf.message import Message as ProtoMessage
from mcap.writer import CompressionType, Writer
from mcap_protobuf.schema import build_file_descriptor_set

from simhub._proto.simhub.v1 import session_pb2 as pb
from simhub.session.controls import ControlInput, Verdict
from simhub.session.frame import Frame, SessionEvent
from simhub.stream import codec

log = logging.getLogger("simhub.record")

FRAMES = "/frames"
MOTION = "/motion"
EVENTS = "/events"
CONTROLS = "/controls"
CONTROLS_REJECTED = "/controls/rejected"
ROAD_ATTACHMENT = "road.xodr"  # the session's OpenDRIVE network, when it has one


class McapRecorder:
    """A ``FrameSink`` writing one session to *path* (see the module docstring)."""

    def __init__(
        self,
        path: Path,
        session_id: str,
        *,
        metadata: dict[str, str] | None = None,
        road_xodr: bytes | None = None,
        flush_interval_s: float = 0.5,
        queue_size: int = 20_000,
        chunk_size: int = 256 * 1024,
    ) -> None:
        self.path = path
        self.session_id = session_id
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: BinaryIO = path.open("wb")
        self._writer = Writer(self._file, chunk_size=chunk_size, compression=CompressionType.ZSTD)
        self._writer.start(profile="protobuf", library="simhub")
        self._channels: dict[str, int] = {}
        for channel, message_type in (
            (FRAMES, pb.TelemetryFrame),
            (MOTION, pb.TelemetryFrame),
            (EVENTS, pb.SessionEvent),
            (CONTROLS, pb.ControlInput),
            (CONTROLS_REJECTED, pb.ControlInput),
        ):
            self._channels[channel] = self._register(channel, message_type)
        self._writer.add_metadata("session", {"session_id": session_id, **(metadata or {})})
        if road_xodr is not None:  # the road travels with the recording (export, replay)
            now = time.time_ns()
            self._writer.add_attachment(
                create_time=now,
                log_time=now,
                name=ROAD_ATTACHMENT,
                media_type="application/xml",
                data=road_xodr,
            )
        self._queue: deque[tuple[str, int, Any]] = deque()
        self._queue_size = queue_size
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = False
        self.dropped = 0
        self.written = 0
        self._flush_interval_s = flush_interval_s
        self._thread = threading.Thread(
            target=self._run, daemon=True, name=f"simhub-record-{session_id}"
        )
        self._thread.start()

    def _register(self, topic: str, message_type: type[ProtoMessage]) -> int:
        descriptor = message_type.DESCRIPTOR
        schema_id = self._writer.register_schema(
            name=descriptor.full_name,
            encoding="protobuf",
            data=build_file_descriptor_set(message_type).SerializeToString(),
        )
        return self._writer.register_channel(
            topic=topic, message_encoding="protobuf", schema_id=schema_id
        )

    # ---- sinks (loop thread / control threads): copy, enqueue, return ----------------------

    def _enqueue(self, item: tuple[str, int, Any]) -> None:
        with self._lock:
            if len(self._queue) >= self._queue_size:
                self.dropped += 1
                return
            self._queue.append(item)

    def publish_frame(self, frame: Frame) -> None:
        self._enqueue((FRAMES, frame.published_unix_ns, frame.copy()))

    def publish_event(self, event: SessionEvent) -> None:
        self._enqueue((EVENTS, event.unix_ns, event))
        self._wake.set()

    def publish_encoded(self, channel: str, log_time_ns: int, payload: bytes) -> None:
        """Record an already encoded message (``TelemetryFrame`` on ``/frames`` or ``/motion``,
        ``SessionEvent`` on ``/events``) as it came from a loop in another process."""
        self._enqueue((channel, log_time_ns, payload))

    def observe_control(self, control: ControlInput, verdict: Verdict) -> None:
        channel = CONTROLS if verdict is Verdict.ACCEPTED else CONTROLS_REJECTED
        self._enqueue((channel, time.time_ns(), control))

    # ---- writer thread ---------------------------------------------------------------------

    def _run(self) -> None:
        last_flush = time.monotonic()
        while True:
            self._wake.wait(0.05)
            self._wake.clear()
            self._drain()
            now = time.monotonic()
            if now - last_flush >= self._flush_interval_s:
                self._writer.flush()  # type: ignore[no-untyped-call]  # closes the chunk, flushes the file
                last_flush = now
            if self._stop:
                self._drain()
                return

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    return
                channel, log_time, item = self._queue.popleft()
            self._write(channel, log_time, item)

    def _write(self, channel: str, log_time: int, item: Any) -> None:
        if isinstance(item, bytes):
            self._writer.add_message(
                channel_id=self._channels[channel],
                log_time=log_time,
                publish_time=log_time,
                data=item,
            )
            self.written += 1
        elif isinstance(item, Frame):
            self._add(FRAMES, log_time, codec.frame_message(item))
            if item.motion_ego >= 0:
                self._add(MOTION, log_time, codec.motion_message(item))
        elif isinstance(item, SessionEvent):
            self._add(EVENTS, log_time, codec.event_message(item))
        elif isinstance(item, ControlInput):
            self._add(channel, log_time, codec.control_message(item, self.session_id))

    def _add(self, channel: str, log_time: int, message: ProtoMessage) -> None:
        self._writer.add_message(
            channel_id=self._channels[channel],
            log_time=log_time,
            publish_time=log_time,
            data=message.SerializeToString(),
        )
        self.written += 1

    def close(self) -> None:
        """Write what is queued, the summary and the footer; close the file."""
        self._stop = True
        self._wake.set()
        self._thread.join(10.0)
        self._writer.finish()  # type: ignore[no-untyped-call]
        self._file.close()
