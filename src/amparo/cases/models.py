"""Case, its action journal, its consular consents and the case-number counters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from amparo.auth import models as _auth  # noqa: F401  (foreign-key targets must be mapped)
from amparo.db.base import Base
from amparo.jurisdictions import models as _jurisdictions  # noqa: F401
from amparo.people import models as _people  # noqa: F401
from amparo.db.compat import BigIntId, JSONDocument, UTCDateTime, search_key_type, utcnow


class Case(Base):
    """A case about one person. `version` counts its actions; the other state columns are the
    reducer's output, kept in columns so that queues are index scans, never journal replays."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_jurisdiction_code_status_id", "jurisdiction_code", "status", "id"),
        Index("ix_cases_assigned_user_id_status_id", "assigned_user_id", "status", "id"),
        Index("ix_cases_jurisdiction_code_deadline", "jurisdiction_code", "deadline"),
        # Newest-first scans of a jurisdiction's cases that test each person without reading the row.
        Index("ix_cases_jurisdiction_code_id_person_id", "jurisdiction_code", "id", "person_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    #: Human case number, e.g. "ARG-2026-0000123": jurisdiction, year opened, yearly sequence.
    number: Mapped[str] = mapped_column(search_key_type(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    #: Number of actions in the journal; the seq of the last one. Appends compare-and-set it.
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))
    assigned_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deadline: Mapped[date | None] = mapped_column(Date)
    #: The reducer's full output at `version` (see `amparo.cases.schemas.CaseState`).
    state: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Action(Base):
    """One entry of a case's journal. Rows are inserted, never updated or deleted."""

    __tablename__ = "actions"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    #: The case version this action created (1 for case_opened).
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(48))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    #: None only for actions the system takes on its own (e.g. a deadline passing).
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The actor's role when they acted (roles change; the journal must not).
    actor_role: Mapped[str | None] = mapped_column(String(32))
    server_time: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The time the actor's device reported (offline intake); informative, never trusted for order.
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CaseConsularConsent(Base):
    """A State whose consulate may see this case: mirrors the reduced state, so scoping is a join."""

    __tablename__ = "case_consular_consents"
    __table_args__ = (Index("ix_case_consular_consents_state_case_id", "state", "case_id"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(3), primary_key=True)


class CaseNumberCounter(Base):
    """The last case number issued per jurisdiction and year."""

    __tablename__ = "case_number_counters"

    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer)
