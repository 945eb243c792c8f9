"""Shared fixtures: real databases (SQLite and a private PostgreSQL), a real gRPC server."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from simhub.app import App, build_app
from simhub.identity.model import Role
from simhub.settings import Settings
from tests.postgres import PostgresServer, start_postgres

REPO = Path(__file__).resolve().parents[1]
INTEROP = REPO.parent / "shared" / "interop"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = start_postgres()
    if server is None and os.environ.get("SIMHUB_REQUIRE_POSTGRES"):
        pytest.fail("SIMHUB_REQUIRE_POSTGRES is set but no PostgreSQL binaries were found")
    if server is None:
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) on this machine; CI installs them")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'simhub.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database()


def make_settings(database_url: str, **overrides: object) -> Settings:
    return Settings(
        database_url=database_url,
        facility_file=REPO / "facility.toml",
        cabins_dir=REPO / "cabins",
        grpc_port=0,
        **overrides,  # type: ignore[arg-type]
    )


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    application = build_app(make_settings(database_url))
    yield application
    application.close()


@dataclass
class Tokens:
    engineer: str
    viewer: str
    operator: str
    other_engineer: str  # another organisation


def issue(app: App, org: str, role: Role) -> str:
    identity = app.identity
    organisation = (
        identity.find_organisation(org)
        if identity.has_organisation(org)
        else identity.create_organisation(org)
    )
    user = identity.create_user(organisation.id, f"{role.value}-{org}", role)
    return identity.issue_token(user.id).secret


@pytest.fixture
def tokens(app: App) -> Tokens:
    return Tokens(
        engineer=issue(app, "Acme", Role.ENGINEER),
        viewer=issue(app, "Acme", Role.VIEWER),
        operator=issue(app, "Facility", Role.OPERATOR),
        other_engineer=issue(app, "Rival", Role.ENGINEER),
    )


class RunningServer:
    """A real ``RpcServer`` on a free port, run by its own event loop in a thread."""

    def __init__(self, app: App) -> None:
        from simhub.rpc.server import RpcServer

        async def start() -> RpcServer:
            server = RpcServer(app, "127.0.0.1", 0)  # grpc.aio binds to the running loop
            await server.start()
            return server

        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.server = asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)
        self.port = self.server.port
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")

    def close(self) -> None:
        self.channel.close()
        asyncio.run_coroutine_threadsafe(self.server.stop(1.0), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


@pytest.fixture
def server(app: App) -> Iterator[RunningServer]:
    running = RunningServer(app)
    yield running
    running.close()


def bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]
