"""The canonical form of an audit entry and its hash (pure: no database).

Canonical form: a JSON object with sorted keys, no insignificant whitespace, UTF-8, the time as
ISO 8601 UTC with microseconds. Version 1 of the format is named in the hashed text so that a later
format can coexist with entries hashed under this one.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

FORMAT_VERSION = 1


def canonical(
    *,
    id: int,
    at: datetime,
    user_id: int | None,
    username: str | None,
    role: str | None,
    action: str,
    object_type: str | None,
    object_id: str | None,
    purpose: str,
    detail: dict[str, Any] | None,
    prev_hash: str,
) -> bytes:
    if at.tzinfo is None:
        raise ValueError("audit times must be aware (UTC)")
    document = {
        "v": FORMAT_VERSION,
        "id": id,
        "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "user_id": user_id,
        "username": username,
        "role": role,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "purpose": purpose,
        "detail": detail,
        "prev_hash": prev_hash,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def entry_hash(**fields: Any) -> str:
    """SHA-256 (hex) of the canonical form of an entry's fields."""
    return hashlib.sha256(canonical(**fields)).hexdigest()


def normalise_detail(detail: dict[str, Any] | None) -> dict[str, Any] | None:
    """The detail as it will read back from the database (JSON round trip), so hashing is stable."""
    if detail is None:
        return None
    return json.loads(json.dumps(detail, default=str, allow_nan=False))
