"""Shared fixtures: real databases (SQLite and a private PostgreSQL), a real gRPC server."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from simhub.app import App, build_app
from simhub.identity.model import Role
from simhub.settings import Settings
from tests.postgres import PostgresServer, start_postgres

REPO = Path(__file__).resolve().parents[1]
INTEROP = REPO.parent / "shared" / "interop"
WARMUP = pytest.StashKey[threading.Thread]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--warm-numba",
        action="store_true",
        help="compile the numba kernels into their disk cache in parallel processes before "
        "any test runs (once, in the pytest-xdist controller); `make test` passes it",
    )


#: Tests that run evaluation rollouts (in process, in a local executor's pool of processes or
#: on Ray workers): with ``--warm-numba`` they wait for the warm-up, and run after the others.
WAIT_FOR_WARMUP = (
    "tests/evaluation/",
    "tests/cluster/",
    "tests/web/test_security.py",
)
#: Tests ordered first: they compile few or no kernels, so they run while the warm-up does
#: (the browser tests under tests/web/ excepted: see LAST).
NO_KERNELS = (
    "tests/booking/",
    "tests/storage/",
    "tests/identity/",
    "tests/facility/",
    "tests/web/",
    "tests/rpc/",
    "tests/test_architecture.py",
    "tests/test_proto_fresh.py",
)
#: Tests ordered last: the browser tests start live sessions, previews and evaluations behind
#: 15 s page timeouts, so they run when every kernel they need is in the cache (as in the
#: plain file order, where tests/web comes last).
LAST = ("tests/web/test_browser",)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """With ``--warm-numba``: fill the numba cache in the background, from the controller,
    before the xdist workers start (the controller's ``pytest_sessionstart`` starts them, after
    this one); see tests/numba_warmup.py. Workers, and ``--collect-only``, skip it."""
    config = session.config
    if (
        config.getoption("warm_numba")
        and not hasattr(config, "workerinput")
        and not config.getoption("collectonly")
    ):
        from tests.numba_warmup import start_in_background

        config.stash[WARMUP] = start_in_background()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    thread = config.stash.get(WARMUP, None)
    if thread is not None:
        from tests.numba_warmup import finish

        terminalreporter.write_line(finish(thread))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before any fixture of a rollout test starts (its module's fixtures included)."""
    if item.nodeid.startswith(WAIT_FOR_WARMUP):
        from tests.numba_warmup import wait_until_warm

        wait_until_warm()


#: Tests that share one pytest-xdist worker, by path: the Ray tests (one Ray cluster per
#: machine: ``ray start --head`` takes fixed ports, ``ray stop`` stops every cluster), and the
#: browser tests (one Chromium instead of one per worker).
XDIST_GROUPS = {"tests/cluster/": "ray", "tests/web/test_browser": "browser"}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist load`` with the ``XDIST_GROUPS`` kept together. (xdist's own ``loadgroup`` marks
    a test's group by rewriting its node id, which pytest 9 no longer allows: it schedules the
    marked tests like any other.)"""
    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False  # the collection's order, not the largest group first

    class GroupScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            for prefix, group in XDIST_GROUPS.items():
                if nodeid.startswith(prefix):
                    return group
            return nodeid

    return GroupScheduling(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("warm_numba"):  # the same order in every worker, as xdist requires
        items.sort(key=_warmup_order)


def _warmup_order(item: pytest.Item) -> int:
    if item.nodeid.startswith(LAST):
        return 3
    if item.nodeid.startswith(WAIT_FOR_WARMUP):
        return 1
    return 0 if item.nodeid.startswith(NO_KERNELS) else 2


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
