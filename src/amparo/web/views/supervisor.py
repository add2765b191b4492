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

from amparo.auth.policy import Role
from amparo.cases import service as cases
from amparo.errors import Conflict, Forbidden, InvalidInput
from amparo.web.flash import flash
from amparo.web.forms import WebForm, blank_form, PostedForm, validate_form
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

    username: str = Field(min_length=1, max_length=254, title=N_("Caseworker's username"))
    version: int = Field(ge=1, title=N_("Case version"))


class SignOffForm(WebForm):
    version: int = Field(ge=1, title=N_("Case version"))


@router.get("/supervisor/sign-off", name="supervisor_queue")
def signoff_queue(request: Request) -> Response:
    """Refusals awaiting sign-off, and unassigned cases, in the supervisor's jurisdiction."""
    from amparo.regularization import flows

    with database(request) as db:
        actor = signed_in(request, db, Role.SUPERVISOR)
        proposed = flows.queue(db, actor, "supervisor reviews refusals awaiting sign-off", status=["refusal_proposed"], limit=100)
        unassigned = [i for i in flows.queue(db, actor, "supervisor assigns cases", status=["open"], limit=100).items if i.assigned_user_id is None]
        db.commit()
    return render(request, "supervisor/queue.html", {"proposed": proposed.items, "unassigned": unassigned, "assign_form": blank_form(AssignForm)})


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
    return {
        "case": case, "state": state, "status": status_label(case.status), "proposal": proposal,
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
        status = 422
        if data is not None:
            try:
                decisions.sign_off(db, request.app.state.settings, actor, number, purpose="supervisor signs off a refusal", expected_version=data.version)
            except (Conflict, Forbidden, InvalidInput) as error:
                db.rollback()
                status = error.status_code
                form.add_error("version", error.message)
            else:
                db.commit()
                response = RedirectResponse("/supervisor/sign-off", status_code=303)
                flash(response, request, _("The refusal was signed and takes effect."), "success")
                return response
        context = _proposal_context(db, actor, number, form)
        db.commit()
    return render(request, "supervisor/case.html", context, status_code=status)


@router.post("/supervisor/cases/{number}/assign", name="supervisor_assign")
def assign(request: Request, number: str, posted: PostedForm) -> Response:
    """Assign the case to a caseworker of the jurisdiction, by username."""
    from amparo.auth import repository as users

    data, form = validate_form(AssignForm, posted)
    with database(request) as db:
        actor = signed_in(request, db, Role.SUPERVISOR)
        if data is not None:
            user = users.get_user_by_username(db, data.username)
            try:
                if user is None:
                    raise InvalidInput(_("No account has the username “{value}”.", value=data.username))
                cases.append_action(db, actor, number, data.version, {"type": "assign", "payload": {"user_id": user.id}}, purpose="supervisor assigns a case")
            except (Conflict, Forbidden, InvalidInput) as error:
                db.rollback()
                form.add_error("username", error.message)
            else:
                db.commit()
                response = RedirectResponse("/supervisor/sign-off", status_code=303)
                flash(response, request, _("The case was assigned."), "success")
                return response
    response = RedirectResponse("/supervisor/sign-off", status_code=303)
    flash(response, request, "; ".join(m for messages in form.errors.values() for m in messages), "error")
    return response
