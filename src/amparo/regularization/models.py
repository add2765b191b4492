"""Regularization tables: published programme versions, signing keys, applications, evidence,
certificates, assisted-filing consents and employer invitations.

A case (amparo.cases) is the application's journal; these rows hold what the journal points at and
what must be looked up by index (the programme of a case, a certificate by id, an invitation by token).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from amparo.auth import models as _auth  # noqa: F401  (foreign-key targets must be mapped)
from amparo.cases import models as _cases  # noqa: F401
from amparo.db.base import Base
from amparo.db.compat import BigIntId, JSONDocument, UTCDateTime, utcnow


class ProgrammeVersion(Base):
    """One immutable version of a programme document, as published for its jurisdiction."""

    __tablename__ = "programme_versions"
    __table_args__ = (
        UniqueConstraint("programme_id", "version"),
        Index("ix_programme_versions_jurisdiction_code_programme_id", "jurisdiction_code", "programme_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    programme_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"))
    title: Mapped[str] = mapped_column(String(300))
    effective_from: Mapped[date] = mapped_column(Date)
    window_opens: Mapped[date] = mapped_column(Date)
    window_closes: Mapped[date | None] = mapped_column(Date)
    #: The YAML text exactly as published; the rules are re-read from it, never from other columns.
    document: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: None when published from the command line by the operator.
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ProgrammeId(Base):
    """A programme id that has been published, and when a publication of it last took its row.

    Its row is the lock under which a new version of the id is checked against the versions already
    stored and then stored (`amparo.regularization.repository.lock_programme_id`): versions of one id
    published at the same moment then see one another, where each used to read the id's versions
    before any was stored, so that versions 1 and 2 of one id could both pass the check that the id
    belongs to no other jurisdiction, and land in two. The unique key (programme_id, version) meets
    only publications of the same version.
    """

    __tablename__ = "programme_ids"

    programme_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SigningKey(Base):
    """A jurisdiction's Ed25519 certificate key. The private key is stored encrypted (PKCS#8) under a
    passphrase derived from the deployment's secret key, so a copy of the database alone cannot sign."""

    __tablename__ = "signing_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: One active key per jurisdiction: the unique constraint settles a race between two first filings.
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"), unique=True)
    public_key: Mapped[str] = mapped_column(String(64))
    private_key_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Application(Base):
    """The regularization application behind a case: programme version, facts stated, pre-assessment."""

    __tablename__ = "applications"
    __table_args__ = (Index("ix_applications_programme_id_case_id", "programme_id", "case_id"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True, autoincrement=False)
    programme_id: Mapped[str] = mapped_column(String(64))
    programme_version: Mapped[int] = mapped_column(Integer)
    filed_on: Mapped[date] = mapped_column(Date)
    filed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    on_behalf: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Stated facts (`amparo.programmes.Applicant`) and declared evidence, as filed.
    applicant: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    declared_evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    #: The latest pre-assessment (`amparo.programmes.Assessment.to_dict()`); re-run when evidence arrives.
    assessment: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    #: Bulk intake: the source row's key, so importing the same file twice creates nothing new.
    intake_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EvidenceRecord(Base):
    """One uploaded evidence file of a case; the bytes live in the evidence store under `sha256`."""

    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("case_id", "sha256"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(48))
    document_date: Mapped[date] = mapped_column(Date)
    received_on: Mapped[date] = mapped_column(Date)
    media_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(String(500))
    original_filename: Mapped[str | None] = mapped_column(String(255))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Certificate(Base):
    """A certificate of pending application as issued (the token is what the QR code carries)."""

    __tablename__ = "certificates"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("signing_keys.key_id"))
    status: Mapped[str] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FilingConsent(Base):
    """A person's consent to an assisting organisation filing on their behalf, recorded before filing."""

    __tablename__ = "filing_consents"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    #: None for bulk intake by the operator (the intake site's form carries the consent).
    assistant_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    organisation: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(32))
    statement: Mapped[str] = mapped_column(Text)
    given_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EmployerInvitation(Base):
    """An applicant's invitation to an employer to confirm their work. Found by the hash of its token;
    the employer sees only what the invitation itself says."""

    __tablename__ = "employer_invitations"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    employer_name: Mapped[str] = mapped_column(String(200))
    work_description: Mapped[str] = mapped_column(String(500))
    worked_from: Mapped[date] = mapped_column(Date)
    worked_to: Mapped[date | None] = mapped_column(Date)
    #: The applicant's name as they chose to show it to the employer.
    applicant_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    answer_note: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
