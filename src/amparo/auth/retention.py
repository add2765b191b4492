"""Removing the sign-in and registration records that name an address once no limit counts them.

`login_attempts` and `registration_addresses` hold IP addresses, which are personal data: they may be
kept only while they serve their purpose (PRODUCT.md §6, privacy: ICCPR art. 17). Their purpose is the
rate limits, and each limit counts over a window that ends now:

* sign-in (`amparo.auth.service.login`): failures per username and per address, attempts at or after
  now − `login_window_seconds`;
* self-registration (`amparo.regularization.service.register_applicant`): an address's registrations,
  recorded in `login_attempts` under `regularization.repository.REGISTRATION_MARK`, over the same
  setting. Its `registration_addresses` row is only the lock they are counted under; an address whose
  row is gone gets a new one at its next registration (an upsert).

A row from before that window's start can never be counted again, so it is deleted; a row exactly at
the start is still counted and is kept. Sign-in outcomes stay in the audit chain, untouched here.

Deletes run a batch at a time, each batch re-checking the cutoff on the row it deletes: on
PostgreSQL a registration that has just refreshed its address's row holds that row's lock, the delete
waits for it and then sees the new `last_registered_at`, so a row refreshed meanwhile is never
removed (with the ids chosen first and deleted by id alone, it would be). The two statements are
kept here, beside the rule that chooses their cutoffs, rather than in the repositories of the two
domains whose limits they serve.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from amparo.audit import service as audit
from amparo.auth.models import LoginAttempt, RegistrationAddress
from amparo.config import Settings

#: Rows deleted per table in one call of `prune` (one transaction at the CLI): bounds how long one
#: statement holds SQLite's write lock, or PostgreSQL's row locks, on a table that has grown large.
BATCH = 10_000
PURPOSE = "data retention: addresses no rate limit counts any more"


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one call of `prune` removed, and the cutoffs it removed them before.

    Attributes:
        login_attempts: Sign-in attempts and registration marks removed (`at` before its cutoff).
        registration_addresses: Address lock rows removed (`last_registered_at` before its cutoff).
        login_attempts_before: Rows recorded before this instant were removed.
        registration_addresses_before: Rows last used before this instant were removed.
        batch: The most rows removed per table; a table that reached it may hold more.
    """

    login_attempts: int
    registration_addresses: int
    login_attempts_before: dt.datetime
    registration_addresses_before: dt.datetime
    batch: int

    @property
    def more_left(self) -> bool:
        """A table reached the batch size, so another call may find more to remove."""
        return max(self.login_attempts, self.registration_addresses) >= self.batch

    def to_dict(self) -> dict[str, int | str]:
        return {
            "login_attempts": self.login_attempts,
            "login_attempts_before": self.login_attempts_before.isoformat(),
            "registration_addresses": self.registration_addresses,
            "registration_addresses_before": self.registration_addresses_before.isoformat(),
        }


def sign_in_window(settings: Settings) -> dt.timedelta:
    """The span `auth.service.login` counts failures over, per username and per address."""
    return dt.timedelta(seconds=settings.login_window_seconds)


def registration_window(settings: Settings) -> dt.timedelta:
    """The span `regularization.service` counts an address's registrations over."""
    return dt.timedelta(seconds=settings.login_window_seconds)


def cutoffs(settings: Settings, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The instants before which `login_attempts` and `registration_addresses` rows are removed.

    `login_attempts` holds both the sign-in attempts and the registration marks, so its rows are kept
    for the longer of the two windows.
    """
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now!r} refused: pass an aware datetime (UTC)")
    return now - max(sign_in_window(settings), registration_window(settings)), now - registration_window(settings)


def prune(session: Session, settings: Settings, now: dt.datetime, *, operator: str, batch: int = BATCH) -> Pruned:
    """Delete up to `batch` rows of each table that no limit counts at `now` any more, and journal
    what was removed (counts and cutoffs, no address) as `operator`. Flushes, never commits.

    Call it again, in a new transaction, while `Pruned.more_left`.
    """
    if batch < 1:
        raise ValueError(f"batch {batch!r} must be at least 1")
    attempts_before, addresses_before = cutoffs(settings, now)
    attempts = _delete_before(session, LoginAttempt.id, LoginAttempt.at, attempts_before, batch)
    addresses = _delete_before(
        session, RegistrationAddress.remote_addr, RegistrationAddress.last_registered_at, addresses_before, batch
    )
    pruned = Pruned(attempts, addresses, attempts_before, addresses_before, batch)
    audit.record(session, None, "retention:prune", None, None, PURPOSE, pruned.to_dict(), username=operator)
    return pruned


def _delete_before(session: Session, key: Any, stamp: Any, cutoff: dt.datetime, batch: int) -> int:
    """Delete the first `batch` rows, by primary key `key`, whose `stamp` is before `cutoff`; returns
    how many were deleted.

    The batch is given by its last key, so the delete reads a range of the primary key (with a set of
    keys, PostgreSQL scanned the whole table for each batch), and the cutoff is checked again on each
    row deleted: that check, not the batch's choice, decides.
    """
    first = select(key.label("key")).where(stamp < cutoff).order_by(key).limit(batch).subquery()
    last_key = select(func.max(first.c.key)).scalar_subquery()
    statement = delete(key.class_).where(key <= last_key, stamp < cutoff).execution_options(synchronize_session=False)
    return session.execute(statement).rowcount
