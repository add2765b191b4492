"""Engines for the embedded SQLite file and for PostgreSQL.

SQLite is tuned for durability first: an action the API acknowledged must survive `kill -9` and a
power cut, so the journal is WAL with `synchronous=FULL` (NORMAL may lose the last transactions on
power loss). A transaction that may write starts with `BEGIN IMMEDIATE`: a deferred transaction that
reads and then writes fails with SQLITE_BUSY instead of waiting its turn when another writer got in
first. Writers queue before that (`_WriterQueue`: a thread lock within a process, an advisory file
lock across processes), which wakes the next one at once where SQLite's busy handler would poll.
Work that only reads — read requests, whose audit entries are group-committed — uses
`read_only(engine)` and never takes the write lock. Write requests use `lock_on_first_write(engine)`:
their reads before the first write (sign-in, the checks) run without the lock, each seeing the
latest commit, as PostgreSQL's READ COMMITTED does; the lock is taken at the first write or
`SELECT ... FOR UPDATE` and held to the end, so writers queue only for the part that writes.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

try:  # POSIX: writers in several processes queue on an advisory file lock
    import fcntl
except ImportError:  # pragma: no cover - Windows: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

#: Execution option naming how SQLite transactions begin: "IMMEDIATE" (default), "DEFERRED" (reads
#: only: `read_only`) or "ON_WRITE" (the write lock is taken at the first write: `lock_on_first_write`).
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
    holders: set[int] = set()  # the driver connections (by id) that hold `writers`

    def begin_immediate(dbapi_connection: Any, execute: Any) -> None:
        # Writers queue (`_WriterQueue`) and are woken the moment the lock is free; SQLite's own busy
        # handler would make each of them poll with sleeps of up to 100 ms, which turns twenty
        # concurrent writers into second-long tail latencies.
        if not writers.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise sqlite3.OperationalError(
                f"database is locked: waited {SQLITE_BUSY_TIMEOUT_MS / 1000:g} s for another writer "
                "(a thread of this process, or another process that opened the same database file)"
            )
        holders.add(id(dbapi_connection))
        try:
            execute("BEGIN IMMEDIATE")
        except BaseException:
            release(dbapi_connection)
            raise

    def release(dbapi_connection: Any) -> None:
        key = id(getattr(dbapi_connection, "dbapi_connection", dbapi_connection))  # a pooled proxy or the driver's
        if key in holders:
            holders.discard(key)
            writers.release()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION)
        if mode == "DEFERRED":
            connection.exec_driver_sql("BEGIN DEFERRED")
        elif mode == "ON_WRITE":
            connection.info[_BEGIN_ON_WRITE] = True  # no BEGIN yet: reads run in autocommit
        else:
            begin_immediate(connection.connection.dbapi_connection, connection.exec_driver_sql)

    @event.listens_for(engine, "before_cursor_execute")
    def _on_statement(connection: Any, cursor: Any, statement: str, _parameters: Any, context: Any, _many: bool) -> None:
        info = connection.info
        if info.get(_BEGIN_ON_WRITE) and _writes(statement, context):
            begin_immediate(cursor.connection, cursor.connection.execute)  # the driver's: not a statement of the caller's
            del info[_BEGIN_ON_WRITE]  # only once the lock is held: a caller that catches a timeout still writes under it

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection: Any) -> None:
        if not connection.invalidated:  # an invalidated one has no info to read (its record was reset)
            connection.info.pop(_BEGIN_ON_WRITE, None)

    # The lock is handed on after COMMIT (or ROLLBACK) has run, not at the "commit" event, which
    # SQLAlchemy dispatches before it: the next writer's BEGIN IMMEDIATE would otherwise meet the
    # commit still writing and syncing the WAL, and fall back to SQLite's polling busy handler.
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection: Any) -> None:
        commit(dbapi_connection)  # a failed COMMIT leaves the transaction open: its rollback releases
        release(dbapi_connection)

    def do_rollback(dbapi_connection: Any) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            release(dbapi_connection)

    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]

    # A connection must not keep the lock once it leaves its user: returned without commit or rollback
    # (after an error), or thrown away while it holds it (an exit exception such as Ctrl-C during a
    # statement, a driver error taken for a disconnect), when it is checked in without its driver
    # connection and gives the lock back as it is invalidated or closed. Else every later writer waits.
    @event.listens_for(engine.pool, "checkin")
    @event.listens_for(engine.pool, "invalidate")
    @event.listens_for(engine.pool, "soft_invalidate")
    @event.listens_for(engine.pool, "close")
    @event.listens_for(engine.pool, "close_detached")
    def _let_go(dbapi_connection: Any, record: Any = None, *_exception: Any) -> None:
        if record is not None:
            record.info.pop(_BEGIN_ON_WRITE, None)
        if dbapi_connection is not None:
            release(dbapi_connection)

    return engine


_BEGIN_ON_WRITE = "amparo_begin_on_write"
# The first word of a statement, after any comments.
_FIRST_WORD = re.compile(r"(?:\s+|/\*.*?\*/|--[^\n]*(?:\n|$))*(\w+)", re.DOTALL)
_DML = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def _writes(statement: str, context: Any) -> bool:
    """Whether a statement needs the write lock. Only what surely reads runs without it: a SELECT
    (unless it is `SELECT ... FOR UPDATE`, which SQLite's compiler drops: PostgreSQL would take a
    row lock, SQLite takes its one lock instead), a WITH without INSERT, UPDATE or DELETE, EXPLAIN,
    or a PRAGMA that sets nothing. Anything else (writes, savepoints, which exist only to undo
    writes, DDL) takes it."""
    if context is not None:
        if context.isinsert or context.isupdate or context.isdelete:
            return True
        compiled = context.compiled
        if compiled is not None and getattr(compiled.statement, "_for_update_arg", None) is not None:
            return True
    match = _FIRST_WORD.match(statement)
    word = match.group(1).upper() if match else ""
    if word in ("SELECT", "VALUES", "EXPLAIN"):
        return False
    if word == "WITH":
        return _DML.search(statement) is not None
    if word == "PRAGMA":
        return "=" in statement or "(" in statement
    return True


class _WriterQueue:
    """Where the writers of one SQLite file queue for its write lock.

    Threads of this process wait on a lock that wakes the next one at once. Processes (several
    uvicorn workers on one file) wait on an advisory lock on `<database>-writers.lock`, which the
    kernel hands to the next waiter the moment it is released — or the holder dies — instead of
    SQLite's polling. The thread lock is taken first, so one thread per process waits on the file.

    Both waits end at the writer's timeout: a process that keeps the file lock (a long transaction,
    stopped by SIGSTOP or a debugger) must cost the other processes' writers an error, not a hung
    request. `flock` itself cannot time out, so when the file is taken a helper thread makes the
    blocking call while the writer waits for it with a timeout (`_FileWait`).
    """

    def __init__(self, lock_file: Path | None) -> None:
        self._threads = threading.Lock()
        self._lock_file = lock_file if fcntl is not None else None
        self._fd: int | None = None
        self._pid: int | None = None
        # Guards `_waiting` and the hand-over between a writer giving up and its helper getting the
        # lock: either the writer takes the lock or the helper gives it back, never neither.
        self._mutex = threading.Lock()
        #: The helper's attempt still blocked in `flock`, if any: at most one per process.
        self._waiting: _FileWait | None = None

    def acquire(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if not self._threads.acquire(timeout=timeout):
            return False
        if self._lock_file is None:
            return True
        try:
            locked = self._lock_file_until(deadline)
        except BaseException:
            self._threads.release()
            raise
        if not locked:
            self._threads.release()
        return locked

    def release(self) -> None:
        if self._lock_file is not None and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()

    def _lock_file_until(self, deadline: float) -> bool:
        """Take the file lock by `deadline` (a `time.monotonic()` value); called with the thread lock held."""
        fd = self._descriptor()
        with self._mutex:
            attempt = self._waiting
            if attempt is None:
                # Uncontended, the lock costs one call. Not while a helper waits: the lock is the open
                # file's, so this would also succeed the moment that helper got it for a writer who
                # gave up, and the helper would then give it back under this writer.
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    pass
                attempt = _FileWait()
                threading.Thread(
                    target=self._wait_for_file, args=(fd, attempt), name="amparo-writers-lock", daemon=True
                ).start()  # daemon: a helper still blocked must not keep the process from exiting
                self._waiting = attempt  # only once started (it cannot finish before: we hold the mutex)
            # A helper left waiting by a writer who gave up works for this one now, so that one
            # thread per process still waits on the file.
            attempt.abandoned = False
        try:
            attempt.done.wait(max(0.0, deadline - time.monotonic()))
        except BaseException:  # an exit exception (Ctrl-C) while waiting: nothing may stay locked
            self._settle(fd, attempt, keep=False)
            raise
        return self._settle(fd, attempt, keep=True)

    def _settle(self, fd: int, attempt: _FileWait, *, keep: bool) -> bool:
        with self._mutex:
            if not attempt.done.is_set():
                attempt.abandoned = True  # too late: the helper gives the lock back when it gets it
                return False
        if not keep:
            if attempt.error is None:
                fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        if attempt.error is not None:
            raise attempt.error
        return True

    def _wait_for_file(self, fd: int, attempt: _FileWait) -> None:
        # The helper's lock serves the writer: flock locks belong to the open file, not the thread.
        error: BaseException | None = None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # releases the GIL while it waits
        except BaseException as exc:  # handed to the writer, which raises it
            error = exc
        with self._mutex:
            self._waiting = None
            if not attempt.abandoned:
                attempt.error = error
                attempt.done.set()
            elif error is None:
                fcntl.flock(fd, fcntl.LOCK_UN)  # its writer gave up and no other took it over

    def _descriptor(self) -> int:
        # Opened once per process (a forked child must not share its parent's open file, or the two
        # would hold one lock); called with the thread lock held. A child has none of its parent's
        # helpers, so it forgets their attempt, and the mutex, which one of them may have held.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
            self._mutex = threading.Lock()
            self._waiting = None
        return self._fd


class _FileWait:
    """One blocking `flock` made by a helper thread for the writer that holds the thread lock."""

    def __init__(self) -> None:
        self.done = threading.Event()  # set, under the queue's mutex, when the writer has the lock (or `error`)
        self.abandoned = False  # the writer gave up: the helper gives the lock back as soon as it has it
        self.error: BaseException | None = None


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


def read_only(engine: Engine) -> Engine:
    """A view of `engine` for work that never writes (verifying the audit chain, test assertions).

    On SQLite its transactions begin DEFERRED, so a long read does not hold the write lock and
    writers are not kept waiting; WAL gives it a consistent snapshot meanwhile. Writing through it
    is possible but may fail with "database is locked" instead of waiting, so do not. On PostgreSQL
    it is the same engine.
    """
    return engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})


def lock_on_first_write(engine: Engine) -> Engine:
    """A view of `engine` for a request that may write (the API's and the web's POST, PUT, DELETE).

    On SQLite its transactions take the write lock at their first write (or `SELECT ... FOR UPDATE`),
    not at their first statement: signing in, reading the record and checking the rules run beside
    other writers, which queue only for the part that writes. Reads before that point each see the
    latest commit, like PostgreSQL's READ COMMITTED, so the same guards hold on both: a row lock
    (`with_for_update`) before a read that a write depends on, or a compare-and-set write. On
    PostgreSQL it is the same engine.

    A result read before the first write must be consumed (`.all()`, `.first()`, `.one()`, a loop
    to its end) before that write: a statement left open keeps its snapshot, and if another writer
    commits meanwhile SQLite refuses the BEGIN IMMEDIATE at once ("database is locked") instead of
    queueing it.
    """
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{SQLITE_BEGIN_OPTION: "ON_WRITE"})


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
