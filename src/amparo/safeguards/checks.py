"""The small, fixed vocabulary of tests that catalogue checks are written in.

Checks are compiled once, when the catalogue loads, into plain closures over `EventFacts`, so that
evaluating a decision costs a few attribute reads per safeguard (the API's budget for a decision,
safeguards included, is 100 ms at p95; this part takes microseconds).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from amparo.safeguards.facts import EventFacts

Predicate = Callable[[EventFacts, datetime.date], bool]

#: test name -> (needs `other`, needs `field`); the meaning of each is in `_compile_test`.
TESTS: dict[str, tuple[bool, bool]] = {
    "present": (False, False),
    "is_true": (False, False),
    "is_false": (False, False),
    "positive": (False, False),
    "after_event": (False, False),
    "language_in": (True, False),
    "each_true": (False, True),
}


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (tuple, list)):
        return len(value) > 0
    return True


def primary_language(tag: str) -> str:
    """Primary language subtag, lower case: ``"es-AR"`` and ``"ES"`` both give ``"es"``.

    Examples:
        >>> primary_language("pt_BR")
        'pt'
    """
    return tag.strip().replace("_", "-").split("-", 1)[0].lower()


def _compile_test(test: str, get: Callable[[Any], Any], other: str | None, field: str | None) -> Predicate:
    if test == "present":
        return lambda facts, on: _present(get(facts))
    if test == "is_true":
        return lambda facts, on: get(facts) is True
    if test == "is_false":
        return lambda facts, on: get(facts) is False
    if test == "positive":
        return lambda facts, on: (get(facts) or 0) > 0
    if test == "after_event":
        # An appeal deadline on the day of the decision leaves no time to appeal at all.
        return lambda facts, on: isinstance(get(facts), datetime.date) and get(facts) > on
    if test == "language_in":
        get_other = attrgetter(other or "")

        def language_in(facts: EventFacts, on: datetime.date) -> bool:
            value = get(facts)
            if not value:
                return False
            return primary_language(value) in {primary_language(x) for x in get_other(facts) or ()}

        return language_in
    if test == "each_true":
        item_get = attrgetter(field or "")
        return lambda facts, on: all(item_get(item) is True for item in get(facts) or ())
    raise ValueError(f"unknown test {test!r}")  # the catalogue schema makes this unreachable


@dataclass(frozen=True, slots=True)
class CompiledCheck:
    """One requirement, ready to run: `applies` says whether it is in play, `holds` whether it is met."""

    events: frozenset[str] | None
    applies: Predicate
    holds: Predicate
    missing: str


def compile_check(
    fact: str,
    test: str,
    *,
    missing: str,
    other: str | None = None,
    field: str | None = None,
    when: tuple[str, str] | None = None,
    events: frozenset[str] | None = None,
) -> CompiledCheck:
    """Turn one catalogue check into predicates over `EventFacts` and the event date."""
    holds = _compile_test(test, attrgetter(fact), other, field)
    if when is None:
        applies: Predicate = lambda facts, on: True  # noqa: E731 - a constant predicate
    else:
        applies = _compile_test(when[1], attrgetter(when[0]), None, None)
    return CompiledCheck(events=events, applies=applies, holds=holds, missing=missing)
