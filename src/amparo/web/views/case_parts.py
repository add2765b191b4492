"""Pieces of a case page that the applicant's and the staff's pages both show: the decision with
its reasons and how to appeal, the pre-assessment criterion by criterion, the evidence list, the
certificate link. They read what the regularization package recorded; they decide nothing.
"""

from __future__ import annotations

import datetime
from typing import Any

from sqlalchemy.orm import Session

from amparo.web.i18n import N_, _

#: The pre-assessment's criteria (`amparo.programmes.eligibility`) in plain words.
CRITERION_LABELS: dict[str, str] = {
    "window": N_("You applied while the programme was open"),
    "presence": N_("You were in the country before the cut-off date"),
    "nationality": N_("Your nationality is covered by the programme"),
    "age": N_("Your age on the day you applied"),
    "no_disqualifying_record": N_("No disqualifying record"),
    "identity_document": N_("Identity document"),
}
OUTCOME_LABELS: dict[str, str] = {
    "met": N_("Met"),
    "not_met": N_("Not met"),
    "needs_evidence": N_("Needs evidence"),
}
OVERALL_LABELS: dict[str, str] = {
    "likely_eligible": N_("You are likely eligible. An officer still decides."),
    "not_eligible": N_("A condition is not met, as things stand. An officer still examines your case."),
    "incomplete": N_("Something is still missing. Add the evidence asked for below."),
}


def application_row(db: Session, case: Any) -> Any:
    """The application row behind a case (None for a case of another kind). A page that keeps it in
    a variable lets the services it calls next find it in the session instead of reading it again."""
    from amparo.regularization import repository

    return repository.application(db, case.id)


def application_view(db: Session, case: Any) -> dict[str, Any] | None:
    """The application behind a regularization case: programme, filing date, pre-assessment."""
    row = application_row(db, case)
    if row is None:
        return None
    assessment = row.assessment or {}
    criteria = [
        {
            "label": _(CRITERION_LABELS.get(c["criterion"], c["criterion"])),
            "outcome": c["outcome"],
            "outcome_label": _(OUTCOME_LABELS.get(c["outcome"], c["outcome"])),
            # The engine's reason is English data with dates and codes; shown as such, marked lang="en".
            "reason": c.get("reason"),
            "officer_check": c.get("officer_check", False),
        }
        for c in assessment.get("criteria", [])
    ]
    overall = assessment.get("overall")
    return {
        "programme_id": row.programme_id,
        "programme_version": row.programme_version,
        "filed_on": row.filed_on,
        "overall": overall,
        "overall_label": _(OVERALL_LABELS[overall]) if overall in OVERALL_LABELS else "",
        "criteria": criteria,
        "declared_evidence": row.declared_evidence or [],
    }


def evidence_view(db: Session, actor: Any, case: Any, purpose: str) -> list[Any]:
    """The evidence files of the case (kind, date on the document, received, size); journaled."""
    from amparo.regularization import flows

    return list(flows.list_evidence(db, actor, case.id, purpose))


def certificate_url(case: Any) -> str | None:
    """Where the applicant downloads the certificate of pending application (PDF with QR code); None
    once the case's status ends it (the rule `/verify` applies), so it is not offered as proof."""
    from amparo.regularization import service

    return f"/my/cases/{case.number}/certificate.pdf" if service.certificate_valid(case.status) else None


def decision_view(journal: list[Any], state: Any) -> dict[str, Any] | None:
    """The decision in effect, from the journal: outcome, reasons, language, how and by when to appeal.

    A proposed refusal is not a decision yet: it is shown only once a supervisor signed it off.
    """
    if not state.decision:
        return None
    proposal: dict[str, Any] | None = None
    made: dict[str, Any] | None = None
    for action in journal:
        if action.type == "decision_proposed":
            proposal = dict(action.payload)
        elif action.type == "decision_made":
            made = dict(action.payload)
        elif action.type == "decision_signed_off" and proposal is not None:
            made = proposal | {"signed_on": action.payload.get("signed_on")}
    if made is None:
        return None
    appeal = made.get("appeal_information") or {}
    deadline = appeal.get("deadline")
    decided = made.get("signed_on") or made.get("decided_on")
    return {
        "outcome": made.get("outcome"),
        "stage": made.get("stage", "first"),
        "reasons": made.get("reasons"),
        "language": made.get("language"),
        "decided_on": datetime.date.fromisoformat(decided) if isinstance(decided, str) else None,
        "appeal_how": appeal.get("how"),
        "appeal_deadline": datetime.date.fromisoformat(deadline) if isinstance(deadline, str) else None,
    }


def can_appeal(state: Any, journal: list[Any], today: datetime.date) -> bool:
    """Whether to offer the appeal form: a first refusal, not yet appealed, deadline not passed.

    The flow that files the appeal checks all of this again; the page only avoids offering a form
    that would certainly be refused.
    """
    if state.status != "refused" or state.appeal is not None:
        return False
    decision = decision_view(journal, state)
    if decision is None or decision["stage"] != "first":
        return False
    return decision["appeal_deadline"] is None or today <= decision["appeal_deadline"]


def file_appeal(db: Session, settings: Any, actor: Any, case: Any, grounds: str) -> None:
    """File the appeal through the regularization service (which checks the period and the status)."""
    from amparo.regularization import decisions

    decisions.appeal(db, settings, actor, case.id, {"grounds": grounds}, purpose="the applicant appeals a refusal")
