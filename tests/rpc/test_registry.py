"""Calls are taken in the order they come, whatever their method (``simhub.rpc.registry``).

A real grpc.aio server, its event loop held busy while a client queues calls of two methods:
eight of the one first, then one of the other. Once the loop is free, the handlers must start
in that order. Registered with ``add_registered_method_handlers`` (as the generated code does
on a bare server), grpc 1.85 takes one call per method at a time and the late call overtakes
seven of the eight.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import grpc
import pytest

from simhub._proto.simhub.v1 import booking_pb2 as pb
from simhub._proto.simhub.v1 import booking_pb2_grpc
from simhub.rpc.registry import GenericOnly


class Recorder(booking_pb2_grpc.BookingServiceServicer):
    def __init__(self) -> None:
        self.started: list[str] = []

    async def GetSchedule(self, request: pb.GetScheduleRequest, context: object) -> pb.Schedule:
        self.started.append(f"schedule {request.date}")
        return pb.Schedule()

    async def FindSlots(
        self, request: pb.FindSlotsRequest, context: object
    ) -> pb.FindSlotsResponse:
        self.started.append("slots")
        return pb.FindSlotsResponse()


class Server:
    """A grpc.aio server on its own thread and loop, its services added through GenericOnly."""

    def __init__(self, recorder: Recorder) -> None:
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._recorder = recorder
        self.port = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(30), "server did not start"

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self._ready.set()
        self.loop.run_forever()

    async def _start(self) -> None:
        self.server = grpc.aio.server()
        booking_pb2_grpc.add_BookingServiceServicer_to_server(
            self._recorder, GenericOnly(self.server)
        )
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        await self.server.start()

    def hold_loop(self, seconds: float) -> None:
        """Keep the server's event loop busy for *seconds* (calls queue up meanwhile)."""
        self.loop.call_soon_threadsafe(time.sleep, seconds)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(None), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(30)


@pytest.fixture
def recorded() -> Iterator[tuple[Recorder, Server]]:
    recorder = Recorder()
    server = Server(recorder)
    yield recorder, server
    server.stop()


def test_calls_of_different_methods_are_taken_first_come_first_served(
    recorded: tuple[Recorder, Server],
) -> None:
    recorder, server = recorded
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = booking_pb2_grpc.BookingServiceStub(channel)
        stub.GetSchedule(pb.GetScheduleRequest(date="warm-up"), timeout=30)  # connected
        recorder.started.clear()
        server.hold_loop(3.0)
        time.sleep(0.1)  # the loop is now asleep in the held callback
        early = [
            stub.GetSchedule.future(pb.GetScheduleRequest(date=f"2031-01-0{n}"), timeout=30)
            for n in range(1, 9)
        ]
        time.sleep(1.0)  # all eight have reached the server before the late call is sent
        late = stub.FindSlots.future(pb.FindSlotsRequest(), timeout=30)
        for call in (*early, late):
            call.result()
    assert recorder.started == [f"schedule 2031-01-0{n}" for n in range(1, 9)] + ["slots"]
