"""SQLite's single write lock, taken by a request at its first write rather than its first statement.

The API's and the web's writing requests use `lock_on_first_write(engine)`: signing in and reading
run beside other writers, and the lock is held from the first write (or `SELECT ... FOR UPDATE`)
to commit, rollback or close. SQLite only: PostgreSQL has row locks and no file lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, select, text
from sqlalchemy.orm import Session

from amparo.db.engine import lock_on_first_write, make_engine

metadata = MetaData()
counter = Table("counter", metadata, Column("id", Integer, primary_key=True), Column("n", Integer, nullable=False))

WAIT_S = 1.0  # long enough for an unblocked writer on a loaded machine; a blocked one waits forever


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(counter.insert(), {"id": 1, "n": 0})
    yield engine
    engine.dispose()


def _other_writer(engine: Engine) -> tuple[threading.Thread, dict[str, float]]:
    """Another request's writer (an ordinary transaction, as the CLI's), started in a thread."""
    done: dict[str, float] = {}

    def write() -> None:
        with Session(engine) as session:
            session.execute(counter.update().values(n=counter.c.n + 100))
            session.commit()
        done["committed"] = 1

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread, done


def _current(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(counter.c.n))


def test_reads_before_the_first_write_do_not_keep_other_writers_waiting(engine: Engine) -> None:
    with Session(lock_on_first_write(engine)) as request:
        assert request.scalar(select(counter.c.n)) == 0
        other, done = _other_writer(engine)
        other.join(WAIT_S)
        assert done == {"committed": 1}, "a read took the write lock"
        # The next read sees the other writer's commit, as PostgreSQL's READ COMMITTED would.
        assert request.scalar(select(counter.c.n)) == 100
        request.commit()


def test_the_first_write_takes_the_lock_until_commit(engine: Engine) -> None:
    with Session(lock_on_first_write(engine)) as request:
        request.scalar(select(counter.c.n))
        request.execute(counter.update().values(n=counter.c.n + 1))
        other, done = _other_writer(engine)
        other.join(0.3)
        assert other.is_alive() and not done, "another writer got in while the request held uncommitted writes"
        request.commit()
    other.join(30)
    assert done == {"committed": 1}
    assert _current(engine) == 101


@pytest.mark.parametrize("end", ["rollback", "close"])
def test_the_lock_is_released_when_the_request_fails(engine: Engine, end: str) -> None:
    request = Session(lock_on_first_write(engine))
    request.execute(counter.update().values(n=counter.c.n + 1))
    other, done = _other_writer(engine)
    other.join(0.3)
    assert other.is_alive()
    request.rollback() if end == "rollback" else request.close()
    other.join(30)
    request.close()
    assert done == {"committed": 1}
    assert _current(engine) == 100  # the failed request's write is gone, the other's kept


def test_select_for_update_takes_the_lock_before_the_read(engine: Engine) -> None:
    """What PostgreSQL guards with a row lock (read, decide, write) SQLite guards with its one lock:
    the read itself must wait for the writer ahead and then see its commit."""
    with Session(engine) as ahead:
        ahead.execute(counter.update().values(n=counter.c.n + 100))  # holds the lock, uncommitted
        seen: dict[str, int] = {}

        def locked_read() -> None:
            with Session(lock_on_first_write(engine)) as request:
                seen["n"] = request.execute(select(counter.c.n).with_for_update()).scalar_one()
                request.execute(counter.update().values(n=seen["n"] + 1))
                request.commit()

        reader = threading.Thread(target=locked_read, daemon=True)
        reader.start()
        reader.join(0.3)
        assert reader.is_alive() and not seen, "SELECT ... FOR UPDATE read without the lock"
        ahead.commit()
    reader.join(30)
    assert seen == {"n": 100}
    assert _current(engine) == 101  # no lost update


def test_a_request_that_only_reads_never_begins_a_write_transaction(engine: Engine) -> None:
    statements: list[str] = []
    with Session(lock_on_first_write(engine)) as request:
        raw = request.connection().connection.dbapi_connection
        raw.set_trace_callback(statements.append)
        try:
            request.scalar(select(counter.c.n))
            request.execute(text("SELECT count(*) FROM counter"))
            read_only = list(statements)
            request.execute(text("UPDATE counter SET n = n + 1"))
        finally:
            raw.set_trace_callback(None)
        request.commit()
    assert len(read_only) == 2 and not any(s.upper().startswith("BEGIN") for s in read_only), read_only
    assert statements[2] == "BEGIN IMMEDIATE" and statements[3].startswith("UPDATE"), statements


def _free_for_another_process(lock_file: Path) -> bool:
    """Whether another process could take the writers' file lock now (a new open file description
    conflicts with this process's own lock as another process's would)."""
    import fcntl
    import os

    descriptor = os.open(lock_file, os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)
    return True


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_the_lock_is_handed_on_only_after_the_transaction_ended(engine: Engine, tmp_path: Path, end: str) -> None:
    """SQLAlchemy announces a commit before it runs it: a writer let in at that moment would meet the
    commit still writing the WAL and wait in SQLite's polling busy handler instead of the queue."""
    from sqlalchemy import event

    lock_file = tmp_path / "lock.db-writers.lock"
    during: list[bool] = []
    event.listen(engine, end, lambda _connection: during.append(_free_for_another_process(lock_file)))
    with Session(lock_on_first_write(engine)) as request:
        request.execute(counter.update().values(n=counter.c.n + 1))
        request.commit() if end == "commit" else request.rollback()
    assert during == [False], "the lock was free before the transaction had ended"
    assert _free_for_another_process(lock_file)


def test_a_savepoint_before_any_write_takes_the_lock(engine: Engine) -> None:
    """`begin_nested()` (insert, or find the row a concurrent request just inserted) opens a
    savepoint first: it must begin the write transaction, not a deferred one the insert cannot upgrade."""
    with Session(lock_on_first_write(engine)) as request:
        request.scalar(select(counter.c.n))
        with request.begin_nested():
            request.execute(counter.insert(), {"id": 2, "n": 5})
        request.commit()
    assert _current(engine) == 0
    with engine.connect() as connection:
        assert connection.scalar(select(counter.c.n).where(counter.c.id == 2)) == 5


@pytest.mark.parametrize("how", ["invalidated", "interrupted"])
def test_a_connection_thrown_away_while_writing_gives_the_lock_back(engine: Engine, how: str) -> None:
    """SQLAlchemy discards a connection on an exit exception (Ctrl-C in the middle of a statement) or
    a driver error it takes for a disconnect; the pool then checks it in without its driver connection."""
    from sqlalchemy import event

    request = Session(lock_on_first_write(engine))
    request.execute(counter.update().values(n=counter.c.n + 1))
    if how == "invalidated":
        request.connection().invalidate()
    else:
        def interrupt(*_args: object) -> None:
            raise KeyboardInterrupt

        event.listen(engine, "before_cursor_execute", interrupt)
        try:
            with pytest.raises(KeyboardInterrupt):
                request.execute(counter.update().values(n=counter.c.n + 1))
        finally:
            event.remove(engine, "before_cursor_execute", interrupt)
    request.rollback()  # as the request's session does on an error (`api.deps.get_db`)
    request.close()
    other, done = _other_writer(engine)
    other.join(WAIT_S * 5)
    assert done == {"committed": 1}, "the discarded connection kept the write lock"
    assert _current(engine) == 100  # its uncommitted write went with it


@pytest.mark.parametrize("sql", ["/* why */ UPDATE counter SET n = n + 1", "-- why\nUPDATE counter SET n = n + 1", "PRAGMA user_version = 7"])
def test_a_write_behind_a_comment_or_a_setting_takes_the_lock(engine: Engine, sql: str) -> None:
    with Session(lock_on_first_write(engine)) as request:
        request.execute(text(sql))
        other, done = _other_writer(engine)
        other.join(0.3)
        assert other.is_alive() and not done, f"{sql!r} ran without the write lock"
        request.commit()
    other.join(30)
    assert done == {"committed": 1}
