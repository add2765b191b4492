"""How much the busiest pages ask of the database: the case pages issue a bounded number of
statements (counted with a `before_cursor_execute` listener), and the caseworker queue reads about
a page of rows however many cases there are (keyset pages in index order). On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import event

from tests.db_support import create_database, drop_database
from tests.web.web_support import apply, assign, client_for, make_app, register, sign_in

#: Statements per page once warm (transaction control — BEGIN, COMMIT — not counted). Measured
#: 2026-11-30: staff case page 9 (16 before the person's read stopped asking who their cases are
#: assigned to, when nothing else grants it), applicant case page 11. Lower these when a change saves queries;
#: a change that needs more must say why here.
STAFF_CASE_PAGE_CEILING = 9
APPLICANT_CASE_PAGE_CEILING = 11
#: The queue: 7, and since each row names its applicant and assignee, one more statement that reads
#: them for the whole page (`staff._names_and_assignees`), however many rows it has.
QUEUE_PAGE_CEILING = 8
#: A queue search by name: the queue's statements plus the name-key read.
QUEUE_SEARCH_CEILING = 9


@pytest.fixture(scope="module")
def app(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    folder = tmp_path_factory.mktemp(f"queries-{backend}")
    url = create_database(backend, folder)
    application = make_app(folder, url)
    yield application
    application.state.engine.dispose()
    drop_database(url)


class Statements:
    """The statements the app's engine sends while `with` is open (transaction control left out)."""

    def __init__(self, app: FastAPI) -> None:
        self.engine = app.state.engine
        self.seen: list[str] = []

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            self.seen.append(" ".join(statement.split()))

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)


@pytest.fixture(scope="module")
def filed(app: FastAPI) -> Iterator[tuple[str, str]]:
    with client_for(app) as client:
        username = register(client)
        number = apply(client)
    assign(app, number)
    return username, number


def test_the_staff_case_page_issues_at_most_its_ceiling_of_statements(app: FastAPI, filed) -> None:
    _username, number = filed
    with client_for(app) as staff:
        sign_in(staff, "caseworker@arg.example")
        assert staff.get(f"/staff/cases/{number}").status_code == 200  # warm the process-wide caches
        with Statements(app) as statements:
            page = staff.get(f"/staff/cases/{number}")
        assert page.status_code == 200 and "safeguard-written-reasons" in page.text
    listing = "\n".join(statements.seen)
    assert len(statements.seen) <= STAFF_CASE_PAGE_CEILING, f"{len(statements.seen)} statements:\n{listing}"
    # The application and the programme are read at most once each.
    assert sum("FROM applications" in s for s in statements.seen) == 1, listing
    assert sum("FROM programme_versions" in s for s in statements.seen) == 0, listing
    # Reading the person of one's own State needs no look at whom their cases are assigned to.
    assert not [s for s in statements.seen if "DISTINCT cases.person_id" in s], listing


def test_the_applicant_case_page_issues_at_most_its_ceiling_of_statements(app: FastAPI, filed) -> None:
    username, number = filed
    with client_for(app) as applicant:
        sign_in(applicant, username)
        assert applicant.get(f"/my/cases/{number}").status_code == 200
        with Statements(app) as statements:
            page = applicant.get(f"/my/cases/{number}")
        assert page.status_code == 200
    listing = "\n".join(statements.seen)
    assert len(statements.seen) <= APPLICANT_CASE_PAGE_CEILING, f"{len(statements.seen)} statements:\n{listing}"
    assert sum("FROM applications" in s for s in statements.seen) == 1, listing


def test_the_queue_page_reads_a_page_of_rows_with_few_statements(app: FastAPI, filed) -> None:
    with client_for(app) as staff:
        sign_in(staff, "caseworker@arg.example")
        for path in ("/staff/queue", "/staff/queue?programme=arg-web-2026", "/staff/queue?status=open"):
            with Statements(app) as statements:
                assert staff.get(path).status_code == 200
            listing = "\n".join(statements.seen)
            assert len(statements.seen) <= QUEUE_PAGE_CEILING, f"{path}: {len(statements.seen)} statements:\n{listing}"
            reads = [s for s in statements.seen if " applications" in s and s.startswith("SELECT")]
            assert reads and all("LIMIT" in s for s in reads), listing


def test_a_queue_search_by_name_reads_the_pages_applications_in_one_statement(app: FastAPI, filed) -> None:
    # Two more applicants with the same family name as `filed`'s, so the search lists several cases.
    for _ in range(2):
        with client_for(app) as client:
            register(client)
            apply(client, with_file=False)
    with client_for(app) as staff:
        sign_in(staff, "caseworker@arg.example")
        with Statements(app) as statements:
            page = staff.get("/staff/queue?q=quispe")
        assert page.status_code == 200
        listing = "\n".join(statements.seen)
        assert page.text.count("ARG-") >= 3, "the search should list the three applications"
        assert len(statements.seen) <= QUEUE_SEARCH_CEILING, f"{len(statements.seen)} statements:\n{listing}"
        assert sum("FROM applications" in s for s in statements.seen) == 1, listing
        # A list of numbers and statuses reads no case's state document, nor any application's answers.
        assert not [s for s in statements.seen if "cases.state" in s or "applications.applicant" in s], listing


def test_the_queue_reads_neither_case_states_nor_application_answers(app: FastAPI, filed) -> None:
    with client_for(app) as staff:
        sign_in(staff, "caseworker@arg.example")
        with Statements(app) as statements:
            page = staff.get("/staff/queue")
        assert page.status_code == 200 and filed[1] in page.text
    listing = "\n".join(statements.seen)
    assert not [s for s in statements.seen if "cases.state" in s or "applications.applicant" in s], listing


# --- the queue query itself ------------------------------------------------------------------------


def _fill(session, count_per_jurisdiction: int = 12) -> dict[str, list[int]]:
    """Regularization cases with applications in ARG and URY (interleaved), and cases of another kind
    without one; returns the case ids with an application, per jurisdiction, in id order."""
    from amparo.regularization.models import Application
    from tests.builders import make_case, make_person

    ids: dict[str, list[int]] = {"ARG": [], "URY": []}
    people = {code: make_person(session, code) for code in ids}
    for index in range(count_per_jurisdiction):
        for code in ("ARG", "URY"):
            case = make_case(session, people[code])
            programme = "prog-a" if index % 3 else "prog-b"
            session.add(Application(case_id=case.id, programme_id=programme, programme_version=1, filed_on=datetime.date(2026, 1, 1),
                                    applicant={}, declared_evidence=[], assessment={"overall": "incomplete"}))
            ids[code].append(case.id)
            if index % 4 == 0:
                make_case(session, people[code], kind="complaint")  # no application: never in the queue
    session.flush()
    return ids


def _all_pages(session, limit: int, **filters) -> list[int]:
    from amparo.regularization import repository

    seen: list[int] = []
    after = None
    args = {"programme_id": None, "statuses": None, "deadline_before": None, "assigned_to": None, **filters}
    while True:
        rows = repository.queue(session, "ARG", after=after, limit=limit, **args)
        seen.extend(case.id for case, _application in rows[:limit])
        assert all(application.case_id == case.id and case.jurisdiction_code == "ARG" for case, application in rows)
        if len(rows) <= limit:
            return seen
        after = (0, rows[limit - 1][0].id)


@pytest.mark.parametrize("chunk_max", [2, 2000])
def test_queue_pages_give_every_application_of_the_jurisdiction_once_in_order(session, monkeypatch, chunk_max: int) -> None:
    from amparo.cases.models import Case
    from amparo.regularization import repository
    from amparo.regularization.models import Application

    monkeypatch.setattr(repository, "_QUEUE_CHUNK_MAX", chunk_max)
    ids = _fill(session)
    for limit in (1, 5, 50):
        assert _all_pages(session, limit) == ids["ARG"]
        programme_b = [i for i in ids["ARG"] if session.get(Application, i).programme_id == "prog-b"]
        assert _all_pages(session, limit, programme_id="prog-b") == programme_b
        assert _all_pages(session, limit, statuses=["open"]) == [i for i in ids["ARG"] if session.get(Case, i).status == "open"]


def test_the_unfiltered_queue_reads_applications_in_key_order_and_never_scans_the_cases(session) -> None:
    """The first page's statements each carry a LIMIT of about a page, and on SQLite none of their
    plans scans `cases` or builds a Bloom filter over it (which reads the whole table)."""
    from amparo.regularization import repository

    _fill(session)
    captured: list[tuple[str, object]] = []
    connection = session.connection()

    def before(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        captured.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", before)
    try:
        for filters in ({}, {"programme_id": "prog-a"}):
            captured.clear()
            args = {"programme_id": None, "statuses": None, "deadline_before": None, "assigned_to": None, **filters}
            rows = repository.queue(session, "ARG", after=None, limit=3, **args)
            assert len(rows) == 4
            statements = list(captured)
            # Half the applications are Uruguay's, interleaved: a first chunk of 4, then one of 16.
            assert len(statements) == 4, statements
            assert all("FROM applications" in s and "LIMIT" in s for s, _p in statements[::2]), statements
            if connection.dialect.name == "sqlite":
                for statement, parameters in statements:
                    plan = " | ".join(row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
                    assert "SCAN cases" not in plan and "BLOOM FILTER" not in plan, plan
                    assert "SCAN applications" not in plan or "LIMIT" in statement, plan
    finally:
        event.remove(connection, "before_cursor_execute", before)
