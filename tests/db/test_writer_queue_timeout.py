"""The writers' queue gives up at its timeout when another process keeps the file lock.

Writers of one SQLite file in several processes (uvicorn workers) queue on an advisory lock on
`<database>-writers.lock`. A process that keeps it (a long transaction, stopped by SIGSTOP or a
debugger) must cost the others' writers the "database is locked" error at their timeout, never a
request that hangs; and a writer that gave up must not leave the lock taken behind it. The process
that keeps the lock here is a child holding `flock` until the test lets it go or kills it.
"""

from __future__ import annotations

import fcntl
import os
import select
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy.exc
from sqlalchemy import Column, Engine, Integer, MetaData, Table, select as select_rows
from sqlalchemy.orm import Session

from amparo.db import engine as engine_module
from amparo.db.engine import _WriterQueue, lock_on_first_write, make_engine

TIMEOUT_S = 0.5
#: How long a call may take beyond its timeout before the test calls it hung.
GRACE_S = 1.0
#: Generous waits for things that happen at once on an idle machine (a child starting, a helper ending).
SLOW_S = 10.0

HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()  # until the test closes our stdin
fcntl.flock(fd, fcntl.LOCK_UN)
"""

metadata = MetaData()
notes = Table("notes", metadata, Column("id", Integer, primary_key=True))


class Holder:
    """Another process that holds the file lock until `release()` or `kill()`."""

    def __init__(self, lock_file: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(lock_file)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        ready, _, _ = select.select([self.process.stdout], [], [], SLOW_S)
        assert ready and self.process.stdout.readline() == "locked\n", "the holder process did not take the lock"

    def release(self) -> None:
        self.process.stdin.close()
        assert self.process.wait(SLOW_S) == 0

    def kill(self) -> None:
        self.process.kill()  # the kernel releases a dead process's flock
        self.process.wait(SLOW_S)


@pytest.fixture
def holders() -> Iterator[Callable[[Path], Holder]]:
    started: list[Holder] = []

    def start(lock_file: Path) -> Holder:
        started.append(Holder(lock_file))
        return started[-1]

    yield start
    for holder in started:
        if holder.process.poll() is None:
            holder.kill()


@pytest.fixture
def lock_file(tmp_path: Path) -> Path:
    return tmp_path / "app.db-writers.lock"


def _within(seconds: float, call: Callable[[], Any]) -> Any:
    """`call()`'s result, or the test fails (rather than hangs) when it has not returned in `seconds`."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"still waiting after {seconds} s: the writer hangs instead of giving up at its timeout")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _timed_acquire(queue: _WriterQueue, timeout: float) -> tuple[bool, float]:
    started = time.monotonic()
    acquired = _within(timeout + GRACE_S, lambda: queue.acquire(timeout))
    return acquired, time.monotonic() - started


def _helpers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "amparo-writers-lock"]


def _wait_for_helpers() -> None:
    for helper in _helpers():
        helper.join(SLOW_S)
        assert not helper.is_alive(), "a helper thread is still waiting on the file lock"


def _free(lock_file: Path) -> bool:
    """Whether another process could take the file lock now (another open file conflicts alike)."""
    fd = os.open(lock_file, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing the only descriptor of its open file gives its lock back


def test_an_uncontended_writer_takes_the_lock_without_a_helper(lock_file: Path) -> None:
    queue = _WriterQueue(lock_file)
    assert queue.acquire(TIMEOUT_S)
    assert _helpers() == []
    assert not _free(lock_file)
    queue.release()
    assert _free(lock_file)


def test_a_writer_gives_up_at_its_timeout_while_another_process_holds_the_lock(
    lock_file: Path, holders: Callable[[Path], Holder]
) -> None:
    holders(lock_file)
    queue = _WriterQueue(lock_file)
    acquired, elapsed = _timed_acquire(queue, TIMEOUT_S)
    assert acquired is False
    assert TIMEOUT_S * 0.9 <= elapsed <= TIMEOUT_S + GRACE_S
    # It let go of the thread lock too: the process's next writer waits its own timeout, not forever.
    acquired, elapsed = _timed_acquire(queue, TIMEOUT_S)
    assert acquired is False
    assert TIMEOUT_S * 0.9 <= elapsed <= TIMEOUT_S + GRACE_S
    assert len(_helpers()) <= 1, "more than one thread of this process waits on the file"


@pytest.mark.parametrize("end", ["release", "kill"])
def test_a_writer_that_gave_up_leaves_no_lock_behind(lock_file: Path, holders: Callable[[Path], Holder], end: str) -> None:
    holder = holders(lock_file)
    queue = _WriterQueue(lock_file)
    assert _timed_acquire(queue, TIMEOUT_S)[0] is False
    getattr(holder, end)()
    _wait_for_helpers()  # the helper got the lock for nobody and must have given it back
    assert _free(lock_file), "the abandoned attempt kept the file lock"
    acquired, elapsed = _timed_acquire(queue, TIMEOUT_S)
    assert acquired and elapsed < TIMEOUT_S
    assert not _free(lock_file)
    queue.release()
    assert _free(lock_file)


def test_the_next_writer_takes_over_the_helper_left_waiting(lock_file: Path, holders: Callable[[Path], Holder]) -> None:
    holder = holders(lock_file)
    queue = _WriterQueue(lock_file)
    assert _timed_acquire(queue, TIMEOUT_S)[0] is False
    outcome: dict[str, float] = {}

    def write() -> None:
        if queue.acquire(SLOW_S):
            outcome["acquired"] = time.monotonic()

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    time.sleep(0.2)  # let it reach the file: it must wait through the helper already there
    assert len(_helpers()) == 1
    released = time.monotonic()
    holder.release()
    writer.join(SLOW_S)
    assert "acquired" in outcome, "the writer was not woken when the other process let go"
    assert outcome["acquired"] - released < GRACE_S
    assert not _free(lock_file), "the writer was told it holds the lock, but the file is free"
    queue.release()
    assert _free(lock_file)


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", int(TIMEOUT_S * 1000))
    engine = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def _write(engine: Engine, note_id: int) -> None:
    with Session(lock_on_first_write(engine)) as request:  # as the API's and the web's writing requests
        request.execute(notes.insert().values(id=note_id))
        request.commit()


def test_a_write_request_gets_database_is_locked_instead_of_hanging(
    engine: Engine, tmp_path: Path, holders: Callable[[Path], Holder]
) -> None:
    holder = holders((tmp_path / "app.db").resolve().with_name("app.db-writers.lock"))
    with pytest.raises(sqlalchemy.exc.OperationalError) as raised:
        _within(TIMEOUT_S + GRACE_S, lambda: _write(engine, 1))
    assert isinstance(raised.value.orig, sqlite3.OperationalError)
    assert str(raised.value.orig) == (
        "database is locked: waited 0.5 s for another writer "
        "(a thread of this process, or another process that opened the same database file)"
    )
    holder.kill()
    _within(SLOW_S, lambda: _write(engine, 2))
    with engine.connect() as connection:
        assert connection.scalars(select_rows(notes.c.id)).all() == [2]
