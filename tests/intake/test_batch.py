"""The batched filing path (`amparo.regularization.batch.file_applications`) writes exactly what the
per-row path (`flows.file_application`) writes, ids and times aside: persons, nationalities, name
keys, cases and their snapshots, journals, applications, consents, certificates and audit entries;
and it refuses the same rows with the same errors. On SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from amparo import certificates
from amparo.audit.models import AuditEntry
from amparo.audit.service import verify
from amparo.cases.models import Action, Case
from amparo.db.session import session_scope
from amparo.errors import AmparoError, Conflict
from amparo.intake.parse import Context, validate
from amparo.people.models import Person, PersonNameKey, PersonNationality
from amparo.regularization import batch, flows
from amparo.regularization.models import Application, Certificate, FilingConsent
from intake_support import PROGRAMME, published, row, settings  # noqa: F401

#: Each kind of row: eligible, not eligible, incomplete, no birth date, two nationalities, an
#: identity document without expiry, and the window's first and last days; then rows both paths
#: must refuse (before the window, after it, consent after filing).
CELLS = [
    row(row_id="E-1"),
    row(row_id="E-2", nationalities="COL", given_names="Juan Pablo"),
    row(row_id="E-3", evidence="", given_names="Ana"),
    row(row_id="E-4", date_of_birth="", family_names="Mamani Quispe"),
    row(row_id="E-5", nationalities="VEN;ESP", languages="es;en"),
    row(row_id="E-6", id_document_kind="national_id_card", id_document_expires_on="", declares_no_disqualifying_record=""),
    row(row_id="E-7", filed_on="2021-05-05", consent_given_on="2021-05-05", evidence="school_enrolment:2021-01-10"),
    row(row_id="E-8", filed_on="2022-05-28", consent_given_on="2022-05-28", given_names="Nour", family_names="Haddad"),
    row(row_id="R-1", filed_on="2021-05-04", consent_given_on="2021-05-04"),
    row(row_id="R-2", filed_on="2022-05-29", consent_given_on="2022-05-29"),
]
REFUSED = {"R-1": "window_closed", "R-2": "window_closed"}


def _rows() -> list[batch.BatchRow]:
    ctx = Context(programme_id=PROGRAMME, jurisdiction="COL", today=dt.date(2026, 1, 1))
    rows = []
    for number, cells in enumerate(CELLS, start=2):
        item = validate(number, cells, ctx)
        assert not isinstance(item, list), item
        rows.append(batch.BatchRow(item.application, item.filed_on, item.row_id))
    return rows


def _snapshot(session: Any, key: str) -> dict[str, Any]:
    """Everything filing wrote for intake key `key`, without ids, times and the key's own prefix."""
    application = session.scalars(select(Application).where(Application.intake_key == key)).one()
    case = session.get(Case, application.case_id)
    person = session.get(Person, case.person_id)
    actions = session.scalars(select(Action).where(Action.case_id == case.id).order_by(Action.seq)).all()
    consent = session.scalars(select(FilingConsent).where(FilingConsent.case_id == case.id)).one()
    certificate = session.scalars(select(Certificate).where(Certificate.case_id == case.id)).one()
    audit = session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "case", AuditEntry.object_id == str(case.id)).order_by(AuditEntry.id)
    ).all()
    claims = certificates.peek_claims(certificate.token).model_dump(mode="json", exclude={"certificate_id", "issued_at", "case_number"})
    state = {k: v for k, v in case.state.items() if k not in ("opened_at", "last_action_at")}
    assert state.pop("person_id") == person.id
    assert re.fullmatch(r"COL-\d{4}-\d{7}", case.number) and certificates.peek_claims(certificate.token).case_number == case.number
    return {
        "person": {c: getattr(person, c) for c in ("given_names", "family_names", "date_of_birth", "sex", "languages", "email", "phone", "address", "jurisdiction_code")},
        "nationalities": sorted(session.scalars(select(PersonNationality.country_code).where(PersonNationality.person_id == person.id))),
        "name_keys": sorted(session.scalars(select(PersonNameKey.key).where(PersonNameKey.person_id == person.id))),
        "case": {"kind": case.kind, "jurisdiction": case.jurisdiction_code, "version": case.version, "status": case.status,
                 "assigned": case.assigned_user_id, "deadline": case.deadline, "state": state},
        "journal": [(a.seq, a.type, {k: v for k, v in a.payload.items() if k != "person_id"}, a.actor_user_id, a.actor_role) for a in actions],
        "journal_persons": [a.payload.get("person_id") == person.id for a in actions if a.type == "case_opened"],
        "application": {c: getattr(application, c) for c in ("programme_id", "programme_version", "filed_on", "filed_by", "on_behalf", "applicant", "declared_evidence", "assessment")},
        "consent": {c: getattr(consent, c) for c in ("person_id", "assistant_user_id", "organisation", "method", "statement", "given_on")} | {"person_id": consent.person_id == person.id},
        "certificate": {"status": certificate.status, "key_id": certificate.key_id, "claims": claims},
        "audit": [(e.action, e.user_id, e.username, e.role, e.purpose, {k: v for k, v in (e.detail or {}).items() if k != "certificate"},
                   (e.detail or {}).get("certificate") in (None, certificate.id)) for e in audit],
    }


@pytest.mark.parametrize("checked_first", [False, True], ids=["requests", "checked_rows"])
def test_the_batch_writes_what_filing_row_by_row_writes_and_refuses_the_same_rows(published, settings, checked_first):
    rows = _rows()
    one_by_one: dict[str, str] = {}
    with session_scope(published) as session:
        for item in rows:
            try:
                with session.begin_nested():
                    flows.file_application(session, settings, None, item.application, "bulk intake of a.csv",
                                           filed_on=item.filed_on, intake_key=f"a:{item.intake_key}", operator="cli:tester")
            except AmparoError as exc:
                one_by_one[item.intake_key] = exc.code
    requests: list[batch.BatchRow | batch.CheckedRow] = [batch.BatchRow(r.application, r.filed_on, f"b:{r.intake_key}") for r in rows]
    if checked_first:
        # As bulk intake does: rows checked beforehand (in another process), the refused ones left as requests.
        with session_scope(published) as session:
            versions = batch.load_versions(session, [PROGRAMME])
        requests = [_checked(versions, r) for r in requests]
        assert sum(isinstance(r, batch.CheckedRow) for r in requests) == len(rows) - len(REFUSED)
    with session_scope(published) as session:
        result = batch.file_applications(session, settings, None, requests, "bulk intake of a.csv", operator="cli:tester")
    batched = {rows[index].intake_key: error.code for index, error in result.refused}
    assert one_by_one == batched == REFUSED
    assert len(result.filed) == len(rows) - len(REFUSED) and result.already_filed == []
    with session_scope(published) as session:
        for item in rows:
            if item.intake_key in REFUSED:
                continue
            expected, got = _snapshot(session, f"a:{item.intake_key}"), _snapshot(session, f"b:{item.intake_key}")
            assert got == expected, item.intake_key
            assert got["audit"][0][:3] == ("application:file", None, "cli:tester") and len(got["audit"]) == 1 and len(got["journal"]) == 2
        assert verify(session).ok


def test_a_key_already_filed_or_repeated_in_the_batch_creates_nothing_new(published, settings):
    rows = _rows()[:2]
    with session_scope(published) as session:
        first = batch.file_applications(session, settings, None, rows, "bulk intake")
    with session_scope(published) as session:
        again = batch.file_applications(session, settings, None, [rows[0], rows[1], rows[1]], "bulk intake")
        count = len(session.scalars(select(Application.case_id)).all())
    assert len(first.filed) == 2 and again.filed == [] and again.already_filed == [0, 1, 2] and count == 2


def _checked(versions: dict, row: batch.BatchRow) -> batch.BatchRow | batch.CheckedRow:
    try:
        return batch.check_row(versions, None, row)
    except AmparoError:
        return row


def test_a_row_checked_against_a_version_no_longer_in_effect_is_not_filed(published, settings):
    with session_scope(published) as session:
        checked = batch.check_row(batch.load_versions(session, [PROGRAMME]), None, _rows()[0])
    stale = dataclasses.replace(checked, programme_version=checked.programme_version + 1)
    with session_scope(published) as session, pytest.raises(Conflict, match="Run the import again"):
        batch.file_applications(session, settings, None, [stale], "bulk intake")
    with session_scope(published) as session:
        assert session.scalars(select(Application.case_id)).all() == []

