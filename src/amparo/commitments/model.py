"""Value objects of the commitments engine: instruments and the answers the engine gives."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

Status = Literal["binding", "not_binding", "unknown"]


def _iso(value: datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True, slots=True)
class Instrument:
    """One treaty or protocol, with its entry-into-force rule and the state of Amparo's data on it.

    ``status_as_at``, ``partial`` and ``source`` describe the shipped participation data, not the
    treaty: facts after ``status_as_at`` are not known to Amparo.
    """

    id: str
    short_name: str
    aliases: tuple[str, ...]
    title: str
    adopted: datetime.date
    entry_into_force: datetime.date
    eif_rule: dict[str, Any]
    eif_article: str
    untc_reference: str | None = None
    normlex_id: int | None = None
    parent: str | None = None
    denunciation_rule: dict[str, Any] | None = None
    denunciation_article: str | None = None
    complaint_procedure: str | None = None
    complaint: dict[str, Any] | None = None
    open_to_organisations: bool = False
    declared_parties: int | None = None
    later_joiners: str = "after_nth_deposit"
    status_as_at: datetime.date | None = None
    status_as_at_text: str | None = None
    partial: bool = False
    source: str | None = None
    line: int = 0

    def __hash__(self) -> int:  # the rule dicts are not hashable; the id identifies an instrument
        return hash(self.id)

    def cite(self, articles: str = "") -> str:
        """A citation in Amparo's house form, e.g. ``ICRMW art. 87(2)``."""
        return f"{self.short_name} {articles}".strip()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "short_name": self.short_name,
            "aliases": list(self.aliases),
            "title": self.title,
            "untc_reference": self.untc_reference,
            "normlex_id": self.normlex_id,
            "parent": self.parent,
            "adopted": _iso(self.adopted),
            "entry_into_force": _iso(self.entry_into_force),
            "eif_rule": dict(self.eif_rule),
            "eif_article": self.eif_article,
            "denunciation_rule": dict(self.denunciation_rule) if self.denunciation_rule else None,
            "denunciation_article": self.denunciation_article,
            "complaint_procedure": self.complaint_procedure,
            "complaint": dict(self.complaint) if self.complaint else None,
            "open_to_organisations": self.open_to_organisations,
            "declared_parties": self.declared_parties,
            "later_joiners": self.later_joiners,
            "status_as_at": _iso(self.status_as_at),
            "status_as_at_text": self.status_as_at_text,
            "partial": self.partial,
            "source": self.source,
        }


class StatusAnswer(NamedTuple):
    """Whether ``state`` is bound by ``instrument`` on ``on``, why, and on what data.

    A tuple, not a dataclass: the safeguards engine asks this question for every decision, and a
    tuple is the cheapest immutable object Python builds.
    """

    state: str
    instrument: str
    on: datetime.date
    status: Status
    reason: str
    source: str
    status_as_at: datetime.date
    in_force_from: datetime.date | None

    @property
    def binding(self) -> bool:
        return self.status == "binding"

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "instrument": self.instrument,
            "on": self.on.isoformat(),
            "status": self.status,
            "reason": self.reason,
            "source": self.source,
            "status_as_at": self.status_as_at.isoformat(),
            "in_force_from": _iso(self.in_force_from),
        }


class CountAnswer(NamedTuple):
    """How many participants had deposited an act (and not denounced it) by ``as_of``.

    ``partial``: the source lists only some parties, so ``count`` is a lower bound.
    ``stale``: ``as_of`` is after ``status_as_at``, so acts deposited since then are missing.
    """

    instrument: str
    as_of: datetime.date
    count: int
    status_as_at: datetime.date
    source: str
    partial: bool
    stale: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "as_of": self.as_of.isoformat(),
            "count": self.count,
            "status_as_at": self.status_as_at.isoformat(),
            "source": self.source,
            "partial": self.partial,
            "stale": self.stale,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class StateInfo:
    """A State or other participant as Amparo codes it (``code`` is alpha-3 or a documented special)."""

    code: str
    alpha2: str | None
    name: str
    un_member: bool

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "alpha2": self.alpha2, "name": self.name, "un_member": self.un_member}


@dataclass(frozen=True, slots=True)
class Participant:
    """One participant's standing under an instrument on a date (rows of parties / non-parties)."""

    state: str
    name: str
    signed: datetime.date | None
    action: str | None
    deposited: datetime.date | None
    in_force_from: datetime.date | None
    status: Status
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "name": self.name,
            "signed": _iso(self.signed),
            "action": self.action,
            "deposited": _iso(self.deposited),
            "in_force_from": _iso(self.in_force_from),
            "status": self.status,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class PartiesAnswer:
    """Parties, or non-parties split into signatories and others, as of a date."""

    instrument: str
    as_of: datetime.date
    status_as_at: datetime.date
    source: str
    partial: bool
    stale: bool
    parties: tuple[Participant, ...] = ()
    signatories: tuple[Participant, ...] = ()
    others: tuple[Participant, ...] = ()
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "instrument": self.instrument,
            "as_of": self.as_of.isoformat(),
            "status_as_at": self.status_as_at.isoformat(),
            "source": self.source,
            "partial": self.partial,
            "stale": self.stale,
            "note": self.note,
        }
        for key in ("parties", "signatories", "others"):
            out[key] = [p.to_dict() for p in getattr(self, key)]
        return out


@dataclass(frozen=True, slots=True)
class YearCount:
    """One row of an instrument's timeline: parties at the end of ``year`` and joiners that year."""

    year: int
    parties: int
    joined: int
    left: int

    def to_dict(self) -> dict[str, Any]:
        return {"year": self.year, "parties": self.parties, "joined": self.joined, "left": self.left}


@dataclass(frozen=True, slots=True)
class ComplaintRoute:
    """An individual complaint procedure open (or not) against a State on a date."""

    instrument: str
    procedure: str
    status: Status
    reason: str
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"instrument": self.instrument, "procedure": self.procedure, "status": self.status, "reason": self.reason, "source": self.source}


@dataclass(frozen=True, slots=True)
class Citation:
    """A parsed reference such as ``Trafficking Protocol arts. 6-7``."""

    instrument: Instrument
    articles: str = ""
    text: str = field(default="")
