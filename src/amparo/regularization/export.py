"""Everything Amparo holds on a person, gathered for their own download: the right of access
(ICCPR art. 17; ICRMW art. 14; PRODUCT.md §2, "downloads all data held on them").

Only the person's own account reaches it. Every part is read through the services that scope-check
and journal it (the person, each case, its journal, its evidence list, the drafts), or, for the
parts no service lists yet, read here with the same scope-table check on each case first:

* the employer invitations the person sent, with the employer's answer (never the token's hash);
* the certificates issued to them, with the address that verifies each (never a signing key);
* the access record: every audit entry about the person, their account, their cases, their
  invitations and their drafts, so that they can see who read or changed their file, in which role
  and office, when and why, and that no enforcement body did (the firewall, PRODUCT.md §2).

The access record names the role and the office (jurisdiction, or the consulate's State) of each
staff member, never their username: the case journal in this same download identifies staff by
role only, and nothing in PRODUCT.md discloses staff identities to applicants. An address from
which someone else tried to sign in to the account is left out too; it is that person's data.

One query per kind of record, each by its own index (`certificates.case_id`,
`employer_invitations.case_id`, audit entries by `(object_type, object_id)`), plus one for the
offices of the staff named, however many entries there are. The queries sit here rather than in
the repositories only because no other code needs them yet. The download is journaled as
"person:export".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo.audit import service as audit
from amparo.audit.models import AuditEntry
from amparo.auth import policy
from amparo.auth.models import User
from amparo.auth.policy import Action as Permission, Actor, RecordFacts, Role
from amparo.cases import service as cases
from amparo.cases.models import Case
from amparo.certificates import verification_url
from amparo.certificates.validity import CLOSED_STATUSES, OPEN_STATUSES
from amparo.config import Settings
from amparo.errors import Forbidden
from amparo.people import service as people
from amparo.regularization import drafts, flows, repository, service
from amparo.regularization.models import Certificate, EmployerInvitation, EvidenceRecord

PURPOSE = "the person downloads everything held on them"
#: 2: employer invitations, certificates, the access record and each document's download address.
FORMAT_VERSION = 2
#: What the access record calls each kind of record an audit entry can be about.
ABOUT = {"person": "person", "user": "account", "case": "case", "employer_invitation": "employer_invitation",
         "application_draft": "application_draft"}


def document_path(case_number: str, sha256: str) -> str:
    """Where the person downloads one of their evidence files (`amparo.web.views.data_export`)."""
    return f"/my/cases/{case_number}/evidence/{sha256}"


def _own(actor: Actor) -> int:
    """The actor's own person id; only the person themselves downloads everything held on them."""
    if actor.role is not Role.APPLICANT or actor.person_id is None:
        raise Forbidden(
            f"your role {actor.role.value!r} has no data of its own to download; a person downloads their own data "
            "by signing in with their own applicant account",
            details=[{"field": "role", "value": actor.role.value, "expected": "applicant"}],
        )
    return actor.person_id


def _facts(case: Any) -> RecordFacts:
    return RecordFacts(jurisdiction=case.jurisdiction_code, person_id=case.person_id, assigned_user_id=case.assigned_user_id)


def own_cases(session: Session, actor: Actor, purpose: str, *, with_state: bool = True) -> list[Any]:
    """Every case the person may list (their own), newest first, page after page. Journaled per page."""
    found: list[Any] = []
    cursor = None
    while True:
        page = cases.list_cases(session, actor, {}, limit=100, cursor=cursor, purpose=purpose, with_state=with_state)
        found.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return found


def documents(session: Session, actor: Actor, purpose: str = PURPOSE) -> list[tuple[Any, list[EvidenceRecord]]]:
    """Each of the person's cases that has documents, with them (oldest first). Journaled."""
    _own(actor)
    found = []
    for case in own_cases(session, actor, purpose, with_state=False):
        application = repository.application(session, case.id)  # held: list_evidence finds it in the session
        if application is not None:
            evidence = flows.list_evidence(session, actor, case.id, purpose)
            if evidence:
                found.append((case, evidence))
    return found


def collect(session: Session, settings: Settings, actor: Actor, user: Any, purpose: str = PURPOSE) -> dict[str, Any]:
    """Everything held on the signed-in person, as plain JSON values. Journals each read.

    Raises:
        Forbidden: the actor is not an applicant with a person record of their own.
    """
    _own(actor)
    purpose = audit.check_purpose(purpose)
    base = str(settings.public_base_url).rstrip("/")
    person = people.get_person(session, actor, actor.person_id, purpose=purpose)
    own = own_cases(session, actor, purpose)
    export: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "generated_at": dt.datetime.now(dt.UTC),
        "account": {"username": user.username, "role": user.role, "created_at": user.created_at},
        "person": {
            "id": person.id, "given_names": person.given_names, "family_names": person.family_names,
            "date_of_birth": person.date_of_birth, "sex": person.sex, "nationalities": list(person.nationality_codes),
            "languages": list(person.languages or []), "email": person.email, "phone": person.phone,
            "address": person.address, "jurisdiction": person.jurisdiction_code, "created_at": person.created_at,
        },
        "cases": [_case(session, actor, case, base, purpose) for case in own],
    }
    by_id = {case.id: case for case in own}
    invitations = _invitations_of(session, [c.id for c in own if policy.is_allowed(actor, Permission.CASE_READ, _facts(c))])
    certificates = _certificates_of(session, [c.id for c in own if policy.is_allowed(actor, Permission.CERTIFICATE_READ, _facts(c))])
    export["employer_invitations"] = [_invitation(row, by_id[row.case_id]) for row in invitations]
    export["certificates"] = [_certificate(row, by_id[row.case_id], base) for row in certificates]
    own_drafts = drafts.list_own(session, actor, purpose, limit=None)
    export["drafts"] = [
        {"id": d.id, "programme_id": d.programme_id, "programme_version": d.programme_version, "step": d.step, "answers": d.answers,
         "started_at": d.created_at, "saved_at": d.updated_at}
        for d in own_drafts
    ]
    journaled = [c for c in own if policy.is_allowed(actor, Permission.JOURNAL_READ, _facts(c))]
    export["access_record"] = access_record(session, actor, {
        "person": {str(person.id): None},
        "user": {str(actor.user_id): None},
        "case": {str(c.id): c.number for c in journaled},
        "employer_invitation": {str(i.id): by_id[i.case_id].number for i in invitations},
        "application_draft": {d.id: None for d in own_drafts},
    })
    audit.record(session, actor, "person:export", "person", person.id, purpose, {
        "cases": [c.number for c in own], "employer_invitations": [i.id for i in invitations],
        "certificates": [c.id for c in certificates], "access_entries": len(export["access_record"]),
    })
    return _jsonable(export)


def _case(session: Session, actor: Actor, case: Case, base: str, purpose: str) -> dict[str, Any]:
    journal = cases.journal(session, actor, case.id, purpose=purpose)
    application = repository.application(session, case.id)
    evidence = flows.list_evidence(session, actor, case.id, purpose) if application is not None else []
    return {
        "number": case.number, "kind": case.kind, "status": case.status, "jurisdiction": case.jurisdiction_code,
        "opened_at": case.created_at, "deadline": case.deadline, "state": case.state,
        "application": None if application is None else {
            "programme_id": application.programme_id, "programme_version": application.programme_version,
            "filed_on": application.filed_on, "stated_facts": application.applicant,
            "declared_evidence": application.declared_evidence, "pre_assessment": application.assessment,
        },
        "evidence": [
            {"sha256": e.sha256, "kind": e.kind, "document_date": e.document_date, "received_on": e.received_on,
             "media_type": e.media_type, "size": e.size, "description": e.description, "original_filename": e.original_filename,
             "download": base + document_path(case.number, e.sha256)}
            for e in evidence
        ],
        "journal": [
            {"seq": a.seq, "type": a.type, "at": a.server_time, "by_role": a.actor_role, "payload": a.payload}
            for a in journal
        ],
    }


def _invitation(row: EmployerInvitation, case: Any) -> dict[str, Any]:
    return {
        "id": row.id, "case": case.number, "employer_name": row.employer_name, "work_description": row.work_description,
        "worked_from": row.worked_from, "worked_to": row.worked_to, "your_name_as_shown": row.applicant_name,
        "sent_at": row.created_at, "expires_at": row.expires_at,
        "employer_answer": row.status, "answered_at": row.answered_at, "employer_note": row.answer_note,
    }


def _certificate(row: Certificate, case: Any, base: str) -> dict[str, Any]:
    """A certificate as issued, and whether it holds today: it depends on the case's status, never
    on a printed expiry (`amparo.certificates.validity`), as `/verify` answers."""
    status = service.certificate_status(case.status)
    validity = "valid" if status in OPEN_STATUSES else "not_valid" if status in CLOSED_STATUSES else "unknown"
    return {
        "id": row.id, "case": case.number, "status_when_issued": row.status, "issued_at": row.issued_at,
        "signing_key_id": row.key_id, "verification_address": verification_url(base, row.token),
        "valid_today": validity, "ended_on": case.updated_at.date() if validity == "not_valid" else None,
    }


def access_record(session: Session, actor: Actor, about: dict[str, dict[str, str | None]]) -> list[dict[str, Any]]:
    """Every audit entry about the records in `about` ({object_type: {object_id: case number or
    None}}), oldest first: when, what, why, and who by role and office. One query per object type.

    Entries written by the request that asks are not in it yet (a read request's entries are
    written when it commits).
    """
    entries = sorted((e for kind, ids in about.items() for e in _entries_about(session, kind, ids)), key=lambda e: e.id)
    staff = {e.user_id for e in entries if e.user_id is not None and e.user_id != actor.user_id}
    offices = _offices(session, staff)
    return [_access(e, actor, about, offices) for e in entries]


def _access(
    entry: Any, actor: Actor, about: dict[str, dict[str, str | None]], offices: dict[int, tuple[str | None, str | None]]
) -> dict[str, Any]:
    own = entry.user_id is not None and entry.user_id == actor.user_id
    if own:
        by = "you"
    elif entry.role is not None:
        by = "staff"
    elif entry.action.startswith("employer_invitation:") or (entry.detail or {}).get("type") == "employer_answered":
        by = "invited_employer"  # their answer is appended to the journal without an account
    elif entry.action.startswith("login:"):
        by = "sign_in_attempt"
    else:
        by = "system"
    jurisdiction, consulate = offices.get(entry.user_id, (None, None)) if by == "staff" else (None, None)
    detail = dict(entry.detail or {})
    if not own:
        detail.pop("remote_addr", None)
    return {
        "entry": entry.id, "at": entry.at, "action": entry.action, "about": ABOUT.get(entry.object_type, entry.object_type),
        "case": about.get(entry.object_type, {}).get(entry.object_id), "by": by, "role": entry.role,
        "office_jurisdiction": jurisdiction, "office_consulate_of": consulate, "purpose": entry.purpose, "detail": detail,
    }


# --- queries (each one statement, by an index) -----------------------------------------------------


def _invitations_of(session: Session, case_ids: list[int]) -> list[EmployerInvitation]:
    if not case_ids:
        return []
    query = select(EmployerInvitation).where(EmployerInvitation.case_id.in_(case_ids)).order_by(EmployerInvitation.id)
    return list(session.scalars(query))


def _certificates_of(session: Session, case_ids: list[int]) -> list[Certificate]:
    if not case_ids:
        return []
    query = select(Certificate).where(Certificate.case_id.in_(case_ids)).order_by(Certificate.issued_at, Certificate.id)
    return list(session.scalars(query))


_ENTRY_COLUMNS = (AuditEntry.id, AuditEntry.at, AuditEntry.user_id, AuditEntry.role, AuditEntry.action,
                  AuditEntry.object_type, AuditEntry.object_id, AuditEntry.purpose, AuditEntry.detail)


def _entries_about(session: Session, object_type: str, object_ids: Iterable[str]) -> list[Any]:
    """The entries about these records of one type (`ix_audit_entries_object_type_object_id`); never
    the staff member's username, which the access record does not show."""
    ids = list(object_ids)
    if not ids:
        return []
    query = select(*_ENTRY_COLUMNS).where(AuditEntry.object_type == object_type, AuditEntry.object_id.in_(ids))
    return list(session.execute(query))


def _offices(session: Session, user_ids: set[int]) -> dict[int, tuple[str | None, str | None]]:
    """Each staff member's office: (jurisdiction, State whose consulate they serve), as it is now."""
    if not user_ids:
        return {}
    query = select(User.id, User.jurisdiction_code, User.consular_state).where(User.id.in_(sorted(user_ids)))
    return {row.id: (row.jurisdiction_code, row.consular_state) for row in session.execute(query)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
