""""Download everything held on me": the applicant's own data as JSON or CSV, and each of their
documents on its own.

What the download holds, and how each part is read, scoped and journaled, is
`amparo.regularization.export`: the account, the person record, each case with its derived state,
its full journal, its application (with the pre-assessment) and its evidence list, the employer
invitations and their answers, the certificates and whether each holds today, the drafts, and the
access record (who read or changed the person's data, by role and office, when and why). The
download itself is journaled as "person:export". Evidence files are listed, not embedded: `/my/data`
and the download give each one's address, `/my/cases/{number}/evidence/{sha256}`, which only the
person whose case it is can open.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response

from amparo.auth.policy import Role
from amparo.web.routing import web_router
from amparo.web.templating import render
from amparo.web.views._pages import database, signed_in

router = web_router()
#: A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: The file name's extension, from the type the evidence store sniffed (never the uploaded name's).
_EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


def _rows(prefix: str, value: Any) -> list[tuple[str, str]]:
    """(dotted path, text) for every leaf of `value`: one CSV row per fact."""
    if isinstance(value, dict):
        return [row for key, item in value.items() for row in _rows(f"{prefix}.{key}" if prefix else str(key), item)]
    if isinstance(value, list):
        return [row for index, item in enumerate(value) for row in _rows(f"{prefix}[{index}]", item)] or [(prefix, "")]
    return [(prefix, "" if value is None else str(value))]


def _cell(text: str) -> str:
    """The text as a spreadsheet shows it, never runs it: a leading quote keeps a formula as text."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def to_csv(export: dict[str, Any]) -> str:
    """The export as CSV with two columns, `field` and `value`: every fact on its own row, so
    nothing nested is lost and any spreadsheet opens it. Both columns are neutralised: a field's
    path carries keys of stored documents too."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["field", "value"])
    for path, text in _rows("", export):
        writer.writerow([_cell(path), _cell(text)])
    return buffer.getvalue()


@router.get("/my/data", name="my_data")
def my_data_page(request: Request) -> Response:
    """What the download contains, the two links, and each document with its own download link."""
    from amparo.regularization import export
    from amparo.web.views.applicant_filing import evidence_options

    with database(request) as db:
        actor = signed_in(request, db, Role.APPLICANT)
        documents = [
            {"case": case.number, "items": [{"record": e, "href": export.document_path(case.number, e.sha256)} for e in evidence]}
            for case, evidence in export.documents(db, actor)
        ]
        db.commit()
    return render(request, "applicant/data.html", {"documents": documents, "evidence_kinds": dict(evidence_options())})


def _download(request: Request, fmt: str) -> Response:
    from amparo.regularization import export

    with database(request) as db:
        actor = signed_in(request, db, Role.APPLICANT)
        data = export.collect(db, request.app.state.settings, actor, request.state.user)
        db.commit()
    stamp = datetime.date.today().isoformat()
    if fmt == "json":
        body, media = json.dumps(data, ensure_ascii=False, indent=2), "application/json"
    else:
        body, media = to_csv(data), "text/csv; charset=utf-8"
    return Response(body.encode("utf-8"), media_type=media, headers={
        "Content-Disposition": f'attachment; filename="amparo-my-data-{stamp}.{fmt}"', "Cache-Control": "no-store",
    })


@router.get("/my/data.json", name="my_data_json")
def my_data_json(request: Request) -> Response:
    """Everything held on the person, as JSON."""
    return _download(request, "json")


@router.get("/my/data.csv", name="my_data_csv")
def my_data_csv(request: Request) -> Response:
    """Everything held on the person, as CSV (field, value)."""
    return _download(request, "csv")


def _disposition(name: str) -> str:
    """`attachment` with the file's own name: plain ASCII for old clients, UTF-8 (RFC 6266) for the rest."""
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "document"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.get("/my/cases/{number}/evidence/{sha256}", name="my_case_document")
def my_document(request: Request, number: str, sha256: str) -> Response:
    """One of the person's own evidence files, checksum verified (404 for anyone else's case)."""
    from amparo.regularization import flows

    with database(request) as db:
        actor = signed_in(request, db, Role.APPLICANT)
        record, content = flows.read_evidence(db, request.app.state.settings, actor, number, sha256,
                                              purpose="the applicant downloads their own document")
        db.commit()
    extension = _EXTENSIONS.get(record.media_type, "")
    name = record.original_filename or f"{record.kind}-{record.sha256[:12]}{extension}"
    return Response(content, media_type=record.media_type, headers={
        "Content-Disposition": _disposition(name), "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
    })
