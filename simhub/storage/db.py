"""Engine and transactions.

SQLite (the default) runs in WAL mode with foreign keys on and a busy timeout; every write
transaction starts with ``BEGIN IMMEDIATE`` so that it takes the write lock before it reads
what it is about to check (a deferred transaction would read, then fail to upgrade its lock, or
worse, decide on stale data). Reads stay deferred and never block each other. Writers of one
process queue on a lock before ``BEGIN IMMEDIATE``: SQLite's busy handler polls with sleeps of
up to 100 ms, so threads that wait on it take turns late (a p99 of seconds under load), while
the lock hands over at once; other processes still meet the busy timeout. PostgreSQL
(psycopg 3) runs at READ COMMITTED; writers that check-then-insert lock what they check
(``SELECT ... FOR UPDATE``) and the schema's constraints are the last guard; a pooled
connection is pinged before use only after sitting idle (``_ping_when_idle``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

_BEGIN = "simhub_sqlite_begin"
_RETURNED = "simhub_returned_at"
#: A PostgreSQL connection idle in the pool longer than this (s) is pinged before use.
IDLE_PING_S = 10.0


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        # As many pooled connections as PostgreSQL gets: more than the RPC thread pool (16),
        # so a worker never waits for one (the default pool of 5 + 10 is smaller).
        kwargs = {"pool_size": 20, "max_overflow": 20, **kwargs}
    engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is DEFERRED only).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(_BEGIN, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only if it sat in the pool longer than
    ``IDLE_PING_S`` (a server restart or a dropped idle connection then costs no failed
    call: the pool replaces it). SQLAlchemy's ``pool_pre_ping`` pings on every checkout,
    a round trip per read that a busy server pays hundreds of times a second for
    connections it used a moment ago."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is None or time.monotonic() - returned <= IDLE_PING_S:
            return  # new, or used a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise DisconnectionError(f"pooled connection failed its ping: {error}") from error
        if not alive:
            raise DisconnectionError("pooled connection failed its ping")


class Database:
    """One database: ``read()`` and ``write()`` hand out a session inside one transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = make_url(url).get_backend_name()
        writer: Engine
        if self.dialect == "sqlite":
            self.engine = _sqlite_engine(url)
            writer = self.engine.execution_options(**{_BEGIN: "IMMEDIATE"})
        elif self.dialect == "postgresql":
            self.engine = create_engine(url, pool_size=20, max_overflow=20)
            _ping_when_idle(self.engine)
            writer = self.engine
        else:
            raise ValueError(
                f"unsupported database {url!r}; use sqlite:/// or postgresql+psycopg://"
            )
        # SQLite: one writer at a time anyway; queue this process's writers fairly (module doc)
        self._write_lock = threading.RLock() if self.dialect == "sqlite" else None
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(writer, expire_on_commit=False)
        self._own = threading.local()
        self._own_lock = threading.Lock()
        self._owned: list[Any] = []

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._reader() as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed when the block ends, rolled back on any exception."""
        with self._write_lock or nullcontext(), self._writer() as session, session.begin():
            yield session

    def own_connection(self) -> Any:
        """This thread's own driver connection, outside the pool, in autocommit mode: for a
        one-statement read made on every call (the booking counters), where a checkout from
        the pool and its reset on return cost more than the statement."""
        connection = getattr(self._own, "connection", None)
        if connection is None:
            connection = self.engine.raw_connection()
            driver = connection.driver_connection
            connection.detach()  # no longer the pool's: it stays with this thread
            if self.is_postgres and driver is not None:
                driver.autocommit = True
            with self._own_lock:
                self._owned.append(connection)
            self._own.connection = connection
        return connection

    @contextmanager
    def own_read(self) -> Iterator[Any | None]:
        """A read transaction (BEGIN ... ROLLBACK) on this thread's own connection; None
        where that connection is in one already (the caller then takes a pooled one). A
        connection whose BEGIN or ROLLBACK fails is dropped (the next call opens another)."""
        if getattr(self._own, "reading", False):
            yield None
            return
        connection = self.own_connection()
        self._own.reading = True
        try:
            try:
                execute(connection, "BEGIN")
            except Exception:
                self.drop_own_connection()
                raise
            try:
                yield connection
            finally:
                try:
                    execute(connection, "ROLLBACK")
                except Exception:
                    self.drop_own_connection()
        finally:
            self._own.reading = False

    def drop_own_connection(self) -> None:
        """Close this thread's own connection (after an error: the next call opens another)."""
        connection = getattr(self._own, "connection", None)
        self._own.connection = None
        if connection is not None:
            with self._own_lock:
                self._owned.remove(connection)
            connection.close()

    def dispose(self) -> None:
        with self._own_lock:
            owned, self._owned = self._owned, []
        for connection in owned:
            connection.close()
        self.engine.dispose()


def execute(connection: Any, statement: str) -> None:
    """Run one parameterless *statement* on a driver (or pool proxy) connection."""
    cursor = connection.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` for convenience and pick the psycopg 3 driver."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url
