"""The result of evaluating the safeguards for one case event: what binds, what is met, what blocks.

An `Evaluation` is a plain value: it records the event, the jurisdiction, the date it was evaluated
for, the catalogue version and the facts, so a recorded decision can be replayed and compared
later. `to_dict()` / `from_dict()` round-trip exactly through JSON.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["binding", "adopted", "recommended"]


@dataclass(frozen=True, slots=True)
class Binding:
    """One instrument that binds the State on the date, with the commitments engine's reason."""

    instrument: str
    articles: tuple[str, ...]
    reason: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"instrument": self.instrument, "articles": list(self.articles), "reason": self.reason, "source": self.source}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Binding:
        return cls(data["instrument"], tuple(data["articles"]), data["reason"], data["source"])


@dataclass(frozen=True, slots=True)
class SafeguardResult:
    """The outcome of one safeguard for the event.

    Attributes:
        status: ``binding`` (the State is bound on the date by at least one cited instrument),
            ``adopted`` (the jurisdiction opted in by policy) or ``recommended``.
        met: every check that applies to these facts holds.
        missing: what is missing, in plain words, one entry per failed check.
        sources: every cited source, rendered (``"ICRMW art. 22(3)"``, ``"A/59/377 para 65"``).
        bound_by: the instruments that bind, with the reason (empty unless ``binding``).
        notes: anything the reader must know, e.g. that binding status is unknown for a source.
    """

    safeguard: str
    title: str
    status: Status
    met: bool
    missing: tuple[str, ...]
    sources: tuple[str, ...]
    bound_by: tuple[Binding, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def blocking(self) -> bool:
        return not self.met and self.status != "recommended"

    def to_dict(self) -> dict[str, Any]:
        return {
            "safeguard": self.safeguard,
            "title": self.title,
            "status": self.status,
            "met": self.met,
            "blocking": self.blocking,
            "missing": list(self.missing),
            "sources": list(self.sources),
            "bound_by": [b.to_dict() for b in self.bound_by],
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SafeguardResult:
        return cls(
            safeguard=data["safeguard"],
            title=data["title"],
            status=data["status"],
            met=data["met"],
            missing=tuple(data["missing"]),
            sources=tuple(data["sources"]),
            bound_by=tuple(Binding.from_dict(b) for b in data["bound_by"]),
            notes=tuple(data["notes"]),
        )


@dataclass(frozen=True)
class Evaluation:
    """Every safeguard that applies to one event, for one jurisdiction, on one date."""

    event: str
    jurisdiction: str
    evaluated_on: datetime.date
    rules_version: str
    results: tuple[SafeguardResult, ...]
    adopted: tuple[str, ...] = ()
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def blocking(self) -> tuple[SafeguardResult, ...]:
        """The binding or adopted safeguards that are not met; a decision with any is refused."""
        return tuple(r for r in self.results if r.blocking)

    @property
    def ok(self) -> bool:
        return not self.blocking

    def result(self, safeguard: str) -> SafeguardResult:
        """The result for one safeguard id; KeyError if it does not apply to this event."""
        for r in self.results:
            if r.safeguard == safeguard:
                return r
        raise KeyError(safeguard)

    def blocking_details(self) -> list[dict[str, Any]]:
        """The blocking safeguards in the API's 409 ``details`` shape (issue 4, item 6)."""
        return [
            {"safeguard": r.safeguard, "status": r.status, "sources": list(r.sources), "missing": "; ".join(r.missing)}
            for r in self.blocking
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "jurisdiction": self.jurisdiction,
            "evaluated_on": self.evaluated_on.isoformat(),
            "rules_version": self.rules_version,
            "adopted": list(self.adopted),
            "facts": self.facts,
            "ok": self.ok,
            "results": [r.to_dict() for r in self.results],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evaluation:
        return cls(
            event=data["event"],
            jurisdiction=data["jurisdiction"],
            evaluated_on=datetime.date.fromisoformat(data["evaluated_on"]),
            rules_version=data["rules_version"],
            results=tuple(SafeguardResult.from_dict(r) for r in data["results"]),
            adopted=tuple(data.get("adopted", ())),
            facts=dict(data.get("facts", {})),
        )
