"""A case's journal as a timeline a person can read: a plain-language label per action type, the
date in the reader's language, and the few payload facts worth showing.

Labels are keyed by the journal's `type` strings (`amparo.cases.actions.REGISTRY`); an action type
added later without a label here is shown by a neutral "Something was recorded on your case" rather
than its internal name, and `tests/web` fails until it gets a label.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from amparo.web.i18n import N_, _

#: What each journal entry means, in plain words, for the applicant and for staff alike.
ACTION_LABELS: dict[str, str] = {
    "case_opened": N_("Case opened"),
    "assign": N_("A caseworker was assigned"),
    "note": N_("Staff added a note"),
    "request_information": N_("Information was requested from you"),
    "provide_information": N_("Information was sent"),
    "consular_consent": N_("Consent for the consulate changed"),
    "withdraw": N_("The application was withdrawn"),
    "application_filed": N_("Application filed"),
    "evidence_added": N_("Evidence added"),
    "employer_answered": N_("The employer answered the invitation"),
    "decision_made": N_("Decision made"),
    "decision_proposed": N_("A decision was proposed and awaits a supervisor"),
    "decision_signed_off": N_("A supervisor signed the decision"),
    "appeal_filed": N_("Appeal filed"),
}
FALLBACK_LABEL = N_("Something was recorded on your case")

#: Case statuses in plain words (`amparo.cases.schemas.CaseState.status` and regularization's).
STATUS_LABELS: dict[str, str] = {
    "open": N_("Received"),
    "in_progress": N_("Being examined"),
    "awaiting_information": N_("Waiting for information from you"),
    "withdrawn": N_("Withdrawn"),
    "closed": N_("Closed"),
    "refusal_proposed": N_("Being reviewed"),
    "granted": N_("Granted"),
    "refused": N_("Refused"),
    "under_appeal": N_("Under appeal"),
}

#: Staff notes are internal working notes; the applicant's timeline shows that one was added, not its text.
STAFF_ONLY_DETAIL = frozenset({"note"})


def status_label(status: str) -> str:
    """The status in plain words in the current language (the raw value if it is new)."""
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


@dataclass(frozen=True)
class Entry:
    """One line of the timeline."""

    seq: int
    type: str
    label: str
    at: datetime.datetime
    detail: str | None
    due: datetime.date | None


def _detail(action_type: str, payload: dict[str, Any]) -> tuple[str | None, datetime.date | None]:
    due = payload.get("due_date")
    due_date = datetime.date.fromisoformat(due) if isinstance(due, str) else None
    if action_type == "request_information":
        return payload.get("message"), due_date
    if action_type == "provide_information":
        return payload.get("message"), None
    if action_type == "withdraw":
        return payload.get("reason"), None
    if action_type == "note":
        return payload.get("text"), None
    if action_type == "appeal_filed":
        return payload.get("grounds"), None
    if action_type == "employer_answered":
        return (_("The employer confirmed your work.") if payload.get("confirmed") else _("The employer did not confirm your work.")), None
    return None, None


def build(actions: list[Any], *, staff: bool) -> list[Entry]:
    """The timeline of `actions` (rows of `amparo.cases.models.Action`), oldest first.

    Args:
        actions: The journal, as returned by `amparo.cases.service.journal`.
        staff: Whether the reader is staff; the applicant does not see internal notes' text.
    """
    entries = []
    for action in actions:
        label = _(ACTION_LABELS.get(action.type, FALLBACK_LABEL))
        detail, due = _detail(action.type, dict(action.payload or {}))
        if not staff and action.type in STAFF_ONLY_DETAIL:
            detail = None
        entries.append(Entry(seq=action.seq, type=action.type, label=label, at=action.server_time, detail=detail, due=due))
    return entries
