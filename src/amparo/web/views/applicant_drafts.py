"""Filing an application step by step, saved as the person goes and resumed on another day.

about you → residence and entry → work or studies → evidence → review and file. Each step is a
Pydantic form: a mistake comes back beside its field with the input kept; "Continue" saves the step
and goes on, "Save and continue later" saves it and goes back to the start page (/my/cases), which
lists the open drafts with the step each is at. Filing hands the answers to
`amparo.regularization.drafts.submit`, which files through `flows.file_application` and deletes the
draft in the same transaction. Drafts are the owner's alone (anyone else gets 404) and every read and
write is journaled by the drafts service. No JavaScript anywhere.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field, field_validator

from amparo.api.limits import refused_body
from amparo.auth.policy import Role
from amparo.errors import Conflict, Forbidden, InvalidInput, NotFound, PayloadTooLarge
from amparo.web.flash import flash
from amparo.web.forms import FormState, WebForm, blank_form, form_error, PostedForm, validate_form
from amparo.web.i18n import N_, _
from amparo.web.routing import web_router
from amparo.web.templating import render
from amparo.web.views._pages import database, signed_in
from amparo.web.views.applicant_filing import IdentityKind, _programme_options, _upload, chosen_programme, identity_options
from amparo.web.views.programmes import EVIDENCE_LABELS

router = web_router()
PURPOSE = "the applicant fills in their application"

#: Each step's heading, in the order the person goes through them.
STEP_TITLES: dict[str, str] = {
    "about": N_("About you"),
    "residence": N_("Residence and entry"),
    "work": N_("Work or studies"),
    "evidence": N_("Proof that you were in the country"),
    "review": N_("Check and file"),
}
#: Documents about work or studies that also show presence (kinds the programmes know).
WORK_KINDS = ("employment_record", "school_enrolment")
PresenceKind = Literal[tuple(EVIDENCE_LABELS)]  # type: ignore[valid-type]
WorkKind = Literal["employment_record", "school_enrolment"]


def _not_future(value: datetime.date | None) -> datetime.date | None:
    if value is not None and value > datetime.date.today():
        raise form_error(N_("This date is in the future. Enter the date as it is written, on or before today."))
    return value


class StartForm(WebForm):
    """Which programme the person applies to."""

    programme_id: str = Field(min_length=1, max_length=64, title=N_("Programme"))


class AboutStep(WebForm):
    """Step 1: the identity document and the declaration about a record."""

    identity_kind: IdentityKind | None = Field(None, title=N_("Identity document you have"))
    identity_expires_on: datetime.date | None = Field(None, title=N_("Its expiry date"), description=N_("Leave it empty if it has none."))
    declares_no_record: bool = Field(False, title=N_("I declare that I have no disqualifying record"))


class ResidenceStep(WebForm):
    """Step 2: when the person arrived."""

    arrived_on: datetime.date | None = Field(None, title=N_("Date you arrived in the country"), description=N_("If you know it. Year-month-day, for example 2019-03-15."))

    @field_validator("arrived_on")
    @classmethod
    def _past(cls, value: datetime.date | None) -> datetime.date | None:
        return _not_future(value)


class _DocumentStep(WebForm):
    """A step naming one document: its kind (typed by the subclass), date and an optional description."""

    evidence_kind: str | None = Field(None, title=N_("Document"))  # first, so errors are summarised in field order
    evidence_dated: datetime.date | None = Field(None, title=N_("The date written on that document"))
    description: str | None = Field(None, max_length=500, title=N_("Description (optional)"))

    @field_validator("evidence_dated")
    @classmethod
    def _past(cls, value: datetime.date | None) -> datetime.date | None:
        return _not_future(value)


class WorkStep(_DocumentStep):
    """Step 3: a document about work or studies (optional)."""

    evidence_kind: WorkKind | None = Field(None, title=N_("A document about your work or studies"), description=N_("Optional. It also shows that you were in the country."))


class EvidenceStep(_DocumentStep):
    """Step 4: the main proof of presence (optional now; it can be added after filing)."""

    evidence_kind: PresenceKind | None = Field(None, title=N_("A document that shows you were in the country"))  # type: ignore[valid-type]


class ReviewForm(WebForm):
    """The last step: nothing to type; an optional file for the proof of presence."""

    action: Literal["file", "save"] = Field("file", title=N_("Check and file"))


STEP_FORMS: dict[str, type[WebForm]] = {"about": AboutStep, "residence": ResidenceStep, "work": WorkStep, "evidence": EvidenceStep}
STEPS = tuple(STEP_TITLES)


def _next(step: str) -> str:
    return STEPS[min(STEPS.index(step) + 1, len(STEPS) - 1)]


def _previous(step: str) -> str | None:
    index = STEPS.index(step)
    return STEPS[index - 1] if index > 0 else None


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return ""
    return str(value)


def _saved_form(draft: Any, step: str) -> FormState:
    """The step's form filled with what the draft holds."""
    saved = (draft.answers or {}).get(step, {})
    return blank_form(STEP_FORMS[step], **{name: _as_text(value) for name, value in saved.items()})


def _programme_title(db: Any, draft: Any) -> str:
    from amparo.regularization import service

    try:
        row, _numbers = service.get_programme(db, draft.programme_id, draft.programme_version)
    except NotFound:
        return draft.programme_id
    return row.title


def _window(db: Any, draft: Any) -> dict[str, Any]:
    """The window a filing of the draft would meet today and whether it is open.

    A filing is judged under the programme version in force on the day it is filed
    (`flows.file_application`), not the one the draft was started under: a version published since
    may have moved the window or changed the rules. So the window shown is that version's, and
    `rules_version` names it when it is not the draft's own (None when it is). Before any version is
    in effect, the draft's own version's window is shown, closed.
    """
    from amparo.regularization import flows, service

    today = flows.today()
    try:
        row, programme = service.version_in_force(db, draft.programme_id, today)
    except InvalidInput:  # no version in effect yet: the programme has not opened
        row, _numbers = service.get_programme(db, draft.programme_id, draft.programme_version)
        programme = service.programme_of(row)
    window = programme.window
    return {
        "window_opens": window.opens, "window_closes": window.closes,
        "window_open": window.opens <= today and (window.closes is None or today <= window.closes),
        "rules_version": row.version if row.version != draft.programme_version else None,
    }


def _pair(form: FormState, data: Any) -> bool:
    """A document needs both its kind and its date; says which is missing. True when consistent."""
    if data.evidence_kind and data.evidence_dated is None:
        form.add_error("evidence_dated", _("Enter the date written on the document, or leave both empty."))
        return False
    if data.evidence_dated is not None and not data.evidence_kind:
        form.add_error("evidence_kind", _("Say what the document is, or leave both empty."))
        return False
    return True


def _step_context(db: Any, draft: Any, step: str, form: FormState) -> dict[str, Any]:
    previous = _previous(step)
    return {
        "draft": draft, "step": step, "form": form, "programme_title": _programme_title(db, draft),
        "steps": [(name, _(title)) for name, title in STEP_TITLES.items()], "step_number": STEPS.index(step) + 1, "step_count": len(STEPS),
        "step_title": _(STEP_TITLES[step]), "previous_url": f"/my/drafts/{draft.id}/{previous}" if previous else None,
        "identity_kinds": identity_options(),
        "work_kinds": [(kind, _(EVIDENCE_LABELS[kind])) for kind in WORK_KINDS],
        "evidence_kinds": [(kind, _(text)) for kind, text in EVIDENCE_LABELS.items()],
    }


def _review_context(db: Any, draft: Any, form: FormState) -> dict[str, Any]:
    answers = draft.answers or {}
    about, residence = answers.get("about", {}), answers.get("residence", {})
    identity = dict(identity_options())
    documents = []
    for step in ("work", "evidence"):
        item = answers.get(step, {})
        if item.get("evidence_kind"):
            documents.append({"step": step, "label": _(EVIDENCE_LABELS.get(item["evidence_kind"], item["evidence_kind"])),
                              "dated": datetime.date.fromisoformat(item["evidence_dated"]) if item.get("evidence_dated") else None,
                              "description": item.get("description")})
    context = _step_context(db, draft, "review", form)
    context.update({
        "identity": identity.get(about.get("identity_kind") or "", ""),
        "identity_expires_on": datetime.date.fromisoformat(about["identity_expires_on"]) if about.get("identity_expires_on") else None,
        "declares_no_record": bool(about.get("declares_no_record")),
        "arrived_on": datetime.date.fromisoformat(residence["arrived_on"]) if residence.get("arrived_on") else None,
        "documents": documents, "has_presence_document": bool(answers.get("evidence", {}).get("evidence_kind")),
        **_window(db, draft),
    })
    return context


def _go(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("/my/drafts/new", name="draft_new")
def new_draft_page(request: Request) -> Response:
    """Choose the programme to apply to; the application is then filled in step by step."""
    with database(request) as db:
        actor = signed_in(request, db, Role.APPLICANT)
        options = _programme_options(db, actor.jurisdiction)
    form = blank_form(StartForm, programme_id=chosen_programme(request, options))
    return render(request, "applicant/draft_start.html", {"form": form, "programmes": options})


@router.post("/my/drafts", name="draft_start")
def start_draft(request: Request, posted: PostedForm) -> Response:
    """Start a draft for the programme (or resume the open one) and go to the step it is at."""
    from amparo.regularization import drafts

    data, form = validate_form(StartForm, posted)
    with database(request) as db:
        actor = signed_in(request, db, Role.APPLICANT)
        options = _programme_options(db, actor.jurisdiction)
        status = 422
        if data is not None:
            try:
                draft, created = drafts.start(db, actor, data.programme_id, PURPOSE)
            except (InvalidInput, Forbidden) as error:
                db.rollback()
                status = error.status_code
                if error.code == "window_closed":
                    form.add_error("programme_id", _("This programme is not open for applications today."))
                else:
                    form.add_error("programme_id", _("Choose one of the programmes in the list."))
            else:
                location = f"/my/drafts/{draft.id}/{draft.step}"
                db.commit()
                response = _go(location)
                if not created:
                    flash(response, request, _("You had already started this application. You continue where you stopped."), "info")
                return response
    return render(request, "applicant/draft_start.html", {"form": form, "programmes": options}, status_code=status)


@router.get("/my/drafts/{draft_id}", name="draft_resume")
def resume_draft(request: Request, draft_id: str) -> Response:
    """Go to the step the draft is at."""
    from amparo.regularization import drafts

    with database(request) as db:
        actor = signed_in(request, db, Role.APPLICANT)
        draft = drafts.get(db, actor, draft_id, PURPOSE)
        location = f"/my/drafts/{draft.id}/{draft.step}"
        db.commit()
    return _go(location)


def _check_step(step: str) -> None:
    if step not in STEP_TITLES:
        raise NotFound(f"no step {step!r}", details=[{"field": "step", "value": step, "expected": " | ".join(STEPS)}])


@router.get("/my/drafts/{draft_id}/{step}", name="draft_step")
def step_page(request: Request, draft_id: str, step: str) -> Response:
    """One step of the draft, with what was saved."""
    from amparo.regularization import drafts

    _check_step(step)
    with database(request) as db:
        actor = signed_in(request, db, Role.APPLICANT)
        draft = drafts.get(db, actor, draft_id, PURPOSE)
        if step == "review":
            form = blank_form(ReviewForm)
            if (refused := refused_body(request)) is not None:  # shown again: the file sent was too large to read
                form.add_error("evidence_file", refused.message)
            context = _review_context(db, draft, form)
            template = "applicant/draft_review.html"
        else:
            context = _step_context(db, draft, step, _saved_form(draft, step))
            template = "applicant/draft_step.html"
        db.commit()
    return render(request, template, context)


@router.post("/my/drafts/{draft_id}/discard", name="draft_discard")
def discard_draft(request: Request, draft_id: str) -> Response:
    """Delete the draft and everything typed in it."""
    from amparo.regularization import drafts

    with database(request) as db:
        actor = signed_in(request, db, Role.APPLICANT)
        drafts.discard(db, actor, draft_id, PURPOSE)
        db.commit()
    response = _go("/my/cases")
    flash(response, request, _("The application you had started was deleted."), "success")
    return response


@router.post("/my/drafts/{draft_id}/{step}", name="draft_step_submit")
def save_step(request: Request, draft_id: str, step: str, posted: PostedForm) -> Response:
    """Save a step; "Continue" goes to the next one, "Save and continue later" to the start page."""
    from amparo.regularization import drafts

    _check_step(step)
    if step == "review":
        try:
            return _file(request, draft_id, posted)
        except NotFound:
            number = _filed_as(request, draft_id)
            if number is None:
                raise
            # Sent twice (a second click, the back button): the draft became a case the first time.
            response = _go(f"/my/cases/{number}")
            flash(response, request, _("This application was already filed as case {number}: here it is.", number=number), "info")
            return response
    later = posted.get("action") == "save"
    data, form = validate_form(STEP_FORMS[step], posted)
    if data is not None and hasattr(data, "evidence_kind") and not _pair(form, data):
        data = None
    following = _next(step)
    with database(request) as db:
        actor = signed_in(request, db, Role.APPLICANT)
        if data is None:  # shown again, beside its errors: a read, and nothing to lock
            draft = drafts.get(db, actor, draft_id, PURPOSE)
            context = _step_context(db, draft, step, form)
            db.commit()
            return render(request, "applicant/draft_step.html", context, status_code=422)
        # The service locks the draft, keeps the furthest step reached to resume at, and journals the save.
        drafts.save_step(db, actor, draft_id, step, data.model_dump(mode="json"), following, PURPOSE)
        db.commit()
    if later:
        response = _go("/my/cases")
        flash(response, request, _("Your answers are saved. Continue from “My cases” whenever you are ready."), "success")
        return response
    return _go(f"/my/drafts/{draft_id}/{following}")


def _file(request: Request, draft_id: str, posted: PostedForm) -> Response:
    """File the draft (with the proof-of-presence file, if one was chosen), then show the new case."""
    from amparo.regularization import drafts, flows

    data, form = validate_form(ReviewForm, posted)
    upload = _upload(posted, "evidence_file")
    settings = request.app.state.settings
    with database(request) as db:
        actor = signed_in(request, db, Role.APPLICANT)
        if data is not None and data.action == "save":
            # Each step was saved as it was sent: nothing changes here, so the draft is read, not locked.
            drafts.get(db, actor, draft_id, PURPOSE)
            db.commit()
            response = _go("/my/cases")
            flash(response, request, _("Your answers are saved. Continue from “My cases” whenever you are ready."), "success")
            return response
        if data is None:  # shown again, beside its errors: a read, and nothing to lock
            draft = drafts.get(db, actor, draft_id, PURPOSE)
            context = _review_context(db, draft, form)
            db.commit()
            return render(request, "applicant/draft_review.html", context, status_code=422)
        evidence: dict[str, Any] = {}
        if upload is not None:
            # The file belongs to the document of the evidence step: the draft is locked before it is
            # checked, as the filing would lock it, so the step filed is the one the file was checked
            # against. Journaled below by whichever branch runs: a refusal as a read, a filing with the
            # case it became.
            draft = drafts.owned(db, actor, draft_id, lock=True)
            evidence = (draft.answers or {}).get("evidence", {})
            if not evidence.get("evidence_kind"):
                form.add_error("evidence_file", _("Say what the document is and the date written on it in the step before, then add the file."))
                drafts.get(db, actor, draft_id, PURPOSE)  # the row already read and locked: journaled, not read again
                context = _review_context(db, draft, form)
                db.commit()
                return render(request, "applicant/draft_review.html", context, status_code=422)
        try:
            filed = drafts.submit(db, settings, actor, draft_id, PURPOSE)
            if upload is not None:
                flows.add_evidence(
                    db, settings, actor, filed.case.id, upload.file, upload.content_type, kind=str(evidence["evidence_kind"]),
                    document_date=datetime.date.fromisoformat(evidence["evidence_dated"]), purpose=PURPOSE,
                    filename=upload.filename, description=evidence.get("description"),
                )
        except (InvalidInput, Conflict, PayloadTooLarge) as error:
            db.rollback()
            draft = drafts.get(db, actor, draft_id, PURPOSE)
            if error.code == "window_closed":
                window_problem = _("This application cannot be filed: the programme is no longer open for applications.")
                form.add_error("action", window_problem)
            elif error.code == "already_filed":
                form.add_error("action", _("You already have an application pending under this programme. Add documents to it instead."))
            elif isinstance(error, PayloadTooLarge) or error.code == "evidence_rejected" or any(
                detail.get("field") == "file" for detail in error.details or []
            ):
                form.add_error("evidence_file", error.message)
            else:
                form.add_error("action", _("The application could not be filed: {reason}", reason=error.message))
            context = _review_context(db, draft, form)
            db.commit()
            return render(request, "applicant/draft_review.html", context, status_code=error.status_code)
        number = filed.case.number
        db.commit()
    response = _go(f"/my/cases/{number}")
    flash(response, request, _("Your application was filed. Download your certificate of pending application below."), "success")
    return response


def _filed_as(request: Request, draft_id: str) -> str | None:
    """The number of the case the signed-in applicant's draft `draft_id` became, if it was filed.

    Filing deletes the draft; the journal entry of that deletion, the draft's last, names the case
    (`drafts.submit`). Only the account that filed it is told.
    """
    from amparo.audit import repository as journal
    from amparo.regularization import drafts

    if not isinstance(draft_id, str) or len(draft_id) > 32:
        return None
    with database(request) as db:
        actor = signed_in(request, db, Role.APPLICANT)
        entries = journal.entries_for(db, drafts.OBJECT, draft_id, limit=1)
        db.commit()
    last = entries[0] if entries else None
    if last is None or last.action != drafts.DISCARD or last.user_id != actor.user_id:
        return None
    number = (last.detail or {}).get("filed_as")
    return number if isinstance(number, str) else None


def draft_rows(db: Any, actor: Any) -> list[dict[str, Any]]:
    """The applicant's open drafts for the start page: programme, step reached, last saved."""
    from amparo.regularization import drafts

    return [
        {"id": d.id, "programme": _programme_title(db, d), "step": _(STEP_TITLES.get(d.step, d.step)),
         "step_number": STEPS.index(d.step) + 1 if d.step in STEPS else 1, "steps": len(STEPS), "saved": d.updated_at.date()}
        for d in drafts.list_own(db, actor, PURPOSE)
    ]
