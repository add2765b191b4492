"""Keyset pagination: pages that stay fast at any depth and never skip or repeat a row under inserts.

A cursor is an opaque token holding the last key of the previous page; clients pass it back unchanged.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from amparo.errors import InvalidInput

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    """One page of results, newest first. Services return `Page[Model]`; the API `Page[ModelRead]`."""

    model_config = ConfigDict(arbitrary_types_allowed=True, from_attributes=True)

    items: list[T] = Field(description="The records on this page.")
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` to get the next page; null on the last page.", examples=["eyJpZCI6IDEyfQ"]
    )


def encode_cursor(last_id: int, **more: str | int) -> str:
    """A cursor after the row `last_id`; `more` holds the rest of the key when pages are not in id order."""
    raw = json.dumps({"id": last_id, **more}, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The last id of the previous page, or None for the first page."""
    fields = decode_cursor_fields(cursor, id=int)
    return None if fields is None else fields["id"]


def decode_cursor_fields(cursor: str | None, **expected: type) -> dict[str, Any] | None:
    """The key of the previous page's last row, each of `expected`'s fields of its type; None for the first page."""
    if cursor is None or cursor == "":
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        document = json.loads(base64.urlsafe_b64decode(padded.encode()))
        fields = {name: document[name] for name in expected}
        for name, kind in expected.items():
            if not isinstance(fields[name], kind) or isinstance(fields[name], bool):
                raise ValueError
        return fields
    except (ValueError, KeyError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidInput(
            f"cursor {cursor!r} is not one this server issued for this listing; pass the next_cursor of the previous page unchanged",
            details=[{"field": "cursor", "value": cursor, "expected": "the next_cursor of a previous page of the same search"}],
        ) from None


def check_limit(limit: int) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(
            f"limit {limit!r} is out of range; expected 1 to {MAX_LIMIT}",
            details=[{"field": "limit", "value": limit, "expected": f"integer from 1 to {MAX_LIMIT}"}],
        )
    return limit
