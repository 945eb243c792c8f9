"""The grpc.aio server: our services behind authentication, health and reflection.

``serve`` runs until SIGINT or SIGTERM, then marks every service NOT_SERVING, lets in-flight
calls finish within the grace period and returns (the process exits 0).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2_grpc

from simhub._proto.simhub.v1 import (
    booking_pb2,
    booking_pb2_grpc,
    evaluation_pb2,
    evaluation_pb2_grpc,
    facility_pb2,
    facility_pb2_grpc,
    scenario_pb2,
    scenario_pb2_grpc,
    session_pb2,
    session_pb2_grpc,
)
from simhub.app import App, utc_now
from simhub.rpc.auth import AuthenticatedServer, Authenticator
from simhub.rpc.blocking import Blocking
from simhub.rpc.booking import BookingServicer
from simhub.rpc.evaluation import EvaluationServicer
from simhub.rpc.facility import FacilityServicer
from simhub.rpc.registry import GenericOnly
from simhub.rpc.scenario import ScenarioServicer
from simhub.rpc.session import SessionServicer

log = logging.getLogger("simhub.rpc")

SERVICE_NAMES = (
    facility_pb2.DESCRIPTOR.services_by_name["FacilityService"].full_name,
    booking_pb2.DESCRIPTOR.services_by_name["BookingService"].full_name,
    session_pb2.DESCRIPTOR.services_by_name["SessionService"].full_name,
    scenario_pb2.DESCRIPTOR.services_by_name["ScenarioService"].full_name,
    evaluation_pb2.DESCRIPTOR.services_by_name["EvaluationService"].full_name,
)
#: Scenario bundles may be up to 32 MiB; leave room for the envelope.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
#: How often the server releases no-shows and promotes the waitlist (writes do it too).
BOOKING_SWEEP_INTERVAL_S = 30.0


class RpcServer:
    """One gRPC server bound to ``host:port`` (port 0: a free one, see ``port`` after start)."""

    def __init__(self, app: App, host: str, port: int) -> None:
        self._blocking = Blocking(app.settings.rpc_workers)
        self.server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ],
        )
        # every service registers generic handlers only: one queue of calls (simhub.rpc.registry)
        generic = GenericOnly(self.server)
        # our services only, each handler wrapped with auth; health and reflection stay open
        ours = GenericOnly(
            AuthenticatedServer(self.server, Authenticator(app.identity, self._blocking))
        )
        facility_pb2_grpc.add_FacilityServiceServicer_to_server(
            FacilityServicer(app.facility_service, self._blocking, utc_now), ours
        )
        self._app = app
        if app.sessions is not None:
            session_pb2_grpc.add_SessionServiceServicer_to_server(
                SessionServicer(app.sessions, self._blocking), ours
            )
        booking_pb2_grpc.add_BookingServiceServicer_to_server(
            BookingServicer(
                app.booking_service,
                self._blocking,
                app.clock,
                reads_inline=app.db.dialect == "sqlite",
            ),
            ours,
        )
        if app.scenarios is not None:
            scenario_pb2_grpc.add_ScenarioServiceServicer_to_server(
                ScenarioServicer(app.scenarios, self._blocking), ours
            )
        self._dispatcher = None
        if app.evaluation is not None:
            from simhub.evaluation.service import Dispatcher

            evaluation_pb2_grpc.add_EvaluationServiceServicer_to_server(
                EvaluationServicer(app.evaluation, self._blocking), ours
            )
            self._dispatcher = Dispatcher(app.evaluation)
        self._sweeper: asyncio.Task[None] | None = None
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, generic)
        # what reflection.enable_server_reflection does for an aio server, through `generic`
        reflection_pb2_grpc.add_ServerReflectionServicer_to_server(
            reflection.aio.ReflectionServicer(
                (*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME)
            ),
            generic,
        )
        self.address = f"{host}:{port}"
        self.port = 0

    async def start(self) -> int:
        self.port = self.server.add_insecure_port(self.address)
        if self.port == 0:
            raise OSError(f"cannot bind the gRPC server to {self.address}")
        await self.server.start()
        for name in ("", *SERVICE_NAMES):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        self._sweeper = asyncio.create_task(self._sweep_bookings(), name="booking-sweeper")
        if self._dispatcher is not None:
            self._dispatcher.start()  # evaluation runs: resumes interrupted ones first
        return self.port

    async def _sweep_bookings(self) -> None:
        """Release no-shows and promote the waitlist even when nobody writes."""
        while True:
            await asyncio.sleep(BOOKING_SWEEP_INTERVAL_S)
            try:
                await self._blocking.run(self._app.booking_service.sweep)
            except Exception:  # a failed sweep is retried next time; the server carries on
                log.exception("booking sweep failed")

    async def stop(self, grace_s: float) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace_s)
        if self._dispatcher is not None:
            await asyncio.to_thread(self._dispatcher.stop, grace_s)
        self._blocking.close()


def _freeze_start_up() -> None:
    """Move what start-up made (the modules serving imports, the app, the servers) out of the
    cyclic collector's generations for good: it lives as long as the process. A full
    collection then walks only what serving has made since. Without this, one under the
    booking benchmark's load walked ~230,000 objects and held the event loop 100-115 ms,
    every call in flight with it (``simhub.cli_main.started`` freezes only what was there
    before the command started)."""
    gc.collect()  # garbage made while starting is not kept for good
    gc.freeze()


async def serve(app: App) -> None:
    """Serve until SIGINT/SIGTERM, then shut down gracefully."""
    settings = app.settings
    server = RpcServer(app, settings.grpc_host, settings.grpc_port)
    port = await server.start()
    log.info("gRPC server listening", extra={"address": f"{settings.grpc_host}:{port}"})
    web = None
    web_task = None
    if settings.web_port is not None:
        from simhub.web.server import make_server

        web = make_server(app, settings.web_host, settings.web_port)
        web_task = asyncio.create_task(web.serve())
        while not web.started and not web_task.done():
            await asyncio.sleep(0.01)
        if web_task.done():  # it could not bind; uvicorn has logged why
            await server.stop(0)
            raise OSError(f"cannot start the web UI on {settings.web_host}:{settings.web_port}")
        web_port = web.servers[0].sockets[0].getsockname()[1]
        log.info("web UI listening", extra={"url": f"http://{settings.web_host}:{web_port}/"})
    _freeze_start_up()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down", extra={"grace_s": settings.shutdown_grace_s})
    if web is not None and web_task is not None:
        web.should_exit = True  # stops accepting, lets open requests finish
        await web_task
    await server.stop(settings.shutdown_grace_s)
    log.info("stopped")
