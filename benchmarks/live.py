"""Live-session timing: a 1 kHz physics / 100 Hz frame session with 8 ZeroMQ subscribers and
4 gRPC telemetry clients, beside (a) a bare loop that only sleeps to the same 1 kHz deadlines
and (b) a bare pyzmq PUB/SUB of the same message size, all in one run on this machine.

Lateness: how late each tick starts after its absolute deadline [us]; a miss: a tick more than
one period late. Latency: publish (loop) to receipt (subscriber process), from the frame's
``published_unix_ns`` [us for ZeroMQ, ms for gRPC]. Subscribers and gRPC clients run in their
own processes, as the visual system and remote tools do.

    .venv/bin/python benchmarks/live.py [--seconds 60]

Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PHYSICS_HZ = 1000
FRAME_HZ = 100
ZMQ_SUBSCRIBERS = 8
GRPC_CLIENTS = 4


def bare_loop(seconds: float) -> tuple[int, np.ndarray]:
    """Sleep to absolute 1 kHz deadlines with a plain ``time.sleep``; lateness in us."""
    period = 1_000_000_000 // PHYSICS_HZ
    ticks = int(seconds * PHYSICS_HZ)
    late = np.zeros(ticks)
    deadline = time.perf_counter_ns() + period
    for k in range(ticks):
        remaining = deadline - time.perf_counter_ns()
        if remaining > 0:
            time.sleep(remaining / 1e9)
        late[k] = (time.perf_counter_ns() - deadline) / 1000.0
        deadline += period
    return int(np.sum(late > period / 1000.0)), late


def _bare_sub(endpoint: str, count: int, out: mp.Queue) -> None:  # type: ignore[type-arg]
    import zmq

    context = zmq.Context()
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"bare")
    sub.connect(endpoint)
    lat = []
    while len(lat) < count:
        if not sub.poll(5000):
            break
        _, payload = sub.recv_multipart()
        lat.append((time.time_ns() - int.from_bytes(payload[:8], "little")) / 1000.0)
    out.put(lat)


def bare_zmq(seconds: float, size: int) -> np.ndarray:
    """PUB at 100 Hz to ZMQ_SUBSCRIBERS SUB processes, ``size``-byte messages; latency in us."""
    import zmq

    context = zmq.Context()
    pub = context.socket(zmq.PUB)
    pub.bind("tcp://127.0.0.1:*")
    endpoint = pub.getsockopt_string(zmq.LAST_ENDPOINT)
    count = int(seconds * FRAME_HZ)
    spawn = mp.get_context("spawn")
    out = spawn.Queue()
    procs = [
        spawn.Process(target=_bare_sub, args=(endpoint, count, out)) for _ in range(ZMQ_SUBSCRIBERS)
    ]
    for p in procs:
        p.start()
    time.sleep(3.0)  # benchmark only: let the subscribers connect before counting
    filler = bytes(max(size - 8, 0))
    deadline = time.perf_counter_ns()
    for _ in range(count + 50):
        deadline += 1_000_000_000 // FRAME_HZ
        while time.perf_counter_ns() < deadline:
            time.sleep(0.0005)
        pub.send_multipart((b"bare", time.time_ns().to_bytes(8, "little") + filler))
    lat = np.concatenate([np.asarray(out.get(timeout=60)) for _ in procs])
    for p in procs:
        p.join()
    pub.close(0)
    context.term()
    return lat


def _zmq_sub(
    session_id: str, frames: str, snapshot: str, count: int, out: Any, ready: Any, go: Any
) -> None:
    import zmq

    from simhub.stream.subscriber import FrameSubscriber

    context = zmq.Context()
    sub = FrameSubscriber(context, session_id, frames, snapshot)
    sub.join()
    ready.put(1)
    while not go.is_set():
        sub.next_frame(10.0)
    lat = []
    for _ in range(count):
        frame = sub.next_frame(10.0)
        lat.append((time.time_ns() - frame.published_unix_ns) / 1000.0)
    out.put(("zmq", lat, sub.gaps))


def _grpc_client(
    port: int, token: str, session_id: str, count: int, out: Any, ready: Any, go: Any
) -> None:
    import grpc

    from simhub._proto.simhub.v1 import session_pb2 as pb
    from simhub._proto.simhub.v1 import session_pb2_grpc

    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = session_pb2_grpc.SessionServiceStub(channel)
        lat = []
        dropped = 0
        stream = stub.StreamTelemetry(
            pb.StreamTelemetryRequest(session_id=session_id),
            metadata=[("authorization", f"Bearer {token}")],
        )
        announced = False
        for frame in stream:
            if not announced:
                ready.put(1)
                announced = True
            if not go.is_set():
                continue
            lat.append((time.time_ns() - frame.published_unix_ns) / 1e6)
            dropped = frame.dropped_frames
            if len(lat) >= count:
                stream.cancel()
                break
        out.put(("grpc", lat, dropped))


def session_run(seconds: float) -> dict[str, Any]:
    from simhub.app import build_app
    from simhub.identity.model import Role
    from simhub.session import BindingKind, CreateRequest, EgoBinding, SessionMode
    from simhub.session.controls import ControlInput
    from simhub.session.model import LoopConfig, TrafficConfig
    from simhub.settings import Settings
    from tests.conftest import RunningServer, issue

    tmp = Path(tempfile.mkdtemp(prefix="simhub-live-"))
    settings = Settings(
        database_url=f"sqlite:///{tmp / 'simhub.db'}",
        facility_file=REPO / "facility.toml",
        cabins_dir=REPO / "cabins",
        grpc_port=0,
    )
    app = build_app(settings)
    assert app.sessions is not None
    app.sessions._config = LoopConfig(cpu=1)  # pin the loop where the kernel allows it
    token = issue(app, "Bench Motors", Role.ENGINEER)
    principal = app.identity.authenticate(token)
    server = RunningServer(app)
    service = app.sessions
    session = service.create(
        principal,
        CreateRequest(
            mode=SessionMode.VIRTUAL,
            egos=(EgoBinding("ego", BindingKind.CLIENT, "passenger", start_speed_m_s=15.0),),
            traffic=TrafficConfig(vehicles=8),
        ),
    )
    session = service.start(principal, session.id)
    stop = threading.Event()

    def driver() -> None:  # a client at 100 Hz keeps the watchdog happy
        sequence = 0
        while not stop.is_set():
            sequence += 1
            control = ControlInput("ego", 0.05, 0.3, 0.0, 1, 0, sequence, time.time_ns())
            service.submit_control(session.id, control)
            time.sleep(0.01)

    threading.Thread(target=driver, daemon=True).start()
    count = int(seconds * FRAME_HZ)
    spawn = mp.get_context("spawn")  # no fork of a process that runs gRPC
    out = spawn.Queue()
    ready = spawn.Queue()
    go = spawn.Event()
    frames, snapshot = session.endpoints["frames"], session.endpoints["snapshot"]
    procs = [
        spawn.Process(target=_zmq_sub, args=(session.id, frames, snapshot, count, out, ready, go))
        for _ in range(ZMQ_SUBSCRIBERS)
    ] + [
        spawn.Process(
            target=_grpc_client, args=(server.port, token, session.id, count, out, ready, go)
        )
        for _ in range(GRPC_CLIENTS)
    ]
    for p in procs:
        p.start()
    for _ in procs:  # every subscriber joined and streaming: start measuring
        ready.get(timeout=120)
    time.sleep(1.0)
    loop = service.loop_of(session.id)
    assert loop is not None
    loop.reset_lateness()  # the loop process starts its statistics afresh at its next frame
    time.sleep(0.1)
    misses_before = loop.misses
    skipped_before = loop.skipped
    go.set()
    results = [out.get(timeout=seconds + 120) for _ in procs]
    summary = loop.lateness_summary()
    misses = loop.misses - misses_before
    stats = loop.stats()
    stop.set()
    for p in procs:
        p.join()
    final = service.stop(principal, session.id)
    server.close()
    app.close()
    zmq_results = [r for r in results if r[0] == "zmq"]
    grpc_results = [r for r in results if r[0] == "grpc"]
    zmq_lat = np.concatenate([np.asarray(r[1]) for r in zmq_results])
    grpc_lat = np.concatenate([np.asarray(r[1]) for r in grpc_results])
    return {
        "ticks": summary.ticks,
        "misses": misses,
        "p50": summary.p50_us,
        "p99": summary.p99_us,
        "max": summary.max_us,
        "zmq": zmq_lat,
        "zmq_gaps": sum(int(r[2]) for r in zmq_results),
        "grpc": grpc_lat,
        "grpc_dropped": sum(int(r[2]) for r in grpc_results),
        "skipped": stats.skipped_ticks - skipped_before,
        "frames": final.stats.frames,
        "notes": loop.thread_notes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    seconds = args.seconds

    bare_miss, bare_late = bare_loop(seconds)
    live = session_run(seconds)

    size = 600  # bytes: an encoded frame with one ego and 8 traffic vehicles is about this
    bare_lat = bare_zmq(min(seconds, 30.0), size)

    def pct(a: np.ndarray, q: float) -> float:
        return float(np.percentile(a, q)) if a.size else float("nan")

    rows = [
        ("session loop lateness (us)", live["p50"], live["p99"], live["max"]),
        (
            "bare sleep loop lateness (us)",
            pct(bare_late, 50),
            pct(bare_late, 99),
            float(bare_late.max()),
        ),
        (
            "ZeroMQ frame latency (us)",
            pct(live["zmq"], 50),
            pct(live["zmq"], 99),
            float(np.max(live["zmq"])),
        ),
        ("bare pyzmq latency (us)", pct(bare_lat, 50), pct(bare_lat, 99), float(bare_lat.max())),
        (
            "gRPC frame latency (ms)",
            pct(live["grpc"], 50),
            pct(live["grpc"], 99),
            float(np.max(live["grpc"])),
        ),
    ]
    print(
        f"live session benchmark: {seconds:.0f} s, {PHYSICS_HZ} Hz physics, {FRAME_HZ} Hz frames, "
        f"{ZMQ_SUBSCRIBERS} ZeroMQ subscribers, {GRPC_CLIENTS} gRPC clients"
    )
    print(f"{'':34}{'p50':>10}{'p99':>10}{'max':>12}")
    for name, p50, p99, mx in rows:
        print(f"{name:34}{p50:10.1f}{p99:10.1f}{mx:12.1f}")
    ticks = int(live["ticks"])
    print(
        f"deadline misses: session {live['misses']} of {ticks} ticks "
        f"({100 * int(live['misses']) / max(ticks, 1):.2f} %), "
        f"bare {bare_miss} of {bare_late.size} "
        f"({100 * bare_miss / bare_late.size:.2f} %); skipped ticks {live['skipped']}"
    )
    print(
        f"ZeroMQ sequence gaps: {live['zmq_gaps']}; gRPC frames dropped (slow clients): "
        f"{live['grpc_dropped']}; thread set-up: {live['notes'] or 'all granted'}"
    )
    print(
        f"ratios: lateness p99 {live['p99'] / max(pct(bare_late, 99), 1e-9):.2f}x bare; "
        f"ZeroMQ p99 {pct(live['zmq'], 99) / max(pct(bare_lat, 99), 1e-9):.2f}x bare pyzmq"
    )
    print(
        json.dumps(
            {
                "benchmark": "live",
                "physics_hz": PHYSICS_HZ,
                "misses": int(live["misses"]),
                "bare_misses": bare_miss,
                "lateness_p99_us": round(float(live["p99"]), 1),
                "bare_lateness_p99_us": round(pct(bare_late, 99), 1),
                "zmq_latency_p99_us": round(pct(live["zmq"], 99), 1),
                "bare_zmq_latency_p99_us": round(pct(bare_lat, 99), 1),
                "grpc_latency_p99_ms": round(pct(live["grpc"], 99), 2),
            }
        )
    )


if __name__ == "__main__":
    main()
