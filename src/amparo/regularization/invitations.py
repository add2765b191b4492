"""Employer invitations: the applicant invites an employer to confirm their work.

The employer reaches the invitation only through its unguessable token (stored hashed) and sees only
what the invitation says — never the application, its status or the decision. They can confirm or
decline, once; the answer is optional evidence in the journal and nothing waits for it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy.orm import Session

from amparo.audit import service as audit
from amparo.auth.policy import Action as Permission, Actor
from amparo.cases import repository as cases
from amparo.config import Settings
from amparo.db.compat import utcnow
from amparo.errors import Conflict, InvalidInput, NotFound
from amparo.people import repository as people
from amparo.regularization import actions as reg, repository
from amparo.regularization.flows import record_action, today, visible_case
from amparo.regularization.models import EmployerInvitation
from amparo.regularization.schemas import InvitationAnswer, InvitationIn
from amparo.validation import validate

INVITATION_LIFETIME = dt.timedelta(days=90)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invite_employer(session: Session, settings: Settings, actor: Actor, case_ref: int | str, data: InvitationIn | dict, purpose: str) -> tuple[EmployerInvitation, str]:
    """The applicant invites an employer to confirm their work; returns the row and the one-time token.

    The employer's answer is optional evidence: nothing in the application waits for it.
    """
    data = validate(InvitationIn, data, what="invitation")
    purpose = audit.check_purpose(purpose)
    case, _ = visible_case(session, actor, case_ref, Permission.EMPLOYER_INVITATION_CREATE)
    if data.worked_to is not None and data.worked_to < data.worked_from:
        raise InvalidInput("worked_to is before worked_from", details=[{"field": "worked_to", "value": str(data.worked_to), "expected": f"on or after {data.worked_from}"}])
    if data.worked_from > today():
        raise InvalidInput("worked_from is in the future", details=[{"field": "worked_from", "value": str(data.worked_from), "expected": f"on or before {today()}"}])
    person = people.get(session, case.person_id)
    assert person is not None
    token = secrets.token_urlsafe(32)
    row = EmployerInvitation(
        case_id=case.id, token_hash=_token_hash(token), employer_name=data.employer_name, work_description=data.work_description,
        worked_from=data.worked_from, worked_to=data.worked_to,
        applicant_name=data.applicant_name or f"{person.given_names} {person.family_names}".strip(),
        status="sent", created_at=utcnow(), expires_at=utcnow() + INVITATION_LIFETIME,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, Permission.EMPLOYER_INVITATION_CREATE.value, "case", case.id, purpose, {"invitation": row.id})
    return row, token


def _invitation(session: Session, token: str, *, lock: bool = False) -> EmployerInvitation:
    row = repository.invitation_by_hash(session, _token_hash(token), lock=lock) if 20 <= len(token) <= 100 else None
    if row is None:
        raise NotFound("no invitation matches this link; check that the whole link was copied",
                       details=[{"field": "token", "value": "(hidden)", "expected": "the link the applicant sent you"}])
    return row


def view_invitation(session: Session, token: str) -> EmployerInvitation:
    """What the invited employer sees: the invitation only (never the application or its status)."""
    row = _invitation(session, token)
    audit.record(session, None, "employer_invitation:read", "employer_invitation", row.id, "employer confirmation", username="invited employer")
    return row


def answer_invitation(session: Session, token: str, data: InvitationAnswer | dict) -> EmployerInvitation:
    """The employer confirms or declines, once; they can change nothing else."""
    data = validate(InvitationAnswer, data, what="answer")
    # Locked before its status is read: two answers at once (a double click, two tabs) would
    # otherwise both find it unanswered, and the second would overwrite the first.
    row = _invitation(session, token, lock=True)
    now = utcnow()
    if row.status != "sent":
        raise Conflict(f"this invitation was already answered ({row.status}); an answer cannot be changed", code="already_answered")
    if row.expires_at < now:
        raise Conflict("this invitation has expired; the applicant can send a new one", code="invitation_expired")
    row.status = "confirmed" if data.confirm else "declined"
    row.answer_note = data.note
    row.answered_at = now
    case = cases.get(session, row.case_id)
    assert case is not None
    record_action(session, None, case, "employer_answered", reg.EmployerAnswered(invitation_id=row.id, confirmed=data.confirm), "employer confirmation")
    session.flush()
    return row
