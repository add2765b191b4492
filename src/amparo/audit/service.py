"""Recording acts in the audit chain and verifying the chain.

`record()` runs inside the transaction of the act it journals (flush, never commit): the act and its
entry commit together or not at all. The head row serialises appends, so concurrent writers queue
instead of forking the chain. Requests that only read journal through `amparo.audit.group`, which
writes their entries when they commit, many requests' entries to one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from amparo.audit import group, repository
from amparo.audit.chain import entry_hash, normalise_detail
from amparo.audit.models import GENESIS_HASH
from amparo.auth.policy import Actor
from amparo.db.compat import utcnow
from amparo.errors import InvalidInput

MAX_PURPOSE = 200


@dataclass(frozen=True, slots=True)
class Recorded:
    """What was appended: the entry's id and hash."""

    id: int
    hash: str


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The outcome of walking the chain.

    Attributes:
        ok: Every entry links to the one before, hashes to its stored hash, and the head agrees.
        checked: Entries read.
        first_broken_id: The first entry whose link or hash fails (None when ok).
        reason: Why it fails, in words.
        head_id: The last id the head records (publish it with head_hash to anchor the chain).
        head_hash: The last hash the head records.
    """

    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str | None = None
    head_id: int | None = None
    head_hash: str | None = None


def check_purpose(purpose: str) -> str:
    """A purpose is required for every access to personal data (ICRMW art. 14; ICCPR art. 17)."""
    if not isinstance(purpose, str) or not purpose.strip() or len(purpose) > MAX_PURPOSE:
        raise InvalidInput(
            f"purpose {purpose!r} is not usable; every access to personal data states why, in 1-{MAX_PURPOSE} characters",
            details=[{"field": "purpose", "value": purpose, "expected": f"1-{MAX_PURPOSE} characters, e.g. 'casework'"}],
        )
    return purpose.strip()


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    object_type: str | None,
    object_id: str | int | None,
    purpose: str,
    detail: dict[str, Any] | None = None,
    *,
    username: str | None = None,
) -> Recorded | None:
    """Append one entry to the chain, in the caller's transaction. Flushes, never commits.

    In a read request's session (`amparo.audit.group.read_sessionmaker`) the entry is kept instead and
    written, durably, when that session commits — before the request answers — so None is returned.

    Args:
        actor: Who acted, with their role at the time; None for the system or an unauthenticated caller.
        action: What was done, e.g. "person:read", "case:append", "login:failed".
        object_type: The kind of record, e.g. "person", "case", "user".
        object_id: Its id (or number), or None when the act concerns no single record.
        purpose: Why (required).
        detail: Extra JSON facts (never passwords or tokens).
        username: For acts without an actor (e.g. a failed login): the name given.
    """
    purpose = check_purpose(purpose)
    written = _append(session, [_entry(actor, username, utcnow(), purpose, action, object_type, object_id, detail)])
    return written[-1] if written else None


def record_many(
    session: Session,
    actor: Actor | None,
    purpose: str,
    entries: Iterable[tuple[str, str | None, str | int | None, dict[str, Any] | None]],
    *,
    username: str | None = None,
) -> int:
    """Append one entry per (action, object_type, object_id, detail), all by `actor` for `purpose`, in
    that order, with one lock of the head and one insert (a batch of filings: 3 statements instead of
    3 per entry). Same transaction rules as `record`. Returns how many were appended."""
    purpose = check_purpose(purpose)
    at = utcnow()
    rows = [_entry(actor, username, at, purpose, *entry) for entry in entries]
    if rows:
        _append(session, rows)
    return len(rows)


def _entry(
    actor: Actor | None, username: str | None, at: Any, purpose: str,
    action: str, object_type: str | None, object_id: str | int | None, detail: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "at": at,
        "user_id": actor.user_id if actor else None,
        "username": actor.username if actor else username,
        "role": actor.role.value if actor else None,
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "purpose": purpose,
        "detail": normalise_detail(detail),
    }


def _append(session: Session, rows: list[dict[str, Any]]) -> list[Recorded]:
    """Chain `rows` after the head and write them; in a read request's session, keep them for the
    group commit instead (`amparo.audit.group`) and return nothing."""
    if group.DEFERRED in session.info:
        session.info.setdefault(group.PENDING, []).extend(rows)
        return []
    # The act's own pending rows are written first, outside the chain's lock: the head row (one for
    # the whole chain) is then held only for the entry, the head's move and the commit, not for the
    # act's inserts that the entry's statements would otherwise flush inside it.
    session.flush()
    repository.append_chained(session, rows)
    return [Recorded(id=row["id"], hash=row["hash"]) for row in rows]


def verify(session: Session, anchor: tuple[int, str] | None = None) -> VerifyResult:
    """Walk the chain from the first entry and report the first broken link.

    Detects an altered entry (its hash no longer matches its content), a removed or reordered entry
    (an id gap, or a prev_hash that is not the previous entry's hash) and removed trailing entries
    (the head records more than the table holds).

    Args:
        anchor: An (id, hash) pair published earlier (printed by `amparo audit verify`). Someone
            with write access could rewrite the whole chain consistently; an anchor kept outside the
            database exposes that, because the rewritten entry no longer has the published hash.
    """
    head = repository.read_head(session)
    if head is None:
        return VerifyResult(False, 0, None, "the audit head is missing: the database is not migrated or was tampered with")
    head_id, head_hash = head
    expected_id, prev_hash, checked = 1, GENESIS_HASH, 0
    for row in repository.iter_entries(session):
        checked += 1
        broken = _check_row(row, expected_id, prev_hash)
        if broken is None and anchor is not None and row.id == anchor[0] and row.hash != anchor[1]:
            broken = f"entry {row.id} does not have the anchored hash {anchor[1]}: the chain was rewritten"
        if broken is not None:
            return VerifyResult(False, checked, row.id, broken, head_id, head_hash)
        expected_id, prev_hash = row.id + 1, row.hash
    last_id = expected_id - 1
    if anchor is not None and anchor[0] > last_id:
        reason = f"the anchored entry {anchor[0]} is gone: the chain ends at entry {last_id}"
        return VerifyResult(False, checked, last_id + 1, reason, head_id, head_hash)
    if last_id != head_id or prev_hash != head_hash:
        reason = (
            f"the chain ends at entry {last_id} but the head records entry {head_id}: "
            + ("entries after it were removed" if head_id > last_id else "the head was altered")
        )
        return VerifyResult(False, checked, last_id + 1 if head_id > last_id else head_id, reason, head_id, head_hash)
    return VerifyResult(True, checked, None, None, head_id, head_hash)


def _check_row(row: Any, expected_id: int, prev_hash: str) -> str | None:
    if row.id != expected_id:
        if row.id > expected_id:
            missing = f"entry {expected_id}" if row.id == expected_id + 1 else f"entries {expected_id}-{row.id - 1}"
            return f"{missing} missing before entry {row.id}: removed from the chain"
        return f"entry id {row.id} is out of sequence (expected {expected_id})"
    if row.prev_hash != prev_hash:
        return (
            f"entry {row.id} does not follow entry {row.id - 1}: its prev_hash is not the previous entry's hash "
            "(entries were reordered, removed or inserted)"
        )
    fields = {name: getattr(row, name) for name in (
        "id", "at", "user_id", "username", "role", "action", "object_type", "object_id", "purpose", "detail", "prev_hash"
    )}
    if entry_hash(**fields) != row.hash:
        return f"entry {row.id} was altered: its content no longer matches its hash"
    return None
