"""Queries for sign-in attempts and tokens (the user table's own queries are in `repository`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Row, bindparam, func, select, update
from sqlalchemy.orm import Session

from amparo.auth.models import AuthToken, LoginAttempt, User


def count_failed_logins(
    session: Session, since: dt.datetime, *, username: str | None = None, remote_addr: str | None = None,
    in_progress: bool = False,
) -> int:
    """Failed attempts since `since` by this username or from this address; with `in_progress`, the
    attempts whose password is still being checked count as failed too."""
    failed = LoginAttempt.succeeded.is_not(True) if in_progress else LoginAttempt.succeeded.is_(False)
    query = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at >= since, failed)
    if username is not None:
        query = query.where(LoginAttempt.username == username)
    if remote_addr is not None:
        query = query.where(LoginAttempt.remote_addr == remote_addr)
    return session.scalar(query) or 0


def record_login_attempt(session: Session, username: str, remote_addr: str, *, succeeded: bool | None) -> int:
    """Record a sign-in attempt (None: its password is still being checked); returns its id. Flushes."""
    attempt = LoginAttempt(username=username[:200], remote_addr=remote_addr[:64], succeeded=succeeded)
    session.add(attempt)
    session.flush()
    return attempt.id


def finish_login_attempt(session: Session, attempt_id: int, *, succeeded: bool) -> None:
    """The attempt recorded before its password was checked: it succeeded, or it failed."""
    session.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(succeeded=succeeded))


def get_live_token(session: Session, token_hash: str, now: dt.datetime) -> tuple[AuthToken, User] | None:
    """The unrevoked, unexpired token with this hash and its user, in one query."""
    row = session.execute(
        select(AuthToken, User)
        .join(User, User.id == AuthToken.user_id)
        .where(AuthToken.token_hash == token_hash, AuthToken.revoked_at.is_(None), AuthToken.expires_at > now)
    ).one_or_none()
    return None if row is None else (row[0], row[1])


#: The signed-in user behind a live token, as plain columns. Built once: the statement's cache key
#: is computed on first use and kept, and a column row skips the ORM's identity map. Every
#: authenticated request runs it, so its cost is paid on every request of every user.
_LIVE_TOKEN_USER = (
    select(User.id, User.username, User.role, User.jurisdiction_code, User.person_id, User.consular_state,
           User.active, User.created_at)
    .join(AuthToken, AuthToken.user_id == User.id)
    .where(AuthToken.token_hash == bindparam("token_hash"), AuthToken.revoked_at.is_(None),
           AuthToken.expires_at > bindparam("now", type_=AuthToken.expires_at.type))
)


def live_token_user(session: Session, token_hash: str, now: dt.datetime) -> Row | None:
    """The user (id, username, role, jurisdiction_code, person_id, consular_state, active,
    created_at) of the unrevoked, unexpired token with this hash, or None."""
    return session.connection().execute(_LIVE_TOKEN_USER, {"token_hash": token_hash, "now": now}).one_or_none()
