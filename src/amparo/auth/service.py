"""Signing in and out, and turning a presented token into an `Actor`.

Failed attempts are counted in the database (not in process memory) so the limit holds across every
web process, and each one is journaled in the audit chain.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Row
from sqlalchemy.orm import Session

from amparo.audit import service as audit
from amparo.auth import repository, token_repository
from amparo.auth.models import AuthToken, User
from amparo.auth.passwords import hash_password, needs_rehash, verify_password
from amparo.auth.policy import Actor
from amparo.auth.tokens import new_token, token_hash
from amparo.config import Settings
from amparo.errors import TooManyRequests, Unauthenticated

TOKEN_LIFETIMES = {"api": dt.timedelta(hours=12), "web": dt.timedelta(hours=8)}
#: An address may fail this many times more than a single username before it is slowed down too,
#: so a shared NAT (a consulate, an NGO office) is not locked out by one person's typos.
ADDRESS_FACTOR = 4


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    user: User
    expires_at: dt.datetime


@dataclass(frozen=True)
class LoginRefused:
    error: Unauthenticated | TooManyRequests


def login(
    session: Session,
    settings: Settings,
    username: str,
    password: str,
    remote_addr: str,
    kind: str = "api",
    *,
    fresh_session: bool = False,
) -> IssuedToken | LoginRefused:
    """Check a password and issue a token. Never raises for a wrong password: the caller must commit
    the journaled attempt first, then raise the returned error.

    Args:
        fresh_session: The caller's session has done nothing before this call (a sign-in request).
            The read-only checks' transaction is then ended before the password hash is verified, so
            the slow hash runs without holding SQLite's write lock. Leave False inside a larger unit
            of work (e.g. registration then sign-in), whose writes must not be rolled back.
    """
    username = username.strip()
    since = _now() - dt.timedelta(seconds=settings.login_window_seconds)
    # The attempt is recorded (in progress) before anything is checked, and only then are the
    # username's failures counted, attempts still in progress included, this one too: of several
    # attempts at one account sent at the same moment each counts those recorded before it, so no
    # more than the limit reach the password check. Counting first and recording after the (slow)
    # check let every attempt sent at once through. An attempt left in progress (a process stopped
    # mid-check) counts as failed for its username. The address's limit, meant for a shared office
    # or NAT, counts finished failures only, so many people signing in at once are not refused.
    attempt = token_repository.record_login_attempt(session, username, remote_addr, succeeded=None)
    if fresh_session:
        session.commit()  # visible to the attempts running beside this one, before they count
    user_failures = token_repository.count_failed_logins(session, since, username=username, in_progress=True)
    address_failures = token_repository.count_failed_logins(session, since, remote_addr=remote_addr)
    if user_failures > settings.login_max_failures or address_failures >= settings.login_max_failures * ADDRESS_FACTOR:
        token_repository.finish_login_attempt(session, attempt, succeeded=False)
        audit.record(
            session, None, "login:throttled", "user", None, "authentication",
            {"remote_addr": remote_addr}, username=username[:200],
        )
        error = TooManyRequests(
            f"Too many failed sign-in attempts for '{username}'. Wait {settings.login_window_seconds // 60} "
            "minutes and try again, or ask an administrator to reset the password."
        )
        error.retry_after = settings.login_window_seconds
        return LoginRefused(error)

    user = repository.get_user_by_username(session, username)
    user_id, stored_hash = (user.id, user.password_hash) if user else (None, None)
    if fresh_session:
        _end_read_transaction(session)
    # argon2id costs hundreds of milliseconds on purpose; it runs with no transaction open, so on
    # SQLite (where a transaction of the CLI's holds the write lock from its start, and a request's
    # from its first write) other requests are not kept waiting.
    ok = verify_password(stored_hash, password)
    user = session.get(User, user_id) if user_id is not None else None
    if not ok or user is None or not user.active:
        token_repository.finish_login_attempt(session, attempt, succeeded=False)
        audit.record(
            session, None, "login:failed", "user", user.id if user else None, "authentication",
            {"remote_addr": remote_addr}, username=username[:200],
        )
        return LoginRefused(Unauthenticated("The username or password is not right. Check both and try again."))

    token_repository.finish_login_attempt(session, attempt, succeeded=True)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return issue_token(session, user, username, remote_addr, kind, attempt_recorded=True)


def issue_token(
    session: Session, user: User, username: str, remote_addr: str, kind: str = "api", *, attempt_recorded: bool = False
) -> IssuedToken:
    """Sign `user` in: a new token of `kind`, the attempt recorded (unless `login` already did) and
    journaled. Only for a password just checked (`login`) or an account just created with it
    (registration, which signs the person in without hashing the password a second time). Flushes."""
    if not attempt_recorded:
        token_repository.record_login_attempt(session, username, remote_addr, succeeded=True)
    token = new_token()
    expires_at = _now() + TOKEN_LIFETIMES[kind]
    session.add(AuthToken(token_hash=token_hash(token), user_id=user.id, kind=kind, expires_at=expires_at))
    audit.record(session, repository.actor_for(user), "login:succeeded", "user", str(user.id), "authentication", {"kind": kind})
    session.flush()
    return IssuedToken(token=token, user=user, expires_at=expires_at)


def _end_read_transaction(session: Session) -> None:
    """End the read-only transaction the sign-in checks opened (nothing has been written yet)."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("login(fresh_session=True) was given a session with pending changes")
    session.rollback()


def authenticate(session: Session, token: str) -> tuple[Actor, Row]:
    """The actor behind a bearer or session token, and the user's columns
    (`token_repository.live_token_user`), or `Unauthenticated`."""
    user = token_repository.live_token_user(session, token_hash(token), _now())
    if user is None:
        raise Unauthenticated("Sign in first: the token is missing, expired or revoked.")
    if not user.active:
        raise Unauthenticated("This account is disabled. Ask an administrator.")
    return repository.actor_for(user), user


def logout(session: Session, token: str) -> None:
    found = token_repository.get_live_token(session, token_hash(token), _now())
    if found is not None:
        found[0].revoked_at = _now()
        session.flush()
