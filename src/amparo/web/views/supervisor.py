"""The supervisor's pages: the sign-off queue of proposed refusals (four eyes), one proposal with its
reasons and recorded safeguards evaluation, signing it, and assigning cases to caseworkers.

Signing is `amparo.regularization.decisions.sign_off`, which refuses the proposer themselves and
re-evaluates the safeguards on the sign-off date; assigning is an "assign" action appended through
`amparo.cases.service.append_action`, which checks the assignee.
"""

from __future__ import annotations

import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field

from amparo.auth.policy import STAFF_ROLES, Role
from amparo.cases import service as cases
from amparo.errors import Conflict, Forbidden, InvalidInput
from amparo.web.flash import flash
from amparo.web.forms import FormState, WebForm, blank_form, PostedForm, validate_form
from amparo.web.i18n import N_, _
from amparo.web.routing import web_router
from amparo.web.templating import render
from amparo.web.timeline import build as build_timeline, status_label
from amparo.web.views import safeguards_panel
from amparo.web.views._pages import database, signed_in

router = web_router()
PURPOSE = "supervisor reviews a proposed refusal"


class AssignForm(WebForm):
    """Who will work the case."""

    username: str = Field(min_length=1, max_length=254, title=N_("Username of the staff member"))
    version: int = Field(ge=1, title=N_("Case version"))


class SignOffForm(WebForm):
    version: int = Field(ge=1, title=N_("Case version"))


@router.get("/supervisor/sign-off", name="supervisor_queue")
def signoff_queue(request: Request) -> Response:
    """Refusals awaiting sign-off, and unassigned cases, in the supervisor's jurisdiction."""
    with database(request) as db:
        actor = signed_in(request, db, Role.SUPERVISOR)
        context = _queue_context(db, actor)
        db.commit()
    return render(request, "supervisor/queue.html", context)


def _queue_context(db: Any, actor: Any, number: str | None = None, form: FormState | None = None) -> dict[str, Any]:
    """The sign-off queue; `form`: the assign form of case `number` as it was sent, with its errors."""
    from amparo.regularization import flows

    proposed = flows.queue(db, actor, "supervisor reviews refusals awaiting sign-off", status=["refusal_proposed"], limit=100)
    unassigned = [i for i in flows.queue(db, actor, "supervisor assigns cases", status=["open"], limit=100).items if i.assigned_user_id is None]
    return {
        "proposed": proposed.items, "unassigned": unassigned, "assign_form": blank_form(AssignForm),
        "assign_forms": {number: form} if number is not None and form is not None else {},
        "failed_number": number if form is not None and not form.valid else None,
        "failed_case_id": next((i.case_id for i in unassigned if i.case_number == number), None),
    }


def _proposal_context(db: Any, actor: Any, number: str, form: Any = None) -> dict[str, Any]:
    case = cases.get_case(db, actor, number, purpose=PURPOSE)
    journal = cases.journal(db, actor, case.id, purpose=PURPOSE)
    state = cases.state_of(case)
    proposal = None
    evaluation = None
    if state.proposed_decision is not None:
        row = next((a for a in journal if a.seq == state.proposed_decision["seq"]), None)
        if row is not None:
            proposal = dict(row.payload)
            deadline = (proposal.get("appeal_information") or {}).get("deadline")
            proposal["appeal_deadline"] = datetime.date.fromisoformat(deadline) if isinstance(deadline, str) else None
            from amparo.safeguards import Evaluation

            evaluation = Evaluation.from_dict(proposal["evaluation"])
    signed = state.decision if state.decision and state.decision.get("signoff_seq") else None
    return {
        "case": case, "state": state, "status": status_label(case.status), "proposal": proposal,
        "signed_on": datetime.date.fromisoformat(signed["decided_on"]) if signed and signed.get("decided_on") else None,
        "nothing_to_sign": False,
        "safeguards": safeguards_panel.panel(evaluation), "evaluated_on": evaluation.evaluated_on if evaluation else None,
        "evaluated_event": evaluation.event if evaluation else None,
        "timeline": build_timeline(journal, staff=True), "form": form or blank_form(SignOffForm, version=str(case.version)),
    }


@router.get("/supervisor/cases/{number}", name="supervisor_case")
def proposal_page(request: Request, number: str) -> Response:
    """One proposed refusal: its reasons, how to appeal, the safeguards evaluation it was recorded with."""
    with database(request) as db:
        actor = signed_in(request, db, Role.SUPERVISOR)
        context = _proposal_context(db, actor, number)
        db.commit()
    return render(request, "supervisor/case.html", context)


@router.post("/supervisor/cases/{number}/sign-off", name="supervisor_sign_off")
def sign_off(request: Request, number: str, posted: PostedForm) -> Response:
    """Sign the proposed refusal: it takes effect and the applicant sees it."""
    from amparo.regularization import decisions

    data, form = validate_form(SignOffForm, posted)
    with database(request) as db:
        actor = signed_in(request, db, Role.SUPERVISOR)
        status, nothing_to_sign = 422, False
        if data is not None:
            try:
                decisions.sign_off(db, request.app.state.settings, actor, number, purpose="supervisor signs off a refusal", expected_version=data.version)
            except (Conflict, Forbidden, InvalidInput) as error:
                db.rollback()
                status = error.status_code
                if error.code == "invalid_transition":
                    # Nothing awaits a signature (most often: this form was sent twice). The page
                    # says so, and when the refusal was signed, on which day.
                    nothing_to_sign = True
                else:
                    form.add_error("version", error.message)
            else:
                db.commit()
                response = RedirectResponse("/supervisor/sign-off", status_code=303)
                flash(response, request, _("The refusal was signed and takes effect."), "success")
                return response
        context = _proposal_context(db, actor, number, form)
        context["nothing_to_sign"] = nothing_to_sign
        db.commit()
    return render(request, "supervisor/case.html", context, status_code=status)


#: Roles a case can be assigned to (`amparo.cases.service`'s check of the assignee decides; this
#: only picks the words that explain its refusal).
ASSIGNABLE = STAFF_ROLES - {Role.CONSULAR_OFFICER}
#: How the refusal names the role of an account that cannot be assigned cases.
ROLE_NAMES: dict[str, str] = {
    Role.APPLICANT: N_("an applicant"),
    Role.CONSULAR_OFFICER: N_("a consular officer"),
    Role.EMPLOYER: N_("an employer"),
    Role.ENFORCEMENT_OFFICER: N_("an enforcement officer"),
    Role.PROGRAMME_ADMIN: N_("a programme administrator"),
    Role.SYSTEM_ADMIN: N_("a system administrator"),
    Role.FILING_ASSISTANT: N_("a filing assistant"),
}


def _assignee_problem(user: Any, username: str, jurisdiction: str | None) -> str:
    """Why `user` (None: no account has `username`) cannot be given the case, in words a supervisor
    can act on. Only called once the service refused the assignee: its check decides, this explains."""
    if user is None:
        return _("No staff member with the username “{username}”.", username=username)
    if not user.active:
        return _("The account “{username}” is closed: assign the case to someone else.", username=user.username)
    if user.role not in ASSIGNABLE:
        return _("“{username}” is {role}, not a caseworker: only caseworkers, supervisors and complaints officers can be assigned cases.",
                 username=user.username, role=_(ROLE_NAMES.get(user.role, user.role)))
    return _("“{username}” works for {other}, not {jurisdiction}: assign the case to staff of {jurisdiction}.",
             username=user.username, other=user.jurisdiction_code or "—", jurisdiction=jurisdiction or "—")


@router.post("/supervisor/cases/{number}/assign", name="supervisor_assign")
def assign(request: Request, number: str, posted: PostedForm) -> Response:
    """Assign the case to a staff member of the jurisdiction, by username.

    Sent from the sign-off queue, or from the staff case page (`from=case`); a refusal comes back on
    the page it was sent from, beside the field it concerns, with the username as typed.
    """
    from amparo.auth import repository as users
    from amparo.web.views import staff

    from_case = posted.get("from") == "case"
    data, form = validate_form(AssignForm, posted)
    with database(request) as db:
        actor = signed_in(request, db, Role.SUPERVISOR)
        status = 422
        if data is not None:
            user = users.get_user_by_username(db, data.username)
            try:
                if user is None:
                    raise InvalidInput(f"no account has the username {data.username!r}", details=[{"field": "payload.user_id", "value": data.username}])
                cases.append_action(db, actor, number, data.version, {"type": "assign", "payload": {"user_id": user.id}}, purpose="supervisor assigns a case")
            except (Conflict, Forbidden, InvalidInput) as error:
                db.rollback()
                status = error.status_code
                if any(d.get("field") == "payload.user_id" for d in error.details or []):
                    # The service refused the assignee; a supervisor assigns only their own jurisdiction's cases.
                    form.add_error("username", _assignee_problem(user, data.username, actor.jurisdiction))
                elif error.code == "invalid_transition":
                    form.add_error("version", _("The case is decided and needs no assignment; if the refusal is appealed, assign the appeal."))
                elif isinstance(error, Conflict):
                    form.add_error("version", _("The case changed meanwhile; check it and assign again."))
                else:
                    form.add_error("username", error.message)
            else:
                db.commit()
                response = RedirectResponse(f"/staff/cases/{number}" if from_case else "/supervisor/sign-off", status_code=303)
                flash(response, request, _("The case was assigned to “{username}”.", username=user.username), "success")
                return response
        if from_case:
            context = staff.case_context(db, actor, number, assign_form=form)
            template = "staff/case.html"
        else:
            context = _queue_context(db, actor, number, form)
            template = "supervisor/queue.html"
        db.commit()
    return render(request, template, context, status_code=status)
