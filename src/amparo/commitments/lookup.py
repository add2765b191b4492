"""Resolve what a person types (a State or an instrument) to a code, or say what they may have meant."""

from __future__ import annotations

from typing import Iterable

from amparo.commitments.names import fold
from amparo.errors import NotFound


class UnknownInstrument(NotFound):
    """No catalogue instrument has this id or alias."""

    code = "unknown_instrument"


class UnknownState(NotFound):
    """No State or participant has this code or name."""

    code = "unknown_state"


def suggestions(query: str, names: dict[str, str], labels: dict[str, str], limit: int = 5) -> list[str]:
    """Close matches for ``query`` among folded ``names`` (folded name -> code), as display labels."""
    import difflib  # error path only

    key = fold(query)
    codes: list[str] = []
    if key:
        for match in difflib.get_close_matches(key, list(names), n=limit * 2, cutoff=0.6):
            codes.append(names[match])
        if len(key) >= 3:
            codes.extend(code for name, code in sorted(names.items()) if key in name)
    seen: list[str] = []
    for code in codes:
        if code not in seen:
            seen.append(code)
    return [labels[code] for code in seen[:limit]]


def unknown(kind: str, value: object, found: Iterable[str], expected: str) -> NotFound:
    """The error for an unknown State or instrument: the value, close matches and how to fix it."""
    hints = list(found)
    hint = f" Did you mean: {', '.join(hints)}?" if hints else ""
    cls = UnknownInstrument if kind == "instrument" else UnknownState
    return cls(
        f"Unknown {kind} {value!r}.{hint} Expected {expected}.",
        details=[{"field": kind, "value": str(value), "suggestions": hints}],
    )
