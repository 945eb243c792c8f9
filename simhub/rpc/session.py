"""``simhub.v1.SessionService``: maps requests to ``SessionService`` calls and back.

Streams never block the real-time loop: ``StreamTelemetry`` reads a bounded per-client queue
that drops its oldest frame when this client is slow (each frame reports the client's drops so
far); the loop only appends and wakes the event loop.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable

import grpc

from simhub._proto.simhub.v1 import session_pb2 as pb
from simhub._proto.simhub.v1 import session_pb2_grpc
from simhub.errors import FieldViolation, InvalidArgument
from simhub.rpc import paging
from simhub.rpc import session_mappers as mappers
from simhub.rpc.auth import current_principal
from simhub.rpc.blocking import Blocking
from simhub.session.controls import Verdict
from simhub.session.fanout import Subscription
from simhub.session.service import SessionService

DEFAULT_QUEUE = 64
MAX_QUEUE = 10_000


def _waker() -> tuple[asyncio.Event, Callable[[], None]]:
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()

    def notify() -> None:
        loop.call_soon_threadsafe(wake.set)

    return wake, notify


class SessionServicer(session_pb2_grpc.SessionServiceServicer):
    def __init__(self, service: SessionService, blocking: Blocking) -> None:
        self._service = service
        self._blocking = blocking

    async def CreateSession(
        self, request: pb.CreateSessionRequest, context: grpc.aio.ServicerContext
    ) -> pb.Session:
        create = mappers.create_request(request)
        session = await self._blocking.run(self._service.create, current_principal(), create)
        return mappers.session_message(session)

    async def StartSession(
        self, request: pb.StartSessionRequest, context: grpc.aio.ServicerContext
    ) -> pb.Session:
        session = await self._blocking.run(
            self._service.start, current_principal(), request.session_id
        )
        return mappers.session_message(session)

    async def PauseSession(
        self, request: pb.PauseSessionRequest, context: grpc.aio.ServicerContext
    ) -> pb.Session:
        session = await self._blocking.run(
            self._service.pause, current_principal(), request.session_id
        )
        return mappers.session_message(session)

    async def StopSession(
        self, request: pb.StopSessionRequest, context: grpc.aio.ServicerContext
    ) -> pb.Session:
        session = await self._blocking.run(
            self._service.stop, current_principal(), request.session_id
        )
        return mappers.session_message(session)

    async def GetSession(
        self, request: pb.GetSessionRequest, context: grpc.aio.ServicerContext
    ) -> pb.Session:
        session = await self._blocking.run(
            self._service.get, current_principal(), request.session_id
        )
        return mappers.session_message(session)

    async def ListSessions(
        self, request: pb.ListSessionsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListSessionsResponse:
        size = paging.page_size(request.page_size)
        offset = paging.decode(request.page_token, "sessions")
        rows = await self._blocking.run(self._service.list, current_principal(), size, offset)
        return pb.ListSessionsResponse(
            sessions=[mappers.session_message(s) for s in rows],
            next_page_token=paging.next_token(offset, size, len(rows), "sessions"),
        )

    async def StreamTelemetry(
        self, request: pb.StreamTelemetryRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.TelemetryFrame]:
        if not 0 <= request.queue_size <= MAX_QUEUE:
            raise InvalidArgument(
                "queue_size out of range",
                [FieldViolation("queue_size", f"0 (default {DEFAULT_QUEUE}) to {MAX_QUEUE}")],
            )
        wake, notify = _waker()
        subscription = await self._blocking.run(
            self._service.subscribe,
            current_principal(),
            request.session_id,
            notify,
            rate_hz=request.rate_hz,
            capacity=request.queue_size or DEFAULT_QUEUE,
        )
        try:
            async for frame in self._frames(subscription, wake):
                yield frame
        finally:
            self._service.unsubscribe(request.session_id, subscription)

    async def _frames(
        self, subscription: Subscription, wake: asyncio.Event
    ) -> AsyncIterator[pb.TelemetryFrame]:
        while True:
            await wake.wait()
            wake.clear()
            frames, _, dropped = subscription.drain()
            for frame in frames:
                if frame.wire is None:  # the first reader encodes; the others copy
                    frame.wire = mappers.frame_message(frame)
                message = pb.TelemetryFrame()
                message.CopyFrom(frame.wire)  # type: ignore[arg-type]
                message.dropped_frames = dropped
                yield message
            if subscription.closed and not frames:
                return

    async def StreamEvents(
        self, request: pb.StreamEventsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.SessionEvent]:
        wake, notify = _waker()
        subscription = await self._blocking.run(
            self._service.subscribe,
            current_principal(),
            request.session_id,
            notify,
            events=True,
        )
        try:
            while True:
                await wake.wait()
                wake.clear()
                _, events, _ = subscription.drain()
                for event in events:
                    yield mappers.event_message(event)
                if subscription.closed and not events:
                    return
        finally:
            self._service.unsubscribe(request.session_id, subscription)

    async def SendControls(
        self, request_iterator: AsyncIterator[pb.ControlInput], context: grpc.aio.ServicerContext
    ) -> pb.SendControlsResponse:
        principal = current_principal()
        session_id = ""
        counts: Counter[Verdict] = Counter()
        async for message in request_iterator:
            if not session_id:
                session_id = message.session_id
                if not session_id:
                    raise InvalidArgument(
                        "the first control input must name the session",
                        [FieldViolation("session_id", "required in the first message")],
                    )
                await self._blocking.run(self._service.authorize_driver, principal, session_id)
            elif message.session_id and message.session_id != session_id:
                raise InvalidArgument(
                    "one SendControls stream drives one session",
                    [FieldViolation("session_id", f"this stream drives {session_id}")],
                )
            counts[self._service.submit_control(session_id, mappers.control_input(message))] += 1
        return mappers.controls_response(counts)
