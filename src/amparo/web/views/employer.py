"""The page an invited employer opens from the applicant's link: what they are asked to confirm,
and a yes or no, once. They see nothing of the application (`amparo.regularization.invitations`
shows only the invitation), and their answer is optional evidence, never a condition."""

from __future__ import annotations

from typing import Literal

from fastapi import Request
from fastapi.responses import Response
from pydantic import Field

from amparo.errors import Conflict
from amparo.web.forms import WebForm, blank_form, PostedForm, validate_form
from amparo.web.i18n import N_, _
from amparo.web.routing import web_router
from amparo.web.templating import render
from amparo.web.views._pages import database

router = web_router()


class AnswerForm(WebForm):
    answer: Literal["confirm", "decline"] = Field(title=N_("Your answer"))
    note: str | None = Field(None, max_length=1_000, title=N_("A note for the authority (optional)"))


@router.get("/employer/{token}", name="employer_invitation")
def invitation_page(request: Request, token: str) -> Response:
    """What the employer is asked to confirm."""
    from amparo.regularization import invitations

    with database(request) as db:
        row = invitations.view_invitation(db, token)
        db.commit()
    return render(request, "employer/invitation.html", {"invitation": row, "token": token, "form": blank_form(AnswerForm)})


@router.post("/employer/{token}", name="employer_answer")
def answer(request: Request, token: str, posted: PostedForm) -> Response:
    """Record the employer's answer (once)."""
    from amparo.regularization import invitations

    data, form = validate_form(AnswerForm, posted)
    with database(request) as db:
        status = 422
        if data is not None:
            try:
                row = invitations.answer_invitation(db, token, {"confirm": data.answer == "confirm", "note": data.note})
            except Conflict as error:
                db.rollback()
                status = 409
                # Never the error's own message: another conflict (the case changed at the same moment)
                # would name the case, and the employer is told nothing about it.
                form.add_error("answer", _("This invitation was already answered or has expired.") if error.code in ("already_answered", "invitation_expired")
                               else _("Nothing was saved. Please try again in a moment."))
            else:
                db.commit()
                return render(request, "employer/answered.html", {"confirmed": row.status == "confirmed"})
        row = invitations.view_invitation(db, token)
        db.commit()
    return render(request, "employer/invitation.html", {"invitation": row, "token": token, "form": form}, status_code=status)
