"""The query engine: which instruments bind which State on which date, and how many parties."""

from __future__ import annotations

import datetime
import json
from bisect import bisect_right
from pathlib import Path
from typing import Any

from amparo.commitments import timeline
from amparo.commitments.lookup import suggestions, unknown
from amparo.commitments.model import (
    ComplaintRoute,
    CountAnswer,
    Instrument,
    Participant,
    PartiesAnswer,
    StateInfo,
    StatusAnswer,
    YearCount,
)
from amparo.commitments.names import fold
from amparo.errors import DataError, InvalidInput

_new = tuple.__new__
_date = datetime.date
#: Participants counted in every non-party list besides UN Member States (see names.py).
_NON_MEMBER_STATES = ("COK", "NIU", "PSE", "VAT")


def as_date(value: Any, field: str = "date") -> datetime.date:
    """A date from a ``date``, a ``datetime`` or an ISO string.

    Raises:
        InvalidInput: the value is not a date written YYYY-MM-DD.
    """
    if type(value) is _date:
        return value
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, _date):
        return value
    try:
        return _date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(
            f"Invalid {field} {value!r}: expected a calendar date written YYYY-MM-DD, e.g. 2004-08-31.",
            details=[{"field": field, "value": str(value)}],
        ) from None


class Commitments:
    """Answers about treaty commitments, loaded from the shipped data.

    Args:
        catalogue: validated instrument dicts in catalogue order (``catalogue.json``).
        participation: the parsed ``participation.json``.
    """

    def __init__(self, catalogue: list[dict[str, Any]], participation: dict[str, Any]):
        if participation.get("format") != 1:
            raise DataError(f"participation data has format {participation.get('format')!r}; expected 1")
        self._records: dict[str, dict[str, dict[str, Any]]] = {}
        instruments: list[Instrument] = []
        meta_all = participation["instruments"]
        for raw in catalogue:
            iid = raw["id"]
            if iid not in meta_all:
                raise DataError(f"participation data lacks instrument {iid}; rebuild with `amparo treaties build-data`")
            meta = meta_all[iid]["meta"]
            instruments.append(_instrument_from(raw, meta))
            self._records[iid] = {p["state"]: p for p in meta_all[iid]["participants"]}
        self._instruments = tuple(instruments)
        self._by_id = {i.id: i for i in instruments}
        self._inst_keys: dict[str, str] = {}
        for inst in instruments:
            for name in (inst.id, inst.short_name, *inst.aliases):
                self._inst_keys[fold(name)] = inst.id
        self._inst_cache: dict[Any, str] = {i.id: i.id for i in instruments}
        # States: [alpha3, alpha2, name, aliases, un_member]
        self._states: dict[str, tuple[str, str | None, str, bool]] = {}
        self._state_keys: dict[str, str] = {}
        for alpha3, alpha2, name, aliases, member in participation["states"]:
            self._states[alpha3] = (alpha3, alpha2, name, member)
            for key in (alpha3, alpha2, name, *aliases):
                if key:
                    self._state_keys.setdefault(fold(key), alpha3)
        for alpha3 in self._states:  # codes win over any name that folds to the same letters
            self._state_keys[fold(alpha3)] = alpha3
        self._state_cache: dict[Any, str] = {code: code for code in self._states}
        self._timelines: dict[str, dict[str, tuple[list[int], list[tuple[Any, ...]]]]] = {i.id: {} for i in instruments}
        self._pairs: dict[tuple[Any, Any], tuple[str, str, list[int], list[tuple[Any, ...]]]] = {}
        self._counts = {inst.id: self._count_index(inst) for inst in instruments}
        self._count_by_ref: dict[str, tuple[Any, ...]] = {}

    # -- resolution -------------------------------------------------------------------------

    def instrument(self, ref: str | Instrument) -> Instrument:
        """The instrument with this id or alias (case-, space- and punctuation-insensitive).

        Raises:
            UnknownInstrument: nothing matches; the message lists the closest ids.
        """
        return self._by_id[self._instrument_id(ref)]

    def instruments(self) -> list[Instrument]:
        """Every instrument, in catalogue order."""
        return list(self._instruments)

    def _instrument_id(self, ref: Any) -> str:
        iid = self._inst_cache.get(ref)
        if iid is not None:
            return iid
        if isinstance(ref, Instrument):
            return self._instrument_id(ref.id)
        iid = self._inst_keys.get(fold(str(ref)))
        if iid is None:
            labels = {i.id: i.id for i in self._instruments}
            found = suggestions(str(ref), self._inst_keys, labels)
            raise unknown("instrument", ref, found, "an instrument id or alias such as ICRMW, CMW, ICCPR or 'Trafficking Protocol' (see `amparo treaties list`)")
        if isinstance(ref, str) and len(self._inst_cache) < 10_000:
            self._inst_cache[ref] = iid
        return iid

    def resolve_state(self, ref: str) -> str:
        """The alpha-3 (or documented special) code for a code, an alpha-2 code or a name.

        Raises:
            UnknownState: nothing matches; the message lists the closest States.
        """
        code = self._state_cache.get(ref)
        if code is not None:
            return code
        code = self._state_keys.get(fold(str(ref))) if str(ref).strip() else None
        if code is None:
            labels = {c: f"{c} ({s[2]})" for c, s in self._states.items()}
            found = suggestions(str(ref), self._state_keys, labels)
            raise unknown("state", ref, found, "an ISO 3166-1 alpha-3 or alpha-2 code or a country name, e.g. ARG, AR or Argentina")
        if isinstance(ref, str) and len(self._state_cache) < 10_000:
            self._state_cache[ref] = code
        return code

    def state_name(self, code: str) -> str:
        """The display name of a resolved code."""
        return self._states[self.resolve_state(code)][2]

    def state(self, ref: str) -> StateInfo:
        """Code, alpha-2 code (None for EUU), English name and UN membership of a State or participant."""
        code, alpha2, name, member = self._states[self.resolve_state(ref)]
        return StateInfo(code, alpha2, name, member)

    # -- status -------------------------------------------------------------------------------

    def status(self, state: str, instrument: str | Instrument, on: Any) -> StatusAnswer:
        """Whether ``state`` is bound by ``instrument`` on ``on``: binding, not_binding or unknown."""
        # Hot path (the safeguards engine asks this for every decision): one dict lookup on what the
        # caller passed, one bisect, one tuple.
        try:
            pair = self._pairs.get((state, instrument)) or self._pair(state, instrument)
        except TypeError:  # an unhashable argument, such as a list
            raise InvalidInput(
                f"State and instrument must be text (a code or a name), got {state!r} and {instrument!r}."
            ) from None
        if type(on) is not _date:
            on = as_date(on, "on")
        code, iid, starts, segments = pair
        return _new(StatusAnswer, (code, iid, on, *segments[bisect_right(starts, on.toordinal()) - 1]))

    def _pair(self, state: Any, instrument: Any) -> tuple[str, str, list[int], list[tuple[Any, ...]]]:
        code = self.resolve_state(state)
        iid = self._instrument_id(instrument)
        line = self._timelines[iid].get(code)
        if line is None:
            inst = self._by_id[iid]
            starts, answers = timeline.segments(inst, self._records[iid].get(code), code)
            # Answer fields after (state, instrument, on): status, reason, source, status_as_at, in_force_from.
            line = self._timelines[iid][code] = (starts, [(s, r, src, inst.status_as_at, f) for s, r, src, f in answers])
        pair = (code, iid, line[0], line[1])
        # Caches only grow by whole-value assignment, which is atomic under the GIL: two threads
        # racing here at worst build the same timeline twice.
        try:
            if len(self._pairs) < 200_000:
                self._pairs[(state, instrument)] = pair
        except TypeError:  # an unhashable argument: answer without caching
            pass
        return pair

    def _timeline(self, iid: str, code: str) -> tuple[list[int], list[tuple[Any, ...]]]:
        self._pair(code, iid)
        return self._timelines[iid][code]

    def explain(self, state: str, instrument: str | Instrument, on: Any) -> StatusAnswer:
        """The same answer as ``status``, computed from the facts without the precomputed index."""
        code, iid, on = self.resolve_state(state), self._instrument_id(instrument), as_date(on, "on")
        inst = self._by_id[iid]
        status, reason, source, in_force = timeline.evaluate(inst, self._records[iid].get(code), code, on)
        return StatusAnswer(code, iid, on, status, reason, source, inst.status_as_at, in_force)  # type: ignore[arg-type]

    def profile(self, state: str, on: Any) -> list[StatusAnswer]:
        """Every instrument's status for ``state`` on ``on``, in catalogue order."""
        code, day = self.resolve_state(state), as_date(on, "on")
        return [self.status(code, inst.id, day) for inst in self._instruments]

    # -- counts -------------------------------------------------------------------------------

    def _count_index(self, inst: Instrument) -> tuple[list[int], list[int]]:
        starts: list[int] = []
        ends: list[int] = []
        for record in self._records[inst.id].values():
            for start, end in timeline.count_spans(record):
                starts.append(start)
                ends.append(end)
        return sorted(starts), sorted(ends)

    def count(self, instrument: str | Instrument, as_of: Any) -> CountAnswer:
        """Acts deposited on or before ``as_of`` minus denunciations in effect: "ratified by N"."""
        index = self._count_by_ref.get(instrument) or self._count_ref(instrument)
        if type(as_of) is not _date:
            as_of = as_date(as_of, "as_of")
        starts, ends, cutoff, iid, as_at, source, partial, fresh, stale = index
        day = as_of.toordinal()
        n = bisect_right(starts, day) - bisect_right(ends, day)
        if day > cutoff:
            return _new(CountAnswer, (iid, as_of, n, as_at, source, partial, True, stale))
        return _new(CountAnswer, (iid, as_of, n, as_at, source, partial, False, fresh))

    def _count_ref(self, instrument: Any) -> tuple[Any, ...]:
        inst = self._by_id[self._instrument_id(instrument)]
        starts, ends = self._counts[inst.id]
        assert inst.status_as_at is not None
        index = (
            starts, ends, inst.status_as_at.toordinal(), inst.id, inst.status_as_at, inst.source, inst.partial,
            self._count_reason(inst, False), self._count_reason(inst, True),
        )
        if isinstance(instrument, str) and len(self._count_by_ref) < 10_000:
            self._count_by_ref[instrument] = index
        return index

    def _count_reason(self, inst: Instrument, stale: bool) -> str:
        parts = ["acts of ratification, accession, succession, acceptance, approval or formal confirmation deposited by this date, less denunciations in effect"]
        if inst.partial:
            declared = f" (the source declares {inst.declared_parties})" if inst.declared_parties else ""
            parts.append(f"a lower bound: the source lists only part of the parties{declared}")
        if stale:
            parts.append(f"acts after {inst.status_as_at} are not in Amparo's data")
        return "; ".join(parts)

    # -- lists --------------------------------------------------------------------------------

    def _participant(self, inst: Instrument, code: str, day: datetime.date) -> Participant:
        record = self._records[inst.id].get(code) or {}
        acts = [a for a in timeline.build_acts(inst, record, code) if a.certain <= day]
        answer = self.status(code, inst.id, day)
        last = acts[-1] if acts else None
        signed = record.get("signed")
        return Participant(
            state=code,
            name=self._states[code][2] if code in self._states else record.get("name_in_source", code),
            signed=_date.fromisoformat(signed) if signed else None,
            action=last.kind if last else None,
            deposited=last.deposited if last else None,
            in_force_from=answer.in_force_from,
            status=answer.status,
            reason=answer.reason,
        )

    def _counted(self, inst: Instrument, code: str, day: datetime.date) -> bool:
        acts = timeline.build_acts(inst, self._records[inst.id][code], code)
        return any(a.certain <= day and (a.end is None or day < a.end) for a in acts)

    def parties(self, instrument: str | Instrument, as_of: Any) -> PartiesAnswer:
        """The participants counted on ``as_of`` (the members of ``count``), alphabetically by code."""
        inst, day = self.instrument(instrument), as_date(as_of, "as_of")
        codes = [c for c in sorted(self._records[inst.id]) if self._counted(inst, c, day)]
        return self._answer(inst, day, parties=tuple(self._participant(inst, c, day) for c in codes))

    def non_parties(self, instrument: str | Instrument, as_of: Any) -> PartiesAnswer:
        """UN Member States and the other States that join UN treaties, not counted on ``as_of``.

        Signatories (signed on or before ``as_of``) are listed apart from the others.
        """
        inst, day = self.instrument(instrument), as_date(as_of, "as_of")
        universe = {c for c, s in self._states.items() if s[3]} | set(_NON_MEMBER_STATES)
        if inst.open_to_organisations:
            universe.add("EUU")
        records = self._records[inst.id]
        universe |= {c for c in records if c in universe or records[c].get("acts")}
        signatories, others = [], []
        for code in sorted(universe):
            if code in records and self._counted(inst, code, day):
                continue
            row = self._participant(inst, code, day)
            (signatories if row.signed and row.signed <= day else others).append(row)
        note = "partial data: these are not known to be parties" if inst.partial else ""
        return self._answer(inst, day, signatories=tuple(signatories), others=tuple(others), note=note)

    def _answer(self, inst: Instrument, day: datetime.date, **lists: Any) -> PartiesAnswer:
        assert inst.status_as_at is not None
        return PartiesAnswer(inst.id, day, inst.status_as_at, inst.source or "", inst.partial, day > inst.status_as_at, **lists)

    def timeline(self, instrument: str | Instrument) -> list[YearCount]:
        """Parties at the end of each year (the last row at the status-as-at date), with joiners and leavers."""
        inst = self.instrument(instrument)
        assert inst.status_as_at is not None
        starts, ends = self._counts[inst.id]
        if not starts:
            return []
        first = _date.fromordinal(starts[0]).year
        rows = []
        for year in range(first, inst.status_as_at.year + 1):
            lo = _date(year, 1, 1).toordinal()
            hi = min(_date(year, 12, 31), inst.status_as_at).toordinal()
            rows.append(YearCount(
                year,
                bisect_right(starts, hi) - bisect_right(ends, hi),
                bisect_right(starts, hi) - bisect_right(starts, lo - 1),
                bisect_right(ends, hi) - bisect_right(ends, lo - 1),
            ))
        return rows

    # -- complaint procedures -----------------------------------------------------------------

    def complaint_routes(self, state: str, on: Any) -> list[ComplaintRoute]:
        """The individual complaint procedures open against ``state`` on ``on`` (PRODUCT.md 3.6)."""
        code, day = self.resolve_state(state), as_date(on, "on")
        routes = []
        for inst in self._instruments:
            if not inst.complaint:
                continue
            answer = self.status(code, inst.id, day)
            status, reason, source = answer.status, answer.reason, answer.source
            requires = inst.complaint.get("requires")
            if status == "binding" and requires:
                other = self.status(code, requires, day)
                if other.status != "binding":
                    status, reason = other.status, f"needs {self.instrument(requires).short_name} as well: {other.reason}"
            if status == "binding" and inst.complaint["via"] == "declaration":
                status, reason, source = self._declaration(inst, code, day, source)
            routes.append(ComplaintRoute(inst.id, inst.complaint["text"], status, reason, source))  # type: ignore[arg-type]
        return routes

    def _declaration(self, inst: Instrument, code: str, day: datetime.date, source: str) -> tuple[str, str, str]:
        article = inst.complaint["article"]  # type: ignore[index]
        made = [d for d in self._records[inst.id].get(code, {}).get("declarations", ())
                if d["event"] == "declaration_individual_complaints" and (d["effective"] or d["notified"]) <= day.isoformat()]
        if not made:
            if day > inst.status_as_at:  # type: ignore[operator]
                return "unknown", f"no {article} declaration known as at {inst.status_as_at}; one may have been made since", source
            return "not_binding", f"bound by {inst.short_name} but no {article} declaration by this date", source
        decl = made[0]
        needed = inst.complaint.get("operative_after_declarations")  # type: ignore[union-attr]
        if needed:
            total = sum(
                1 for rec in self._records[inst.id].values() for d in rec.get("declarations", ())
                if d["event"] == "declaration_individual_complaints" and (d["effective"] or d["notified"]) <= day.isoformat()
            )
            if total < needed:
                return "not_binding", f"{article} declaration made {decl['notified']}, but the procedure is not operative: {total} of the {needed} declarations it needs", decl["source"]
        return "binding", f"{article} declaration made {decl['notified']}", f"{source}; {decl['source']}"

    # -- citations ----------------------------------------------------------------------------

    def split_citation(self, text: str) -> tuple[Instrument, str]:
        """Split ``"Trafficking Protocol arts. 6-7"`` into the instrument and ``"arts. 6-7"``.

        Raises:
            UnknownInstrument: the text does not start with a known instrument name.
        """
        words = text.split()
        for cut in range(len(words), 0, -1):
            head = " ".join(words[:cut])
            iid = self._inst_keys.get(fold(head))
            if iid:
                return self._by_id[iid], " ".join(words[cut:])
        return self.instrument(text), ""


def _instrument_from(raw: dict[str, Any], meta: dict[str, Any]) -> Instrument:
    dates = {k: _date.fromisoformat(raw[k]) for k in ("adopted", "entry_into_force")}
    fields = {k: v for k, v in raw.items() if k not in dates and k != "aliases"}
    return Instrument(
        **fields,
        **dates,
        aliases=tuple(raw.get("aliases", ())),
        status_as_at=_date.fromisoformat(meta["status_as_at"]),
        status_as_at_text=meta["status_as_at_text"],
        partial=meta["partial"],
        source=meta["source"],
    )


def load_from(data_dir: Path) -> Commitments:
    """Load ``catalogue.json`` and ``participation.json`` from ``data_dir``."""
    catalogue = json.loads((data_dir / "catalogue.json").read_text(encoding="utf-8"))
    participation = json.loads((data_dir / "participation.json").read_text(encoding="utf-8"))
    return Commitments(catalogue["instruments"], participation)
