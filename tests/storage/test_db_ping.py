"""A pooled PostgreSQL connection that died while idle is replaced before use (pinged only
after sitting idle, not on every checkout)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from simhub.storage import db as db_module
from simhub.storage.db import Database
from tests.postgres import PostgresServer


def _backend_pid(database: Database) -> int:
    with database.engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


@pytest.mark.postgres
def test_a_connection_killed_while_idle_is_replaced(
    postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = Database(postgres.create_database())
    other = Database(database.url)
    try:
        idle = _backend_pid(database)  # back in the pool now
        assert _backend_pid(database) == idle  # reused at once: no ping needed
        with other.engine.connect() as connection:  # the server drops it while it idles
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": idle})
        monkeypatch.setattr(db_module, "IDLE_PING_S", 0.0)  # it has idled long enough
        assert _backend_pid(database) != idle  # pinged, found dead, replaced: no error
    finally:
        other.dispose()
        database.dispose()
