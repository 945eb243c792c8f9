"""``simhub session run|start|watch|replay`` and ``simhub drive``.

``run`` runs a virtual session in this process (no server, no database): the loop, ZeroMQ and
the MCAP recording, until Ctrl-C / SIGTERM or ``--seconds``; it prints one JSON line with the
session id and its endpoints. ``start`` creates and starts a session on a server over gRPC.
``watch`` joins a session's ZeroMQ stream (snapshot, then every frame) and shows a live view.
``replay`` re-publishes a recording on ZeroMQ. ``drive`` is a keyboard driver for
demonstrations (w/s throttle/brake, a/d steer, q quit) sending controls over ZeroMQ.
``export`` renders a recording as a video with ``simhub/render``.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

session_app = typer.Typer(help="Live sessions.", no_args_is_help=True)
console = Console()


@session_app.command("run")
def run(
    record_dir: Annotated[Path, typer.Option(help="where the MCAP recording goes")] = Path(
        "var/recordings"
    ),
    seconds: Annotated[float, typer.Option(help="stop after this long (0: until Ctrl-C)")] = 0.0,
    cabin: Annotated[str, typer.Option(help="the ego's vehicle (a cabin id)")] = "passenger",
    traffic: Annotated[int, typer.Option(help="IDM vehicles ahead")] = 0,
    physics_hz: Annotated[float, typer.Option(help="physics rate")] = 1000.0,
    frame_hz: Annotated[float, typer.Option(help="frame rate")] = 100.0,
    host: Annotated[str, typer.Option(help="ZeroMQ bind address")] = "127.0.0.1",
    scenario: Annotated[
        str, typer.Option(help="a scenario file in the scenario library (its external egos)")
    ] = "",
) -> None:
    """Run a virtual session locally; prints {"session_id", "endpoints", "recording"}."""
    from simhub.facility.loader import load_facility
    from simhub.identity.model import Principal, Role
    from simhub.session import (
        BindingKind,
        CreateRequest,
        EgoBinding,
        MemorySessionStore,
        NoBookings,
        SessionMode,
        SessionService,
        TrafficConfig,
    )
    from simhub.session.scenarios import ScenarioResolver
    from simhub.session_io import LiveIo
    from simhub.settings import Settings

    settings = Settings()
    facility = load_facility(settings.facility_file, settings.cabins_dir)
    service = SessionService(
        facility,
        MemorySessionStore(),
        NoBookings(),
        lambda: datetime.now(UTC),
        io_factory=LiveIo(record_dir, host=host),
        scenarios=ScenarioResolver(None, settings.scenarios_dir),
    )
    local = Principal("usr_local", "org_local", Role.ENGINEER, "tok_local")
    session = service.create(
        local,
        CreateRequest(
            mode=SessionMode.VIRTUAL,
            scenario_ref=scenario,
            egos=() if scenario else (EgoBinding("ego", BindingKind.CLIENT, cabin),),
            traffic=TrafficConfig(vehicles=traffic),
            physics_hz=physics_hz,
            frame_hz=frame_hz,
        ),
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    session = service.start(local, session.id)
    print(
        json.dumps(
            {
                "session_id": session.id,
                "endpoints": session.endpoints,
                "recording": session.recording_path,
            }
        ),
        flush=True,
    )
    stop.wait(seconds if seconds > 0 else None)
    final = service.stop(local, session.id)
    console.print(f"stopped: {final.stats}", style="dim")


@session_app.command("start")
def start(
    booking: Annotated[str, typer.Option(help="checked-in booking (empty: virtual)")] = "",
    scenario: Annotated[str, typer.Option(help="scenario reference")] = "",
    fixed_base: Annotated[bool, typer.Option(help="the booking is fixed-base")] = False,
    address: Annotated[str, typer.Option(help="server host:port")] = "127.0.0.1:50051",
    token: Annotated[str, typer.Option(envvar="SIMHUB_TOKEN", help="API token")] = "",
) -> None:
    """Create and start a session on the server; prints it as JSON."""
    import grpc
    from google.protobuf.json_format import MessageToJson

    from simhub._proto.simhub.v1 import session_pb2 as pb
    from simhub._proto.simhub.v1 import session_pb2_grpc

    mode = pb.SESSION_MODE_VIRTUAL
    if booking:
        mode = pb.SESSION_MODE_FIXED_BASE if fixed_base else pb.SESSION_MODE_MOTION
    auth = [("authorization", f"Bearer {token}")]
    with grpc.insecure_channel(address) as channel:
        stub = session_pb2_grpc.SessionServiceStub(channel)
        try:
            created = stub.CreateSession(
                pb.CreateSessionRequest(mode=mode, booking_id=booking, scenario_ref=scenario),
                metadata=auth,
            )
            started = stub.StartSession(
                pb.StartSessionRequest(session_id=created.id), metadata=auth
            )
        except grpc.RpcError as exc:
            console.print(f"[bold red]{exc.code().name}[/]: {exc.details()}")
            raise typer.Exit(2) from None
    print(MessageToJson(started))


@session_app.command("watch")
def watch(
    session_id: str,
    frames: Annotated[str, typer.Option(help="the session's frames endpoint")],
    snapshot: Annotated[str, typer.Option(help="the session's snapshot endpoint")],
    count: Annotated[int, typer.Option(help="stop after this many frames (0: never)")] = 0,
) -> None:
    """A live view of a session: speed, position, deadline misses, platform pose."""
    import zmq

    from simhub.stream.subscriber import FrameSubscriber

    context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    subscriber = FrameSubscriber(context, session_id, frames, snapshot)
    snap = subscriber.join()
    console.print(f"joined at frame {snap.frame.sequence}")
    seen = 0
    with Live(console=console, refresh_per_second=10) as live:
        while count == 0 or seen < count:
            frame = subscriber.next_frame()
            seen += 1
            table = Table("entity", "x m", "y m", "speed km/h", "control")
            for e in frame.entities:
                table.add_row(
                    e.name,
                    f"{e.x:8.1f}",
                    f"{e.y:6.1f}",
                    f"{e.speed * 3.6:6.1f}",
                    str(e.control_status) if e.ego else "",
                )
            m = frame.motion
            table.caption = (
                f"frame {frame.sequence}  t={frame.sim_time:.2f} s  misses={frame.deadline_misses}"
                f"  gaps={subscriber.gaps}  pitch={m.pitch:+.3f} roll={m.roll:+.3f} rad"
                f"  surge={m.surge:+.3f} m  clipped={m.clipped_axes:06b}"
            )
            live.update(table)
    subscriber.close()
    context.term()


@session_app.command("replay")
def replay_command(
    file: Path,
    endpoint: Annotated[str, typer.Option(help="PUB bind address")] = "tcp://127.0.0.1:5560",
    speed: Annotated[float, typer.Option(help="1: real time, 2: twice as fast, 0: flat out")] = 1.0,
) -> None:
    """Re-publish a recording on ZeroMQ (same topics as live)."""
    import zmq

    from simhub.record.replay import replay

    context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    socket = context.socket(zmq.PUB)
    socket.bind(endpoint)
    console.print(f"publishing {file} on {socket.getsockopt_string(zmq.LAST_ENDPOINT)}")
    sent = replay(file, socket, speed=speed)
    console.print(f"sent {sent} messages")
    socket.close(linger=1000)
    context.term()


@session_app.command("export")
def export_command(
    file: Path,
    out: Annotated[Path, typer.Option("-o", "--out", help="the video (.mp4, .avi, .gif)")],
    fps: Annotated[float, typer.Option(help="video frames per second")] = 25.0,
    follow: Annotated[str, typer.Option(help="entity to follow (default: the first ego)")] = "",
) -> None:
    """Render a session recording (MCAP) as a bird's-eye video."""
    from simhub.errors import SimhubError
    from simhub.record.export import export_video

    try:
        info = export_video(file, out, fps=fps, follow=follow or None)
    except SimhubError as exc:
        console.print(f"[bold red]error[/]: {exc}")
        raise typer.Exit(2) from None
    console.print(f"wrote {info.path}: {info.frame_count} frames, {info.width}x{info.height}")


def drive(
    controls: Annotated[str, typer.Option(help="the session's controls endpoint")],
    ego: Annotated[str, typer.Option(help="the ego to drive")] = "ego",
) -> None:
    """Drive with the keyboard: w throttle, s brake, a/d steer, space neutral, q quit."""
    import select
    import sys
    import termios
    import tty

    import zmq

    from simhub.session import ControlInput
    from simhub.stream.subscriber import ControlPusher

    context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    pusher = ControlPusher(context, controls)
    throttle = brake = wheel = 0.0
    sequence = 0
    old = termios.tcgetattr(sys.stdin)
    tty.setcbreak(sys.stdin.fileno())
    try:
        while True:
            if select.select([sys.stdin], [], [], 0.02)[0]:
                key = sys.stdin.read(1)
                if key == "q":
                    break
                throttle = min(1.0, throttle + 0.1) if key == "w" else throttle
                brake = min(1.0, brake + 0.2) if key == "s" else 0.0
                throttle = 0.0 if key in "s " else throttle
                wheel += 0.3 if key == "a" else -0.3 if key == "d" else 0.0
            sequence += 1  # sent at 50 Hz: the watchdog sees a live driver
            pusher.send(ControlInput(ego, wheel, throttle, brake, 1, 0, sequence, time.time_ns()))
    finally:
        termios.tcsetattr(sys.stdin, termios.TCSADRAIN, old)
        pusher.close()
        context.term()
