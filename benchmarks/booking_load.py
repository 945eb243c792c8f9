"""Booking control plane under load, beside a bare grpc.aio echo servicer in the same run.

N concurrent gRPC clients (1, 8, 32) on 127.0.0.1 issue a realistic mix: 70% reads
(GetSchedule / ListBookings), 20% FindSlots, 10% RequestBooking (random cabins and times, so
many lose with ABORTED, as in real contention). The echo servicer answers the same number of
calls with a bare unary handler, measured the same way: the ratio says what our stack (auth,
rules, database) costs against gRPC itself. Afterwards the stored schedule is checked for
double bookings (overlaps or missing changeover gaps). Also: FindSlots latency over a facility
with 5,000 bookings spread over a year.

Servers run in their own processes (``simhub serve``, and this script with ``--echo``); the
clients are grpc.aio coroutines in this process. Runs on SQLite, and on PostgreSQL when
initdb/pg_ctl exist (a private throw-away server from tests/postgres.py). Prints a table per
database, with the CPU time each server process used per call answered (from /proc, Linux);
the last lines are one JSON object per database (32 clients).

Before measuring, both servers answer one second of the same mix, untimed (a fresh server
process spends its first seconds importing and compiling). FindSlots is timed cold (each search
a window not asked before, so the service's read cache cannot answer it: the figure the < 50 ms
target is about) and warm (the same search again, answered from the cache while no write
intervenes).

Usage: ``python benchmarks/booking_load.py [--seconds 5] [--databases sqlite,postgresql]``
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simhub._proto.simhub.v1 import booking_pb2 as pb  # noqa: E402
from simhub._proto.simhub.v1 import booking_pb2_grpc, common_pb2  # noqa: E402
from simhub.app import build_app  # noqa: E402
from simhub.booking.model import (  # noqa: E402
    Booking,
    BookingMode,
    BookingRules,
    BookingState,
    OpeningInterval,
    Transition,
)
from simhub.booking.planner import SlotQuery  # noqa: E402
from simhub.booking.rules import blocked_period  # noqa: E402
from simhub.booking.service import BookingFilter  # noqa: E402
from simhub.identity.model import Role  # noqa: E402
from simhub.identity.tokens import new_id  # noqa: E402
from simhub.rpc.mappers import timestamp  # noqa: E402
from simhub.storage.booking_repo import SqlBookingStore  # noqa: E402
from tests.booking.oracle import schedule_problems  # noqa: E402
from tests.conftest import issue, make_settings  # noqa: E402
from tests.postgres import start_postgres  # noqa: E402

CLIENTS = (1, 8, 32)
#: Each concurrency runs ours and echo in turns, this many times (a machine that is busy for a
#: moment then weighs on both alike); both get *seconds* in all.
ROUNDS = 3
HISTORY = 5000
ECHO = "/bench.Echo/Call"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the echo peer ------------------------------------------------------------------------------


async def echo_server(port: int) -> None:
    server = grpc.aio.server()
    handler = grpc.unary_unary_rpc_method_handler(_echo)
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler("bench.Echo", {"Call": handler})]
    )
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


async def _echo(request: bytes, context: Any) -> bytes:
    return request


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        args,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def cpu_seconds(process: subprocess.Popen[bytes]) -> float | None:
    """User + system CPU time (s) *process* has used so far; None where /proc is missing."""
    try:
        with open(f"/proc/{process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_ms_per_call(used: list[float | None], calls: int) -> float | None:
    """Server CPU (ms) per call answered, from the CPU each round used."""
    if not calls or any(u is None for u in used):
        return None
    return sum(u for u in used if u is not None) / calls * 1e3


def wait_ready(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                time.sleep(0.3)
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


# -- setting up a facility with a year of history -----------------------------------------------


def prepare(database_url: str) -> tuple[str, float, float]:
    """Migrate, open 24/7, seed 5,000 bookings over a year; return an engineer token and the
    FindSlots median latency (ms) over that history, cold and warm (see the module doc)."""
    app = build_app(make_settings(database_url))
    service = app.booking_service
    operator = app.identity.authenticate(issue(app, "Facility", Role.OPERATOR))
    service.update_rules(
        operator,
        BookingRules(
            min_notice_minutes=70,
            max_horizon_days=365,
            default_motion_hours_per_week=10_000,
            default_motion_hours_per_month=40_000,
        ),
    )
    service.set_opening_hours(operator, [OpeningInterval(d, 0, 1440) for d in range(7)])
    token = issue(app, "Bench Motors", Role.ENGINEER)
    engineer = app.identity.authenticate(token)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    # runs of four back-to-back sessions of one cabin, then a changeover gap: ~9 months
    at = now - timedelta(days=200)
    cabins = sorted(service.cabins)
    store = SqlBookingStore(app.db)
    with store.write() as tx:
        for n in range(HISTORY):
            cabin = service.cabins[cabins[(n // 4) % len(cabins)]]
            if n and n % 4 == 0:
                at += timedelta(minutes=70)
            start, end = at, at + timedelta(minutes=60)
            b0, b1 = blocked_period(cabin, BookingMode.MOTION, start, end)
            state = BookingState.COMPLETED if end < now else BookingState.APPROVED
            booking = Booking(
                new_id("bkg"), engineer.organisation_id, engineer.user_id, cabin.id,
                BookingMode.MOTION, state, start, end, b0, b1, "history", (), None, now, now,
            )  # fmt: skip
            tx.add(booking, Transition(booking.id, None, state, now, None))
            at = end
    if app.db.dialect == "postgresql":
        # the statistics autovacuum gathers within a minute of such a load: without them the
        # planner guesses row counts (the neighbour queries took ~5 ms on the GiST index)
        with app.db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")

    def query(shift_hours: int) -> SlotQuery:
        start = now + timedelta(days=30, hours=shift_hours)
        return SlotQuery("", "special", BookingMode.MOTION, 90, start, start + timedelta(days=7))

    def timed(q: SlotQuery) -> float:
        t0 = time.perf_counter()
        service.find_slots(engineer, q)
        return (time.perf_counter() - t0) * 1e3

    timed(query(-1))  # warm the policy and the database's pages
    cold = [timed(query(i)) for i in range(30)]  # a new window each: computed
    warm = [timed(query(0)) for _ in range(30)]  # asked before: from the read cache
    app.close()
    return token, statistics.median(cold), statistics.median(warm)


# -- load ---------------------------------------------------------------------------------------


def span(start: datetime, end: datetime) -> common_pb2.TimeRange:
    return common_pb2.TimeRange(start=timestamp(start), end=timestamp(end))


async def run_clients(port: int, clients: int, seconds: float, token: str | None) -> list[float]:
    """Latencies (s) of every call that N clients complete in *seconds*."""
    latencies: list[float] = []
    auth = [("authorization", f"Bearer {token}")] if token else None
    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=80)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = booking_pb2_grpc.BookingServiceStub(channel)
        echo = channel.unary_unary(ECHO)
        stop = time.perf_counter() + seconds

        async def one(rng: random.Random) -> None:
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                try:
                    await _call(stub, echo, auth, rng, base)
                except grpc.aio.AioRpcError as error:
                    if error.code() not in (
                        grpc.StatusCode.ABORTED,
                        grpc.StatusCode.INVALID_ARGUMENT,
                        grpc.StatusCode.RESOURCE_EXHAUSTED,
                    ):
                        raise
                latencies.append(time.perf_counter() - t0)

        await asyncio.gather(*(one(random.Random(i)) for i in range(clients)))
    return latencies


async def _call(stub: Any, echo: Any, auth: Any, rng: random.Random, base: datetime) -> None:
    if auth is None:
        await echo(b"x" * 64)
        return
    roll = rng.random()
    day = base + timedelta(days=rng.randrange(0, 30))
    if roll < 0.35:
        await stub.GetSchedule(pb.GetScheduleRequest(date=day.date().isoformat()), metadata=auth)
    elif roll < 0.70:
        await stub.ListBookings(pb.ListBookingsRequest(page_size=50), metadata=auth)
    elif roll < 0.90:
        await stub.FindSlots(
            pb.FindSlotsRequest(
                cabin_id=rng.choice(["passenger", "commercial", "special"]),
                mode=pb.BOOKING_MODE_MOTION,
                duration_minutes=60,
                window=span(day, day + timedelta(days=1)),
                max_results=5,
            ),
            metadata=auth,
        )
    else:
        start = day + timedelta(minutes=15 * rng.randrange(0, 96))
        await stub.RequestBooking(
            pb.RequestBookingRequest(
                cabin_id=rng.choice(["passenger", "commercial", "special"]),
                mode=pb.BOOKING_MODE_MOTION,
                time_range=span(start, start + timedelta(minutes=60)),
            ),
            metadata=auth,
        )


def timed_round(
    server: subprocess.Popen[bytes], used: list[float | None], load: Any
) -> list[float]:
    """Run one round of *load* (a ``run_clients`` coroutine) and append the CPU time the
    *server* process used meanwhile to *used*; the round's latencies."""
    before = cpu_seconds(server)
    latencies: list[float] = asyncio.run(load)
    after = cpu_seconds(server)
    used.append(None if before is None or after is None else after - before)
    return latencies


def summarise(latencies: list[float], seconds: float) -> tuple[float, float, float]:
    ordered = sorted(latencies)
    p50 = ordered[len(ordered) // 2] * 1e3
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3
    return len(ordered) / seconds, p50, p99


def double_bookings(database_url: str) -> int:
    app = build_app(make_settings(database_url), migrate=False)
    operator = app.identity.authenticate(issue(app, "Facility", Role.OPERATOR))
    stored = app.booking_service.list_bookings(operator, BookingFilter(), 100_000, 0)
    problems = schedule_problems(stored, app.booking_service.cabins)
    app.close()
    return len(problems)


def bench(name: str, database_url: str, seconds: float) -> dict[str, Any]:
    token, find_ms, find_warm_ms = prepare(database_url)
    ours_port, echo_port = free_port(), free_port()
    ours = spawn(
        [sys.executable, "-m", "simhub", "serve"],
        {
            "SIMHUB_DATABASE_URL": database_url,
            "SIMHUB_GRPC_PORT": str(ours_port),
            "SIMHUB_WEB_PORT": "0",
            "SIMHUB_LOG_LEVEL": "WARNING",
        },
    )
    echo = spawn([sys.executable, __file__, "--echo", str(echo_port)], {})
    try:
        wait_ready(ours_port)
        wait_ready(echo_port)
        print(
            f"\n{name}: FindSlots over {HISTORY} bookings of history: median {find_ms:.1f} ms"
            f" (a new window each), {find_warm_ms:.2f} ms (asked again, cached)"
        )
        print(
            f"{'clients':>7} {'ours req/s':>11} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms':>7}"
            f" {'echo req/s':>11} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms':>7} {'ratio':>6}"
        )
        asyncio.run(run_clients(ours_port, 4, 1.0, token))  # warm up, untimed
        asyncio.run(run_clients(echo_port, 4, 1.0, None))
        before = count_bookings(database_url)
        result: dict[str, Any] = {}
        for clients in CLIENTS:
            ours_latencies: list[float] = []
            echo_latencies: list[float] = []
            ours_cpu: list[float | None] = []  # CPU seconds each server used per round
            echo_cpu: list[float | None] = []
            for _ in range(ROUNDS):
                ours_latencies += timed_round(
                    ours, ours_cpu, run_clients(ours_port, clients, seconds / ROUNDS, token)
                )
                echo_latencies += timed_round(
                    echo, echo_cpu, run_clients(echo_port, clients, seconds / ROUNDS, None)
                )
            ours_rps, p50, p99 = summarise(ours_latencies, seconds)
            echo_rps, echo_p50, echo_p99 = summarise(echo_latencies, seconds)
            ours_ms = cpu_ms_per_call(ours_cpu, len(ours_latencies))
            echo_ms = cpu_ms_per_call(echo_cpu, len(echo_latencies))
            print(
                f"{clients:>7} {ours_rps:>11.0f} {p50:>7.1f} {p99:>7.1f} {ours_ms or 0:>7.3f}"
                f" {echo_rps:>11.0f} {echo_p50:>7.1f} {echo_p99:>7.1f} {echo_ms or 0:>7.3f}"
                f" {ours_rps / echo_rps:>6.3f}"
            )
            result = {
                "benchmark": "booking_load",
                "database": name,
                "clients": clients,
                "ours_rps": round(ours_rps, 1),
                "echo_rps": round(echo_rps, 1),
                "ratio": round(ours_rps / echo_rps, 4),
                "p50_ms": round(p50, 2),
                "p99_ms": round(p99, 2),
                # the echo's own latency at the same concurrency: a closed loop of N clients
                # waits N / rate on average, whatever the server does
                "echo_p50_ms": round(echo_p50, 2),
                "echo_p99_ms": round(echo_p99, 2),
                # CPU time each server process used per call answered (ms; None: no /proc)
                "cpu_ms_per_request": ours_ms and round(ours_ms, 3),
                "echo_cpu_ms_per_request": echo_ms and round(echo_ms, 3),
                "find_slots_ms": round(find_ms, 2),
                "find_slots_cached_ms": round(find_warm_ms, 3),
            }
    finally:
        for process in (ours, echo):
            process.send_signal(signal.SIGTERM)
            process.wait(30)
    result["bookings_made"] = count_bookings(database_url) - before
    result["double_bookings"] = double_bookings(database_url)
    return result


def count_bookings(database_url: str) -> int:
    """Bookings stored (the writes that succeeded under load: each one invalidates the caches)."""
    app = build_app(make_settings(database_url), migrate=False)
    operator = app.identity.authenticate(issue(app, "Facility", Role.OPERATOR))
    count = len(app.booking_service.list_bookings(operator, BookingFilter(), 100_000, 0))
    app.close()
    return count


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--echo":
        asyncio.run(echo_server(int(sys.argv[2])))
        return
    seconds = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 5.0
    databases = ["postgresql", "sqlite"]
    if "--databases" in sys.argv:
        databases = sys.argv[sys.argv.index("--databases") + 1].split(",")
    results = []
    postgres = start_postgres() if "postgresql" in databases else None
    try:
        if postgres is not None:
            results.append(bench("postgresql", postgres.create_database(), seconds))
        elif "postgresql" in databases:
            print("PostgreSQL: skipped (no initdb/pg_ctl on this machine)")
        if "sqlite" in databases:
            with tempfile.TemporaryDirectory() as tmp:
                results.append(bench("sqlite", f"sqlite:///{tmp}/bench.db", seconds))
    finally:
        if postgres is not None:
            postgres.stop()
    print()
    for result in results:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
