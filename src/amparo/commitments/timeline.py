"""One participant's standing under one instrument over time, as piecewise-constant segments.

``evaluate`` answers for a single day straight from the facts (easy to read and to check against
the treaty text). ``segments`` evaluates it once at every date where the answer can change and
merges equal neighbours; the engine then answers any day with one bisect. A property test checks
that both agree on arbitrary days.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from amparo.commitments.model import Instrument
from amparo.commitments.rules import entry_into_force

_VERB = {
    "ratification": "ratified",
    "accession": "acceded",
    "succession": "notified succession",
    "acceptance": "accepted",
    "approval": "approved",
    "formal confirmation": "formally confirmed",
}

#: (status, reason, source, in_force_from)
Answer = tuple[str, str, str, datetime.date | None]
FIRST_DAY = datetime.date(1, 1, 1)


def _d(text: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(text) if text else None


@dataclass(slots=True)
class Act:
    """A deposited act with the dates derived from it."""

    kind: str
    deposited: datetime.date  # earliest possible deposit date
    certain: datetime.date  # date by which it was certainly deposited (year-only dates differ)
    eif_early: datetime.date  # earliest possible date it took effect
    eif: datetime.date  # date by which it certainly took effect
    how: str  # "from <eif> under <article>": when and why it took effect
    verb: str
    end: datetime.date | None = None
    end_text: str = ""
    source: str = ""


def build_acts(inst: Instrument, record: dict[str, Any], code: str) -> list[Act]:
    """Turn a participant record into acts, each ended by the denunciation that applies to it."""
    acts: list[Act] = []
    treaty_eif = inst.entry_into_force
    for raw in record.get("acts", ()):
        dep = _d(raw["deposited"])
        assert dep is not None
        latest = _d(raw.get("deposited_latest")) or dep
        kind = raw["kind"]
        verb = "re-acceded" if raw.get("reaccession") else _VERB.get(kind, kind)
        dep_text = f"in {dep.year} (the source gives the year only)" if latest != dep else dep.isoformat()
        verb = f"{verb} {dep_text}"
        override = _d(raw.get("in_force_from"))
        by_rule = max(entry_into_force(inst.eif_rule, latest), treaty_eif)
        if override and kind != "succession" and override != by_rule and not raw.get("reaccession"):
            # The source contradicts itself (its deposit date and its entry-into-force date are not
            # the rule's distance apart): bound for certain only from the later of the two.
            eif_early, eif = min(override, by_rule), max(override, by_rule)
            how = (
                f"from {eif.isoformat()} at the latest: the source gives {override.isoformat()}, but its deposit "
                f"date gives {by_rule.isoformat()} under {inst.cite(inst.eif_article)}"
            )
        elif override:
            eif = eif_early = override
            how = f"from {eif.isoformat()} (date given by the source; {inst.cite(inst.eif_article)})"
        elif kind == "succession":
            eif = max(dep, treaty_eif)
            eif_early = treaty_eif if dep > treaty_eif else eif
            how = (
                f"from {eif.isoformat()} at the latest (a succession operates from the date of "
                "succession of States, which the source does not give)"
            )
        elif inst.later_joiners == "after_entry_into_force" and dep < treaty_eif < by_rule:
            # Deposited after the instrument that brought the treaty into force but before that
            # date: the article speaks only of States joining after entry into force.
            eif_early, eif = treaty_eif, by_rule
            how = (
                f"from {eif.isoformat()} at the latest: it deposited between the instrument that brought "
                f"{inst.short_name} into force and that date ({treaty_eif.isoformat()}), a case "
                f"{inst.cite(inst.eif_article)} (States joining after entry into force) does not settle"
            )
        else:
            eif_early = max(entry_into_force(inst.eif_rule, dep), treaty_eif)
            eif = max(entry_into_force(inst.eif_rule, latest), treaty_eif)
            if eif == treaty_eif and entry_into_force(inst.eif_rule, latest) < treaty_eif:
                how = f"from {eif.isoformat()}, when {inst.short_name} itself entered into force"
            else:
                at_latest = " at the latest" if latest != dep else ""
                how = f"from {eif.isoformat()}{at_latest} under {inst.cite(inst.eif_article)}"
        acts.append(Act(kind, dep, latest, eif_early, eif, how, verb, source=raw.get("source", "")))
    for den in sorted(record.get("denunciations", ()), key=lambda d: d["notified"]):
        notified = _d(den["notified"])
        effective = _d(den["effective"])
        assert notified is not None and effective is not None
        prior = [a for a in acts if a.deposited < notified and a.end is None]
        if not prior:
            continue
        basis = (
            f"under {inst.cite(inst.denunciation_article or '')}".rstrip()
            if den.get("effective_basis") == "rule"
            else "(date given by the source)"
        )
        prior[-1].end = effective
        prior[-1].end_text = f"denunciation notified {notified.isoformat()} took effect {effective.isoformat()} {basis}"
        prior[-1].source = den.get("source", "")
    return acts


def count_spans(record: dict[str, Any]) -> list[tuple[int, int]]:
    """Merged [deposit, denunciation effective) spans in ordinals, for counting parties.

    Works on the raw ISO strings (which sort as dates) so that loading stays cheap; it applies
    denunciations exactly as ``build_acts`` does.
    """
    raw_acts = record.get("acts") or ()
    if not raw_acts:
        return []
    if len(raw_acts) == 1 and not record.get("denunciations"):  # nearly every participant
        only = raw_acts[0]
        return [(datetime.date.fromisoformat(only.get("deposited_latest") or only["deposited"]).toordinal(), 10**7)]
    acts = [[a.get("deposited_latest") or a["deposited"], a["deposited"], None] for a in raw_acts]
    for den in sorted(record.get("denunciations", ()), key=lambda d: d["notified"]):
        prior = [a for a in acts if a[1] < den["notified"] and a[2] is None]
        if prior:
            prior[-1][2] = den["effective"]
    merged: list[list[int]] = []
    for certain, _dep, end in sorted(acts):
        start = datetime.date.fromisoformat(certain).toordinal()
        stop = datetime.date.fromisoformat(end).toordinal() if end else 10**7
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], stop)
        elif start < stop:
            merged.append([start, stop])
    return [(a, b) for a, b in merged]


def _notes(inst: Instrument, record: dict[str, Any]) -> str:
    parts = []
    for note in record.get("notes", ()):
        parts.append(f"notification of withdrawal of {note['date']} not given effect ({inst.short_name} has no withdrawal clause)")
    return "".join(f"; {p}" for p in parts)


def evaluate(inst: Instrument, record: dict[str, Any] | None, code: str, day: datetime.date, acts: list[Act] | None = None) -> Answer:
    """The answer for one day, from the facts. ``acts`` may be passed to avoid rebuilding them."""
    assert inst.status_as_at is not None
    as_at = inst.status_as_at
    record = record or {}
    base_source = record.get("source") or inst.source or ""
    if acts is None:
        acts = build_acts(inst, record, code)

    def src(act: Act | None) -> str:
        return f"{base_source}; {act.source}" if act is not None and act.source else base_source

    for act in acts:
        if act.eif <= day and (act.end is None or day < act.end):
            caveat = ""
            if day > as_at and (inst.denunciation_rule or {}).get("kind") != "not_provided":
                caveat = f"; Amparo's data runs to {as_at.isoformat()}, so a denunciation since then would not be known"
            return "binding", f"{act.verb}; in force for {code} {act.how}{_notes(inst, record)}{caveat}", src(act), act.eif
    for act in acts:
        if act.eif_early <= day < act.eif and (act.end is None or day < act.end):
            return "unknown", f"{act.verb}; in force for {code} {act.how}, so on this date it may or may not have been bound", src(act), act.eif
    # Not bound on ``day``: say why, then decide whether the data allows a confident "no".
    deposited = [a for a in acts if a.certain <= day]
    later = [a for a in acts if a.certain > day]
    if deposited and (deposited[-1].end is None or day < deposited[-1].end):
        act = deposited[-1]
        reason, in_force = f"{act.verb}; in force for {code} only {act.how}", act.eif
    elif deposited:
        act = deposited[-1]
        reason, in_force = f"{act.verb}; {act.end_text}", None
        if later:
            reason += f"; {later[0].verb}, in force for {code} {later[0].how}"
            in_force = later[0].eif
    elif later:
        act = later[0]
        reason, in_force = f"not yet a party; later {act.verb}, in force for {code} {act.how}", act.eif
    else:
        act = None
        signed = record.get("signed")
        reason = f"signed {signed} but deposited no ratification" if signed else "deposited no ratification, accession or succession"
        reason = f"{code} {reason} as at {as_at.isoformat()}"
        in_force = None
    if inst.partial:
        return (
            "unknown",
            f"{reason}; Amparo's list of parties to {inst.short_name} is partial "
            f"(status as at {inst.status_as_at_text}), so it cannot exclude a commitment it does not list",
            src(act),
            in_force,
        )
    party_at_cutoff = any(a.certain <= as_at and (a.end is None or as_at < a.end) for a in acts)
    if day > as_at and not party_at_cutoff:
        return (
            "unknown",
            f"{reason}; Amparo's data on {inst.short_name} runs to {as_at.isoformat()} and {code} "
            "was not a party then, so it may have joined since",
            src(act),
            in_force,
        )
    return "not_binding", reason, src(act), in_force


def segments(inst: Instrument, record: dict[str, Any] | None, code: str) -> tuple[list[int], list[Answer]]:
    """Start ordinals and answers of the piecewise-constant timeline of ``code`` under ``inst``."""
    assert inst.status_as_at is not None
    acts = build_acts(inst, record or {}, code)
    points = {FIRST_DAY, inst.status_as_at + datetime.timedelta(days=1)}
    for act in acts:
        points.update((act.deposited, act.certain, act.eif_early, act.eif))
        if act.end:
            points.add(act.end)
    starts: list[int] = []
    answers: list[Answer] = []
    for point in sorted(points):
        answer = evaluate(inst, record, code, point, acts)
        if answers and answers[-1] == answer:
            continue
        starts.append(point.toordinal())
        answers.append(answer)
    return starts, answers
