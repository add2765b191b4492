""""Download everything held on me": the applicant's own data as JSON or CSV.

Everything Amparo holds on the person, read through the services so every read is scoped to the
person's own records and journaled: the account, the person record, each case with its derived
state, its full journal, its application (with the pre-assessment) and its evidence list, and the
applications started but not filed yet (drafts, with every answer saved). The
download itself is journaled too, as "person:export", with the format and the cases included.
Evidence files are listed, not embedded: each one is downloadable from its case.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from amparo.audit import service as audit
from amparo.auth.policy import Role
from amparo.cases import service as cases
from amparo.people import service as people
from amparo.web.routing import web_router
from amparo.web.templating import render
from amparo.web.views._pages import database, signed_in

router = web_router()
PURPOSE = "the person downloads everything held on them"
FORMAT_VERSION = 1


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def collect(db: Any, actor: Any, user: Any) -> dict[str, Any]:
    """Everything held on the signed-in person, as plain JSON values. Journals each read."""
    from amparo.regularization import drafts, flows, repository

    person = people.get_person(db, actor, actor.person_id, purpose=PURPOSE)
    export: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "generated_at": datetime.datetime.now(datetime.UTC),
        "account": {"username": user.username, "role": user.role, "created_at": user.created_at},
        "person": {
            "id": person.id, "given_names": person.given_names, "family_names": person.family_names,
            "date_of_birth": person.date_of_birth, "sex": person.sex, "nationalities": list(person.nationality_codes),
            "languages": list(person.languages or []), "email": person.email, "phone": person.phone,
            "address": person.address, "jurisdiction": person.jurisdiction_code, "created_at": person.created_at,
        },
        "cases": [],
    }
    cursor = None
    while True:
        page = cases.list_cases(db, actor, {}, limit=100, cursor=cursor, purpose=PURPOSE)
        for case in page.items:
            journal = cases.journal(db, actor, case.id, purpose=PURPOSE)
            application = repository.application(db, case.id)
            evidence = flows.list_evidence(db, actor, case.id, PURPOSE) if application is not None else []
            export["cases"].append({
                "number": case.number, "kind": case.kind, "status": case.status, "jurisdiction": case.jurisdiction_code,
                "opened_at": case.created_at, "deadline": case.deadline, "state": case.state,
                "application": None if application is None else {
                    "programme_id": application.programme_id, "programme_version": application.programme_version,
                    "filed_on": application.filed_on, "stated_facts": application.applicant,
                    "declared_evidence": application.declared_evidence, "pre_assessment": application.assessment,
                },
                "evidence": [
                    {"sha256": e.sha256, "kind": e.kind, "document_date": e.document_date, "received_on": e.received_on,
                     "media_type": e.media_type, "size": e.size, "description": e.description, "original_filename": e.original_filename}
                    for e in evidence
                ],
                "journal": [
                    {"seq": a.seq, "type": a.type, "at": a.server_time, "by_role": a.actor_role, "payload": a.payload}
                    for a in journal
                ],
            })
        cursor = page.next_cursor
        if cursor is None:
            break
    export["drafts"] = [
        {"programme_id": d.programme_id, "programme_version": d.programme_version, "step": d.step, "answers": d.answers,
         "started_at": d.created_at, "saved_at": d.updated_at}
        for d in drafts.list_own(db, actor, PURPOSE, limit=None)
    ]
    audit.record(db, actor, "person:export", "person", person.id, PURPOSE, {"cases": [c["number"] for c in export["cases"]]})
    return _jsonable(export)


def _rows(prefix: str, value: Any) -> list[tuple[str, str]]:
    """(dotted path, text) for every leaf of `value`: one CSV row per fact."""
    if isinstance(value, dict):
        return [row for key, item in value.items() for row in _rows(f"{prefix}.{key}" if prefix else str(key), item)]
    if isinstance(value, list):
        return [row for index, item in enumerate(value) for row in _rows(f"{prefix}[{index}]", item)] or [(prefix, "")]
    return [(prefix, "" if value is None else str(value))]


def to_csv(export: dict[str, Any]) -> str:
    """The export as CSV with two columns, `field` and `value`: every fact on its own row, so
    nothing nested is lost and any spreadsheet opens it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["field", "value"])
    for path, text in _rows("", export):
        # A spreadsheet would run a value starting with = + - @ as a formula (CSV injection).
        writer.writerow([path, "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text])
    return buffer.getvalue()


@router.get("/my/data", name="my_data")
def my_data_page(request: Request) -> Response:
    """What the download contains, and the two links."""
    with database(request) as db:
        actor = signed_in(request, db, Role.APPLICANT)
    return render(request, "applicant/data.html", {})


def _download(request: Request, fmt: str) -> Response:
    with database(request) as db:
        actor = signed_in(request, db, Role.APPLICANT)
        export = collect(db, actor, request.state.user)
        db.commit()
    stamp = datetime.date.today().isoformat()
    if fmt == "json":
        body, media = json.dumps(export, ensure_ascii=False, indent=2), "application/json"
    else:
        body, media = to_csv(export), "text/csv; charset=utf-8"
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
