"""Users, their API and web tokens, and the sign-in rate limiter's recent attempts (sign-in outcomes are
journaled in the audit chain; `amparo db prune` removes attempts older than the limiter's window)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from amparo.db.base import Base
from amparo.jurisdictions import models as _jurisdictions  # noqa: F401  (foreign-key targets must be mapped)
from amparo.people import models as _people  # noqa: F401
from amparo.db.compat import BigIntId, UTCDateTime, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    #: An email address, a phone number or a handle; many migrants have a phone but no email.
    username: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    #: One of `amparo.auth.policy.Role`.
    role: Mapped[str] = mapped_column(String(32))
    jurisdiction_code: Mapped[str | None] = mapped_column(ForeignKey("jurisdictions.code"), index=True)
    #: An applicant's own person record.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    #: For consular officers: the State (alpha-3) whose consulate they serve.
    consular_state: Mapped[str | None] = mapped_column(String(3))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuthToken(Base):
    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    #: SHA-256 (hex) of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: "api" (bearer) or "web" (cookie session).
    kind: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    __table_args__ = (
        # Rate limiting counts recent failures per username and per address.
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_remote_addr_at", "remote_addr", "at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(254))
    remote_addr: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: None while the password is being checked (`amparo.auth.service.login`).
    succeeded: Mapped[bool | None] = mapped_column(Boolean, nullable=True)


class RegistrationAddress(Base):
    """An address self-registrations have come from, and when the last one was made.

    Its row is the lock under which that address's recent registrations are counted and the next one
    is recorded (`amparo.regularization.repository.lock_registrations_from`): registrations sent at
    the same moment from one address then count one another against the limit, where each used to
    read the count before any was recorded and all passed. The attempts themselves are counted in
    `login_attempts`.
    """

    __tablename__ = "registration_addresses"

    remote_addr: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_registered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
