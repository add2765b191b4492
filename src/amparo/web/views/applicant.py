"""The applicant's own pages: create an account, "my cases", one case as a timeline with its
pre-assessment, certificate, decision and appeal, and answering a request for information.

Every rule is a service's: `amparo.regularization.service.register_applicant` creates the account,
`amparo.cases.service` reads the case and journal (scoped to the person's own records and journaled),
`amparo.regularization.flows` files appeals and invitations. The pages only explain and collect.
"""

from __future__ import annotations

import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field, field_validator

from amparo.api.limits import refused_body
from amparo.auth.policy import Role
from amparo.cases import service as cases
from amparo.errors import AmparoError, Conflict, InvalidInput, TooManyRequests
from amparo.validation import validate
from amparo.web.cookies import set_session_cookie
from amparo.web.flash import flash
from amparo.web.forms import WebForm, blank_form, form_error, PostedForm, validate_form
from amparo.web.i18n import N_, _, format_date
from amparo.web.routing import web_router
from amparo.web.templating import render
from amparo.web.timeline import build as build_timeline, status_label
from amparo.web.views import case_parts
from amparo.web.views.account import normalise_contact, safe_next
from amparo.web.views.applicant_drafts import draft_rows
from amparo.web.views.applicant_filing import EvidenceForm, evidence_options
from amparo.web.views._pages import database, signed_in

router = web_router()
PURPOSE = "the applicant follows their own case"


class RegisterForm(WebForm):
    """A new applicant account and the person record it belongs to."""

    username: str = Field(
        min_length=3, max_length=254, title=N_("Email address or phone number"),
        description=N_("You will sign in with it. A phone number is enough if you have no email."),
    )
    password: str = Field(min_length=10, max_length=1000, title=N_("Password"), description=N_("At least 10 characters."))
    given_names: str = Field(min_length=1, max_length=200, title=N_("Given names"), description=N_("As written in your identity document."))
    family_names: str = Field(min_length=1, max_length=200, title=N_("Family names"), description=N_("As written in your identity document."))
    date_of_birth: datetime.date | None = Field(None, title=N_("Date of birth"), description=N_("Leave it empty if you do not know it."))
    nationality: str | None = Field(None, max_length=3, title=N_("Nationality"), description=N_("Three letters, for example VEN for Venezuela. Leave it empty if you are stateless."))
    jurisdiction: str = Field(min_length=3, max_length=3, title=N_("Country where you are applying"), description=N_("Three letters, for example ARG for Argentina."))
    languages: str = Field(min_length=2, max_length=60, title=N_("Languages you understand"), description=N_("Language codes separated by commas, the one you prefer first, for example: es, qu. Decisions must be written in one of them."))

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: str) -> str:
        codes = [c.strip().lower() for c in value.replace(";", ",").split(",") if c.strip()]
        if not codes or len(codes) > 10 or any(not (2 <= len(c) <= 3 and c.isalpha()) for c in codes):
            raise form_error(N_("Enter two- or three-letter language codes separated by commas, for example: es, qu."))
        return ", ".join(dict.fromkeys(codes))

    @field_validator("username")
    @classmethod
    def _contact(cls, value: str) -> str:
        # A phone number is written many ways ("+54 11 5555-0101"); the account keeps the form the
        # sign-in form looks it up under, so the person can sign in however they type it next time.
        username = normalise_contact(value)
        if "@" not in username and (len(username.lstrip("+")) < 6 or any(ch.isalpha() for ch in username)):
            raise form_error(N_("Enter an email address (with @) or a phone number (at least 6 digits)."))
        return username

    @field_validator("nationality", "jurisdiction")
    @classmethod
    def _alpha3(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.upper()
        if len(value) != 3 or not value.isalpha():
            raise form_error(N_("Enter three letters, for example ARG."))
        return value


class InformationForm(WebForm):
    """The applicant's answer to a request for information."""

    message: str = Field(min_length=1, max_length=10_000, title=N_("Your answer"))
    version: int = Field(ge=1, title=N_("Case version"))


class AppealForm(WebForm):
    """Why the applicant thinks the refusal is wrong."""

    grounds: str = Field(min_length=1, max_length=10_000, title=N_("Why the decision should change"), description=N_("Say in your own words what is wrong in the decision. You can add documents afterwards."))


@router.get("/register", name="register")
def register_page(request: Request) -> HTMLResponse:
    """The account creation form (`next`: the page to go to afterwards, as for signing in)."""
    language = request.scope.get("state", {}).get("language") or "en"
    next_path = safe_next(request, request.query_params.get("next"))
    return render(request, "applicant/register.html", {"form": blank_form(RegisterForm, languages=language), "next": next_path})


@router.post("/register", name="register_submit")
def register(request: Request, posted: PostedForm) -> Response:
    """Create the account and person record, sign the person in and go to "my cases" (or to the
    same-site page that sent them, e.g. a programme's application form)."""
    data, form = validate_form(RegisterForm, posted)
    target = posted.get("next")
    next_path = safe_next(request, target if isinstance(target, str) else None)
    if data is None:
        return render(request, "applicant/register.html", {"form": form, "next": next_path}, status_code=422)
    from amparo.auth import service as auth
    from amparo.regularization.schemas import RegisterIn
    from amparo.regularization.service import register_applicant

    remote = request.client.host if request.client else ""
    person: dict[str, Any] = {
        "given_names": data.given_names, "family_names": data.family_names, "date_of_birth": data.date_of_birth,
        "nationalities": [data.nationality] if data.nationality else [], "languages": data.languages.split(", "),
        "jurisdiction_code": data.jurisdiction,
    }
    person["email" if "@" in data.username else "phone"] = data.username
    settings = request.app.state.settings
    with database(request) as db:
        try:
            body = validate(RegisterIn, {"username": data.username, "password": data.password, "person": person}, what="registration")
            user, _person = register_applicant(db, settings, body, remote)
        except TooManyRequests:
            db.rollback()
            form.add_error("username", _("Too many accounts were created from this connection. Wait a few minutes, then try again."))
            return render(request, "applicant/register.html", {"form": form, "next": next_path}, status_code=429)
        except (Conflict, InvalidInput) as error:
            db.rollback()
            _attach(form, error)
            return render(request, "applicant/register.html", {"form": form, "next": next_path}, status_code=error.status_code)
        # Signed in with the password the account was just created with: not hashed a second time
        # (argon2 costs hundreds of milliseconds, with the write lock held on SQLite).
        issued = auth.issue_token(db, user, user.username, remote, kind="web")
        db.commit()
    response = RedirectResponse(next_path or "/my/cases", status_code=303)
    set_session_cookie(response, request, issued.token)
    flash(response, request, _("Your account is ready."), "success")
    return response


#: Where a refusal of the registration service is shown: its detail's field -> the form's field.
REGISTER_FIELDS = {
    "username": "username", "password": "password", "person.email": "username", "person.phone": "username",
    "person.given_names": "given_names", "person.family_names": "family_names", "person.date_of_birth": "date_of_birth",
    "person.nationalities": "nationality", "person.languages": "languages", "person.jurisdiction_code": "jurisdiction",
    "jurisdiction_code": "jurisdiction", "jurisdiction": "jurisdiction",
}


def _attach(form: Any, error: AmparoError) -> None:
    """Put a service's refusal beside the field it is about, in the person's language."""
    if isinstance(error, Conflict):
        form.add_error("username", _("An account with this email address or phone number already exists. Sign in instead."))
        return
    for detail in error.details or [{}]:
        path = str(detail.get("field", ""))
        field = next((f for key, f in REGISTER_FIELDS.items() if path == key or path.startswith(key + ".")), None)
        if field == "jurisdiction":
            form.add_error(field, _("Amparo does not serve this country yet. Check the three letters."))
        elif field == "nationality":
            form.add_error(field, _("Enter three letters, for example ARG."))
        elif field is not None:
            form.add_error(field, _("This value is not valid."))
        else:
            form.add_error("given_names", _("Some details could not be saved. Check them and try again."))


@router.get("/my/cases", name="my_cases")
def my_cases(request: Request) -> Response:
    """The signed-in applicant's cases, newest first, with their status in plain words."""
    with database(request) as db:
        actor = signed_in(request, db, Role.APPLICANT)
        page = cases.list_cases(db, actor, {}, limit=100, purpose=PURPOSE)
        rows = [{"number": c.number, "status": status_label(c.status), "opened": c.created_at.date(), "deadline": c.deadline} for c in page.items]
        started = draft_rows(db, actor)
        db.commit()
    return render(request, "applicant/cases.html", {"cases": rows, "drafts": started})


@router.get("/my/cases/{number}", name="my_case")
def my_case(request: Request, number: str) -> Response:
    """One case: status, decision and how to appeal, the pre-assessment, evidence and the timeline."""
    with database(request) as db:
        actor = signed_in(request, db, Role.APPLICANT)
        evidence_form = blank_form(EvidenceForm)
        if (refused := refused_body(request)) is not None:  # shown again: the file sent was too large to read
            evidence_form.add_error("file", refused.message)
        context = _case_context(db, actor, number, evidence_form=evidence_form)
        db.commit()
    return render(request, "applicant/case.html", context)


def _case_context(db: Any, actor: Any, number: str, **forms: Any) -> dict[str, Any]:
    case = cases.get_case(db, actor, number, purpose=PURPOSE)
    journal = cases.journal(db, actor, case.id, purpose=PURPOSE)
    state = cases.state_of(case)
    _row = case_parts.application_row(db, case)  # held: the evidence list finds it in the session
    application = case_parts.application_view(db, case)
    return {
        "case": case,
        "state": state,
        "status": status_label(case.status),
        "timeline": build_timeline(journal, staff=False),
        "decision": case_parts.decision_view(journal, state),
        "application": application,
        # Only a regularization case has evidence files (other kinds of case have no application).
        "evidence": case_parts.evidence_view(db, actor, case, PURPOSE) if application is not None else [],
        "certificate_url": case_parts.certificate_url(case),
        "information_form": forms.get("information_form") or blank_form(InformationForm, version=str(case.version)),
        "appeal_form": forms.get("appeal_form") or blank_form(AppealForm),
        "can_appeal": case_parts.can_appeal(state, journal, datetime.date.today()),
        "evidence_form": forms.get("evidence_form") or blank_form(EvidenceForm),
        "evidence_kinds": evidence_options(),
    }


@router.post("/my/cases/{number}/information", name="my_case_information")
def provide_information(request: Request, number: str, posted: PostedForm) -> Response:
    """Answer the open request for information (a `provide_information` action in the journal)."""
    data, form = validate_form(InformationForm, posted)
    with database(request) as db:
        actor = signed_in(request, db, Role.APPLICANT)
        if data is not None:
            case = cases.get_case(db, actor, number, purpose=PURPOSE)
            try:
                cases.append_action(db, actor, case.id, data.version, {"type": "provide_information", "payload": {"message": data.message}}, purpose=PURPOSE)
            except Conflict:
                db.rollback()
                now = cases.get_case(db, actor, number, purpose=PURPOSE)
                if cases.state_of(now).information_request is None:
                    # Nothing is asked any more: the page has no form to show an error beside. Most
                    # often this very answer was sent already (a second tap, a reload).
                    db.commit()
                    response = RedirectResponse(f"/my/cases/{now.number}", status_code=303)
                    flash(response, request, _already_answered(db, actor, now, data.message), "info")
                    return response
                form.add_error("message", _("Your case changed while you were writing. Your answer is kept below: check the case and send it again."))
                form.values["version"] = str(now.version)
            else:
                db.commit()
                response = RedirectResponse(f"/my/cases/{case.number}", status_code=303)
                flash(response, request, _("Your answer was sent."), "success")
                return response
        context = _case_context(db, actor, number, information_form=form)
        db.commit()
    return render(request, "applicant/case.html", context, status_code=409 if data is not None else 422)


def _already_answered(db: Any, actor: Any, case: Any, message: str) -> str:
    """What to tell an applicant whose answer found no open request: when the same answer of theirs is
    already the journal's last, that it was sent and when; otherwise that nothing is asked now."""
    last = next((a for a in reversed(cases.journal(db, actor, case.id, purpose=PURPOSE)) if a.type == "provide_information"), None)
    if last is not None and last.actor_user_id == actor.user_id and (last.payload or {}).get("message") == message:
        return _("Your answer was already sent on {date}.", date=format_date(last.server_time.date()))
    return _("Nothing is asked of you on this case any more; your case shows what happened.")


@router.post("/my/cases/{number}/appeal", name="my_case_appeal")
def appeal(request: Request, number: str, posted: PostedForm) -> Response:
    """File an appeal against a refusal (the regularization flow checks the appeal period)."""
    data, form = validate_form(AppealForm, posted)
    with database(request) as db:
        actor = signed_in(request, db, Role.APPLICANT)
        status = 422
        if data is not None:
            case = cases.get_case(db, actor, number, purpose=PURPOSE)
            try:
                case_parts.file_appeal(db, request.app.state.settings, actor, case, data.grounds)
            except (Conflict, InvalidInput) as error:
                db.rollback()
                status = error.status_code
                form.add_error("grounds", _("The appeal could not be filed: {reason}", reason=error.message))
            else:
                db.commit()
                response = RedirectResponse(f"/my/cases/{case.number}", status_code=303)
                flash(response, request, _("Your appeal was filed. You will see the answer here."), "success")
                return response
        context = _case_context(db, actor, number, appeal_form=form)
        db.commit()
    return render(request, "applicant/case.html", context, status_code=status)
