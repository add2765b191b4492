"""Queries for sign-in attempts and tokens (the user table's own queries are in `repository`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amparo.auth.models import AuthToken, LoginAttempt, User


def count_failed_logins(
    session: Session, since: dt.datetime, *, username: str | None = None, remote_addr: str | None = None
) -> int:
    query = select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False)
    )
    if username is not None:
        query = query.where(LoginAttempt.username == username)
    if remote_addr is not None:
        query = query.where(LoginAttempt.remote_addr == remote_addr)
    return session.scalar(query) or 0


def record_login_attempt(session: Session, username: str, remote_addr: str, *, succeeded: bool) -> None:
    session.add(LoginAttempt(username=username[:200], remote_addr=remote_addr[:64], succeeded=succeeded))


def get_live_token(session: Session, token_hash: str, now: dt.datetime) -> tuple[AuthToken, User] | None:
    """The unrevoked, unexpired token with this hash and its user, in one query."""
    row = session.execute(
        select(AuthToken, User)
        .join(User, User.id == AuthToken.user_id)
        .where(AuthToken.token_hash == token_hash, AuthToken.revoked_at.is_(None), AuthToken.expires_at > now)
    ).one_or_none()
    return None if row is None else (row[0], row[1])
