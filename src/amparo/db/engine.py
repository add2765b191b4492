"""Engines for the embedded SQLite file and for PostgreSQL.

SQLite is tuned for durability first: an action the API acknowledged must survive `kill -9` and a
power cut, so the journal is WAL with `synchronous=FULL` (NORMAL may lose the last transactions on
power loss). A transaction that may write starts with `BEGIN IMMEDIATE`: a deferred transaction that
reads and then writes fails with SQLITE_BUSY instead of waiting its turn when another writer got in
first. Writers queue before that (`_WriterQueue`: a thread lock within a process, an advisory file
lock across processes), which wakes the next one at once where SQLite's busy handler would poll.
Work that only reads — read requests, whose audit entries are group-committed — uses
`read_only(engine)` and never takes the write lock.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

try:  # POSIX: writers in several processes queue on an advisory file lock
    import fcntl
except ImportError:  # pragma: no cover - Windows: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

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
    in_memory = _in_memory(database)
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
        # Writers queue (`_WriterQueue`) and are woken the moment the lock is free; SQLite's own busy
        # handler would make each of them poll with sleeps of up to 100 ms, which turns twenty
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


class _WriterQueue:
    """Where the writers of one SQLite file queue for its write lock.

    Threads of this process wait on a lock that wakes the next one at once. Processes (several
    uvicorn workers on one file) wait on an advisory lock on `<database>-writers.lock`, which the
    kernel hands to the next waiter the moment it is released — or the holder dies — instead of
    SQLite's polling. The thread lock is taken first, so one thread per process waits on the file.
    """

    def __init__(self, lock_file: Path | None) -> None:
        self._threads = threading.Lock()
        self._lock_file = lock_file if fcntl is not None else None
        self._fd: int | None = None
        self._pid: int | None = None

    def acquire(self, timeout: float) -> bool:
        if not self._threads.acquire(timeout=timeout):
            return False
        if self._lock_file is not None:
            try:
                fcntl.flock(self._descriptor(), fcntl.LOCK_EX)  # releases the GIL while it waits
            except BaseException:
                self._threads.release()
                raise
        return True

    def release(self) -> None:
        if self._lock_file is not None and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()

    def _descriptor(self) -> int:
        # Opened once per process (a forked child must not share its parent's open file, or the two
        # would hold one lock); called with the thread lock held.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd


_WRITE_LOCKS: dict[str, _WriterQueue] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(database: str) -> _WriterQueue:
    """One queue per database file, shared by every engine of this process that opens it."""
    if database.startswith("memory:"):
        key, lock_file = database, None
    else:
        path = Path(database).expanduser().resolve()
        key, lock_file = str(path), path.with_name(path.name + "-writers.lock")
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(key, _WriterQueue(lock_file))


def _release(info: dict[str, Any], lock: _WriterQueue) -> None:
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
    return _in_memory(database)


def _in_memory(database: str) -> bool:
    return database in ("", ":memory:") or database.startswith("file::memory:")


def backend_name(engine_or_url: Engine | str) -> str:
    """`sqlite` or `postgresql`."""
    if isinstance(engine_or_url, Engine):
        return engine_or_url.dialect.name
    return make_url(engine_or_url).get_backend_name()
