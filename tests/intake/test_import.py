"""Bulk intake through the regularization filing service, on SQLite and PostgreSQL: good and bad rows,
each rejection named by row and column, the programme window at its boundaries, re-runs that create
nothing, and a crash part-way through a file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from amparo.db.engine import read_only
from amparo.db.session import session_scope
from amparo.errors import InvalidInput
from amparo.intake.service import import_file
from amparo.people.models import Person
from amparo.regularization.models import Application, FilingConsent
from intake_support import PROGRAMME, counts, intake_keys, published, report_lines, row, settings, write  # noqa: F401

#: Rows 2.. of the file: (cells, the column a rejection must name, or None when the row is filed).
ROWS: list[tuple[dict[str, str], str | None]] = [
    (row(row_id="F-1"), None),
    # The window of col-etpv-2021 is 2021-05-05 to 2022-05-28: the day before, the day of, each end.
    # The day before is also before the programme's first version takes effect: window_closed too.
    (row(row_id="F-2", filed_on="2021-05-04", consent_given_on="2021-05-04"), "programme_id"),
    (row(row_id="F-3", filed_on="2021-05-05", consent_given_on="2021-05-05"), None),
    (row(row_id="F-4", filed_on="2022-05-28", consent_given_on="2022-05-28"), None),
    (row(row_id="F-5", filed_on="2022-05-29", consent_given_on="2022-05-29"), "programme_id"),
    (row(row_id="F-6", date_of_birth="17/04/1990"), "date_of_birth"),
    (row(row_id="F-7", nationalities="ven"), "nationalities"),
    (row(row_id="F-8", evidence="rental_contract:2021-07-01"), "evidence"),
    (row(row_id="F-9", evidence="passport_photo:2020-01-01"), "evidence"),
    (row(row_id="F-10", consent_given_on="2021-06-15"), "consent_given_on"),
    (row(row_id="F-11", given_names="  "), "given_names"),
    (row(row_id="F-1", given_names="Otra Persona"), "row_id"),
    (row(row_id="F-13", programme_id="arg-patria-grande"), "programme_id"),
    (row(row_id="F-14", sex="woman"), "sex"),
    (row(row_id="F 15"), "row_id"),
    (row(row_id="F-16", consent_method="told_by_neighbour"), "consent_method"),
    # Not eligible is not invalid: a Colombian national is filed, and the pre-assessment says why.
    (row(row_id="F-17", nationalities="COL", given_names="Juan Pablo"), None),
]


@pytest.fixture
def intake_file(tmp_path: Path) -> Path:
    return write(tmp_path / "site.csv", [cells for cells, _ in ROWS])


def test_good_rows_are_filed_and_each_bad_row_is_reported_by_row_and_column(published, settings, intake_file, tmp_path):
    report = tmp_path / "rejected.csv"
    summary = import_file(published, settings, intake_file, PROGRAMME, report_path=report, batch_size=4)

    expected_filed = [f"csv:cucuta-terminal:{cells['row_id']}" for cells, column in ROWS if column is None]
    expected_rejections = {(number, column) for number, (_, column) in enumerate(ROWS, start=2) if column is not None}
    assert (summary.rows, summary.filed, summary.rejected, summary.already_imported) == (len(ROWS), len(expected_filed), len(expected_rejections), 0)
    assert intake_keys(published) == sorted(expected_filed)
    lines = report_lines(report)
    assert {(int(line["row"]), line["column"]) for line in lines} == expected_rejections
    by_row = {int(line["row"]): line for line in lines}
    assert "2021-05-04" in by_row[3]["message"] and "2021-05-05" in by_row[3]["message"]
    assert by_row[6]["value"] == PROGRAMME and "2021-05-05 to 2022-05-28" in by_row[6]["message"]
    assert by_row[7]["value"] == "17/04/1990" and "YYYY-MM-DD" in by_row[7]["expected"]
    assert by_row[9]["value"] == "rental_contract:2021-07-01" and "after the day it was shown" in by_row[9]["message"]
    assert "already filed for another person" in by_row[13]["message"]
    assert summary.overall["not_eligible"] >= 1 and sum(summary.overall.values()) == len(expected_filed)


def test_filed_rows_keep_the_person_as_in_the_document_the_consent_and_the_filing_date(published, settings, intake_file):
    import_file(published, settings, intake_file, PROGRAMME)
    with session_scope(read_only(published)) as session:
        application = session.scalars(select(Application).where(Application.intake_key == "csv:cucuta-terminal:F-4")).one()
        person = session.scalars(select(Person).join(Application, Application.case_id == Person.id, isouter=True)).first()
        consent = session.scalars(select(FilingConsent).where(FilingConsent.case_id == application.case_id)).one()
        names = set(session.execute(select(Person.given_names, Person.family_names)).all())
    assert application.filed_on.isoformat() == "2022-05-28" and application.on_behalf
    assert consent.method == "signed_form" and consent.given_on.isoformat() == "2022-05-28" and "cucuta-terminal" in consent.organisation
    assert ("María José", "Pérez Rangel") in names and person is not None
    assert application.assessment["overall"] == "likely_eligible"


def test_the_same_file_twice_creates_nothing_new_and_says_already_imported(published, settings, intake_file, tmp_path):
    first = import_file(published, settings, intake_file, PROGRAMME, batch_size=3)
    before = counts(published)
    second = import_file(published, settings, intake_file, PROGRAMME, report_path=tmp_path / "again.csv", batch_size=5)
    assert counts(published) == before
    assert (second.filed, second.already_imported, second.rejected) == (0, first.filed, first.rejected)
    # The duplicate of F-1 inside the file is still reported as a duplicate, not as already imported.
    assert {line["row_id"] for line in report_lines(tmp_path / "again.csv") if line["column"] == "row_id"} == {"F-1", "F 15"}


def test_a_crash_in_batch_k_keeps_earlier_batches_and_a_rerun_completes_without_duplicates(published, settings, tmp_path):
    from amparo.regularization import batch

    rows = [row(row_id=f"C-{i}", given_names=f"Persona {i}") for i in range(1, 11)]
    path = write(tmp_path / "crash.csv", rows)
    calls = 0

    def failing(session, *args, **kwargs):
        nonlocal calls
        calls += 1
        result = batch.file_applications(session, *args, **kwargs)
        if calls == 3:  # batch 3 (batches of 3 rows) is written, then the power goes before it commits
            session.flush()
            raise RuntimeError("power cut at the intake site")
        return result

    with pytest.raises(RuntimeError):
        import_file(published, settings, path, PROGRAMME, batch_size=3, file_applications=failing)
    assert intake_keys(published) == sorted(f"csv:cucuta-terminal:C-{i}" for i in range(1, 7))

    rerun = import_file(published, settings, path, PROGRAMME, batch_size=3)
    assert (rerun.already_imported, rerun.filed, rerun.rejected) == (6, 4, 0)
    keys = intake_keys(published)
    assert keys == sorted(f"csv:cucuta-terminal:C-{i}" for i in range(1, 11))
    assert counts(published) == {"applications": 10, "cases": 10, "persons": 10, "certificates": 10, "consents": 10}


def test_a_file_that_is_not_an_intake_csv_is_refused_before_anything_is_written(published, settings, tmp_path):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("name,birth\nAna,1990-01-01\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="missing required column") as error:
        import_file(published, settings, wrong, PROGRAMME)
    assert "unknown column(s) 'name', 'birth'" in error.value.message
    latin1 = tmp_path / "latin1.csv"
    write(latin1, [row()])
    latin1.write_bytes(latin1.read_text(encoding="utf-8").encode("latin-1"))
    with pytest.raises(InvalidInput, match="not UTF-8"):
        import_file(published, settings, latin1, PROGRAMME)
    with pytest.raises(InvalidInput, match="no programme 'nope'"):
        import_file(published, settings, write(tmp_path / "ok.csv", [row()]), "nope")
    assert counts(published)["applications"] == 0


def test_the_command_reports_rejections_by_default_and_a_rerun_says_already_imported(published, fresh_database_url, intake_file):
    import os
    import subprocess
    import sys

    def amparo(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "AMPARO_SECRET_KEY": "intake-cli-secret-key-that-is-long-enough-0123456789", "AMPARO_ENVIRONMENT": "development"}
        return subprocess.run([sys.executable, "-m", "amparo", "intake", *args, "--url", fresh_database_url], capture_output=True, text=True, env=env, timeout=300)

    first = amparo("import", str(intake_file), "--programme", PROGRAMME, "--quiet", "--batch-size", "7")
    report = intake_file.with_name("site.rejected.csv")
    rejected = sum(1 for _, column in ROWS if column is not None)
    assert first.returncode == 1, first.stderr
    assert f"rejected:         {rejected}" in first.stdout and str(report) in first.stdout
    assert {int(line["row"]) for line in report_lines(report)} == {n for n, (_, c) in enumerate(ROWS, start=2) if c is not None}
    second = amparo("import", str(intake_file), "--programme", PROGRAMME, "--quiet", "--workers", "1")
    assert f"already imported: {len(ROWS) - rejected}" in second.stdout and "filed:            0" in second.stdout
    wrong = amparo("import", str(intake_file), "--programme", "col-etpv-2099", "--quiet")
    assert wrong.returncode == 2 and "no programme 'col-etpv-2099' is published" in wrong.stderr and "Traceback" not in wrong.stderr


def test_two_imports_of_one_file_at_once_file_each_row_once(published, settings, tmp_path):
    import threading

    path = write(tmp_path / "twice.csv", [row(row_id=f"T-{i}", given_names=f"Persona {i}") for i in range(1, 25)])
    results: list = []
    errors: list = []

    def run() -> None:
        try:
            results.append(import_file(published, settings, path, PROGRAMME, batch_size=4))
        except Exception as exc:  # reported below: the test fails with what went wrong
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r.filed for r in results) == 24 and all(r.filed + r.already_imported == 24 for r in results)
    assert intake_keys(published) == sorted(f"csv:cucuta-terminal:T-{i}" for i in range(1, 25))


def test_the_operator_is_recorded_as_the_assisting_actor_on_every_case_it_files(published, settings, tmp_path):
    from amparo.audit.models import AuditEntry
    from amparo.auth.policy import Role
    from amparo.cases.models import Action
    from builders import make_user

    with session_scope(published) as session:
        assistant = make_user(session, Role.FILING_ASSISTANT, "COL", username="sitio-cucuta@example.org")
        other = make_user(session, Role.FILING_ASSISTANT, "ARG", username="sitio-jujuy@example.org")
        caseworker = make_user(session, Role.CASEWORKER, "COL", username="caseworker-col@example.org")
        ids = (assistant.id, other.id, caseworker.id)
    path = write(tmp_path / "operator.csv", [row(row_id="O-1"), row(row_id="O-2", given_names="Luz")])
    for username in ("sitio-jujuy@example.org", "caseworker-col@example.org", "nobody@example.org"):
        with pytest.raises(InvalidInput) as refused:
            import_file(published, settings, path, PROGRAMME, operator=username)
        assert username in refused.value.message
    assert counts(published)["applications"] == 0

    summary = import_file(published, settings, path, PROGRAMME, operator="sitio-cucuta@example.org")
    assert summary.filed == 2
    with session_scope(read_only(published)) as session:
        applications = session.scalars(select(Application)).all()
        case_ids = [a.case_id for a in applications]
        consents = session.scalars(select(FilingConsent)).all()
        actions = session.scalars(select(Action).where(Action.case_id.in_(case_ids))).all()
        entries = session.scalars(select(AuditEntry).where(AuditEntry.object_type == "case", AuditEntry.object_id.in_([str(i) for i in case_ids]))).all()
    assert {a.filed_by for a in applications} == {ids[0]} and {c.assistant_user_id for c in consents} == {ids[0]}
    assert {(a.actor_user_id, a.actor_role) for a in actions} == {(ids[0], "filing_assistant")} and len(actions) == 4
    assert len(entries) == 2 and {(e.user_id, e.role) for e in entries} == {(ids[0], "filing_assistant")}


def test_without_an_operator_account_the_command_user_is_named_in_the_audit_entries(published, settings, tmp_path):
    from amparo.audit.models import AuditEntry
    from amparo.intake.service import _os_user

    import_file(published, settings, write(tmp_path / "one.csv", [row(row_id="U-1")]), PROGRAMME)
    with session_scope(read_only(published)) as session:
        names = set(session.scalars(select(AuditEntry.username).where(AuditEntry.object_type == "case")))
    assert names == {f"cli:{_os_user()}"}
