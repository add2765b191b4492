"""Sign-in attempts and registration addresses are removed once no rate limit counts them
(`amparo.auth.retention`), and the limits decide as before: on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from amparo.audit.models import AuditEntry
from amparo.auth import retention
from amparo.auth import service as auth_service
from amparo.auth.models import LoginAttempt, RegistrationAddress
from amparo.auth.policy import Role
from amparo.config import Settings
from amparo.db.compat import utcnow
from amparo.db.engine import lock_on_first_write
from amparo.regularization import repository as registrations
from amparo.regularization import service as regularization
from amparo.regularization.schemas import RegisterIn
from builders import PASSWORD, make_jurisdiction, make_user
from db_support import race

#: Not the default (300 s), so that a cutoff that ignored the setting would be caught.
WINDOW = dt.timedelta(seconds=600)
#: Long before any row the rest of the suite writes, so only this file's rows are older than its cutoffs.
THEN = dt.datetime(2001, 5, 7, 12, 0, tzinfo=dt.UTC)
TICK = dt.timedelta(microseconds=1)
_names = itertools.count(1)


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(environment="test", secret_key="t" * 40, data_dir=tmp_path,
                    login_window_seconds=int(WINDOW.total_seconds()), **overrides)  # type: ignore[arg-type]


def _attempt(session: Session, at: dt.datetime, *, username: str = "someone@example.org",
             remote_addr: str = "192.0.2.10", succeeded: bool | None = False) -> int:
    attempt = LoginAttempt(username=username, remote_addr=remote_addr, at=at, succeeded=succeeded)
    session.add(attempt)
    session.flush()
    return attempt.id


def _address(session: Session, remote_addr: str, last_registered_at: dt.datetime) -> None:
    session.add(RegistrationAddress(remote_addr=remote_addr, last_registered_at=last_registered_at))
    session.flush()


def _left(session: Session, ids: list[int]) -> set[int]:
    return set(session.scalars(select(LoginAttempt.id).where(LoginAttempt.id.in_(ids))))


def _addresses_left(session: Session, addresses: list[str]) -> set[str]:
    query = select(RegistrationAddress.remote_addr).where(RegistrationAddress.remote_addr.in_(addresses))
    return set(session.scalars(query))


def test_rows_at_the_cutoff_and_inside_the_window_are_kept_and_older_ones_removed(session, tmp_path) -> None:
    cutoff = THEN - WINDOW
    removed = [
        _attempt(session, cutoff - TICK),
        _attempt(session, cutoff - dt.timedelta(days=400), succeeded=None),  # left in progress by a stopped process
        _attempt(session, cutoff - TICK, username=registrations.REGISTRATION_MARK, succeeded=True),
    ]
    kept = [_attempt(session, cutoff), _attempt(session, cutoff + TICK), _attempt(session, THEN)]
    _address(session, "192.0.2.1", cutoff - TICK)
    _address(session, "192.0.2.2", cutoff)
    _address(session, "192.0.2.3", cutoff + TICK)

    pruned = retention.prune(session, _settings(tmp_path), THEN, operator="test")

    assert _left(session, removed + kept) == set(kept)
    assert _addresses_left(session, ["192.0.2.1", "192.0.2.2", "192.0.2.3"]) == {"192.0.2.2", "192.0.2.3"}
    assert (pruned.login_attempts, pruned.registration_addresses) == (3, 1)
    assert pruned.login_attempts_before == pruned.registration_addresses_before == cutoff
    assert not pruned.more_left


def test_a_second_prune_removes_nothing_and_each_is_journaled_without_an_address(session, tmp_path) -> None:
    cutoff = THEN - WINDOW
    _attempt(session, cutoff - TICK, remote_addr="192.0.2.77")
    _address(session, "192.0.2.78", cutoff - TICK)
    last_entry = session.scalar(select(func.max(AuditEntry.id))) or 0
    settings = _settings(tmp_path)

    first = retention.prune(session, settings, THEN, operator="cli:ops")
    second = retention.prune(session, settings, THEN, operator="cli:ops")

    assert (first.login_attempts, first.registration_addresses) == (1, 1)
    assert (second.login_attempts, second.registration_addresses) == (0, 0)
    entries = list(session.scalars(select(AuditEntry).where(AuditEntry.id > last_entry).order_by(AuditEntry.id)))
    assert [(e.action, e.username, e.detail["login_attempts"], e.detail["registration_addresses"]) for e in entries] == [
        ("retention:prune", "cli:ops", 1, 1), ("retention:prune", "cli:ops", 0, 0),
    ]
    assert entries[0].detail["login_attempts_before"] == cutoff.isoformat()
    assert all("192.0.2." not in json.dumps(e.detail) for e in entries)


def test_a_large_backlog_is_removed_a_batch_at_a_time(session, tmp_path) -> None:
    cutoff = THEN - WINDOW
    old = [_attempt(session, cutoff - dt.timedelta(minutes=m)) for m in range(1, 6)]
    kept = [_attempt(session, cutoff)]
    for n in range(3):
        _address(session, f"192.0.2.{20 + n}", cutoff - dt.timedelta(minutes=n + 1))
    settings = _settings(tmp_path)

    passes = []
    while not passes or passes[-1].more_left:
        passes.append(retention.prune(session, settings, THEN, operator="test", batch=2))

    assert [(p.login_attempts, p.registration_addresses) for p in passes] == [(2, 2), (2, 1), (1, 0)]
    assert _left(session, old + kept) == set(kept)


# --- the limits decide as they did before the prune ------------------------------------------------


def _sign_in(session: Session, settings: Settings, username: str, remote_addr: str) -> str:
    """How a sign-in with the right password ends now; everything it writes is rolled back."""
    savepoint = session.begin_nested()
    outcome = auth_service.login(session, settings, username, PASSWORD, remote_addr)
    savepoint.rollback()
    return "signed in" if isinstance(outcome, auth_service.IssuedToken) else outcome.error.code


def test_the_sign_in_limit_decides_as_before_after_a_prune(session, tmp_path) -> None:
    """Failures inside the window still count after a prune; those it removed counted before it neither."""
    settings = _settings(tmp_path, login_max_failures=5)
    now = utcnow()
    inside, outside = now - WINDOW + dt.timedelta(seconds=60), now - WINDOW - dt.timedelta(seconds=60)
    # Three recent failures (plus the attempt itself) stay under the limit; three more outside the
    # window would pass it if they counted.
    under = make_user(session, Role.CASEWORKER)
    for at in [inside] * 3 + [outside] * 3:
        _attempt(session, at, username=under.username, remote_addr="198.51.100.1")
    # Five recent failures pass the limit.
    over = make_user(session, Role.CASEWORKER)
    for at in [inside] * 5 + [outside] * 2:
        _attempt(session, at, username=over.username, remote_addr="198.51.100.2")
    # Twenty recent failures from one address, by other names, pass the address's limit.
    for n in range(20):
        _attempt(session, inside, username=f"guess-{n}@example.org", remote_addr="198.51.100.3")
    shared = make_user(session, Role.CASEWORKER)
    cases = [(under.username, "198.51.100.1"), (over.username, "198.51.100.2"), (shared.username, "198.51.100.3")]
    before = [_sign_in(session, settings, *case) for case in cases]

    pruned = retention.prune(session, settings, utcnow(), operator="test")

    after = [_sign_in(session, settings, *case) for case in cases]
    assert before == ["signed in", "too_many_requests", "too_many_requests"]
    assert after == before
    mine = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.username.in_([under.username, over.username]))
    assert session.scalar(mine) == 8, "the failures outside the window were not removed, or those inside were"
    assert pruned.login_attempts >= 5


def _register(session: Session, settings: Settings, remote_addr: str) -> str:
    """How a self-registration from `remote_addr` ends now; everything it writes is rolled back."""
    data = RegisterIn.model_validate({
        "username": f"applicant-{next(_names)}@example.org", "password": "a long enough password",
        "person": {"given_names": "Wendy Mirian", "family_names": "Quispe Mamani", "date_of_birth": "1992-07-04",
                   "sex": "female", "nationalities": ["BOL"], "languages": ["es"], "jurisdiction_code": "ARG"},
    })
    savepoint = session.begin_nested()
    try:
        regularization.register_applicant(session, settings, data, remote_addr)
        return "registered"
    except Exception as error:  # noqa: BLE001 - the outcome is what is compared
        return getattr(error, "code", repr(error))
    finally:
        savepoint.rollback()


def test_the_registration_limit_decides_as_before_after_a_prune(session, tmp_path) -> None:
    settings = _settings(tmp_path, registrations_per_address=3)
    make_jurisdiction(session, "ARG")
    now = utcnow()
    inside, outside = now - WINDOW + dt.timedelta(seconds=60), now - WINDOW - dt.timedelta(seconds=60)
    mark = registrations.REGISTRATION_MARK
    # Two recent registrations stay under the limit of three; three more outside the window would pass it.
    for at in [inside] * 2 + [outside] * 3:
        _attempt(session, at, username=mark, remote_addr="203.0.113.1", succeeded=True)
    _address(session, "203.0.113.1", outside)  # its lock row outlived the registrations it counted
    for at in [inside] * 3:
        _attempt(session, at, username=mark, remote_addr="203.0.113.2", succeeded=True)
    _address(session, "203.0.113.2", inside)
    before = [_register(session, settings, address) for address in ("203.0.113.1", "203.0.113.2")]

    retention.prune(session, settings, utcnow(), operator="test")

    assert _addresses_left(session, ["203.0.113.1", "203.0.113.2"]) == {"203.0.113.2"}
    after = [_register(session, settings, address) for address in ("203.0.113.1", "203.0.113.2")]
    assert before == ["registered", "too_many_requests"]
    assert after == before


def test_a_registration_refreshing_its_address_keeps_the_row_a_prune_running_beside_it_would_remove(
    fresh_engine: Engine, tmp_path: Path,
) -> None:
    """The prune waits for the registration's lock on the row, then finds it refreshed and leaves it."""
    settings = _settings(tmp_path)
    stale = utcnow() - 2 * WINDOW
    with Session(fresh_engine) as session:
        _address(session, "192.0.2.50", stale)  # about to register again
        _address(session, "192.0.2.51", stale)  # not
        session.commit()
    requests = lock_on_first_write(fresh_engine)
    pruned: list[retention.Pruned] = []

    waited, outcome = race(
        lambda: Session(requests, expire_on_commit=False),
        lambda session: registrations.lock_registrations_from(session, "192.0.2.50"),
        lambda session: pruned.append(retention.prune(session, settings, utcnow(), operator="test")),
    )

    assert outcome == "done" and waited, "the prune did not wait for the registration's lock"
    with Session(fresh_engine) as session:
        left = dict(session.execute(select(RegistrationAddress.remote_addr, RegistrationAddress.last_registered_at)).all())
    assert set(left) == {"192.0.2.50"}, "the refreshed row was removed, or the stale one kept"
    assert left["192.0.2.50"] > stale
    assert pruned[0].registration_addresses == 1
