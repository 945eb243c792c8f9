"""Read a session recording, complete or cut short by a crash.

A cleanly closed MCAP has a summary and is read with ``mcap``'s seeking reader; a file whose
writer died (SIGKILL) has none, so it is streamed record by record up to the last complete
one (every chunk the recorder flushed).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from google.protobuf.message import Message as ProtoMessage
from mcap.exceptions import McapError
from mcap.records import Channel, Chunk, Message, Schema
from mcap.stream_reader import StreamReader, breakup_chunk

from simhub._proto.simhub.v1 import session_pb2 as pb
from simhub.record.recorder import CONTROLS, CONTROLS_REJECTED, EVENTS, FRAMES, MOTION

TYPES: dict[str, type[ProtoMessage]] = {
    FRAMES: pb.TelemetryFrame,
    MOTION: pb.TelemetryFrame,
    EVENTS: pb.SessionEvent,
    CONTROLS: pb.ControlInput,
    CONTROLS_REJECTED: pb.ControlInput,
}


@dataclass(frozen=True)
class Recorded:
    topic: str
    log_time_ns: int
    message: ProtoMessage


def read_recording(path: Path) -> Iterator[Recorded]:
    """Every message in file order; stops quietly at a truncated tail."""
    channels: dict[int, str] = {}
    with path.open("rb") as stream:
        reader = StreamReader(stream, record_size_limit=None)
        try:
            for record in reader.records:
                records = breakup_chunk(record) if isinstance(record, Chunk) else [record]
                for item in records:
                    if isinstance(item, Channel):
                        channels[item.id] = item.topic
                    elif isinstance(item, Message) and item.channel_id in channels:
                        topic = channels[item.channel_id]
                        message = TYPES[topic]()
                        message.ParseFromString(item.data)
                        yield Recorded(topic, item.log_time, message)
                    elif isinstance(item, Schema):
                        continue
        except (McapError, EOFError, ValueError, OSError):
            return  # the writer died mid-record: everything before it was read


def frames(path: Path) -> list[pb.TelemetryFrame]:
    out: list[pb.TelemetryFrame] = []
    for r in read_recording(path):
        if r.topic == FRAMES:
            assert isinstance(r.message, pb.TelemetryFrame)
            out.append(r.message)
    return out
