"""Small HMAC signing for the web layer's cookies (flash messages, CSRF tokens).

The key is derived from `settings.secret_key` and a purpose string, so a value signed for one purpose
(a flash message) can never be replayed as another (a CSRF token). Nothing is kept in process memory:
any process that shares the secret key can check any other's signatures.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from functools import lru_cache
from typing import Any


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@lru_cache(maxsize=64)  # a few secrets (rotation) × a few purposes; each page signs several times
def derive_key(secret: str, purpose: str) -> bytes:
    """A key for one purpose, so signatures made for different purposes never match."""
    return hmac.new(secret.encode("utf-8"), b"amparo.web:" + purpose.encode("utf-8"), hashlib.sha256).digest()


def mac(secret: str, purpose: str, message: str) -> str:
    """The URL-safe HMAC-SHA256 of `message` under the purpose's key."""
    digest = hmac.new(derive_key(secret, purpose), message.encode("utf-8"), hashlib.sha256).digest()
    return _b64encode(digest)


def dumps(secret: str, purpose: str, value: Any) -> str:
    """Serialise `value` as JSON with a timestamp and sign it: `payload.signature`."""
    payload = _b64encode(json.dumps([int(time.time()), value], separators=(",", ":")).encode("utf-8"))
    return f"{payload}.{mac(secret, purpose, payload)}"


def loads(secret: str, purpose: str, token: str | None, max_age: int) -> Any | None:
    """The value signed by `dumps`, or None when the token is missing, forged, malformed or older
    than `max_age` seconds (a bad cookie is ignored, never an error page)."""
    if not token or "." not in token:
        return None
    payload, signature = token.rsplit(".", 1)
    if not hmac.compare_digest(signature, mac(secret, purpose, payload)):
        return None
    try:
        issued, value = json.loads(_b64decode(payload))
    except (ValueError, TypeError):
        return None
    if not isinstance(issued, int) or time.time() - issued > max_age:
        return None
    return value
