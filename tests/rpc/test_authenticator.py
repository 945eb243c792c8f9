"""A token that the identity cache does not answer is looked up once for all its waiting calls.

Real identity service on SQLite; the statements that reach the database are counted with
SQLAlchemy's cursor events. The only stand-in is grpc's per-call context, which here just
carries the metadata.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from simhub.app import App, build_app
from simhub.errors import Unauthenticated
from simhub.identity.model import Role
from simhub.rpc.auth import Authenticator
from simhub.rpc.blocking import Blocking
from tests.conftest import issue, make_settings


class Metadata:
    """grpc's ServicerContext as far as ``Authenticator`` reads it."""

    def __init__(self, token: str) -> None:
        self._metadata = (("authorization", f"Bearer {token}"),)

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    app = build_app(make_settings(f"sqlite:///{tmp_path}/auth.db"))
    yield app
    app.close()


def token_reads(app: App) -> list[str]:
    """The statements that read API tokens, from now on."""
    seen: list[str] = []

    @event.listens_for(app.db.engine, "before_cursor_execute")
    def _seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "token" in statement.lower() and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    return seen


async def many(authenticate: Authenticator, token: str, n: int) -> list[Any]:
    return await asyncio.gather(
        *(authenticate(Metadata(token)) for _ in range(n)),  # type: ignore[arg-type]
        return_exceptions=True,
    )


def test_concurrent_calls_share_one_lookup(app: App) -> None:
    token = issue(app, "Acme", Role.ENGINEER)
    blocking = Blocking(4)
    authenticate = Authenticator(app.identity, blocking)
    reads = token_reads(app)
    try:
        first = asyncio.run(many(authenticate, token, 32))
        assert len(reads) == 1, reads
        assert len({p.user_id for p in first}) == 1 and not any(
            isinstance(p, BaseException) for p in first
        )
        app.identity._cache.clear()  # the cached entry ages out: the next burst looks up again
        asyncio.run(many(authenticate, token, 32))
        assert len(reads) == 2
    finally:
        blocking.close()


def test_a_wrong_token_fails_every_waiting_call_from_one_lookup(app: App) -> None:
    token = issue(app, "Acme", Role.ENGINEER)
    wrong = token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb")
    blocking = Blocking(4)
    authenticate = Authenticator(app.identity, blocking)
    reads = token_reads(app)
    try:
        answers = asyncio.run(many(authenticate, wrong, 8))
        assert all(isinstance(a, Unauthenticated) for a in answers), answers
        assert len(reads) == 1
        # nothing is left in flight: a later call looks up afresh, and is refused again
        answers = asyncio.run(many(authenticate, wrong, 1))
        assert isinstance(answers[0], Unauthenticated) and len(reads) == 2
    finally:
        blocking.close()
