"""Filing an application, adding evidence, downloading the certificate and inviting an employer.

Each page collects a form and hands it to `amparo.regularization.flows` (filing, evidence, the
certificate PDF) or `amparo.regularization.invitations`, which check the programme's window, the
evidence file and who may act.
A refusal comes back beside the field it is about, with the person's input kept.
"""

from __future__ import annotations

import datetime
from typing import Any, ClassVar, Literal

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field
from starlette.datastructures import UploadFile

from amparo.api.limits import refused_body
from amparo.auth.policy import Role
from amparo.cases import service as cases
from amparo.errors import AmparoError, Conflict, InvalidInput, PayloadTooLarge
from amparo.web.flash import flash
from amparo.web.forms import FormState, WebForm, blank_form, PostedForm, validate_form
from amparo.web.i18n import N_, _, format_number
from amparo.web.routing import web_router
from amparo.web.templating import render
from amparo.web.views._pages import database, signed_in
from amparo.web.views.programmes import EVIDENCE_LABELS, IDENTITY_LABELS

router = web_router()
PURPOSE = "the applicant files and documents their application"

#: Kinds of evidence an applicant can upload that are not evidence of presence.
OTHER_EVIDENCE_LABELS: dict[str, str] = {
    "identity_document": N_("Identity document"),
    "employment_confirmation": N_("Confirmation of work"),
    "other": N_("Another document"),
}
#: A form refused for its size before it was read (`amparo.api.limits`): nothing in it could be kept.
FILE_TOO_LARGE = N_(
    "The file is larger than {size} MB, so nothing was saved. Choose a smaller file (a photo at a lower "
    "resolution, or a PDF) or split the document into parts, then fill in the form again."
)
FORM_TOO_LARGE = N_(
    "What you sent is larger than {size} MB, so nothing was saved. Choose a smaller file or shorten the text, "
    "then fill in the form again."
)
MEBIBYTE = 1024 * 1024
IdentityKind = Literal["passport", "national_id_card", "birth_certificate", "consular_certificate", "travel_document", "refugee_id"]


class ApplyForm(WebForm):
    """The application, on one page: programme, facts, identity document and a first piece of evidence."""

    programme_id: str = Field(min_length=1, max_length=64, title=N_("Programme"))
    arrived_on: datetime.date | None = Field(None, title=N_("Date you arrived in the country"), description=N_("If you know it. Year-month-day, for example 2019-03-15."))
    identity_kind: IdentityKind | None = Field(None, title=N_("Identity document you have"))
    identity_expires_on: datetime.date | None = Field(None, title=N_("Its expiry date"), description=N_("Leave it empty if it has none."))
    declares_no_record: bool = Field(False, title=N_("I declare that I have no disqualifying record"))
    evidence_kind: str | None = Field(None, max_length=48, title=N_("A document that shows you were in the country"))
    evidence_dated: datetime.date | None = Field(None, title=N_("The date written on that document"))

    file_labels: ClassVar[dict[str, str]] = {"evidence_file": N_("The document (PDF, JPEG or PNG)")}


class EvidenceForm(WebForm):
    """One more evidence file for a filed case."""

    kind: str = Field(min_length=1, max_length=48, title=N_("What the document is"))
    document_date: datetime.date = Field(title=N_("The date written on the document"))
    description: str | None = Field(None, max_length=500, title=N_("Description (optional)"))

    file_labels: ClassVar[dict[str, str]] = {"file": N_("The document (PDF, JPEG or PNG)")}


class InviteForm(WebForm):
    """What the applicant asks an employer to confirm."""

    employer_name: str = Field(min_length=2, max_length=200, title=N_("Employer's name"))
    work_description: str = Field(min_length=2, max_length=500, title=N_("Your work"), description=N_("For example: cook, Monday to Saturday."))
    worked_from: datetime.date = Field(title=N_("Worked from"))
    worked_to: datetime.date | None = Field(None, title=N_("Worked until"), description=N_("Leave it empty if you still work there."))


def evidence_options() -> list[tuple[str, str]]:
    """Every kind of evidence an applicant can upload, in plain words."""
    labels = {**EVIDENCE_LABELS, **OTHER_EVIDENCE_LABELS}
    return [(kind, _(text)) for kind, text in labels.items()]


def identity_options() -> list[tuple[str, str]]:
    return [(kind, _(text)) for kind, text in IDENTITY_LABELS.items()]


def _programme_options(db: Any, jurisdiction: str | None) -> list[tuple[str, str]]:
    from amparo.regularization import service

    today = datetime.date.today()
    rows = service.list_programmes(db, jurisdiction)
    return [(r.programme_id, r.title) for r in rows if r.window_opens <= today and (r.window_closes is None or today <= r.window_closes)]


def too_large_message(limit: int, file_limit: int | None) -> str:
    """What a person reads, in the current language, when a form they sent was refused for its size
    (`amparo.api.limits.BodySizeLimit` asks): the limit in MB (the file's, when the form takes one),
    that nothing was kept, and what to do. Every web page's refusal is worded here."""
    if file_limit is not None:
        return _(FILE_TOO_LARGE, size=megabytes(file_limit))
    return _(FORM_TOO_LARGE, size=megabytes(limit))


def megabytes(size: int) -> str:
    """`size` bytes as MB of 1,048,576 bytes in the current language, to two significant digits rounded
    down (a limit is never overstated): "10", "2,5", "0,19" in Spanish."""
    scale = 1 if size >= 10 * MEBIBYTE else 10 if size >= MEBIBYTE else 100
    return format_number(size * scale // MEBIBYTE / scale)


def _upload(form_data: Any, name: str) -> UploadFile | None:
    value = form_data.get(name)
    return value if isinstance(value, UploadFile) and value.filename else None


def _refusal_to_field(form: FormState, error: AmparoError, fields: dict[str, str], default: str) -> None:
    """Put a service's refusal beside the field its details name (the message itself is shown as sent)."""
    named = [fields.get(str(d.get("field", "")).split(".")[0]) for d in (error.details or [])]
    target = next((f for f in named if f), default)
    form.add_error(target, error.message)


@router.get("/my/apply", name="apply")
def apply_page(request: Request) -> Response:
    """The application form, with the programmes open today in the person's country."""
    with database(request) as db:
        actor = signed_in(request, db, Role.APPLICANT)
        options = _programme_options(db, actor.jurisdiction)
    form = blank_form(ApplyForm, programme_id=chosen_programme(request, options))
    if (refused := refused_body(request)) is not None:  # shown again: what was sent was too large to read
        form.add_error("evidence_file", refused.message)
    return render(request, "applicant/apply.html", _apply_context(form, options))


def chosen_programme(request: Request, options: list[tuple[str, str]]) -> str:
    """The programme a public programme page's "Apply" link names (`?programme=`), when it is one the
    person can apply to; otherwise none is chosen for them."""
    wanted = request.query_params.get("programme", "")
    return wanted if any(programme_id == wanted for programme_id, _title in options) else ""


def _apply_context(form: FormState, programmes: list[tuple[str, str]]) -> dict[str, Any]:
    return {"form": form, "programmes": programmes, "evidence_kinds": evidence_options(), "identity_kinds": identity_options()}


@router.post("/my/apply", name="apply_submit")
def apply(request: Request, posted: PostedForm) -> Response:
    """File the application (and upload the evidence file, if one was chosen), then show the case."""
    data, form = validate_form(ApplyForm, posted)
    upload = _upload(posted, "evidence_file")
    settings = request.app.state.settings
    with database(request) as db:
        actor = signed_in(request, db, Role.APPLICANT)
        options = _programme_options(db, actor.jurisdiction)
        if data is not None and upload is not None and (data.evidence_kind is None or data.evidence_dated is None):
            form.add_error("evidence_dated", _("Say what the document is and the date written on it."))
            data = None
        if data is None:
            return render(request, "applicant/apply.html", _apply_context(form, options), status_code=422)
        from amparo.regularization import flows

        body: dict[str, Any] = {"programme_id": data.programme_id, "arrived_on": data.arrived_on,
                                "declares_no_disqualifying_record": data.declares_no_record or None}
        if data.identity_kind:
            body["identity_document"] = {"kind": data.identity_kind, "expires_on": data.identity_expires_on}
        if data.evidence_kind and data.evidence_dated:
            body["evidence"] = [{"kind": data.evidence_kind, "dated": data.evidence_dated}]
        try:
            filed = flows.file_application(db, settings, actor, body, purpose=PURPOSE)
            if upload is not None:
                flows.add_evidence(
                    db, settings, actor, filed.case.id, upload.file, upload.content_type, kind=str(data.evidence_kind),
                    document_date=data.evidence_dated, purpose=PURPOSE, filename=upload.filename,  # type: ignore[arg-type]
                )
        except (InvalidInput, Conflict, PayloadTooLarge) as error:
            db.rollback()
            fields = {"programme_id": "programme_id", "evidence": "evidence_kind", "identity_document": "identity_kind",
                      "arrived_on": "arrived_on", "file": "evidence_file", "kind": "evidence_kind", "document_date": "evidence_dated"}
            _refusal_to_field(form, error, fields, "evidence_file" if upload is not None and isinstance(error, PayloadTooLarge) else "programme_id")
            return render(request, "applicant/apply.html", _apply_context(form, options), status_code=error.status_code)
        number = filed.case.number
        db.commit()
    response = RedirectResponse(f"/my/cases/{number}", status_code=303)
    flash(response, request, _("Your application was filed. Download your certificate of pending application below."), "success")
    return response


@router.post("/my/cases/{number}/evidence", name="my_case_evidence")
def add_evidence(request: Request, number: str, posted: PostedForm) -> Response:
    """Upload one more evidence file; the pre-assessment is run again with it."""
    from amparo.web.views.applicant import _case_context

    data, form = validate_form(EvidenceForm, posted)
    upload = _upload(posted, "file")
    settings = request.app.state.settings
    with database(request) as db:
        actor = signed_in(request, db, Role.APPLICANT)
        if upload is None:
            form.add_error("file", _("Choose a file: a PDF, JPEG or PNG."))
        status = 422
        if data is not None and upload is not None:
            from amparo.regularization import flows

            try:
                flows.add_evidence(db, settings, actor, number, upload.file, upload.content_type, kind=data.kind,
                                   document_date=data.document_date, purpose=PURPOSE, filename=upload.filename, description=data.description)
            except (InvalidInput, Conflict, PayloadTooLarge) as error:
                db.rollback()
                status = error.status_code
                _refusal_to_field(form, error, {"kind": "kind", "document_date": "document_date", "file": "file"}, "file")
            else:
                db.commit()
                response = RedirectResponse(f"/my/cases/{number}", status_code=303)
                flash(response, request, _("Your document was added."), "success")
                return response
        context = _case_context(db, actor, number, evidence_form=form)
        db.commit()
    return render(request, "applicant/case.html", context, status_code=status)


@router.get("/my/cases/{number}/certificate.pdf", name="my_case_certificate")
def certificate(request: Request, number: str) -> Response:
    """The certificate of pending application as a signed PDF with its QR code."""
    from amparo.regularization import flows

    with database(request) as db:
        actor = signed_in(request, db)
        try:
            row, pdf = flows.certificate_pdf(db, request.app.state.settings, actor, number, purpose="the applicant downloads their certificate",
                                             only_valid=True)
        except Conflict as error:
            if error.code != "certificate_ended":
                raise
            db.rollback()
            response = RedirectResponse(f"/my/cases/{number}", status_code=303)
            flash(response, request, _("The certificate of pending application ended with the decision. Your case shows the decision."), "info")
            return response
        db.commit()
    filename = f"amparo-certificate-{number}.pdf"
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store",
    })


@router.post("/my/cases/{number}/invite", name="my_case_invite")
def invite(request: Request, number: str, posted: PostedForm) -> Response:
    """Invite an employer to confirm the applicant's work; the link is shown once, to pass on."""
    data, form = validate_form(InviteForm, posted)
    settings = request.app.state.settings
    with database(request) as db:
        actor = signed_in(request, db, Role.APPLICANT)
        status = 422
        if data is not None:
            from amparo.regularization import invitations

            try:
                row, token = invitations.invite_employer(db, settings, actor, number, data.model_dump(), purpose="the applicant invites an employer")
            except (InvalidInput, Conflict) as error:
                db.rollback()
                status = error.status_code
                _refusal_to_field(form, error, {"worked_to": "worked_to", "worked_from": "worked_from"}, "employer_name")
            else:
                db.commit()
                # The configured address, never the request's Host header (which a sender can forge).
                base = str(settings.public_base_url).rstrip("/")
                return render(request, "applicant/invitation.html", {
                    "number": number, "link": f"{base}/employer/{token}", "expires": row.expires_at.date(), "employer": row.employer_name,
                })
        context = {"number": number, "form": form}
    return render(request, "applicant/invite.html", context, status_code=status)


@router.get("/my/cases/{number}/invite", name="my_case_invite_form")
def invite_page(request: Request, number: str) -> Response:
    """The invitation form."""
    with database(request) as db:
        actor = signed_in(request, db, Role.APPLICANT)
        number = cases.get_case(db, actor, number, purpose=PURPOSE).number  # 404 for a case that is not theirs
        db.commit()
    return render(request, "applicant/invite.html", {"number": number, "form": blank_form(InviteForm)})
