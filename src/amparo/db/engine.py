"""Engines for the embedded SQLite file and for PostgreSQL.

SQLite is tuned for durability first: an action the API acknowledged must survive `kill -9` and a
power cut, so the journal is WAL with `synchronous=FULL` (NORMAL may lose the last transactions on
power loss). Every transaction starts with `BEGIN IMMEDIATE`: nearly every request writes (each read of
personal data appends to the audit chain), and a deferred transaction that reads and then writes fails
with SQLITE_BUSY instead of waiting its turn when another writer got in first. Within one process the
writers also queue on a lock, which wakes the next one at once (SQLite's busy handler polls); across
processes the busy timeout still applies. Work that only reads can use `read_only(engine)`.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

#: Execution option naming how SQLite transactions begin: "IMMEDIATE" (default) or "DEFERRED".
SQLITE_BEGIN_OPTION = "amparo_sqlite_begin"
#: How long a SQLite writer waits for the lock before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str, *, echo: bool = False, pool_size: int = 25, max_overflow: int = 15) -> Engine:
    """Create the engine for `url` (`sqlite:///path` or `postgresql+psycopg://...`).

    Args:
        url: SQLAlchemy database URL.
        echo: Log every statement (debugging only).
        pool_size: Connections kept open (PostgreSQL and SQLite files). Enough for the requests one
            process serves at once plus the audit group commit: a connection beyond it is closed when
            returned, and reopening one per request (a new server process on PostgreSQL) costs more
            than the request.
        max_overflow: Extra connections allowed under load.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, echo=echo, pool_size=pool_size, max_overflow=max_overflow)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(
            parsed,
            echo=echo,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_pre_ping=True,  # a restarted server must not turn the next request into a 500
            pool_recycle=1800,
        )
    raise ValueError(f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}: expected sqlite:/// or postgresql+psycopg://")


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if not in_memory:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        echo=kwargs["echo"],
        # The pool hands connections between threads; each is used by one thread at a time.
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        **({} if in_memory else {"pool_size": kwargs["pool_size"], "max_overflow": kwargs["max_overflow"]}),
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions begin (see the begin hook).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    writers = _write_lock(database if not in_memory else f"memory:{id(engine)}")

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(SQLITE_BEGIN_OPTION) == "DEFERRED":
            connection.exec_driver_sql("BEGIN DEFERRED")
            return
        # Writers of this process queue on a lock and are woken the moment it is free; SQLite's own
        # busy handler would make each of them poll with sleeps of up to 100 ms, which turns twenty
        # concurrent writers into second-long tail latencies.
        if not writers.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise sqlite3.OperationalError(
                f"database is locked: waited {SQLITE_BUSY_TIMEOUT_MS // 1000} s for another writer of this process"
            )
        connection.info[_HOLDS_LOCK] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(connection.info, writers)
            raise

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection: Any) -> None:
        _release(connection.info, writers)

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        # A connection returned without commit or rollback (e.g. after an error) must not keep the lock.
        if record is not None:
            _release(record.info, writers)

    return engine


_HOLDS_LOCK = "amparo_holds_write_lock"
_WRITE_LOCKS: dict[str, threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(database: str) -> threading.Lock:
    """One lock per database file, shared by every engine of this process that opens it."""
    key = database if database.startswith("memory:") else str(Path(database).expanduser().resolve())
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(key, threading.Lock())


def _release(info: dict[str, Any], lock: threading.Lock) -> None:
    if info.pop(_HOLDS_LOCK, False):
        lock.release()


def read_only(engine: Engine) -> Engine:
    """A view of `engine` for work that never writes (verifying the audit chain, test assertions).

    On SQLite its transactions begin DEFERRED, so a long read does not hold the write lock and
    writers are not kept waiting; WAL gives it a consistent snapshot meanwhile. Writing through it
    is possible but may fail with "database is locked" instead of waiting, so do not. On PostgreSQL
    it is the same engine.
    """
    return engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})


def is_in_memory(engine: Engine) -> bool:
    """A SQLite database that lives in one connection's memory (tests; never production)."""
    if engine.dialect.name != "sqlite":
        return False
    database = engine.url.database or ""
    return database in ("", ":memory:") or database.startswith("file::memory:")


def backend_name(engine_or_url: Engine | str) -> str:
    """`sqlite` or `postgresql`."""
    if isinstance(engine_or_url, Engine):
        return engine_or_url.dialect.name
    return make_url(engine_or_url).get_backend_name()
