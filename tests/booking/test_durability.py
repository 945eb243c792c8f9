"""SIGKILL ``python -m simhub serve`` during a burst of RequestBooking calls, restart it: every
booking acknowledged to a client is there, whole (row and its creation transition), and the
schedule is consistent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from simhub._proto.simhub.v1 import booking_pb2 as pb
from simhub.app import build_app
from simhub.booking.model import BookingState, OpeningInterval
from simhub.booking.service import BookingFilter
from simhub.identity.model import Role
from tests.booking.conftest import TEST_RULES, principal
from tests.booking.oracle import schedule_problems
from tests.booking.rpc_helpers import request, stub
from tests.conftest import REPO, bearer, issue, make_settings
from tests.net import free_port

WRITERS = 8
KILL_AFTER_ACKS = 40


def _serve(database_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SIMHUB_DATABASE_URL": database_url,
        "SIMHUB_GRPC_PORT": str(port),
        "SIMHUB_WEB_PORT": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "simhub", "serve"],
        cwd=REPO,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        deadline = time.monotonic() + 180  # generous: CI machines and loaded boxes start slowly
        while time.monotonic() < deadline:
            try:
                reply = health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return process
            except grpc.RpcError:
                time.sleep(0.1)
    process.kill()
    raise AssertionError(f"server did not start; see {log}")


def test_acknowledged_bookings_survive_sigkill(database_url: str, tmp_path: Path) -> None:
    setup = build_app(make_settings(database_url))
    operator = principal(setup, issue(setup, "Facility", Role.OPERATOR))
    setup.booking_service.update_rules(operator, TEST_RULES)
    setup.booking_service.set_opening_hours(
        operator, [OpeningInterval(d, 0, 1440) for d in range(7)]
    )
    token = issue(setup, "Acme", Role.ENGINEER)
    setup.close()

    # Back-to-back motion sessions of one cabin: all can succeed, none needs a changeover.
    base = (datetime.now(UTC) + timedelta(days=3)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    port = free_port()
    process = _serve(database_url, port, tmp_path / "server.log")
    acknowledged: dict[str, tuple[datetime, datetime]] = {}
    lock = threading.Lock()
    killed = threading.Event()

    def writer(w: int) -> None:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            s = stub(channel)
            for n in range(200):
                slot = base + timedelta(minutes=30 * (n * WRITERS + w))
                try:
                    booked = s.RequestBooking(
                        request(
                            "passenger", slot, slot + timedelta(minutes=30), request_id=f"{w}-{n}"
                        ),
                        metadata=bearer(token),
                        timeout=10,
                    )
                except grpc.RpcError:
                    if killed.is_set():
                        return
                    raise
                with lock:
                    acknowledged[booked.id] = (slot, slot + timedelta(minutes=30))
                    if len(acknowledged) >= KILL_AFTER_ACKS and not killed.is_set():
                        killed.set()
                        process.send_signal(signal.SIGKILL)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    process.wait(30)
    assert killed.is_set() and process.returncode == -signal.SIGKILL

    restarted = _serve(database_url, port, tmp_path / "server.log")
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            s = stub(channel)
            for booking_id, (start, end) in acknowledged.items():
                found = s.GetBooking(
                    pb.GetBookingRequest(booking_id=booking_id), metadata=bearer(token)
                )
                assert found.time_range.start.ToDatetime(tzinfo=UTC) == start
                assert found.time_range.end.ToDatetime(tzinfo=UTC) == end
                assert [t.to_state for t in found.transitions] == [pb.BOOKING_STATE_REQUESTED]
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(30)

    check = build_app(make_settings(database_url), migrate=False)
    try:
        service = check.booking_service
        stored = service.list_bookings(
            principal(check, issue(check, "Facility", Role.OPERATOR)), BookingFilter(), 10_000, 0
        )
        assert {b.id for b in stored} >= set(acknowledged)
        for b in stored:  # nothing half-written: every row has its creation transition
            assert b.state is BookingState.REQUESTED
            assert [t.to_state for t in service.get(principal(check, token), b.id).transitions] == [
                BookingState.REQUESTED
            ]
        assert schedule_problems(stored, service.cabins) == []
    finally:
        check.close()
