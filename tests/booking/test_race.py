"""32 concurrent clients through the real gRPC server, on SQLite and PostgreSQL: exactly one
request of each group of mutually conflicting requests wins, nobody double-books, and every
loser gets ABORTED with the rule it lost on (never INTERNAL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import grpc

from simhub.app import App
from simhub.booking.service import BookingFilter
from simhub.identity.model import Role
from tests.booking.conftest import at, principal
from tests.booking.oracle import schedule_problems
from tests.booking.rpc_helpers import field_violations, request, stub
from tests.conftest import RunningServer, bearer, issue

CLIENTS = 32
MINUTE = timedelta(minutes=1)
# Four variants per group, all overlapping each other: same slot other cabin, shifted slots.
VARIANTS = [("passenger", 0), ("commercial", 0), ("passenger", 30), ("special", 15)]
# Eight groups, four hours apart: far enough that no changeover links two groups.
GROUP_STARTS = [at(day, hour) for day in (3, 4) for hour in (5, 9, 13, 17)]


def test_racing_clients_never_double_book(app: App, server: RunningServer) -> None:
    tokens = [issue(app, f"Company {i}", Role.ENGINEER) for i in range(8)]
    barrier = threading.Barrier(CLIENTS)

    def client(i: int) -> tuple[int, str, grpc.StatusCode, list[tuple[str, str]]]:
        group, (cabin, shift) = divmod(i, 4)[0], VARIANTS[i % 4]
        start = GROUP_STARTS[group] + shift * MINUTE
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            s = stub(channel)
            barrier.wait()
            try:
                booked = s.RequestBooking(
                    request(cabin, start, start + 60 * MINUTE),
                    metadata=bearer(tokens[i % 8]),
                    timeout=60,
                )
                return group, booked.id, grpc.StatusCode.OK, []
            except grpc.RpcError as error:
                return group, "", error.code(), field_violations(error)

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(client, range(CLIENTS)))

    winners = [(group, booking_id) for group, booking_id, code, _ in results if booking_id]
    assert sorted(group for group, _ in winners) == list(range(8))  # one per group, no more
    losers = [r for r in results if r[2] != grpc.StatusCode.OK]
    assert len(losers) == CLIENTS - 8
    for _, _, code, violations in losers:
        assert code == grpc.StatusCode.ABORTED
        assert violations and all(field == "time_range" for field, _ in violations)
    operator = principal(app, issue(app, "Facility", Role.OPERATOR))
    stored = app.booking_service.list_bookings(operator, BookingFilter(), 1000, 0)
    assert sorted(b.id for b in stored) == sorted(booking_id for _, booking_id in winners)
    assert schedule_problems(stored, app.booking_service.cabins) == []
