"""The safeguards catalogue: its schema, its loader and the compiled form the engine runs.

The catalogue is data (``catalogue.yaml`` in this package). A malformed catalogue, or a check that
names a fact or an event that does not exist, fails when it is loaded with its file and line.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from amparo.errors import InvalidInput
from amparo.safeguards.checks import TESTS, CompiledCheck, compile_check
from amparo.safeguards.facts import fact_paths, item_fields
from amparo.safeguards.rulefile import RuleDocument, read_yaml, validate

DEFAULT_PATH = Path(__file__).with_name("catalogue.yaml")

TestName = Literal["present", "is_true", "is_false", "positive", "after_event", "language_in", "each_true"]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceRef(_Spec):
    """A legal source: a treaty article (can bind) or a recommendation by document symbol (cannot).

    Examples:
        >>> SourceRef(instrument="ICRMW", article="art. 22(3)").cite()
        'ICRMW art. 22(3)'
        >>> SourceRef(document="A/59/377", locator="para 65").cite()
        'A/59/377 para 65'
    """

    instrument: str | None = Field(None, description="Instrument id or alias known to amparo.commitments.")
    article: str | None = None
    document: str | None = Field(None, description="UN document symbol of a recommendation.")
    locator: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> SourceRef:
        if (self.instrument is None) == (self.document is None):
            raise ValueError("expected either `instrument` with `article`, or `document` with `locator`")
        if self.instrument is not None and not self.article:
            raise ValueError("a treaty source needs `article`, e.g. \"art. 22(3)\"")
        if self.document is not None and not self.locator:
            raise ValueError("a recommendation needs `locator`, e.g. \"para 65\"")
        return self

    @property
    def is_treaty(self) -> bool:
        return self.instrument is not None

    def cite(self) -> str:
        return f"{self.instrument} {self.article}" if self.instrument else f"{self.document} {self.locator}"


class ConditionSpec(_Spec):
    fact: str
    test: Literal["present", "is_true", "is_false", "positive"]


class CheckSpec(_Spec):
    fact: str
    test: TestName
    missing: str = Field(min_length=3)
    other: str | None = None
    field: str | None = None
    when: ConditionSpec | None = None
    events: list[str] | None = None


class SafeguardSpec(_Spec):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str
    requirement: str
    sources: list[SourceRef]
    applies_to: list[str] = Field(min_length=1)
    checks: list[CheckSpec] = Field(min_length=1)
    platform_policy: bool = False


class CatalogueSpec(_Spec):
    version: str = Field(min_length=1)
    as_at: datetime.date
    events: list[str] = Field(min_length=1)
    safeguards: list[SafeguardSpec] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Safeguard:
    """A safeguard ready to evaluate: its spec, its cited sources and its compiled checks."""

    spec: SafeguardSpec
    citations: tuple[str, ...]
    treaty_sources: tuple[SourceRef, ...]
    checks: tuple[CompiledCheck, ...]

    @property
    def id(self) -> str:
        return self.spec.id


@dataclass(frozen=True)
class Catalogue:
    """The loaded catalogue, indexed by event so that evaluation touches only what applies."""

    version: str
    as_at: datetime.date
    events: tuple[str, ...]
    safeguards: dict[str, Safeguard]
    by_event: dict[str, tuple[Safeguard, ...]]
    path: str

    def describe(self) -> list[dict[str, Any]]:
        """Every safeguard as plain data, for public pages and the API (no checks, no internals)."""
        return [
            {
                "id": s.id,
                "title": s.spec.title,
                "requirement": s.spec.requirement,
                "sources": list(s.citations),
                "binding_sources": [src.cite() for src in s.treaty_sources],
                "applies_to": list(s.spec.applies_to),
                "platform_policy": s.spec.platform_policy,
                "rules_version": self.version,
            }
            for s in self.safeguards.values()
        ]


def _fail(document: RuleDocument, loc: tuple[str | int, ...], message: str) -> InvalidInput:
    line = document.line_of(loc)
    field = ".".join(str(p) for p in loc)
    return InvalidInput(
        f"Invalid safeguards catalogue: {document.filename}, line {line}, {field}: {message}",
        details=[{"file": document.filename, "line": line, "loc": list(loc), "expected": message}],
    )


def _check_semantics(spec: CatalogueSpec, document: RuleDocument, instrument_ok: Any) -> None:
    facts = fact_paths()
    known_events = set(spec.events)
    seen: set[str] = set()
    for i, safeguard in enumerate(spec.safeguards):
        here: tuple[str | int, ...] = ("safeguards", i)
        if safeguard.id in seen:
            raise _fail(document, (*here, "id"), f"the id {safeguard.id!r} is used twice; expected unique ids")
        seen.add(safeguard.id)
        if not safeguard.sources and not safeguard.platform_policy:
            raise _fail(document, (*here, "sources"), "expected at least one source (or `platform_policy: true`)")
        for j, event in enumerate(safeguard.applies_to):
            if event not in known_events:
                raise _fail(document, (*here, "applies_to", j), f"unknown event {event!r}; expected one of {sorted(known_events)}")
        for j, check in enumerate(safeguard.checks):
            at = (*here, "checks", j)
            if check.fact not in facts:
                raise _fail(document, (*at, "fact"), f"unknown fact {check.fact!r}; expected one of {sorted(facts)}")
            needs_other, needs_field = TESTS[check.test]
            if needs_other and check.other not in facts:
                raise _fail(document, at, f"test {check.test!r} needs `other`: the fact to compare with (received {check.other!r})")
            if needs_field and check.field not in item_fields(check.fact):
                raise _fail(document, at, f"test {check.test!r} needs `field`: one of {sorted(item_fields(check.fact))} (received {check.field!r})")
            if check.when is not None and check.when.fact not in facts:
                raise _fail(document, (*at, "when", "fact"), f"unknown fact {check.when.fact!r}")
            for k, event in enumerate(check.events or ()):
                if event not in safeguard.applies_to:
                    raise _fail(document, (*at, "events", k), f"event {event!r} is not in this safeguard's applies_to {safeguard.applies_to}")
        for j, source in enumerate(safeguard.sources):
            if source.instrument is not None and instrument_ok is not None:
                problem = instrument_ok(source.instrument)
                if problem:
                    raise _fail(document, (*here, "sources", j, "instrument"), problem)


def _compile(spec: CatalogueSpec, path: str) -> Catalogue:
    safeguards: dict[str, Safeguard] = {}
    for s in spec.safeguards:
        checks = tuple(
            compile_check(
                c.fact,
                c.test,
                missing=c.missing,
                other=c.other,
                field=c.field,
                when=(c.when.fact, c.when.test) if c.when else None,
                events=frozenset(c.events) if c.events else None,
            )
            for c in s.checks
        )
        safeguards[s.id] = Safeguard(
            spec=s,
            citations=tuple(src.cite() for src in s.sources),
            treaty_sources=tuple(src for src in s.sources if src.is_treaty),
            checks=checks,
        )
    by_event = {e: tuple(g for g in safeguards.values() if e in g.spec.applies_to) for e in spec.events}
    return Catalogue(spec.version, spec.as_at, tuple(spec.events), safeguards, by_event, path)


def load_catalogue(path: str | Path | None = None, *, instrument_ok: Any = None) -> Catalogue:
    """Load and compile a safeguards catalogue (the shipped one by default).

    Args:
        path: a catalogue YAML file; the package's ``catalogue.yaml`` when omitted.
        instrument_ok: optional callable ``(instrument) -> problem text or None`` used to reject a
            source whose instrument the commitments engine does not know.

    Raises:
        InvalidInput: the file is malformed; the message names the file, the line and what was expected.
    """
    document = read_yaml(path or DEFAULT_PATH)
    spec = validate(CatalogueSpec, document, "safeguards catalogue")
    _check_semantics(spec, document, instrument_ok)
    return _compile(spec, document.filename)
