"""Opaque bearer tokens and web session tokens.

The client holds 32 random bytes (URL-safe); the database holds only their SHA-256, so a copy of the
database does not let anyone act as a user. Tokens live in the database, not in process memory, so any
number of stateless web processes can check them.
"""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
