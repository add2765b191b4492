"""The programme administrator's pages: upload a programme YAML, see its validation errors with their
lines and the programme check report, and publish it.

Validation is `amparo.programmes` (a malformed document fails with its file, line and what was
expected); the check is `amparo.programmes.check_programme` (designs that break safeguards, each
problem with its line); publishing is `amparo.regularization.service.publish_programme`, which runs
both again and refuses a design that breaks a binding or adopted safeguard.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field
from starlette.datastructures import UploadFile

from amparo.auth.policy import Role
from amparo.errors import Conflict, Forbidden, InvalidInput
from amparo.web.flash import flash
from amparo.web.forms import WebForm, blank_form, PostedForm, validate_form
from amparo.web.i18n import N_, _
from amparo.web.routing import web_router
from amparo.web.templating import render
from amparo.web.views._pages import database, signed_in

router = web_router()
MAX_DOCUMENT = 200_000


class ProgrammeForm(WebForm):
    """The programme document, pasted (or uploaded as a file, which takes precedence)."""

    document: str | None = Field(None, max_length=MAX_DOCUMENT, title=N_("Programme document (YAML)"), description=N_("Paste it here, or choose the file below."))
    action: str = Field("check", pattern="^(check|publish)$", title=N_("Action"))


def _check(text: str, filename: str) -> tuple[list[dict[str, Any]], Any]:
    """(validation errors with lines, check report or None)."""
    from amparo.programmes import check_programme
    from amparo.programmes.loader import parse_programme_source

    try:
        source = parse_programme_source(text, filename)
    except InvalidInput as error:
        return [{"line": d.get("line"), "where": ".".join(str(p) for p in d.get("loc") or []), "expected": d.get("expected")}
                for d in (error.details or [])] or [{"line": None, "where": "", "expected": error.message}], None
    return [], check_programme(source)


@router.get("/admin/programmes", name="admin_programmes")
def programmes_page(request: Request) -> Response:
    """Published programmes of the administrator's jurisdiction and the upload form."""
    from amparo.regularization import service

    with database(request) as db:
        actor = signed_in(request, db, Role.PROGRAMME_ADMIN)
        published = service.list_programmes(db, actor.jurisdiction)
    return render(request, "admin/programmes.html", {"form": blank_form(ProgrammeForm), "published": published, "errors": [], "report": None})


@router.post("/admin/programmes", name="admin_programmes_submit")
def upload(request: Request, posted: PostedForm) -> Response:
    """Check the document (and publish it when asked and it passes)."""
    from amparo.regularization import service

    data, form = validate_form(ProgrammeForm, posted)
    upload_file = posted.get("file")
    text = data.document if data is not None else None
    filename = "programme.yaml"
    if isinstance(upload_file, UploadFile) and upload_file.filename:
        raw = upload_file.file.read(MAX_DOCUMENT + 1)
        filename = upload_file.filename[-100:]
        try:
            text = raw.decode("utf-8") if len(raw) <= MAX_DOCUMENT else None
        except UnicodeDecodeError:
            text = None
        if text is None:
            form.add_error("document", _("The file must be UTF-8 text of at most {size} bytes.", size=MAX_DOCUMENT))
    elif data is not None and not text:
        form.add_error("document", _("Paste the programme document or choose its file."))
    with database(request) as db:
        actor = signed_in(request, db, Role.PROGRAMME_ADMIN)
        published = service.list_programmes(db, actor.jurisdiction)
        errors: list[dict[str, Any]] = []
        report = None
        refused: int | None = None
        if data is not None and text and form.valid:
            form.values["document"] = text
            errors, report = _check(text, filename)
            if not errors and data.action == "publish":
                try:
                    row = service.publish_programme(db, actor, text, purpose="programme administrator publishes a programme")
                except (Conflict, Forbidden, InvalidInput) as error:
                    db.rollback()
                    refused = error.status_code
                    form.add_error("document", error.message)
                    # The rollback expired the list read above; the page shows it again, read afresh.
                    published = service.list_programmes(db, actor.jurisdiction)
                else:
                    db.commit()
                    response = RedirectResponse("/admin/programmes", status_code=303)
                    flash(response, request, _("Programme {id} version {version} is published.", id=row.programme_id, version=row.version), "success")
                    return response
        status = refused or (422 if errors or not form.valid else 200)
    return render(request, "admin/programmes.html", {"form": form, "published": published, "errors": errors, "report": report}, status_code=status)
