"""Evaluate the safeguards that apply to a case event, for a State on a date.

For each safeguard of the event: it is ``binding`` when the commitments engine says the State is
bound on that date by at least one instrument the safeguard cites; ``adopted`` when the jurisdiction
opted in by policy (or the safeguard is Amparo's own platform policy); ``recommended`` otherwise.
When the commitments data cannot say (``unknown``) the result says so in its notes and never
claims the State is not bound. A binding or adopted safeguard that is not met blocks the event.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import pycountry
from pydantic import ValidationError

from amparo.errors import AmparoError, InvalidInput
from amparo.safeguards.catalogue import Catalogue, Safeguard, load_catalogue
from amparo.safeguards.evaluation import Binding, Evaluation, SafeguardResult, Status
from amparo.safeguards.facts import EventFacts

# Bounded so a long-running process replaying years of decisions cannot grow without limit.
_MAX_CACHED_ANSWERS = 200_000


@lru_cache(maxsize=512)
def normalise_state(value: str) -> str:
    """ISO 3166-1 alpha-3 code of a State given as alpha-3, alpha-2 or English name.

    Examples:
        >>> normalise_state("ar"), normalise_state("Colombia")
        ('ARG', 'COL')

    Raises:
        InvalidInput: no country matches the value.
    """
    try:
        return pycountry.countries.lookup(value.strip()).alpha_3
    except (LookupError, AttributeError):
        raise InvalidInput(
            f"Unknown jurisdiction {value!r}; expected an ISO 3166-1 code (e.g. 'ARG' or 'AR') or an English "
            "country name.",
            details=[{"field": "jurisdiction", "received": value}],
        ) from None


class SafeguardsEngine:
    """A loaded catalogue together with the commitments engine it asks about binding status."""

    def __init__(self, catalogue: Catalogue, commitments: Any):
        self.catalogue = catalogue
        self.commitments = commitments
        self._answers: dict[tuple[str, str, datetime.date], Any] = {}
        # (safeguard, state, date, adopted?) -> status; pure data, so caching cannot change an answer.
        self._statuses: dict[tuple[str, str, datetime.date, bool], tuple[Status, tuple[Binding, ...], tuple[str, ...]]] = {}

    @property
    def rules_version(self) -> str:
        return self.catalogue.version

    @property
    def events(self) -> tuple[str, ...]:
        return self.catalogue.events

    def safeguards_for(self, event: str) -> tuple[Safeguard, ...]:
        """The safeguards that apply to `event`, in catalogue order."""
        try:
            return self.catalogue.by_event[event]
        except KeyError:
            raise InvalidInput(
                f"Unknown case event {event!r}; expected one of: {', '.join(self.catalogue.events)}.",
                details=[{"field": "event", "received": event}],
            ) from None

    def _answer(self, state: str, instrument: str, on: datetime.date) -> Any:
        key = (state, instrument, on)
        answer = self._answers.get(key)
        if answer is None:
            if len(self._answers) >= _MAX_CACHED_ANSWERS:
                self._answers.clear()
            answer = self.commitments.status(state, instrument, on)
            self._answers[key] = answer
        return answer

    def _status(
        self, safeguard: Safeguard, state: str, on: datetime.date, adopted: frozenset[str]
    ) -> tuple[Status, tuple[Binding, ...], tuple[str, ...]]:
        bindings: list[Binding] = []
        unknown: list[str] = []
        articles: dict[str, list[str]] = {}
        for source in safeguard.treaty_sources:
            articles.setdefault(source.instrument or "", []).append(source.article or "")
        for instrument, cited in articles.items():
            answer = self._answer(state, instrument, on)
            if answer.status == "binding":
                bindings.append(Binding(instrument, tuple(cited), f"{instrument}: {answer.reason}", answer.source))
            elif answer.status == "unknown":
                unknown.append(f"{instrument}: {answer.reason}")
        notes: list[str] = []
        is_adopted = safeguard.spec.platform_policy or safeguard.id in adopted
        if bindings:
            status: Status = "binding"
            if is_adopted:
                notes.append("also adopted as policy")
        elif is_adopted:
            status = "adopted"
            notes.append("Amparo platform policy" if safeguard.spec.platform_policy else "adopted as policy by the jurisdiction")
        else:
            status = "recommended"
            if not safeguard.treaty_sources:
                notes.append("its sources are recommendations, which do not bind a State")
        if unknown and not bindings:
            everything = len(unknown) == len(articles)
            lead = "binding status unknown" if everything else "binding status unknown for some sources"
            notes.append(f"{lead} ({'; '.join(unknown)}); this is not a finding that {state} is not bound")
        return status, tuple(bindings), tuple(notes)

    def evaluate(
        self,
        event: str,
        jurisdiction: str,
        on: datetime.date,
        facts: EventFacts | Mapping[str, Any] | None = None,
        adopted: Iterable[str] = frozenset(),
    ) -> Evaluation:
        """Evaluate every safeguard that applies to `event` in `jurisdiction` on date `on`.

        Args:
            event: a catalogue event, e.g. ``"decision:refuse"``, ``"removal_order"``.
            jurisdiction: the deciding State (alpha-3, alpha-2 or English name).
            on: the date of the decision; binding status is asked for this date.
            facts: what is recorded about the event (`EventFacts` or a mapping of its fields).
            adopted: safeguard ids the jurisdiction adopted as policy.

        Raises:
            InvalidInput: unknown event, jurisdiction or adopted safeguard id, or invalid facts.
        """
        if not isinstance(on, datetime.date) or isinstance(on, datetime.datetime):
            raise InvalidInput(f"The evaluation date must be a date, received {on!r}; expected e.g. datetime.date(2021, 6, 1).")
        safeguards = self.safeguards_for(event)
        state = normalise_state(jurisdiction)
        adopted_set = frozenset(adopted)
        unknown_ids = adopted_set - self.catalogue.safeguards.keys()
        if unknown_ids:
            raise InvalidInput(
                f"Unknown safeguard id(s) in the adopted policies: {', '.join(sorted(unknown_ids))}; expected ids "
                f"from the catalogue: {', '.join(self.catalogue.safeguards)}.",
                details=[{"field": "adopted", "received": sorted(unknown_ids)}],
            )
        event_facts = _as_facts(facts)
        results = []
        for safeguard in safeguards:
            missing = tuple(
                check.missing
                for check in safeguard.checks
                if (check.events is None or event in check.events)
                and check.applies(event_facts, on)
                and not check.holds(event_facts, on)
            )
            key = (safeguard.id, state, on, safeguard.id in adopted_set)
            cached = self._statuses.get(key)
            if cached is None:
                if len(self._statuses) >= _MAX_CACHED_ANSWERS:
                    self._statuses.clear()
                cached = self._statuses[key] = self._status(safeguard, state, on, adopted_set)
            status, bindings, notes = cached
            results.append(
                SafeguardResult(
                    safeguard=safeguard.id,
                    title=safeguard.spec.title,
                    status=status,
                    met=not missing,
                    missing=missing,
                    sources=safeguard.citations,
                    bound_by=bindings,
                    notes=notes,
                )
            )
        return Evaluation(
            event=event,
            jurisdiction=state,
            evaluated_on=on,
            rules_version=self.catalogue.version,
            results=tuple(results),
            adopted=tuple(sorted(adopted_set)),
            facts=event_facts.model_dump(mode="json", exclude_defaults=True),
        )

    def replay(self, recorded: Evaluation | Mapping[str, Any]) -> Evaluation:
        """Evaluate a recorded evaluation's event again, with its facts, date and adopted policies.

        Compare the result's ``to_dict()`` with the record's to see whether the rules or the treaty
        data have changed the outcome since (the new result carries the current ``rules_version``).
        """
        record = recorded if isinstance(recorded, Evaluation) else Evaluation.from_dict(dict(recorded))
        return self.evaluate(record.event, record.jurisdiction, record.evaluated_on, record.facts, record.adopted)


def _as_facts(facts: EventFacts | Mapping[str, Any] | None) -> EventFacts:
    if facts is None:
        return EventFacts()
    if isinstance(facts, EventFacts):
        return facts
    try:
        return EventFacts.model_validate(dict(facts))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False))
        raise InvalidInput(
            f"Invalid event facts: {problems}. Expected the fields of amparo.safeguards.EventFacts.",
            details=[{"loc": list(e["loc"]), "expected": e["msg"]} for e in exc.errors(include_url=False)],
        ) from None


def _instrument_checker(commitments: Any):
    def check(instrument: str) -> str | None:
        try:
            commitments.instrument(instrument)
        except AmparoError as exc:
            return f"the commitments engine does not know the instrument {instrument!r} ({exc.message})"
        return None

    return check


def load(catalogue: str | Path | None = None, commitments: Any = None) -> SafeguardsEngine:
    """Load a safeguards engine: the catalogue (shipped one by default) and the commitments engine.

    Every treaty source's instrument is checked against the commitments engine at load time, so a
    misspelt instrument fails here with its file and line, not as a silent "recommended" later.
    """
    if commitments is None:
        from amparo.commitments import load as load_commitments

        commitments = load_commitments()
    return SafeguardsEngine(load_catalogue(catalogue, instrument_ok=_instrument_checker(commitments)), commitments)


@lru_cache(maxsize=1)
def default_engine() -> SafeguardsEngine:
    """The engine over the shipped catalogue and shipped treaty data, loaded once per process."""
    return load()


def evaluate(
    event: str,
    jurisdiction: str,
    on: datetime.date,
    facts: EventFacts | Mapping[str, Any] | None = None,
    adopted: Iterable[str] = frozenset(),
) -> Evaluation:
    """`SafeguardsEngine.evaluate` on the default engine (shipped catalogue and treaty data)."""
    return default_engine().evaluate(event, jurisdiction, on, facts, adopted)
