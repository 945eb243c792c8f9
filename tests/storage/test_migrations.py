"""Alembic migrations build exactly the schema the ORM tables declare, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from simhub.storage.db import Database
from simhub.storage.migrate import upgrade
from simhub.storage.tables import Base


def test_migrations_match_tables_and_are_idempotent(database_url: str) -> None:
    db = Database(database_url)
    try:
        upgrade(db)
        upgrade(db)  # a second run changes nothing and does not fail
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
            tables = set(inspect(connection).get_table_names())
        assert diff == []
        assert tables >= set(Base.metadata.tables)
    finally:
        db.dispose()


def test_sqlite_pragmas(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.read() as session:
        conn = session.connection()
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    db.dispose()
