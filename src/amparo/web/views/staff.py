"""The caseworker's pages: the queue (filters, search, cursor pages) and the case page with its
timeline, evidence, pre-assessment, safeguards panel, decision form and request for information.

The queue is `amparo.regularization.flows.queue` (first come, first served, by programme, status
and deadline); a search by name or case number, or a nationality filter, uses
`amparo.cases.service.list_cases`, which knows them. Each row names the applicant and the assignee,
read for the whole page at once. The case page shows the decision and information forms only to
whoever the scope table lets use them; anyone else is told who has the case. Decisions go to
`amparo.regularization.decisions.decide`: when a binding or adopted safeguard is unmet it refuses
(409 "safeguards_not_met") and the form comes back with each missing item beside its field and the
article that requires it — no JavaScript involved.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field, field_validator

from amparo.auth import policy
from amparo.auth.policy import Action as Permission, Role
from amparo.cases import service as cases
from amparo.errors import Conflict, Forbidden, InvalidInput
from amparo.web.flash import flash
from amparo.web.forms import FormState, WebForm, blank_form, form_error, PostedForm, validate_form
from amparo.web.i18n import N_, _, language_name
from amparo.web.routing import web_router
from amparo.web.templating import render
from amparo.web.timeline import STATUS_LABELS, build as build_timeline, status_label
from amparo.web.views import case_parts, safeguards_panel
from amparo.web.views._pages import database, signed_in
from amparo.web.views.applicant_filing import evidence_options
from amparo.web.views.supervisor import AssignForm

router = web_router()
PURPOSE = "caseworker examines the case"
STAFF = (Role.CASEWORKER, Role.SUPERVISOR)
PAGE_SIZE = 25
#: Languages a decision can be written in (the interface's, and others common among applicants).
DECISION_LANGUAGES = ("es", "en", "fr", "ar", "pt", "ht", "qu")


class QueueFilters(WebForm):
    """The queue's filters (a GET form: the address can be bookmarked and shared among staff)."""

    programme: str | None = Field(None, max_length=64, title=N_("Programme"))
    status: str | None = Field(None, max_length=32, title=N_("Status"))
    deadline_before: datetime.date | None = Field(None, title=N_("Deadline before"))
    nationality: str | None = Field(None, max_length=3, title=N_("Nationality"), description=N_("Three letters, for example VEN."))
    q: str | None = Field(None, max_length=120, title=N_("Name or case number"))
    cursor: str | None = Field(None, max_length=200, title=N_("Page"))

    @field_validator("nationality")
    @classmethod
    def _alpha3(cls, value: str | None) -> str | None:
        if value is not None and (len(value) != 3 or not value.isalpha()):
            raise form_error(N_("Enter three letters, for example ARG."))
        return value.upper() if value else None


class DecisionForm(WebForm):
    """A decision as the caseworker drafts it."""

    outcome: Literal["grant", "refuse"] = Field(title=N_("Decision"))
    reasons: str | None = Field(None, max_length=20_000, title=N_("Reasons"), description=N_("Written for the person: the facts, the rule applied and why."))
    language: str | None = Field(None, max_length=35, title=N_("Language the decision is written in"))
    appeal_how: str | None = Field(None, max_length=2_000, title=N_("How to appeal"), description=N_("The body to appeal to and how to file."))
    appeal_deadline: datetime.date | None = Field(None, title=N_("Last day to appeal"), description=N_("Leave it empty for the programme's appeal period."))
    best_interests_assessed: bool = Field(False, title=N_("A best-interests assessment of the child is recorded"))
    trafficking_indicators: bool = Field(False, title=N_("There are indicators of trafficking"))
    referred_for_protection: bool = Field(False, title=N_("The person was referred for protection"))
    version: int = Field(ge=1, title=N_("Case version"))


class RequestInformationForm(WebForm):
    """What the caseworker asks the applicant for, and by when."""

    message: str = Field(min_length=1, max_length=10_000, title=N_("What you need from the applicant"))
    due_date: datetime.date = Field(title=N_("Answer by"))
    version: int = Field(ge=1, title=N_("Case version"))


def _programme_options(db: Any, jurisdiction: str | None) -> list[tuple[str, str]]:
    from amparo.regularization import service

    return [(r.programme_id, r.title) for r in service.list_programmes(db, jurisdiction)]


def _names_and_assignees(db: Any, case_ids: list[int]) -> dict[int, Any]:
    """Each listed case's person (names as written in their documents) and assignee's username, for
    the whole page in one statement, however many rows it has.

    Only cases the listing already scoped and journaled are asked for. (The query belongs in a
    repository; this module is where it could be written for now.)
    """
    if not case_ids:
        return {}
    return {row.id: row for row in db.execute(_NAMES_AND_ASSIGNEES, {"ids": case_ids})}


def _names_and_assignees_statement() -> Any:
    from sqlalchemy import bindparam, select

    from amparo.auth.models import User
    from amparo.cases.models import Case
    from amparo.people.models import Person

    return (
        select(Case.id, Person.given_names, Person.family_names, User.username)
        .join(Person, Person.id == Case.person_id)
        .outerjoin(User, User.id == Case.assigned_user_id)
        .where(Case.id.in_(bindparam("ids", expanding=True)))
    )


#: Built once: constructing it per page cost more than running it.
_NAMES_AND_ASSIGNEES = _names_and_assignees_statement()


def _with_names(db: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows (each with its case's `id`) with the applicant's `name` and the `assignee` added."""
    who = _names_and_assignees(db, [row["id"] for row in rows])
    for row in rows:
        found = who.get(row["id"])
        row["name"] = f"{found.given_names} {found.family_names}" if found is not None else ""
        row["assignee"] = found.username if found is not None else None
    return rows


def _queue_rows(db: Any, actor: Any, filters: QueueFilters) -> tuple[list[dict[str, Any]], str | None]:
    from amparo.regularization import flows, repository

    if filters.q or filters.nationality:
        page = cases.list_cases(
            db, actor, {"kind": "regularization", "status": filters.status, "nationality": filters.nationality, "q": filters.q},
            limit=PAGE_SIZE, cursor=filters.cursor, purpose="caseworker searches the queue", deadline_before=filters.deadline_before,
            with_state=False,
        )
        rows = []
        by_case = repository.applications(db, [c.id for c in page.items])  # one query, not one per row
        for c in page.items:
            application = by_case.get(c.id)
            if filters.programme and (application is None or application.programme_id != filters.programme):
                continue
            rows.append({"id": c.id, "number": c.number, "programme": application.programme_id if application else "", "status": c.status,
                         "deadline": c.deadline, "filed_on": application.filed_on if application else c.created_at.date(),
                         "overall": (application.assessment or {}).get("overall") if application else None})
        return _with_names(db, rows), page.next_cursor
    queue = flows.queue(
        db, actor, "caseworker works the queue", programme_id=filters.programme, status=[filters.status] if filters.status else None,
        deadline_before=filters.deadline_before, limit=PAGE_SIZE, cursor=filters.cursor,
    )
    rows = [{"id": i.case_id, "number": i.case_number, "programme": i.programme_id, "status": i.status, "deadline": i.deadline,
             "filed_on": i.filed_on, "overall": i.overall} for i in queue.items]
    return _with_names(db, rows), queue.next_cursor


@router.get("/staff/queue", name="staff_queue")
def queue_page(request: Request) -> Response:
    """The queue with its filter form; invalid filters come back beside their field."""
    with database(request) as db:
        actor = signed_in(request, db, *STAFF)
        filters, form = validate_form(QueueFilters, request.query_params)
        rows: list[dict[str, Any]] = []
        next_cursor = None
        if filters is not None:
            rows, next_cursor = _queue_rows(db, actor, filters)
        options = _programme_options(db, actor.jurisdiction)
        db.commit()
    for row in rows:
        row["status_label"] = status_label(row["status"])
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor" and v]
    context = {
        "form": form, "rows": rows, "programmes": options,
        "statuses": [(s, _(label)) for s, label in STATUS_LABELS.items()],
        "next_url": None if next_cursor is None else "/staff/queue?" + _query(params + [("cursor", next_cursor)]),
        "first_url": "/staff/queue?" + _query(params) if filters is not None and filters.cursor else None,
    }
    return render(request, "staff/queue.html", context, status_code=200 if filters is not None else 422)


def _query(params: list[tuple[str, str]]) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


def _casework(db: Any, actor: Any, case: Any, state: Any, has_application: bool) -> dict[str, Any]:
    """Which of the case's forms the actor may use, asked of the scope table with the case's facts
    as the services ask it (`decisions.decide`, `cases.service.append_action`), so no form is shown
    that its service would refuse; and, when one is withheld, who the case is assigned to.

    The assignee's username costs one read, and only on a page that names them.
    """
    from amparo.auth import repository as users
    from amparo.cases.actions import get_type
    from amparo.regularization.actions import UNDECIDED, Status

    facts = cases.facts(db, case, actor)  # reads nothing more for staff of the case's own State
    pending = has_application and (case.status in UNDECIDED or case.status == Status.UNDER_APPEAL)
    under_appeal = case.status == Status.UNDER_APPEAL
    deciding = Permission.APPEAL_DECIDE if under_appeal else Permission.DECISION_PROPOSE
    took_part = under_appeal and actor.user_id in state.deciders  # an appeal is decided by someone else
    can_decide = pending and not took_part and policy.is_allowed(actor, deciding, facts)
    can_request = pending and policy.is_allowed(actor, get_type("request_information").permission, facts)
    can_assign = pending and policy.is_allowed(actor, get_type("assign").permission, facts)
    assignee = None
    if pending and not (can_decide and can_request) and case.assigned_user_id not in (None, actor.user_id):
        user = users.get_user(db, case.assigned_user_id)
        assignee = user.username if user is not None else None
    return {
        "can_decide": can_decide, "can_request": can_request, "can_assign": can_assign, "took_part": took_part,
        "show_assignment": pending and not (can_decide and can_request),
        "assigned_to_you": case.assigned_user_id is not None and case.assigned_user_id == actor.user_id,
        "assignee": assignee, "unassigned": case.assigned_user_id is None,
    }


def case_context(db: Any, actor: Any, number: str, *, decision_form: FormState | None = None,
                 information_form: FormState | None = None, assign_form: FormState | None = None,
                 evaluation: Any = None) -> dict[str, Any]:
    """Everything the staff case page shows; every read goes through a service and is journaled."""
    from amparo.people import service as people

    case = cases.get_case(db, actor, number, purpose=PURPOSE)
    journal = cases.journal(db, actor, case.id, purpose=PURPOSE)
    state = cases.state_of(case)
    person = people.get_person(db, actor, case.person_id, purpose=PURPOSE)
    # Held for the whole page: the session's identity map is weak, so while this reference lives the
    # safeguards panel and the evidence list find the application there instead of reading it again.
    _row = case_parts.application_row(db, case)
    application = case_parts.application_view(db, case)
    if evaluation is None and application is not None:
        evaluation = safeguards_panel.evaluate(db, case, person=person)
    languages = list(person.languages or [])
    work = _casework(db, actor, case, state, application is not None)
    return {
        "case": case, "state": state, "person": person, "status": status_label(case.status),
        "timeline": build_timeline(journal, staff=True),
        "application": application,
        "evidence": case_parts.evidence_view(db, actor, case, PURPOSE) if application else [],
        "evidence_kinds": evidence_options(),
        "safeguards": safeguards_panel.panel(evaluation),
        "evaluated_on": evaluation.evaluated_on if evaluation is not None else None,
        "evaluated_event": evaluation.event if evaluation is not None else None,
        "decision": case_parts.decision_view(journal, state),
        **work,
        "assign_form": assign_form or blank_form(AssignForm),
        "decision_form": decision_form or blank_form(DecisionForm, version=str(case.version), language=languages[0] if languages else ""),
        "information_form": information_form or blank_form(RequestInformationForm, version=str(case.version)),
        "decision_languages": [(code, language_name(code)) for code in dict.fromkeys(languages + list(DECISION_LANGUAGES))],
        "outcomes": [("grant", _("Grant")), ("refuse", _("Refuse"))],
    }


@router.get("/staff/cases/{number}", name="staff_case")
def case_page(request: Request, number: str) -> Response:
    """The case page for staff."""
    with database(request) as db:
        actor = signed_in(request, db, *STAFF)
        context = case_context(db, actor, number)
        db.commit()
    return render(request, "staff/case.html", context)


def _decision_body(data: DecisionForm) -> dict[str, Any]:
    return {
        "outcome": data.outcome, "reasons": data.reasons, "language": data.language or None,
        "appeal_information": {"how": data.appeal_how, "deadline": data.appeal_deadline} if data.outcome == "refuse" else None,
        "best_interests_assessed": data.best_interests_assessed, "trafficking_indicators": data.trafficking_indicators,
        "referred_for_protection": data.referred_for_protection, "expected_version": data.version,
    }


@router.post("/staff/cases/{number}/decision", name="staff_decision")
def decide(request: Request, number: str, posted: PostedForm) -> Response:
    """Record the decision; refused with each unmet safeguard beside its field when one blocks it."""
    from amparo.regularization import decisions

    data, form = validate_form(DecisionForm, posted)
    settings = request.app.state.settings
    with database(request) as db:
        actor = signed_in(request, db, *STAFF)
        status, evaluation = 422, None
        if data is not None:
            body = _decision_body(data)
            try:
                decided = decisions.decide(db, settings, actor, number, body, purpose="caseworker decides the case")
            except Conflict as error:
                db.rollback()
                status = 409
                if error.code == "safeguards_not_met":
                    safeguards_panel.attach(form, error.details or [])
                    case = cases.get_case(db, actor, number, purpose=PURPOSE)
                    evaluation = safeguards_panel.evaluate(db, case, {k: v for k, v in body.items() if k != "expected_version"})
                else:
                    form.add_error("outcome", _("The case changed while you were deciding. Check the timeline, then decide again."))
                    form.values["version"] = str(cases.get_case(db, actor, number, purpose=PURPOSE).version)
            except (Forbidden, InvalidInput) as error:
                db.rollback()
                status = error.status_code
                form.add_error("outcome", error.message)
            else:
                db.commit()
                message = _("The grant was recorded.") if decided.recorded == "decision_made" else _("The refusal was proposed. It takes effect when a supervisor signs it.")
                response = RedirectResponse(f"/staff/cases/{decided.case.number}", status_code=303)
                flash(response, request, message, "success")
                return response
        context = case_context(db, actor, number, decision_form=form, evaluation=evaluation)
        db.commit()
    return render(request, "staff/case.html", context, status_code=status)


@router.post("/staff/cases/{number}/request-information", name="staff_request_information")
def request_information(request: Request, number: str, posted: PostedForm) -> Response:
    """Ask the applicant for information by a date."""
    from amparo.regularization import flows

    data, form = validate_form(RequestInformationForm, posted)
    with database(request) as db:
        actor = signed_in(request, db, *STAFF)
        status = 422
        if data is not None:
            try:
                flows.request_information(db, actor, number, {"message": data.message, "due_date": data.due_date, "expected_version": data.version},
                                          purpose="caseworker requests information")
            except (Conflict, InvalidInput, Forbidden) as error:
                db.rollback()
                status = error.status_code
                form.add_error("due_date" if "due" in error.message else "message", error.message)
            else:
                db.commit()
                response = RedirectResponse(f"/staff/cases/{number}", status_code=303)
                flash(response, request, _("The request was sent to the applicant."), "success")
                return response
        context = case_context(db, actor, number, information_form=form)
        db.commit()
    return render(request, "staff/case.html", context, status_code=status)
