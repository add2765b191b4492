"""The programme administrator's pages: upload a programme YAML, see its validation errors with their
lines and the programme check report, and publish it.

Validation is `amparo.programmes` (a malformed document fails with its file, line and what was
expected); the check is `amparo.programmes.check_programme` (designs that break safeguards, each
problem with its line); publishing is `amparo.regularization.service.publish_programme`, which runs
both again and refuses a design that breaks a binding or adopted safeguard.
"""

from __future__ import annotations

from typing import Any, ClassVar

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from pydantic import Field
from starlette.datastructures import UploadFile

from amparo.api.limits import refused_body
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

    file_labels: ClassVar[dict[str, str]] = {"file": N_("Or choose the YAML file")}


#: How the page words each way a document can fail to be read at all (`details[0]["reason"]` of the
#: loader's error); the parser's own words, when shown, stay English and are marked so.
_UNREADABLE = {
    "yaml_syntax": N_("This is not valid YAML: check the indentation, quotes and brackets on this line."),
    "yaml_alias": N_("Anchors and aliases (&name / *name) are not allowed in a programme document; write the value out where it is needed."),
    "yaml_tag": N_("Tags (!name / !!name) are not allowed in a programme document; remove the tag (put a value in quotes to keep it as text)."),
    "yaml_depth": N_("Values are nested more than {depth} levels deep here; a programme needs far fewer. Check the indentation and the brackets."),
    "yaml_date": N_("This date does not exist; write a real date as YYYY-MM-DD."),
    "duplicate_key": N_("This key appears twice (first at line {first_line}); keep only one of them."),
    "empty": N_("The document is empty; paste the programme document or choose its file."),
    "not_a_mapping": N_("The document is not a YAML mapping; write the programme's fields as `key: value` lines."),
    "too_long": N_("The document is longer than {size} characters; check that it is the right file."),
}
_SYNTAX_FROM = N_("This is not valid YAML: check the indentation, quotes and brackets from line {start_line} to this line.")
_TABS = N_("Indent with spaces, not tabs.")
#: What a detail names in the document itself (a token, a key, a value), shown as code.
_NAMED = {"yaml_alias": "name", "yaml_tag": "tag", "yaml_date": "value", "duplicate_key": "key"}


def _unreadable(detail: dict[str, Any]) -> Markup:
    """The message beside the document: line, column, what the parser found, what to do.

    The framing is in the page's language; the parser's words and the document's own text stay as
    they are, marked as English.
    """
    reason = detail["reason"]
    values = {key: value for key, value in detail.items() if isinstance(value, (str, int))}
    if reason == "yaml_syntax" and detail.get("start_line") not in (None, detail.get("line")):
        fix = _(_SYNTAX_FROM, **values)
    else:
        fix = _(_UNREADABLE[reason], **values)
    if detail.get("tab"):
        fix = f"{fix} {_(_TABS)}"
    if reason == "yaml_syntax":
        found = Markup('<span lang="en" dir="ltr">{}</span>').format(detail.get("found", ""))
    elif reason in _NAMED:
        found = Markup('<code lang="en" dir="ltr">{}</code>').format(detail.get(_NAMED[reason], ""))
    else:
        found = Markup("")
    text = Markup("{} — {}").format(found, fix) if found else Markup("{}").format(fix)
    if detail.get("line") and detail.get("column"):
        return Markup("{}: {}").format(_("Line {line}, column {column}", line=detail["line"], column=detail["column"]), text)
    return text


def _check(text: str, filename: str) -> tuple[list[dict[str, Any]], Markup | None, Any]:
    """(validation errors with lines, why the document cannot be read at all, check report or None)."""
    from amparo.programmes import check_programme
    from amparo.programmes.loader import parse_programme_source

    try:
        source = parse_programme_source(text, filename)
    except InvalidInput as error:
        details = error.details or []
        if details and details[0].get("reason") in _UNREADABLE:
            return [], _unreadable(details[0]), None
        return [{"line": d.get("line"), "where": ".".join(str(p) for p in d.get("loc") or []), "expected": d.get("expected") or error.message}
                for d in details] or [{"line": None, "where": "", "expected": error.message}], None, None
    return [], None, check_programme(source)


@router.get("/admin/programmes", name="admin_programmes")
def programmes_page(request: Request) -> Response:
    """Published programmes of the administrator's jurisdiction and the upload form."""
    from amparo.regularization import service

    with database(request) as db:
        actor = signed_in(request, db, Role.PROGRAMME_ADMIN)
        published = service.list_programmes(db, actor.jurisdiction)
    form = blank_form(ProgrammeForm)
    if (refused := refused_body(request)) is not None:  # shown again: what was sent was too large to read
        form.add_error("document", refused.message)
    return render(request, "admin/programmes.html", {"form": form, "published": published, "errors": [], "report": None})


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
            errors, unreadable, report = _check(text, filename)
            if unreadable is not None:
                form.add_error("document", unreadable)
            if not errors and unreadable is None and data.action == "publish":
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
