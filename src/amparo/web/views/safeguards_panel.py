"""The safeguards panel of a case page, and a refused decision's safeguards put beside its fields.

The panel shows, for a decision on this case today, each safeguard that applies: whether it binds
the State on today's date and why (the instrument, its articles and the ratification the commitments
engine found), whether it is adopted or only recommended, and what is still missing. It is computed
by the safeguards engine with the same facts the decision service would record
(`amparo.regularization.decisions`); nothing is decided here.
"""

from __future__ import annotations

import datetime
import functools
import weakref
from typing import Any

from amparo.web.forms import FormState
from amparo.web.i18n import N_, _

STATUS_LABELS = {
    "binding": N_("Binding"),
    "adopted": N_("Adopted as policy"),
    "recommended": N_("Recommended"),
}

#: Which decision-form field supplies each fact the safeguards engine checks for a decision
#: (`regularization.decisions.safeguard_facts`): an unmet check is shown beside that field.
FACT_FIELDS: dict[str, str] = {
    "reasons": "reasons",
    "decision_language": "language",
    "appeal.how": "appeal_how",
    "appeal.deadline": "appeal_deadline",
    "children": "best_interests_assessed",
    "trafficking_indicators": "trafficking_indicators",
    "referred_for_protection": "referred_for_protection",
}
#: Where a missing piece goes when no field supplies its fact (e.g. a group decision, a sign-off).
DEFAULT_FIELD = "outcome"


def evaluate(db: Any, case: Any, data: dict[str, Any] | None = None, *, person: Any = None) -> Any:
    """The safeguards evaluation of a decision on `case` today, for the decision drafted in `data`
    (a refusal with nothing written yet when None). Returns `amparo.safeguards.Evaluation`.
    `person`: the case's person, when the page has read it already (saves reading it again)."""
    from amparo.regularization import decisions, repository
    from amparo.regularization.schemas import DecisionIn
    from amparo.safeguards import default_engine

    application = repository.application(db, case.id)
    if application is None:
        return None
    programme = _programme(db, application.programme_id, application.programme_version)
    draft = DecisionIn.model_validate(data or {"outcome": "refuse"})
    today = datetime.date.today()
    facts = decisions.safeguard_facts(db, case, programme, draft, today, individually_assessed=True, person=person)
    return default_engine().evaluate(f"decision:{draft.outcome}", case.jurisdiction_code, today, facts, adopted=programme.safeguards_adopted)


#: Published programme versions never change, so their rules are kept per engine (weakly: a disposed
#: test database takes its entries with it), id and version.
_PROGRAMMES: weakref.WeakKeyDictionary[Any, dict[tuple[str, int], Any]] = weakref.WeakKeyDictionary()


def _programme(db: Any, programme_id: str, version: int) -> Any:
    """The rules of a published programme version (`amparo.programmes.Programme`), read once per process."""
    from amparo.regularization import service

    cached = _PROGRAMMES.setdefault(db.get_bind(), {})
    found = cached.get((programme_id, version))
    if found is None:
        row, _versions = service.get_programme(db, programme_id, version)
        found = service.programme_of(row)
        if len(cached) > 256:
            cached.clear()
        cached[(programme_id, version)] = found
    return found


def panel(evaluation: Any) -> list[dict[str, Any]]:
    """One row per safeguard for the template."""
    if evaluation is None:
        return []
    return [
        {
            "id": r.safeguard, "title": r.title, "status": r.status, "status_label": _(STATUS_LABELS.get(r.status, r.status)),
            "met": r.met, "blocking": r.blocking, "missing": list(r.missing), "sources": list(r.sources),
            "bound_by": [{"instrument": b.instrument, "articles": ", ".join(b.articles), "reason": b.reason, "source": b.source} for b in r.bound_by],
            "notes": list(r.notes),
        }
        for r in evaluation.results
    ]


@functools.cache
def _checked_facts() -> dict[tuple[str, str], str]:
    """(safeguard id, what its check reports missing) -> the fact that check reads, from the catalogue.

    A refused decision's details name the safeguard and what is missing, not the check's fact; the
    catalogue that produced them says which fact each of its sentences is about, so no English
    wording is matched here.
    """
    from amparo.safeguards import default_engine

    return {
        (safeguard.id, check.missing): check.fact
        for safeguard in default_engine().catalogue.safeguards.values()
        for check in safeguard.spec.checks
    }


def field_for(safeguard: str, missing: str) -> str:
    """The decision-form field beside which `missing`, reported by `safeguard`, is shown."""
    fact = _checked_facts().get((safeguard, missing))
    return FACT_FIELDS.get(fact or "", DEFAULT_FIELD)


def attach(form: FormState, details: list[dict[str, Any]]) -> None:
    """Put each unmet safeguard of a refused decision beside the field it is about, with its articles.

    `missing` in each detail is one string, its pieces joined by "; " (the API's 409 shape), or a list.
    """
    for detail in details:
        safeguard = str(detail.get("safeguard"))
        sources = ", ".join(detail.get("sources") or [])
        missing = detail.get("missing") or ""
        pieces = [str(p).strip() for p in (missing if isinstance(missing, list) else str(missing).split("; "))]
        for piece in [p for p in pieces if p] or [""]:
            form.add_error(field_for(safeguard, piece), _("Missing: {missing}. Required by {sources}.", missing=piece, sources=sources))
