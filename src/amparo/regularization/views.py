"""HTTP routes of regularization: programmes, registration, filing, evidence, certificates, the queue,
information requests, decisions, sign-off, appeals and employer invitations. Every route commits
before it answers; a refused request commits nothing (the session is rolled back)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from amparo.api.deps import CurrentActor, Db, Purpose, permission, remote_addr
from amparo.auth.policy import Action
from amparo.cases.views import case_ref
from amparo.certificates import verification_url
from amparo.db.compat import MAX_ID
from amparo.db.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from amparo.regularization import decisions, flows, invitations, service
from amparo.regularization.schemas import (
    AppealIn,
    ApplicationIn,
    ApplicationOut,
    CertificateOut,
    DecisionIn,
    DecisionOut,
    EvidenceOut,
    EvidenceRead,
    InformationRequestIn,
    InvitationAnswer,
    InvitationCreated,
    InvitationIn,
    InvitationView,
    ProgrammePublish,
    ProgrammeRead,
    ProgrammeVersionRead,
    QueueItem,
    RegisterIn,
    RegisterOut,
    SignOffIn,
)

router = APIRouter(tags=["regularization"])
PUBLIC = "public: no personal data"


def _settings(request: Request):
    return request.app.state.settings


# --- accounts and programmes (public) -------------------------------------------------------------


@router.post("/auth/register", status_code=201, response_model=RegisterOut, tags=["auth"],
             summary="Create your own applicant account, with your details as in your documents",
             openapi_extra=permission(PUBLIC))
def register(body: RegisterIn, request: Request, db: Db) -> RegisterOut:
    user, person = service.register_applicant(db, _settings(request), body, remote_addr(request))
    result = RegisterOut(user_id=user.id, person_id=person.id, username=user.username)
    db.commit()
    return result


@router.get("/programmes", response_model=list[ProgrammeVersionRead], summary="Published programmes (latest versions)",
            openapi_extra=permission(PUBLIC))
def list_programmes(db: Db, jurisdiction: str | None = None) -> list[ProgrammeVersionRead]:
    rows = service.list_programmes(db, jurisdiction.upper() if jurisdiction else None)
    result = [ProgrammeVersionRead.model_validate(r) for r in rows]
    db.commit()
    return result


@router.get("/programmes/{programme_id}", response_model=ProgrammeRead, summary="One programme: its rules and document",
            openapi_extra=permission(PUBLIC))
def read_programme(programme_id: str, db: Db, version: int | None = None) -> ProgrammeRead:
    row, versions = service.get_programme(db, programme_id, version)
    rules = service.programme_of(row).model_dump(mode="json")
    result = ProgrammeRead.model_validate({**ProgrammeVersionRead.model_validate(row).model_dump(), "rules": rules, "document": row.document, "versions": versions})
    db.commit()
    return result


@router.post("/programmes", status_code=201, response_model=ProgrammeVersionRead, summary="Publish a programme version",
             description="409 `safeguards_not_met` when the design breaks a binding or adopted safeguard.",
             openapi_extra=permission(Action.PROGRAMME_PUBLISH))
def publish_programme(body: ProgrammePublish, db: Db, actor: CurrentActor, why: Purpose) -> ProgrammeVersionRead:
    row = service.publish_programme(db, actor, body.document, purpose=why)
    result = ProgrammeVersionRead.model_validate(row)
    db.commit()
    return result


@router.get("/certificate-keys", summary="Public keys that sign certificates, for offline verification",
            openapi_extra=permission(PUBLIC))
def certificate_keys(db: Db) -> list[dict[str, str]]:
    result = service.public_keys(db)
    db.commit()
    return result


# --- filing, evidence, certificates ----------------------------------------------------------------


@router.post("/applications", status_code=201, response_model=ApplicationOut,
             summary="File an application (yourself, or for someone who consented)",
             description="422 `window_closed`, `wrong_jurisdiction` or `invalid_input` (e.g. evidence dated in the future); nothing is saved.",
             openapi_extra=permission(Action.APPLICATION_FILE))
def file_application(body: ApplicationIn, request: Request, db: Db, actor: CurrentActor, why: Purpose) -> ApplicationOut:
    settings = _settings(request)
    filed = flows.file_application(db, settings, actor, body, why)
    cert = filed.certificate
    result = ApplicationOut(
        case_id=filed.case.id, case_number=filed.case.number, person_id=filed.case.person_id,
        programme_id=filed.application.programme_id, programme_version=filed.application.programme_version,
        filed_on=filed.application.filed_on, assessment=filed.assessment.to_dict(),
        certificate=CertificateOut(id=cert.id, token=cert.token, verify_url=verification_url(settings.public_base_url, cert.token), status=cert.status, key_id=cert.key_id),
    )
    db.commit()  # after the answer is built: nothing that can still fail runs after the commit
    return result


@router.post("/cases/{case_id}/evidence", status_code=201, response_model=EvidenceOut, summary="Upload an evidence file (PDF, JPEG or PNG)",
             description="The content is checked, not the declared type; 413 over the size limit.",
             openapi_extra=permission(Action.EVIDENCE_ADD))
def upload_evidence(
    case_id: str, request: Request, db: Db, actor: CurrentActor, why: Purpose,
    file: Annotated[UploadFile, File(description="The document.")],
    kind: Annotated[str, Form(max_length=48)],
    document_date: Annotated[dt.date, Form(description="The date written on the document.")],
    description: Annotated[str | None, Form(max_length=500)] = None,
) -> EvidenceOut:
    record, assessment = flows.add_evidence(
        db, _settings(request), actor, case_ref(case_id), file.file, file.content_type, kind=kind, document_date=document_date,
        purpose=why, filename=file.filename, description=description,
    )
    result = EvidenceOut.model_validate({**EvidenceRead.model_validate(record).model_dump(), "assessment": assessment.to_dict()})
    db.commit()
    return result


@router.get("/cases/{case_id}/evidence", response_model=list[EvidenceRead], summary="The evidence files of a case",
            openapi_extra=permission(Action.EVIDENCE_READ))
def list_evidence(case_id: str, db: Db, actor: CurrentActor, why: Purpose) -> list[EvidenceRead]:
    result = [EvidenceRead.model_validate(r) for r in flows.list_evidence(db, actor, case_ref(case_id), why)]
    db.commit()
    return result


@router.get("/cases/{case_id}/evidence/{sha256}", response_class=Response, summary="Download one evidence file (checksum verified)",
            openapi_extra=permission(Action.EVIDENCE_READ))
def download_evidence(case_id: str, sha256: str, request: Request, db: Db, actor: CurrentActor, why: Purpose) -> Response:
    record, content = flows.read_evidence(db, _settings(request), actor, case_ref(case_id), sha256, why)
    db.commit()
    return Response(content, media_type=record.media_type, headers={
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'attachment; filename="{record.sha256[:16]}"',
    })


@router.get("/cases/{case_id}/certificate.pdf", response_class=Response, summary="The certificate of pending application (PDF)",
            openapi_extra=permission(Action.CERTIFICATE_READ))
def certificate_pdf(case_id: str, request: Request, db: Db, actor: CurrentActor, why: Purpose) -> Response:
    row, pdf = flows.certificate_pdf(db, _settings(request), actor, case_ref(case_id), why)
    db.commit()
    return Response(pdf, media_type="application/pdf", headers={"Cache-Control": "no-store", "Content-Disposition": f'inline; filename="certificate-{row.id[:12]}.pdf"'})


# --- casework --------------------------------------------------------------------------------------


@router.get("/queue", response_model=Page[QueueItem], summary="Regularization cases of your jurisdiction, oldest first",
            openapi_extra=permission(Action.QUEUE_READ))
def queue(
    db: Db, actor: CurrentActor, why: Purpose,
    jurisdiction: str | None = None, programme: str | None = None,
    status: Annotated[list[str] | None, Query()] = None, deadline_before: dt.date | None = None,
    assigned_to: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT, cursor: str | None = None,
) -> Page[QueueItem]:
    page = flows.queue(db, actor, why, jurisdiction=jurisdiction.upper() if jurisdiction else None, programme_id=programme,
                       status=status, deadline_before=deadline_before, assigned_to=assigned_to, limit=limit, cursor=cursor)
    db.commit()
    return page


@router.post("/cases/{case_id}/request-information", status_code=201, summary="Ask the applicant for information by a date",
             openapi_extra=permission(Action.APPEND_STAFF_ACTION))
def request_information(case_id: str, body: InformationRequestIn, db: Db, actor: CurrentActor, why: Purpose) -> dict:
    action = flows.request_information(db, actor, case_ref(case_id), body, why)
    result = {"case_id": action.case_id, "version": action.seq, "due_date": body.due_date.isoformat()}
    db.commit()
    return result


def _decided(outcome: decisions.Decided) -> DecisionOut:
    return DecisionOut(case_id=outcome.case.id, case_number=outcome.case.number, status=outcome.case.status, version=outcome.case.version,
                       recorded=outcome.recorded, evaluation=outcome.evaluation.to_dict())


@router.post("/cases/{case_id}/decision", status_code=201, response_model=DecisionOut,
             summary="Grant, or propose a refusal (first decision or appeal)",
             description="Safeguards are evaluated for the jurisdiction and today's date first: 409 `safeguards_not_met` "
             "names each unmet binding or adopted safeguard with its sources. A refusal needs a supervisor's sign-off.",
             openapi_extra=permission(f"{Action.DECISION_PROPOSE} | {Action.APPEAL_DECIDE}"))
def decide(case_id: str, body: DecisionIn, request: Request, db: Db, actor: CurrentActor, why: Purpose) -> DecisionOut:
    result = _decided(decisions.decide(db, _settings(request), actor, case_ref(case_id), body, why))
    db.commit()
    return result


@router.post("/cases/{case_id}/signoff", status_code=201, response_model=DecisionOut,
             summary="Sign off a proposed refusal (a supervisor other than the proposer)",
             openapi_extra=permission(Action.DECISION_SIGNOFF))
def sign_off(case_id: str, request: Request, db: Db, actor: CurrentActor, why: Purpose, body: SignOffIn | None = None) -> DecisionOut:
    outcome = decisions.sign_off(db, _settings(request), actor, case_ref(case_id), why, body.expected_version if body else None)
    result = _decided(outcome)
    db.commit()
    return result


@router.post("/cases/{case_id}/appeal", status_code=201, summary="Appeal a refusal, within the appeal period",
             openapi_extra=permission(Action.APPEAL_FILE))
def appeal(case_id: str, body: AppealIn, request: Request, db: Db, actor: CurrentActor, why: Purpose) -> dict:
    case = decisions.appeal(db, _settings(request), actor, case_ref(case_id), body, why)
    result = {"case_id": case.id, "case_number": case.number, "status": case.status, "version": case.version}
    db.commit()
    return result


# --- employer invitations ----------------------------------------------------------------------------


@router.post("/cases/{case_id}/employer-invitations", status_code=201, response_model=InvitationCreated,
             summary="Invite an employer to confirm your work (optional; never a condition)",
             openapi_extra=permission(Action.EMPLOYER_INVITATION_CREATE))
def invite(case_id: str, body: InvitationIn, request: Request, db: Db, actor: CurrentActor, why: Purpose) -> InvitationCreated:
    settings = _settings(request)
    row, token = invitations.invite_employer(db, settings, actor, case_ref(case_id), body, why)
    link = f"{settings.public_base_url.rstrip('/')}/api/v1/employer-invitations/{token}"
    result = InvitationCreated(id=row.id, token=token, link=link, expires_at=row.expires_at)
    db.commit()
    return result


def _view(row) -> InvitationView:
    return InvitationView(employer_name=row.employer_name, applicant_name=row.applicant_name, work_description=row.work_description,
                          worked_from=row.worked_from, worked_to=row.worked_to, status=row.status, expires_at=row.expires_at)


@router.get("/employer-invitations/{token}", response_model=InvitationView, summary="What the invited employer is asked (the invitation only)",
            openapi_extra=permission("the invitation's token"))
def view_invitation(token: str, db: Db) -> InvitationView:
    result = _view(invitations.view_invitation(db, token))
    db.commit()
    return result


@router.post("/employer-invitations/{token}", response_model=InvitationView, summary="Confirm or decline, once",
             openapi_extra=permission("the invitation's token"))
def answer_invitation(token: str, body: InvitationAnswer, db: Db) -> InvitationView:
    result = _view(invitations.answer_invitation(db, token, body))
    db.commit()
    return result

