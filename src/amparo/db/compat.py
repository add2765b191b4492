"""The one place where SQLite and PostgreSQL differ.

Everything else in Amparo is written against these types and helpers, so the same models, queries and
tests run on both databases.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Connection, DateTime, Integer, String, Table, func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

#: Primary keys: 64-bit on PostgreSQL (journals outgrow 2**31); SQLite needs exactly INTEGER for rowid
#: aliasing and autoincrement, and its INTEGER is 64-bit anyway.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")
#: The largest id a `BigIntId` column holds. A larger number names no row; passed to the driver it
#: would overflow (SQLite) instead of finding nothing, so lookups check it first.
MAX_ID = 2**63 - 1

#: JSON documents: JSONB on PostgreSQL (indexable, compact), SQLite's JSON text elsewhere.
JSONDocument = JSON().with_variant(postgresql.JSONB(), "postgresql")


def search_key_type(length: int) -> String:
    """A string compared byte by byte, so that prefix searches are index range scans on both databases.

    SQLite's default BINARY collation already compares bytes; PostgreSQL needs the "C" collation,
    otherwise the locale's ordering breaks `key >= 'abc' AND key < 'abd'` and its LIKE cannot use the
    index.
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")  # type: ignore[return-value]


class UTCDateTime(TypeDecorator[datetime]):
    """An instant, always handed back as an aware UTC `datetime`.

    PostgreSQL stores `timestamptz`; SQLite has no time zones, so the value is stored as naive UTC and
    made aware again on the way out. Naive input is refused: guessing a zone is how journals lie.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} refused: pass an aware datetime (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Server time, UTC, to the microsecond (both databases keep microseconds)."""
    return datetime.now(UTC)


def insert_for(dialect_name: str, table: Any) -> Any:
    """An INSERT that supports ON CONFLICT for the session's dialect (both spell it the same way)."""
    if dialect_name == "postgresql":
        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


def new_ids(connection: Connection, table: Table, count: int) -> list[int]:
    """`count` ids for new rows of `table` (an integer `id` primary key the database assigns), in
    increasing order, the ids the database would give them: so a batch can insert its rows without
    `RETURNING` and know their ids.

    PostgreSQL draws them from the column's sequence (concurrent writers get other ids, as they
    would). SQLite gives a new row the largest id plus one, so the batch's rows get the next `count`
    after the largest; call it only while the transaction holds the write lock (after a write), so no
    other writer can take them.
    """
    if count <= 0:
        return []
    if connection.dialect.name == "postgresql":
        sequence = connection.scalar(select(func.pg_get_serial_sequence(table.name, "id")))
        drawn = connection.scalars(text("SELECT nextval(CAST(:sequence AS regclass)) FROM generate_series(1, :count)"),
                                   {"sequence": sequence, "count": count})
        return sorted(int(i) for i in drawn)
    last = connection.scalar(select(func.max(table.c.id))) or 0
    return list(range(last + 1, last + 1 + count))
