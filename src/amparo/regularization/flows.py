"""Case flows of a regularization application: filing, evidence, certificates, information requests,
and the caseworker queue. Decisions and appeals are in `decisions`; employer invitations in
`invitations`.

Every function takes the session, the acting user and the purpose; checks the scope table; validates
everything before it writes anything; records the access in the audit chain; flushes and never
commits (the edge commits once, so a refused request leaves nothing behind).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, BinaryIO

from pydantic import BaseModel
from sqlalchemy import Select, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from amparo.audit import service as audit
from amparo.auth import policy
from amparo.auth.policy import Action as Permission, Actor, RecordFacts
from amparo.cases import actions as types
from amparo.cases import reducer
from amparo.cases import repository as cases
from amparo.cases import service as case_service
from amparo.cases.models import Action, Case
from amparo.cases.schemas import CaseKind, CaseState
from amparo.config import Settings
from amparo.db.compat import utcnow
from amparo.db.pagination import Page, check_limit, decode_cursor, encode_cursor
from amparo.errors import Conflict, Forbidden, InvalidInput, NotFound
from amparo.evidence import EvidenceKind, EvidenceStore
from amparo.people import repository as people
from amparo.people.models import Person
from amparo.programmes import EVIDENCE_KINDS, Applicant, Assessment, Evidence, Programme, assess
from amparo.regularization import actions as reg, repository, service
from amparo.regularization.models import Application, Certificate, EvidenceRecord, FilingConsent
from amparo.regularization.schemas import ApplicationIn, InformationRequestIn, QueueItem
from amparo.validation import validate

#: Kinds of evidence an upload may be: the programmes' kinds of evidence of presence and the others.
UPLOAD_KINDS = frozenset(EVIDENCE_KINDS) | {k.value for k in EvidenceKind}
_OPEN = frozenset({"open", "in_progress", "awaiting_information", reg.Status.REFUSAL_PROPOSED, reg.Status.UNDER_APPEAL})


@dataclass(frozen=True)
class Filed:
    """The result of filing: the case, the application row, the pre-assessment and the certificate."""

    case: Case
    application: Application
    assessment: Assessment
    certificate: Certificate


def today() -> dt.date:
    return utcnow().date()


def evidence_store(settings: Settings) -> EvidenceStore:
    return EvidenceStore(settings.data_dir / "evidence", max_bytes=settings.max_upload_bytes)


def record_action(
    session: Session, actor: Actor | None, case: Case, type_: str, payload: BaseModel, purpose: str, expected_version: int | None = None,
    *, operator: str | None = None,
) -> Action:
    """Append a regularization action after the caller checked who may take it (compare-and-set)."""
    if expected_version is not None and expected_version != case.version:
        raise case_service._version_conflict(case.number, expected_version, case.version)
    now = utcnow()
    event = reducer.ActionEvent(
        type_, types.payload_json(payload), case.version + 1, now, actor.user_id if actor else None, actor.role.value if actor else None
    )
    state = reducer.apply(case_service.state_of(case), event, payload=payload)
    values = cases.touch_values(
        now, state.model_dump(mode="json"), status=state.status, assigned_user_id=state.assigned_user_id, deadline=state.deadline
    )
    if not cases.compare_and_set(session, case.id, case.version, values):
        session.expire(case)
        raise case_service._version_conflict(case.number, case.version, cases.current_version(session, case.id))
    for name, value in {**values, "version": state.version}.items():
        set_committed_value(case, name, value)
    row = cases.add_action(
        session,
        Action(case_id=case.id, seq=event.seq, type=type_, payload=event.payload, actor_user_id=event.actor_user_id,
               actor_role=event.actor_role, server_time=now),
    )
    audit.record(session, actor, "case:append", "case", case.id, purpose, {"type": type_, "seq": event.seq}, username=None if actor else operator or "system")
    return row


def case_and_facts(session: Session, actor: Actor, case_ref: int | str) -> tuple[Case, Application, RecordFacts]:
    """The regularization case, its application and the scope facts, if the actor may read the case.

    NotFound when they may not know it exists, or when the case holds no application.
    """
    case, facts = case_service._visible(session, actor, case_ref)
    application = repository.application(session, case.id)
    if application is None:
        raise case_service.not_found(case_ref)
    return case, application, facts


def visible_case(session: Session, actor: Actor, case_ref: int | str, permission: Permission) -> tuple[Case, Application]:
    """The regularization case if the actor may read it and take `permission` on it.

    NotFound when they may not know it exists (or it is no application); Forbidden when they see it
    but may not act.
    """
    case, application, facts = case_and_facts(session, actor, case_ref)
    if not policy.is_allowed(actor, permission, facts):
        raise Forbidden(
            f"your role {actor.role.value!r} may not {permission.value.replace(':', ' ')} on case {case.number}",
            details=[{"field": "permission", "value": permission.value, "expected": "a role and relation the scope table grants"}],
        )
    return case, application


# --- filing ---------------------------------------------------------------------------------------


def _assessment(programme: Programme, person: Person, nationalities: list[str], data: ApplicationIn, evidence: list[Evidence], on: dt.date) -> Assessment:
    applicant = Applicant(
        birth_date=person.date_of_birth, nationalities=tuple(nationalities), arrived_on=data.arrived_on,
        declares_no_disqualifying_record=data.declares_no_disqualifying_record,
        identity_document=data.identity_document.model_dump() if data.identity_document else None,
    )
    return assess(programme, applicant, evidence, on)


def check_kinds(kinds: list[str], field: str) -> None:
    for index, kind in enumerate(kinds):
        if kind not in UPLOAD_KINDS:
            raise InvalidInput(
                f"evidence kind {kind!r} is not one Amparo knows; use one of: {', '.join(sorted(UPLOAD_KINDS))}",
                details=[{"field": field.format(index=index), "value": kind, "expected": "a known evidence kind"}],
            )


def file_application(
    session: Session,
    settings: Settings,
    actor: Actor | None,
    data: ApplicationIn | dict[str, Any],
    purpose: str,
    *,
    filed_on: dt.date | None = None,
    intake_key: str | None = None,
    operator: str | None = None,
) -> Filed:
    """File an application: open the case, pre-assess it and issue the certificate, in one transaction.

    One audit entry ("application:file") journals the act: the person and case it created, the
    journal's first two actions (`journal_seq`) and the certificate.

    Args:
        actor: the applicant filing for themselves, or assisting staff filing with `on_behalf_of`
            (the person's details and consent). None is the operator's bulk intake, which must give
            `on_behalf_of` too and may pass `filed_on` (the day the paper form was filled).
        filed_on: only for bulk intake (actor None, or the assisting staff member running the intake,
            with `intake_key`); otherwise today.
        intake_key: bulk intake's row key: filing the same key again raises Conflict, saving nothing.
        operator: who ran a bulk intake without an account (e.g. "cli:maria"), named in the audit entries.

    Raises:
        InvalidInput: unknown programme, window closed ("window_closed"), a programme of another
            jurisdiction ("wrong_jurisdiction"), evidence dated in the future, bad details.
        Forbidden: the actor may not file (e.g. assisting staff of another jurisdiction).
        Conflict: the person already has an application pending under this programme.
    """
    if not isinstance(data, ApplicationIn):  # a validated instance (the API's, intake's) is not validated again
        data = validate(ApplicationIn, data, what="application")
    purpose = audit.check_purpose(purpose)
    if filed_on is not None and actor is not None and intake_key is None:
        raise InvalidInput("only bulk intake may back-date a filing; the filing date is today")
    on = filed_on or today()
    if intake_key is not None and repository.application_by_intake_key(session, intake_key) is not None:
        raise Conflict(f"intake row {intake_key!r} was already filed", details=[{"field": "intake_key", "value": intake_key, "expected": "a new row"}], code="already_filed")
    row, programme = service.version_in_force(session, data.programme_id, on)
    check_kinds([e.kind for e in data.evidence], "evidence.{index}.kind")

    person: Person | None = None
    if data.on_behalf_of is None:
        if actor is None:
            raise InvalidInput(
                "bulk intake files for others: give on_behalf_of with each person's details and recorded consent",
                details=[{"field": "on_behalf_of", "value": None, "expected": "the person and their consent"}],
            )
        own = RecordFacts(jurisdiction=programme.jurisdiction, person_id=actor.person_id or -1)
        if actor.person_id is None or not policy.is_allowed(actor, Permission.APPLICATION_FILE, own):
            raise Forbidden(
                f"your role {actor.role.value!r} may not file for yourself; applicants file their own application, and "
                "assisting organisations file for a person with on_behalf_of and the person's recorded consent",
                details=[{"field": "on_behalf_of", "value": None, "expected": "your own application, or on_behalf_of"}],
            )
        person = people.get(session, actor.person_id)
        if person is None:
            raise InvalidInput("your account is not linked to a person record; ask for help", details=[])
        jurisdiction, nationalities = person.jurisdiction_code, person.nationality_codes
    else:
        if actor is not None and not policy.is_allowed(
            actor, Permission.APPLICATION_FILE, RecordFacts(jurisdiction=programme.jurisdiction, person_id=-1)
        ):
            raise Forbidden(
                f"your role {actor.role.value!r} may not file for others in {programme.jurisdiction}; applicants file for "
                "themselves, and assisting staff of the programme's jurisdiction file with the person's consent",
                details=[{"field": "on_behalf_of", "value": "(given)", "expected": "no on_behalf_of, or assisting staff of " + programme.jurisdiction}],
            )
        details = data.on_behalf_of.person
        jurisdiction, nationalities = details.jurisdiction_code, list(details.nationalities)
        if data.on_behalf_of.consent.given_on > on:
            raise InvalidInput(
                f"the consent is dated {data.on_behalf_of.consent.given_on}, after the filing date {on}; record it when it is given",
                details=[{"field": "on_behalf_of.consent.given_on", "value": str(data.on_behalf_of.consent.given_on), "expected": f"on or before {on}"}],
            )
    check_jurisdiction(programme, jurisdiction)
    check_window(programme, on)
    # Everything that only reads or computes comes before the first write: on SQLite the write lock
    # is taken there (`_refuse_duplicate`'s row lock, or the new person), and held to the commit.
    signing = service.signing_key(session, settings, jurisdiction)
    evidence = [Evidence(kind=e.kind, dated=e.dated, description=e.description) for e in data.evidence]
    new_person = person is None
    if person is None:  # on behalf of someone: their record as in their documents, stored below
        details = data.on_behalf_of.person  # type: ignore[union-attr]
        person = Person(
            given_names=details.given_names, family_names=details.family_names, date_of_birth=details.date_of_birth,
            sex=details.sex.value, languages=list(details.languages), email=details.email, phone=details.phone,
            address=details.address, jurisdiction_code=details.jurisdiction_code,
        )
    assessment = _assessment(programme, person, nationalities, data, evidence, on)
    claims = service.pending_certificate(person, programme, jurisdiction, on)
    filed = reg.ApplicationFiled(
        programme_id=programme.id, programme_version=programme.version, filed_on=on, on_behalf=data.on_behalf_of is not None,
        overall=assessment.overall, decide_by=on + dt.timedelta(days=programme.decision_deadline_days),
    )
    recorded = {
        "applicant": data.model_dump(mode="json", exclude={"on_behalf_of", "evidence"}),
        "declared_evidence": [e.model_dump(mode="json") for e in data.evidence], "assessment": assessment.to_dict(),
    }
    if new_person:
        people.add(session, person, nationalities)
    else:
        _refuse_duplicate(session, person.id, programme.id)

    # Everything is checked: from here on, only writes.
    case = _open_filed_case(session, actor, person.id, jurisdiction, filed)
    application = Application(
        case_id=case.id, programme_id=programme.id, programme_version=programme.version, filed_on=on,
        filed_by=actor.user_id if actor else None, on_behalf=data.on_behalf_of is not None, intake_key=intake_key, **recorded,
    )
    session.add(application)
    if data.on_behalf_of is not None:
        consent = data.on_behalf_of.consent
        session.add(FilingConsent(
            person_id=person.id, case_id=case.id, assistant_user_id=actor.user_id if actor else None,  # type: ignore[arg-type]
            organisation=consent.organisation, method=consent.method, statement=consent.statement, given_on=consent.given_on,
        ))
    certificate = service.issue_certificate(session, settings, case, person, programme, on, signing=signing, pending=claims)
    audit.record(
        session, actor, Permission.APPLICATION_FILE.value, "case", case.id, purpose,
        {"programme": programme.key, "on_behalf": data.on_behalf_of is not None, "certificate": certificate.id, "journal_seq": 2},
        username=None if actor else operator or "bulk-intake",
    )
    return Filed(case=case, application=application, assessment=assessment, certificate=certificate)


def filed_case_journal(
    person_id: int, jurisdiction: str, filed: reg.ApplicationFiled, now: dt.datetime, actor: Actor | None
) -> tuple[list[reducer.ActionEvent], CaseState]:
    """The first two actions of a filed application's journal (case_opened, application_filed) and
    the state the one reducer derives from them: a filing writes its case at version 2 directly."""
    user_id, role = (actor.user_id, actor.role.value) if actor else (None, None)
    opened = types.CaseOpened(kind=CaseKind.REGULARIZATION.value, jurisdiction_code=jurisdiction, person_id=person_id)  # type: ignore[arg-type]
    events = [
        reducer.ActionEvent("case_opened", types.payload_json(opened), 1, now, user_id, role),
        reducer.ActionEvent("application_filed", types.payload_json(filed), 2, now, user_id, role),
    ]
    return events, reducer.apply(reducer.apply(None, events[0], payload=opened), events[1], payload=filed)


def action_rows(case_id: int, events: list[reducer.ActionEvent]) -> list[dict[str, Any]]:
    return [{"case_id": case_id, "seq": e.seq, "type": e.type, "payload": e.payload, "actor_user_id": e.actor_user_id,
             "actor_role": e.actor_role, "server_time": e.server_time} for e in events]


def _open_filed_case(session: Session, actor: Actor | None, person_id: int, jurisdiction: str, filed: reg.ApplicationFiled) -> Case:
    """Open the case with its filing already journaled: 3 statements (number, case, both actions),
    where opening and then appending took 5 (a second action insert and the compare-and-set update)."""
    now = utcnow()
    events, state = filed_case_journal(person_id, jurisdiction, filed, now, actor)
    sequence = cases.next_case_number(session, jurisdiction, now.year)
    case = Case(
        number=f"{jurisdiction}-{now.year}-{sequence:07d}", kind=state.kind.value, jurisdiction_code=jurisdiction, person_id=person_id,
        version=state.version, status=state.status, assigned_user_id=state.assigned_user_id, deadline=state.deadline,
        state=state.model_dump(mode="json"), created_at=now, updated_at=now,
    )
    cases.add_case(session, case)
    session.execute(insert(Action.__table__), action_rows(case.id, events))
    return case


def check_jurisdiction(programme: Programme, jurisdiction: str) -> None:
    """A programme files only for persons recorded in its own jurisdiction (422 "wrong_jurisdiction")."""
    if programme.jurisdiction != jurisdiction:
        raise InvalidInput(
            f"programme {programme.id} is a programme of {programme.jurisdiction}; the applicant's record is in "
            f"{jurisdiction}. Choose a programme of {jurisdiction} (GET /api/v1/programmes?jurisdiction={jurisdiction})",
            details=[{"field": "programme_id", "value": programme.id, "expected": f"a programme of {jurisdiction}"}],
            code="wrong_jurisdiction",
        )


def check_window(programme: Programme, on: dt.date) -> None:
    """Filing on `on` must fall inside the version's application window, both ends included."""
    window = programme.window
    if on < window.opens or (window.closes is not None and on > window.closes):
        span = f"{window.opens} to {window.closes}" if window.closes else f"from {window.opens}"
        raise InvalidInput(
            f"the application window of {programme.id} is {span}; an application cannot be filed on {on}",
            details=[{"field": "programme_id", "value": programme.id, "expected": f"a programme open on {on} (window {span})"}],
            code="window_closed",
        )


def pending_application_query(person_id: int, programme_id: str) -> Select[tuple[str]]:
    """The numbers of the person's pending cases under the programme. Read from the person's cases,
    with each one's application found by its key: a join let SQLite start from every application of
    the programme (10 ms at 30,000 filings, with the write lock held; a programme has millions)."""
    of_programme = select(Application.case_id).where(Application.case_id == Case.id, Application.programme_id == programme_id)
    return select(Case.number).where(Case.person_id == person_id, Case.status.in_(sorted(_OPEN)), of_programme.exists())


def _refuse_duplicate(session: Session, person_id: int, programme_id: str) -> None:
    """Conflict when the person has an application pending under the programme.

    The person's row is locked first (before the case number and the audit chain's head, the order
    every filing takes its locks in), until the filing commits: two filings by one person at the
    same moment would otherwise both find nothing pending and both be filed (PostgreSQL runs them side
    by side under READ COMMITTED). The second waits, then sees the first. On SQLite the row lock
    takes the database's write lock (`amparo.db.engine.lock_on_first_write`): what the filing read
    before it was read beside other writers, and everything after it is theirs alone.
    """
    # FOR NO KEY UPDATE: serialises two filings of the person but, unlike FOR UPDATE, does not wait
    # for (or block) inserts that merely reference the person, such as a draft being started.
    session.execute(select(Person.id).where(Person.id == person_id).with_for_update(key_share=True))
    number = session.scalars(pending_application_query(person_id, programme_id)).first()
    if number is not None:
        raise Conflict(
            f"you already have application {number} pending under {programme_id}; add evidence to it instead of filing again",
            details=[{"field": "programme_id", "value": programme_id, "expected": "a programme without a pending application"}],
            code="already_filed",
        )


# --- evidence -------------------------------------------------------------------------------------


def add_evidence(
    session: Session,
    settings: Settings,
    actor: Actor,
    case_ref: int | str,
    data: bytes | BinaryIO,
    declared_media_type: str | None,
    *,
    kind: str,
    document_date: dt.date,
    purpose: str,
    filename: str | None = None,
    description: str | None = None,
) -> tuple[EvidenceRecord, Assessment]:
    """Store an uploaded file (sniffed, size-limited, content-addressed) and record it on the case.

    Raises:
        InvalidInput: unknown kind, a document dated in the future; RejectedFile: the file is not the
            PDF/JPEG/PNG it claims to be; PayloadTooLarge: over `settings.max_upload_bytes`.
        Conflict: the same file is already attached to this case.
    """
    purpose = audit.check_purpose(purpose)
    case, application = visible_case(session, actor, case_ref, Permission.EVIDENCE_ADD)
    # Refused before the file is stored, not only when the action is appended.
    reg.refuse_once_decided(case_service.state_of(case), reducer.ActionEvent("evidence_added", {}, case.version + 1, utcnow()))
    check_kinds([kind], "kind")
    received = today()
    if document_date > received:
        raise InvalidInput(
            f"the document date {document_date} is after today ({received}); a document cannot be dated in the future. "
            "Check the date written on the document",
            details=[{"field": "document_date", "value": document_date.isoformat(), "expected": f"on or before {received}"}],
        )
    if kind == "other" and not (description or "").strip():
        raise InvalidInput("evidence of kind 'other' needs a description saying what the document is",
                           details=[{"field": "description", "value": description, "expected": "what the document is"}])
    blob = evidence_store(settings).put(data, declared_media_type, filename=filename)
    duplicate = Conflict(f"this file (sha256 {blob.sha256}) is already attached to case {case.number}",
                         details=[{"field": "file", "value": blob.sha256, "expected": "a file not yet attached"}], code="duplicate_evidence")
    if repository.evidence_item(session, case.id, blob.sha256) is not None:
        raise duplicate
    record = EvidenceRecord(
        case_id=case.id, sha256=blob.sha256, kind=kind, document_date=document_date, received_on=received,
        media_type=blob.media_type, size=blob.size, description=description, original_filename=_base_name(filename),
        uploaded_by=actor.user_id, uploaded_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:  # the same file, sent twice at once (a double submit), was attached first by the other
        raise duplicate from None
    assessment = reassess(session, case, application)
    record_action(
        session, actor, case, "evidence_added",
        reg.EvidenceAdded(sha256=blob.sha256, kind=kind, document_date=document_date, overall=assessment.overall), purpose,
    )
    audit.record(session, actor, Permission.EVIDENCE_ADD.value, "case", case.id, purpose, {"sha256": blob.sha256, "kind": kind})
    return record, assessment


def _base_name(filename: str | None) -> str | None:
    if not filename:
        return None
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in name if ord(ch) >= 32)[:255] or None


def reassess(session: Session, case: Case, application: Application) -> Assessment:
    """Pre-assess again with the declared and uploaded evidence; stores and returns the result."""
    row, _ = service.get_programme(session, application.programme_id, application.programme_version)
    programme = service.programme_of(row)
    person = people.get(session, case.person_id)
    assert person is not None
    declared = [Evidence(kind=e["kind"], dated=dt.date.fromisoformat(e["dated"])) for e in application.declared_evidence]
    uploaded = [Evidence(kind=e.kind, dated=min(e.document_date, application.filed_on)) for e in repository.evidence_of(session, case.id)]
    data = ApplicationIn.model_validate(application.applicant)
    assessment = _assessment(programme, person, person.nationality_codes, data, declared + uploaded, application.filed_on)
    application.assessment = assessment.to_dict()
    return assessment


def list_evidence(session: Session, actor: Actor, case_ref: int | str, purpose: str) -> list[EvidenceRecord]:
    case, _ = visible_case(session, actor, case_ref, Permission.EVIDENCE_READ)
    audit.record(session, actor, Permission.EVIDENCE_READ.value, "case", case.id, audit.check_purpose(purpose), {"list": True})
    return repository.evidence_of(session, case.id)


def read_evidence(session: Session, settings: Settings, actor: Actor, case_ref: int | str, sha256: str, purpose: str) -> tuple[EvidenceRecord, bytes]:
    """The record and the verified bytes of one evidence file of the case."""
    purpose = audit.check_purpose(purpose)
    case, _ = visible_case(session, actor, case_ref, Permission.EVIDENCE_READ)
    record = repository.evidence_item(session, case.id, sha256.lower())
    if record is None:
        raise NotFound(f"case {case.number} has no evidence file with checksum {sha256}",
                       details=[{"field": "sha256", "value": sha256, "expected": "the sha256 of a file of this case"}])
    content = evidence_store(settings).read(record.sha256)
    audit.record(session, actor, Permission.EVIDENCE_READ.value, "case", case.id, purpose, {"sha256": record.sha256})
    return record, content


# --- certificates ---------------------------------------------------------------------------------


def certificate_pdf(
    session: Session, settings: Settings, actor: Actor, case_ref: int | str, purpose: str, *, only_valid: bool = False
) -> tuple[Certificate, bytes]:
    """The latest certificate of the case as a PDF (rendered now, ~0.4 s; never during filing).

    With `only_valid` (the applicant's own page, which hands it out as proof), a certificate the
    decision ended is refused (409 `certificate_ended`); the API gives it for the record, and its
    verification says it ended."""
    from amparo import certificates

    purpose = audit.check_purpose(purpose)
    case, _ = visible_case(session, actor, case_ref, Permission.CERTIFICATE_READ)
    row = repository.latest_certificate(session, case.id)
    if row is None:
        raise NotFound(f"case {case.number} has no certificate")
    if only_valid and not service.certificate_valid(case.status):
        # The PDF says "pending"; after the decision it would prove what is no longer true (and its
        # verification would say so). It is not handed out as proof any more: it never lapses silently.
        raise Conflict(
            f"the certificate of pending application of case {case.number} ended with the decision (status "
            f"{case.status!r}); it no longer proves a pending application. The case shows the decision",
            code="certificate_ended",
            details=[{"field": "case", "value": case.number, "expected": "a case pending a decision or under appeal"}],
        )
    audit.record(session, actor, Permission.CERTIFICATE_READ.value, "case", case.id, purpose, {"certificate": row.id})
    claims = certificates.peek_claims(row.token)
    return row, certificates.render_pdf(claims, row.token, certificates.verification_url(settings.public_base_url, row.token))


# --- requests for information ----------------------------------------------------------------------


def request_information(session: Session, actor: Actor, case_ref: int | str, data: InformationRequestIn | dict, purpose: str) -> Action:
    """Ask the applicant for information by a due date (the assigned staff member only)."""
    data = validate(InformationRequestIn, data, what="request")
    case, _ = visible_case(session, actor, case_ref, Permission.CASE_READ)
    body = {"type": "request_information", "payload": {"message": data.message, "due_date": data.due_date.isoformat()}}
    return case_service.append_action(session, actor, case.id, data.expected_version or case.version, body, purpose)


# --- the queue ------------------------------------------------------------------------------------


def queue(
    session: Session,
    actor: Actor,
    purpose: str,
    *,
    jurisdiction: str | None = None,
    programme_id: str | None = None,
    status: list[str] | None = None,
    deadline_before: dt.date | None = None,
    assigned_to: int | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[QueueItem]:
    """Regularization cases of the actor's jurisdiction, oldest first, filtered. Journaled with the ids."""
    purpose = audit.check_purpose(purpose)
    limit = check_limit(limit)
    wanted = jurisdiction or actor.jurisdiction
    if wanted is None or not policy.is_allowed(actor, Permission.QUEUE_READ, RecordFacts(jurisdiction=wanted, person_id=-1)):
        raise Forbidden(
            f"your role {actor.role.value!r} may not read the queue of {wanted or 'any jurisdiction'}",
            details=[{"field": "jurisdiction", "value": wanted, "expected": actor.jurisdiction}],
        )
    after_id = decode_cursor(cursor)
    rows = repository.queue(
        session, wanted, programme_id=programme_id, statuses=status, deadline_before=deadline_before,
        assigned_to=assigned_to, after=(0, after_id) if after_id else None, limit=limit,
    )
    next_cursor = encode_cursor(rows[limit - 1][0].id) if len(rows) > limit else None
    items = [
        QueueItem(
            case_id=c.id, case_number=c.number, programme_id=a.programme_id, status=c.status, deadline=c.deadline,
            assigned_user_id=c.assigned_user_id, filed_on=a.filed_on, overall=a.assessment.get("overall", "unknown"), version=c.version,
        )
        for c, a in rows[:limit]
    ]
    audit.record(session, actor, Permission.QUEUE_READ.value, "case", None, purpose,
                 {"jurisdiction": wanted, "programme": programme_id, "ids": [i.case_id for i in items]})
    return Page[QueueItem](items=items, next_cursor=next_cursor)
