"""Recordings open with the ``mcap`` library after a clean stop and after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from mcap.reader import make_reader

from simhub.facility.loader import load_facility
from simhub.record.reader import frames, read_recording
from simhub.session import CreateRequest, MemorySessionStore, NoBookings, SessionService
from simhub.session.model import SessionMode
from simhub.session_io import LiveIo
from tests.session.conftest import control, engineer

REPO = Path(__file__).resolve().parents[2]


def test_clean_stop_leaves_a_complete_indexed_file(tmp_path: Path) -> None:
    facility = load_facility(REPO / "facility.toml", REPO / "cabins")
    io = LiveIo(tmp_path)
    service = SessionService(
        facility, MemorySessionStore(), NoBookings(), lambda: datetime.now(UTC), io_factory=io
    )
    principal = engineer()
    session = service.create(principal, CreateRequest(mode=SessionMode.VIRTUAL))
    session = service.start(principal, session.id)
    for k in range(1, 30):
        service.submit_control(session.id, control("ego", k, throttle=0.5))
        time.sleep(0.01)
    stopped = service.stop(principal, session.id)
    io.close()
    path = Path(stopped.recording_path)
    with path.open("rb") as stream:
        reader = make_reader(stream)  # seeking reader: needs the summary of a finished file
        summary = reader.get_summary()
        assert summary is not None
        topics = {c.topic for c in summary.channels.values()}
        assert {"/frames", "/motion", "/events", "/controls"} <= topics
        assert all(s.encoding == "protobuf" for s in summary.schemas.values())
        counts = summary.statistics.channel_message_counts if summary.statistics else {}
        by_topic = {summary.channels[c].topic: n for c, n in counts.items()}
    recorded = frames(path)
    assert by_topic["/frames"] == len(recorded) == stopped.stats.frames
    assert [f.sequence for f in recorded] == list(range(1, len(recorded) + 1))
    assert by_topic["/controls"] == stopped.stats.controls_accepted == 29


def test_sigkill_leaves_a_file_readable_up_to_the_last_flushed_chunk(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "simhub", "session", "run", "--record-dir", str(tmp_path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        started = json.loads(process.stdout.readline())
        path = Path(started["recording"])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(frames(path)) < 100:
            time.sleep(0.2)  # wait for a few flushed chunks
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    assert process.returncode == -signal.SIGKILL
    recorded = frames(path)  # mcap's stream reader, record by record: no summary exists
    assert len(recorded) >= 100
    assert [f.sequence for f in recorded] == list(range(1, len(recorded) + 1))
    assert all(f.session_id == started["session_id"] for f in recorded)
    assert any(r.topic == "/events" for r in read_recording(path))
