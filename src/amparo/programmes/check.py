"""Programme check: flag programme designs that break safeguards, with their sources and binding status.

The programme's design is turned into the facts of a ``programme_design`` event and evaluated by the
safeguards engine for the programme's jurisdiction on its start date (the day the window opens), so
each finding says whether it binds that State on that day and by which instrument.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from amparo.programmes.loader import ProgrammeSource
from amparo.programmes.schemas import Programme
from amparo.safeguards import Binding, Evaluation, EventFacts, SafeguardsEngine, default_engine

EVENT = "programme_design"


@dataclass(frozen=True, slots=True)
class Problem:
    """One feature of the programme that breaks a safeguard, and where it is written."""

    field: str
    line: int | None
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "line": self.line, "text": self.text}


@dataclass(frozen=True, slots=True)
class Finding:
    safeguard: str
    title: str
    status: str
    binding: bool
    sources: tuple[str, ...]
    bound_by: tuple[Binding, ...]
    problems: tuple[Problem, ...]
    missing: tuple[str, ...]
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "safeguard": self.safeguard,
            "title": self.title,
            "status": self.status,
            "binding": self.binding,
            "sources": list(self.sources),
            "bound_by": [b.to_dict() for b in self.bound_by],
            "problems": [p.to_dict() for p in self.problems],
            "missing": list(self.missing),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class CheckReport:
    programme: str
    jurisdiction: str
    checked_on: datetime.date
    rules_version: str
    findings: tuple[Finding, ...]
    evaluation: Evaluation

    @property
    def clean(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "programme": self.programme,
            "jurisdiction": self.jurisdiction,
            "checked_on": self.checked_on.isoformat(),
            "rules_version": self.rules_version,
            "clean": self.clean,
            "findings": [f.to_dict() for f in self.findings],
        }


def _problems(p: Programme, line: Any) -> dict[str, list[Problem]]:
    """What in the programme breaks each safeguard, keyed by the `EventFacts` field it sets."""
    found: dict[str, list[Problem]] = {"employer_gate": [], "fee_without_waiver": [], "children_excluded_from_parent_application": []}
    gate = found["employer_gate"]
    if "employer" in p.filing.by and "applicant" not in p.filing.by:
        gate.append(Problem("filing.by", line("filing", "by"), "only an employer may file: the migrant cannot apply directly"))
    if p.employer.sponsorship_required:
        gate.append(Problem("employer.sponsorship_required", line("employer", "sponsorship_required"), "an employer's sponsorship is a condition"))
    if p.employer.consent_required:
        gate.append(Problem("employer.consent_required", line("employer", "consent_required"), "an employer's consent is a condition"))
    if p.employer.work_confirmation == "required":
        gate.append(
            Problem("employer.work_confirmation", line("employer", "work_confirmation"), "an employer's confirmation of work is required, so the employer can withhold it")
        )
    if p.fee.amount > 0 and not p.fee.waivers:
        found["fee_without_waiver"].append(
            Problem("fee.waivers", line("fee"), f"a fee of {p.fee.amount:g} {p.fee.currency} is charged and no waiver exists for those who cannot pay")
        )
    family = found["children_excluded_from_parent_application"]
    if not p.family.children_in_parent_application:
        family.append(
            Problem("family.children_in_parent_application", line("family", "children_in_parent_application"), "children cannot be included in their parents' application")
        )
    elif p.family.child_max_age < 17:
        family.append(
            Problem(
                "family.child_max_age",
                line("family", "child_max_age"),
                f"children aged {p.family.child_max_age + 1} to 17 are excluded from their parents' application",
            )
        )
    return found


def check_programme(programme: Programme | ProgrammeSource, engine: SafeguardsEngine | None = None) -> CheckReport:
    """Check a programme's design against the safeguards for `programme_design`.

    Args:
        programme: a programme, or a `ProgrammeSource` (then each problem carries its line).
        engine: the safeguards engine; the default engine (shipped catalogue and treaty data) if omitted.
    """
    if isinstance(programme, ProgrammeSource):
        source: ProgrammeSource | None = programme
        p = programme.programme
    else:
        source, p = None, programme
    line = (lambda *path: source.line_of(*path)) if source else (lambda *path: None)
    problems = _problems(p, line)
    facts = EventFacts(**{name: bool(found) for name, found in problems.items()})
    engine = engine or default_engine()
    checked_on = p.window.opens
    evaluation = engine.evaluate(EVENT, p.jurisdiction, checked_on, facts, adopted=p.safeguards_adopted)
    fields_by_safeguard = {
        "no-employer-gate": "employer_gate",
        "fee-waiver": "fee_without_waiver",
        "family-unity": "children_excluded_from_parent_application",
    }
    findings = []
    for result in evaluation.results:
        if result.met:
            continue
        field = fields_by_safeguard.get(result.safeguard)
        findings.append(
            Finding(
                safeguard=result.safeguard,
                title=result.title,
                status=result.status,
                binding=result.status == "binding",
                sources=result.sources,
                bound_by=result.bound_by,
                problems=tuple(problems.get(field, ())) if field else (),
                missing=result.missing,
                notes=result.notes,
            )
        )
    return CheckReport(p.key, evaluation.jurisdiction, checked_on, evaluation.rules_version, tuple(findings), evaluation)
