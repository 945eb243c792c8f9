"""The FastAPI application and the uvicorn server that ``simhub serve`` runs beside gRPC."""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from pathlib import Path
from zoneinfo import ZoneInfo

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from simhub import __version__
from simhub.app import App
from simhub.errors import SimhubError
from simhub.web import (
    api,
    booking_api,
    booking_pages,
    evaluation_api,
    evaluation_pages,
    pages,
    scenario_api,
    scenario_pages,
    session_api,
    session_pages,
)
from simhub.web.deps import SignInRequired
from simhub.web.errors import problem_response

ROUTERS = (
    api.router,
    booking_api.router,
    pages.router,
    booking_pages.router,
    scenario_api.router,
    scenario_pages.router,
    session_api.router,
    session_pages.router,
    evaluation_api.router,
    evaluation_pages.router,
)


def create_web_app(application: App) -> FastAPI:
    web = FastAPI(
        title="simhub",
        version=__version__,
        summary="Driving-simulator control plane: the JSON API beside gRPC",
        docs_url="/docs",
        openapi_url="/api/v1/openapi.json",
    )
    web.state.simhub = application
    web.state.time_zone = ZoneInfo(application.facility.time_zone)
    web.state.replays = OrderedDict()  # scenario replays, see scenario_api.replay
    web.state.reports = {}  # finished runs' reports, see evaluation_api.build_report
    web.add_exception_handler(SimhubError, problem_response)

    async def to_signin(request: Request, exc: Exception) -> RedirectResponse:
        return RedirectResponse("/signin", status_code=303)

    web.add_exception_handler(SignInRequired, to_signin)
    for router in ROUTERS:
        web.include_router(router)
    web.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return web


def make_server(application: App, host: str, port: int) -> uvicorn.Server:
    """A uvicorn server for the web app; run it with ``await server.serve()`` on our loop."""
    config = uvicorn.Config(
        create_web_app(application),
        host=host,
        port=port,
        log_config=None,  # our logging setup, not uvicorn's
        access_log=False,
        lifespan="off",
    )
    return _Server(config)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: ``simhub serve`` owns SIGINT/SIGTERM and stops
    gRPC and the web server together."""

    def capture_signals(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]
        return contextlib.nullcontext()
