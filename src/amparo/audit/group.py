"""Group commit of the audit entries of read requests.

A request that only reads (GET, HEAD) still journals what it showed, but it has nothing else to write,
so there is no act its entry must commit atomically with. Such a request runs in a read-only session
(`read_sessionmaker`, chosen by `amparo.api.deps.open_session`): `audit.service.record` keeps its entries in the session instead of writing them,
and when the request commits, before it answers, they are handed to this module and written to the
chain in one short transaction shared with every other request committing at that moment. The request
waits until that transaction is durable; if it fails, the request's commit fails and nothing is shown.
So the rule stays "no personal data leaves without a durable entry", while:

* on SQLite, a read request never takes the database's single write lock for its whole duration — only
  the shared append does, for a few milliseconds;
* on both backends, twenty concurrent reads cost one lock of the chain head and one WAL flush, not
  twenty in a row.

An entry's time (`at`) is when the access happened and its id is its place in the chain, given at
the group commit, so times are not strictly increasing with ids; nothing that verifies the chain
relies on them being so.

Requests that write (POST, PUT, PATCH, DELETE) keep the entry in their own transaction, so an act and
its entry commit together or not at all (`audit.service.record`).

The batching needs no background thread: a request that finds no write in progress becomes the
leader, writes every entry waiting at that moment and wakes the others; each returns as soon as its
own entries are durable, and one left waiting leads the next batch.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session, sessionmaker

from amparo.audit import repository
from amparo.db.engine import backend_name, is_in_memory, read_only
from amparo.errors import ServiceUnavailable

#: session.info key: this session journals through the group commit (set by `read_sessionmaker`).
DEFERRED = "amparo_audit_deferred"
#: session.info key: entries recorded and not yet written.
PENDING = "amparo_audit_pending"


@dataclass(eq=False)
class _Ticket:
    entries: list[dict[str, Any]]
    done: bool = False
    error: BaseException | None = None
    written: list[int] = field(default_factory=list)


class GroupCommitter:
    """Writes the entries of concurrent read requests to the chain in shared transactions."""

    def __init__(self, engine: Engine) -> None:
        # Weakly: the registry below is keyed weakly by the engine, so its value must not keep it alive.
        self._engine = weakref.ref(engine)
        #: The committer's own connection, held between batches: a leader must never wait for the
        #: pool, which the requests waiting on it may have emptied.
        self._connection: Connection | None = None
        event.listen(engine, "engine_disposed", lambda _engine: self._close())
        self._changed = threading.Condition()
        self._writing = False
        self._waiting: list[_Ticket] = []
        #: Transactions written and entries in them, for benchmarks and tests of the batching.
        self.batches = 0
        self.entries = 0

    def commit(self, entries: list[dict[str, Any]]) -> list[int]:
        """Write `entries` (record() values without id, prev_hash or hash) and return their ids once durable."""
        ticket = _Ticket(entries)
        with self._changed:
            self._waiting.append(ticket)
            while not ticket.done:
                if self._writing:
                    self._changed.wait()  # a leader is writing; ours may be in its batch or the next
                    continue
                self._writing = True
                batch, self._waiting = self._waiting, []
                self._changed.release()  # write without the condition's lock: others may queue meanwhile
                try:
                    self._write(batch)
                finally:
                    self._changed.acquire()
                    self._writing = False
                    self._changed.notify_all()
        if ticket.error is not None:
            raise ServiceUnavailable(
                "the access could not be journaled, so nothing was shown; try again in a moment",
                code="journal_unavailable",
            ) from ticket.error
        return ticket.written

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _write(self, batch: list[_Ticket]) -> None:
        try:
            if self._connection is None or self._connection.closed or self._connection.invalidated:
                engine = self._engine()
                if engine is None:
                    raise RuntimeError("the engine of this group commit was discarded")
                self._connection = engine.connect()
            rows = [dict(values) for ticket in batch for values in ticket.entries]
            if rows:
                # Three Core statements on the committer's own connection: an ORM session around
                # them cost as much CPU as the statements, on every read request of the process.
                with self._connection.begin():
                    repository.append_chained(self._connection, rows)
            written = iter(rows)
            for ticket in batch:
                ticket.written = [next(written)["id"] for _ in ticket.entries]
        except BaseException as exc:  # every waiting request fails with the leader; none is left hanging
            self._close()  # the next batch starts on a fresh connection
            for ticket in batch:
                ticket.error, ticket.done, ticket.written = exc, True, []
            return
        for ticket in batch:
            ticket.done = True
        self.batches += 1
        self.entries += len(rows)


_COMMITTERS: weakref.WeakKeyDictionary[Engine, GroupCommitter] = weakref.WeakKeyDictionary()
_COMMITTERS_GUARD = threading.Lock()


def committer_for(engine: Engine) -> GroupCommitter:
    """The process's committer for `engine` (one per engine, shared by every request thread)."""
    with _COMMITTERS_GUARD:
        found = _COMMITTERS.get(engine)
        if found is None:
            found = _COMMITTERS[engine] = GroupCommitter(engine)
        return found


def supports_group_commit(engine: Engine) -> bool:
    """An in-memory SQLite database is one connection: a second transaction cannot run beside the
    request's, so its entries stay in the request's own transaction."""
    return not (backend_name(engine) == "sqlite" and is_in_memory(engine))


def read_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions for requests that only read: no write lock on SQLite, entries group-committed.

    The hooks below are listened for on this factory only, not on every Session: a `do_orm_execute`
    listener makes SQLAlchemy build an execution-state object for every statement it sees, which the
    sessions that write have no use for.
    """
    if not supports_group_commit(engine):
        return sessionmaker(engine, expire_on_commit=False)
    maker = sessionmaker(read_only(engine), expire_on_commit=False, info={DEFERRED: engine})
    event.listen(maker, "before_commit", _write_pending)
    event.listen(maker, "after_rollback", _drop_pending)
    event.listen(maker, "before_flush", _refuse_orm_writes)
    event.listen(maker, "do_orm_execute", _refuse_statement_writes)
    return maker


def _write_pending(session: Session) -> None:
    pending = session.info.pop(PENDING, None)
    if pending:
        committer_for(session.info[DEFERRED]).commit(pending)


def _drop_pending(session: Session) -> None:
    # Rolled back means nothing was answered: what it would have journaled was never shown.
    session.info.pop(PENDING, None)


def _refuse_orm_writes(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise RuntimeError(
            "a read-only request tried to change records; make the route a POST (reads must not write)"
        )


def _refuse_statement_writes(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise RuntimeError(
            "a read-only request tried to change records; make the route a POST (reads must not write)"
        )
