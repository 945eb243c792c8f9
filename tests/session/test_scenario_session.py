"""A virtual session running a scenario (the engine at 50 Hz beside the 1 kHz ego), recorded,
then exported as a video."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from simhub.errors import InvalidArgument
from simhub.facility.model import Facility
from simhub.record.export import export_video, recording_info
from simhub.record.reader import frames
from simhub.session import CreateRequest, MemorySessionStore, NoBookings, SessionService
from simhub.session.model import BindingKind, EgoBinding, SessionMode
from simhub.session.scenarios import ScenarioResolver
from simhub.session_io import LiveIo
from tests.session.conftest import control, engineer

DATA = Path(__file__).parent / "data"


def test_scenario_session_steps_the_storyboard_records_the_road_and_exports(
    facility: Facility, tmp_path: Path
) -> None:
    io = LiveIo(tmp_path)
    service = SessionService(
        facility,
        MemorySessionStore(),
        NoBookings(),
        lambda: datetime.now(UTC),
        io_factory=io,
        scenarios=ScenarioResolver(None, DATA),
    )
    principal = engineer()
    with pytest.raises(InvalidArgument, match="not external entities"):
        service.create(
            principal,
            CreateRequest(
                mode=SessionMode.VIRTUAL,
                scenario_ref="cabin_cut_in.yaml",
                egos=(EgoBinding("OverTaker", BindingKind.CLIENT, "passenger"),),
            ),
        )
    session = service.create(
        principal, CreateRequest(mode=SessionMode.VIRTUAL, scenario_ref="cabin_cut_in.yaml")
    )
    assert [e.name for e in session.egos] == ["Ego"]  # the external entity, bound to a client
    session = service.start(principal, session.id)
    # Drive until the storyboard's cut-in (at 2 s of scenario time) shows in the recording.
    # The engine runs beside the real-time loop and may lag behind wall time on a busy
    # machine, so wait on what was recorded, not on the clock (at most 60 s).
    k, deadline = 0, time.monotonic() + 60
    while time.monotonic() < deadline:
        for _ in range(50):
            k += 1
            service.submit_control(session.id, control("Ego", k, throttle=0.3))
            time.sleep(0.01)
        if k >= 300 and _cut_in_began(Path(session.recording_path)):
            break
    stopped = service.stop(principal, session.id)
    io.close()
    recorded = frames(Path(stopped.recording_path))
    first, last = recorded[0], recorded[-1]
    assert [e.name for e in last.entities] == ["Ego", "OverTaker"]
    ego0, other0 = first.entities
    ego1, other1 = last.entities
    assert ego1.x > ego0.x and other1.x > other0.x  # the driver and the storyboard both move
    assert ego0.y == pytest.approx(-1.535, abs=0.01)  # the scenario's start lane, not lane 0
    assert other1.y > other0.y + 1.0  # the storyboard's cut-in towards the ego's lane began
    metadata, road = recording_info(Path(stopped.recording_path))
    assert metadata["scenario_ref"] == "cabin_cut_in.yaml" and road is not None
    video = export_video(Path(stopped.recording_path), tmp_path / "drive.avi", fps=10)
    assert video.frame_count >= 20 and video.path.stat().st_size > 0


def test_built_in_road_recordings_export_too(facility: Facility, tmp_path: Path) -> None:
    io = LiveIo(tmp_path, process=False)
    service = SessionService(
        facility, MemorySessionStore(), NoBookings(), lambda: datetime.now(UTC), io_factory=io
    )
    principal = engineer()
    session = service.start(
        principal, service.create(principal, CreateRequest(mode=SessionMode.VIRTUAL)).id
    )
    for k in range(1, 60):
        service.submit_control(session.id, control("ego", k, throttle=0.5))
        time.sleep(0.01)
    stopped = service.stop(principal, session.id)
    io.close()
    video = export_video(Path(stopped.recording_path), tmp_path / "drive.avi", fps=10)
    assert video.frame_count > 0


def _cut_in_began(recording: Path) -> bool:
    """Whether the OverTaker has moved more than 1 m sideways in what is flushed so far."""
    try:
        recorded = frames(recording)
    except Exception:  # the file is being written; its tail may be incomplete
        return False
    if len(recorded) < 2 or len(recorded[-1].entities) < 2:
        return False
    return bool(recorded[-1].entities[1].y > recorded[0].entities[1].y + 1.0)
