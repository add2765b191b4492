"""Audit queries: locking the head, appending, and reading the chain in order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, select, update
from sqlalchemy.orm import Session

from amparo.audit.chain import entry_hash
from amparo.audit.models import AuditEntry, AuditHead

HEAD_ID = 1
_entries = AuditEntry.__table__
_head = AuditHead.__table__

# Built once: every request runs these, and a statement object caches its compiled form.
_LOCK_HEAD = select(_head.c.last_id, _head.c.last_hash).where(_head.c.id == HEAD_ID).with_for_update()
_INSERT_ENTRY = _entries.insert()
_MOVE_HEAD = (
    update(_head)
    .where(_head.c.id == HEAD_ID)
    .values(last_id=bindparam("new_last_id"), last_hash=bindparam("new_last_hash"))
)


def lock_head(session: Session | Connection) -> tuple[int, str]:
    """The chain's tip (last id, last hash), locked until the transaction ends.

    PostgreSQL takes a row lock (`FOR UPDATE`); on SQLite the transaction holds the database's single
    write lock, taken at its start or, in a request's session, at this `FOR UPDATE` if nothing was
    written before it (see `amparo.db.engine`).
    """
    row = session.execute(_LOCK_HEAD).one_or_none()
    if row is None:
        raise RuntimeError("audit_head row missing: the database was not migrated with `amparo db upgrade`")
    return int(row.last_id), str(row.last_hash)


def append_chained(session: Session | Connection, rows: list[dict[str, Any]]) -> None:
    """Lock the head, chain `rows` after it (setting each one's id, prev_hash and hash) and write them,
    in the transaction of `session` (a session, or a connection: the group commit's)."""
    last_id, last_hash = lock_head(session)
    for row in rows:
        last_id += 1
        row["id"], row["prev_hash"] = last_id, last_hash
        row["hash"] = last_hash = entry_hash(**row)
    append_many(session, rows)


def append_many(session: Session | Connection, rows: list[dict[str, Any]]) -> None:
    """Append consecutive entries (already chained) with one insert and one move of the head."""
    session.execute(_INSERT_ENTRY, rows)
    session.execute(_MOVE_HEAD, {"new_last_id": rows[-1]["id"], "new_last_hash": rows[-1]["hash"]})


def read_head(session: Session) -> tuple[int, str] | None:
    row = session.execute(select(_head.c.last_id, _head.c.last_hash).where(_head.c.id == HEAD_ID)).one_or_none()
    return None if row is None else (int(row.last_id), str(row.last_hash))


def iter_entries(session: Session, batch: int = 2000) -> Iterator[Row[Any]]:
    """Every entry in id order, fetched in batches by key (constant memory, no long-held cursor)."""
    after = None
    while True:
        query = select(_entries).order_by(_entries.c.id).limit(batch)
        if after is not None:
            query = query.where(_entries.c.id > after)
        rows = session.execute(query).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].id


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(_entries)) or 0)


def entries_for(session: Session, object_type: str, object_id: str, limit: int = 100) -> list[AuditEntry]:
    """Recent entries about one record, newest first (for "who looked at my file")."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
