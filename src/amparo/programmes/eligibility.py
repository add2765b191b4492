"""Eligibility pre-assessment: for each criterion of a programme, met / not met / needs evidence, and why.

A pure function of the programme, the applicant's facts, their evidence and the filing date. It
never decides a case: it tells the person, before and at filing, what they have shown and what is
still missing, in plain words. The officer decides; self-declared facts are marked for their check.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from amparo.errors import InvalidInput
from amparo.programmes.schemas import Programme

Outcome = Literal["met", "not_met", "needs_evidence"]
Overall = Literal["likely_eligible", "not_eligible", "incomplete"]

_LABELS = {
    "sworn_statement_two_witnesses": "sworn statement with two witnesses",
    "national_id_card": "national identity card",
    "school_enrolment": "school enrolment record",
}


def label(kind: str) -> str:
    """Plain words for an evidence or document kind: ``"utility_bill"`` -> ``"utility bill"``."""
    return _LABELS.get(kind, kind.replace("_", " "))


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    """Age in whole years on `day`; a person born on 29 February turns a year older on 1 March in common years.

    Examples:
        >>> age_on(datetime.date(2000, 6, 15), datetime.date(2018, 6, 14)), age_on(datetime.date(2000, 6, 15), datetime.date(2018, 6, 15))
        (17, 18)
        >>> age_on(datetime.date(2004, 2, 29), datetime.date(2022, 2, 28))
        17
    """
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IdentityDocumentFacts(_Input):
    kind: str
    expires_on: datetime.date | None = Field(None, description="None when the document has no expiry date.")


class Applicant(_Input):
    """What the applicant states about themselves."""

    birth_date: datetime.date | None = None
    nationalities: tuple[str, ...] = ()
    arrived_on: datetime.date | None = Field(None, description="Date of arrival, if the applicant states one.")
    declares_no_disqualifying_record: bool | None = None
    identity_document: IdentityDocumentFacts | None = None


class Evidence(_Input):
    """One piece of evidence of presence: its kind and the date it bears."""

    kind: str
    dated: datetime.date
    description: str | None = None


@dataclass(frozen=True, slots=True)
class CriterionResult:
    criterion: str
    outcome: Outcome
    reason: str
    officer_check: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"criterion": self.criterion, "outcome": self.outcome, "reason": self.reason, "officer_check": self.officer_check}


@dataclass(frozen=True)
class Assessment:
    """The pre-assessment of one application: one result per criterion the programme has."""

    programme: str
    filed_on: datetime.date
    results: tuple[CriterionResult, ...]

    @property
    def overall(self) -> Overall:
        outcomes = {r.outcome for r in self.results}
        if "not_met" in outcomes:
            return "not_eligible"
        if "needs_evidence" in outcomes:
            return "incomplete"
        return "likely_eligible"

    def result(self, criterion: str) -> CriterionResult:
        for r in self.results:
            if r.criterion == criterion:
                return r
        raise KeyError(criterion)

    def to_dict(self) -> dict[str, Any]:
        return {
            "programme": self.programme,
            "filed_on": self.filed_on.isoformat(),
            "overall": self.overall,
            "criteria": [r.to_dict() for r in self.results],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Assessment:
        results = tuple(CriterionResult(c["criterion"], c["outcome"], c["reason"], c["officer_check"]) for c in data["criteria"])
        return cls(data["programme"], datetime.date.fromisoformat(data["filed_on"]), results)


def _window(p: Programme, filed_on: datetime.date) -> CriterionResult:
    w = p.window
    span = f"{w.opens} to {w.closes}" if w.closes else f"from {w.opens}, with no closing date"
    if filed_on < w.opens:
        return CriterionResult("window", "not_met", f"Filed on {filed_on}, before the application window opens on {w.opens}.")
    if w.closes is not None and filed_on > w.closes:
        return CriterionResult("window", "not_met", f"Filed on {filed_on}, after the application window closed on {w.closes}.")
    return CriterionResult("window", "met", f"Filed on {filed_on}, within the application window ({span}).")


def _presence(p: Programme, applicant: Applicant, evidence: tuple[Evidence, ...]) -> CriterionResult:
    rule = p.eligibility.presence
    assert rule is not None
    cutoff = rule.before
    accepted = ", ".join(label(k) for k in rule.evidence_any_of)
    wanted = f"Any one of these, dated before {cutoff}, is enough: {accepted}."
    if applicant.arrived_on is not None and applicant.arrived_on >= cutoff:
        return CriterionResult(
            "presence", "not_met",
            f"You state you arrived on {applicant.arrived_on}; the programme requires presence in the territory before {cutoff}.",
        )
    usable = [e for e in evidence if e.kind in rule.evidence_any_of]
    early = sorted((e for e in usable if e.dated < cutoff), key=lambda e: e.dated)
    if early:
        first = early[0]
        return CriterionResult("presence", "met", f"A {label(first.kind)} dated {first.dated} shows presence before {cutoff}.")
    if usable:
        late = ", ".join(f"{label(e.kind)} dated {e.dated}" for e in usable)
        return CriterionResult(
            "presence", "needs_evidence",
            f"The evidence given ({late}) is dated on or after {cutoff}, so it does not show presence before that day. {wanted}",
        )
    if evidence:
        kinds = ", ".join(sorted({label(e.kind) for e in evidence}))
        return CriterionResult(
            "presence", "needs_evidence", f"The evidence given ({kinds}) is not a kind this programme accepts. {wanted}"
        )
    return CriterionResult("presence", "needs_evidence", f"No evidence of presence was given. {wanted}")


def _nationality(p: Programme, applicant: Applicant) -> CriterionResult:
    rule = p.eligibility.nationality
    assert rule is not None
    allowed = ", ".join(rule.any_of)
    if not applicant.nationalities:
        return CriterionResult("nationality", "needs_evidence", f"No nationality was stated; the programme is open to nationals of: {allowed}.")
    held = [n for n in applicant.nationalities if n.upper() in rule.any_of]
    if held:
        return CriterionResult("nationality", "met", f"Nationality {held[0].upper()} is among those the programme covers ({allowed}).")
    stated = ", ".join(n.upper() for n in applicant.nationalities)
    return CriterionResult("nationality", "not_met", f"Nationality {stated} is not among those the programme covers ({allowed}).")


def _age(p: Programme, applicant: Applicant, filed_on: datetime.date) -> CriterionResult:
    rule = p.eligibility.age
    assert rule is not None
    if applicant.birth_date is None:
        return CriterionResult("age", "needs_evidence", "No date of birth was given; the programme has an age condition.")
    age = age_on(applicant.birth_date, filed_on)
    if rule.min is not None and age < rule.min:
        return CriterionResult("age", "not_met", f"Aged {age} on the filing date {filed_on}; the programme requires at least {rule.min}.")
    if rule.max is not None and age > rule.max:
        return CriterionResult("age", "not_met", f"Aged {age} on the filing date {filed_on}; the programme requires at most {rule.max}.")
    bounds = " and ".join(
        b for b in (f"at least {rule.min}" if rule.min is not None else "", f"at most {rule.max}" if rule.max is not None else "") if b
    )
    return CriterionResult("age", "met", f"Aged {age} on the filing date {filed_on}; the programme requires {bounds}.")


def _record(p: Programme, applicant: Applicant) -> CriterionResult:
    rule = p.eligibility.no_disqualifying_record
    assert rule is not None
    check = rule.checked_by_officer
    then = " The officer checks it before deciding." if check else ""
    if applicant.declares_no_disqualifying_record is True:
        return CriterionResult("no_disqualifying_record", "met", f"You declared that you have no disqualifying record ({rule.description}).{then}", check)
    if applicant.declares_no_disqualifying_record is False:
        return CriterionResult("no_disqualifying_record", "not_met", f"You declared a disqualifying record ({rule.description}).", check)
    return CriterionResult(
        "no_disqualifying_record", "needs_evidence", f"A declaration that you have no disqualifying record ({rule.description}) is needed.", check
    )


def _identity(p: Programme, applicant: Applicant, filed_on: datetime.date) -> CriterionResult:
    rule = p.eligibility.identity_document
    assert rule is not None
    accepted = ", ".join(label(k) for k in rule.accepted)
    doc = applicant.identity_document
    if doc is None:
        if not rule.required:
            return CriterionResult("identity_document", "met", "No identity document was given; the programme does not require one.")
        return CriterionResult("identity_document", "needs_evidence", f"An identity document is required: any one of {accepted}.")
    if doc.kind not in rule.accepted:
        return CriterionResult(
            "identity_document", "needs_evidence", f"A {label(doc.kind)} is not accepted as identity document; accepted: {accepted}."
        )
    # A document is valid through its expiry date and expired from the day after.
    if doc.expires_on is not None and doc.expires_on < filed_on:
        if rule.expired_accepted:
            return CriterionResult("identity_document", "met", f"{label(doc.kind).capitalize()} expired on {doc.expires_on}; this programme accepts expired documents.")
        return CriterionResult(
            "identity_document", "needs_evidence",
            f"{label(doc.kind).capitalize()} expired on {doc.expires_on}, before the filing date {filed_on}; this programme needs "
            f"a document valid on the filing date (any one of {accepted}).",
        )
    valid = f", valid until {doc.expires_on}" if doc.expires_on else ""
    return CriterionResult("identity_document", "met", f"{label(doc.kind).capitalize()} given{valid}.")


def _validated(model: type[_Input], value: Any, what: str) -> Any:
    if isinstance(value, model):
        return value
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or what}: {e['msg']}" for e in exc.errors(include_url=False))
        raise InvalidInput(f"Invalid {what}: {problems}.", details=[{"loc": [what, *e["loc"]], "expected": e["msg"]} for e in exc.errors(include_url=False)]) from None


def assess(
    programme: Programme,
    applicant: Applicant | dict[str, Any],
    evidence: list[Evidence] | list[dict[str, Any]] | tuple[Evidence, ...] = (),
    filed_on: datetime.date | None = None,
) -> Assessment:
    """Pre-assess an application against each eligibility criterion of `programme`.

    Args:
        programme: the programme version in force on the filing date.
        applicant: the applicant's stated facts.
        evidence: evidence of presence (any one accepted kind dated before the cut-off suffices).
        filed_on: the filing date (required; a pure function does not read the clock).

    Raises:
        InvalidInput: evidence dated after the filing date, a birth date after it, or malformed input.
    """
    if not isinstance(filed_on, datetime.date) or isinstance(filed_on, datetime.datetime):
        raise InvalidInput(f"The filing date must be a date, received {filed_on!r}; expected e.g. 2021-06-01.")
    person: Applicant = _validated(Applicant, applicant, "applicant")
    items = tuple(_validated(Evidence, e, "evidence") for e in evidence)
    for index, item in enumerate(items, start=1):
        if item.dated > filed_on:
            raise InvalidInput(
                f"Evidence #{index} ({label(item.kind)}) is dated {item.dated}, after the filing date {filed_on}; "
                "evidence cannot be dated in the future. Check the date written on it.",
                details=[{"loc": ["evidence", index - 1, "dated"], "received": item.dated.isoformat(), "expected": f"on or before {filed_on}"}],
            )
    if person.birth_date is not None and person.birth_date > filed_on:
        raise InvalidInput(
            f"The date of birth {person.birth_date} is after the filing date {filed_on}; check the date of birth.",
            details=[{"loc": ["applicant", "birth_date"], "received": person.birth_date.isoformat()}],
        )
    rules = programme.eligibility
    results = [_window(programme, filed_on)]
    if rules.presence is not None:
        results.append(_presence(programme, person, items))
    if rules.nationality is not None:
        results.append(_nationality(programme, person))
    if rules.age is not None:
        results.append(_age(programme, person, filed_on))
    if rules.no_disqualifying_record is not None:
        results.append(_record(programme, person))
    if rules.identity_document is not None:
        results.append(_identity(programme, person, filed_on))
    return Assessment(programme.key, filed_on, tuple(results))
