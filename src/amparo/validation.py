"""Turning Pydantic validation failures into `InvalidInput` with one detail per field.

Every detail names the field (dotted path), the value received and what is expected, which is what the
API's 422 body and the CLI's one-line errors show.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from amparo.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)

_MISSING = object()


def details_from(exc: ValidationError, *, prefix: str = "") -> list[dict[str, Any]]:
    details = []
    for error in exc.errors(include_url=False):
        path = ".".join(str(part) for part in error["loc"])
        field = ".".join(p for p in (prefix, path) if p)
        expected = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            expected = "a value (this field is required)"
        elif error["type"] == "extra_forbidden":
            expected = "no such field"
        value = error.get("input", _MISSING)
        details.append(
            {
                "field": field or prefix or "body",
                "value": None if value is _MISSING or error["type"] == "missing" else _jsonable(value),
                "expected": expected,
            }
        )
    return details


def invalid_input(exc: ValidationError, *, prefix: str = "", what: str = "input") -> InvalidInput:
    details = details_from(exc, prefix=prefix)
    summary = "; ".join(f"{d['field']}: got {d['value']!r}, expected {d['expected']}" for d in details[:5])
    return InvalidInput(f"invalid {what}: {summary}", details=details)


def validate(model: type[M], data: Any, *, prefix: str = "", what: str = "input", context: dict[str, Any] | None = None) -> M:
    """`model.model_validate(data)`, raising `InvalidInput` (422) instead of `ValidationError`."""
    if isinstance(data, model):
        data = data.model_dump()
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise invalid_input(exc, prefix=prefix, what=what) from None


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)
