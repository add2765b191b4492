"""Audit entries and the one-row head that serialises appends to the chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from amparo.db.base import Base
from amparo.db.compat import BigIntId, JSONDocument, UTCDateTime

#: prev_hash of the first entry.
GENESIS_HASH = "0" * 64


class AuditEntry(Base):
    """One journaled act. `hash` commits to every field and to the previous entry's hash."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_object_type_object_id", "object_type", "object_id"),
        Index("ix_audit_entries_user_id_id", "user_id", "id"),
    )

    #: Gapless and in chain order: assigned from the head, never by the database's sequence, so a
    #: missing id is itself evidence of a deletion.
    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: No foreign key: the trail must outlive, and never be constrained by, the records it describes.
    user_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    username: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The chain's tip. Every append locks this row, so two writers can never fork the chain."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    last_hash: Mapped[str] = mapped_column(String(64))


__all__ = ["GENESIS_HASH", "AuditEntry", "AuditHead"]
