"""Read transactions on a thread's own connection (``Database.own_read``): one snapshot per
read, a nested read on a pooled connection, and a body that raises leaves no transaction
open behind it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from simhub.storage.db import Database, execute


def _count(connection: object) -> int:
    cursor = connection.cursor()  # type: ignore[attr-defined]
    try:
        cursor.execute("SELECT COUNT(*) FROM marks")
        return int(cursor.fetchone()[0])
    finally:
        cursor.close()


def test_own_reads_see_one_snapshot_nest_and_end_cleanly(database_url: str) -> None:
    database = Database(database_url)
    try:
        with database.engine.begin() as connection:
            connection.execute(text("CREATE TABLE marks (n INTEGER)"))
        with database.own_read() as outer:
            assert outer is not None
            assert _count(outer) == 0
            with database.engine.begin() as connection:  # another writer commits meanwhile
                connection.execute(text("INSERT INTO marks VALUES (1)"))
            with database.own_read() as nested:
                assert nested is None  # the caller takes a pooled connection instead
            if not database.is_postgres:  # SQLite's BEGIN: one snapshot for the whole read
                assert _count(outer) == 0
        with pytest.raises(LookupError), database.own_read() as connection:
            assert _count(connection) == 1
            raise LookupError("the body fails")
        with database.own_read() as again:  # rolled back: a new transaction begins
            assert again is connection and _count(again) == 1
        execute(database.own_connection(), "BEGIN")  # no transaction was left open
        execute(database.own_connection(), "ROLLBACK")
    finally:
        database.dispose()
