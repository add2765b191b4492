"""Filing step by step: a draft saved and resumed, each step validated with the input kept, only its
owner reaching it, filing through the regularization flow and the draft gone in the same
transaction; a draft whose programme closed says so. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.db_support import create_database, drop_database, race
from tests.web.conftest import parse
from tests.web.web_support import PROGRAMME, client_for, csrf, make_app, png_bytes, register, sign_in

#: A programme of Argentina whose window closed long ago (drafts for it are made as if started then).
CLOSED = (
    PROGRAMME.replace("id: arg-web-2026", "id: arg-closed-2020").replace("opens: 2026-01-01", "opens: 2020-01-01")
    .replace("closes: 2039-12-31", "closes: 2020-12-31").replace("before: 2026-06-01", "before: 2020-01-01")
    .replace("title: Web test programme of Argentina", "title: Closed test programme of Argentina")
)

#: A programme whose first version closed at the end of 2020 and whose second, in force since
#: 2026-01-01, reopened the window until 2039: a draft started under the first is filed under the second.
REOPENED_V1 = (
    CLOSED.replace("id: arg-closed-2020", "id: arg-reopened-2020")
    .replace("title: Closed test programme of Argentina", "title: Reopened test programme of Argentina")
)
REOPENED_V2 = (
    REOPENED_V1.replace("version: 1\n", "version: 2\neffective_from: 2026-01-01\n")
    .replace("closes: 2020-12-31", "closes: 2039-12-31")
)


@pytest.fixture(scope="module")
def app(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    folder = tmp_path_factory.mktemp(f"drafts-{backend}")
    url = create_database(backend, folder)
    application = make_app(folder, url)
    from amparo.regularization import service

    with application.state.sessionmaker() as db:
        for document in (CLOSED, REOPENED_V1, REOPENED_V2):
            service.publish_programme(db, None, document)
        db.commit()
    yield application
    application.state.engine.dispose()
    drop_database(url)


@pytest.fixture
def applicant(app: FastAPI) -> Iterator[TestClient]:
    with client_for(app) as client:
        client.username = register(client)  # type: ignore[attr-defined]
        yield client


def _start(client: TestClient, programme: str = "arg-web-2026") -> str:
    """Start a draft through the pages; returns its address without the step."""
    page = client.get("/my/drafts/new")
    assert page.status_code == 200
    response = client.post("/my/drafts", data={"programme_id": programme, "csrf_token": csrf(page.text)}, follow_redirects=False)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.endswith("/about")
    return location.rsplit("/", 1)[0]


def _step(client: TestClient, draft: str, step: str, action: str = "continue", **fields: str):
    page = client.get(f"{draft}/{step}")
    assert page.status_code == 200, page.text
    return client.post(f"{draft}/{step}", data={**fields, "action": action, "csrf_token": csrf(page.text)}, follow_redirects=False)


def _draft_row(app: FastAPI, draft: str):
    from amparo.regularization.drafts import ApplicationDraft

    with app.state.sessionmaker() as db:
        return db.get(ApplicationDraft, draft.rsplit("/", 1)[1])


def test_saved_after_step_two_the_draft_shows_on_the_start_page_and_resumes_at_step_three(app: FastAPI, applicant) -> None:
    draft = _start(applicant)
    done = _step(applicant, draft, "about", identity_kind="passport", identity_expires_on="2031-01-01", declares_no_record="true")
    assert done.status_code == 303 and done.headers["location"] == f"{draft}/residence"
    saved = _step(applicant, draft, "residence", action="save", arrived_on="2024-03-10")
    assert saved.status_code == 303 and saved.headers["location"] == "/my/cases"

    start = parse(applicant.get("/my/cases").text)
    card = start.xpath("//section[@aria-labelledby='drafts-title']//li")
    assert len(card) == 1
    assert "Web test programme of Argentina" in card[0].text_content()
    assert "At step 3 of 5: Work or studies" in " ".join(card[0].text_content().split())
    resume = start.xpath("//section[@aria-labelledby='drafts-title']//a/@href")[0]
    assert applicant.get(resume, follow_redirects=False).headers["location"] == f"{draft}/work"
    # What was saved comes back in the forms.
    assert parse(applicant.get(f"{draft}/residence").text).xpath("//input[@id='arrived_on']/@value") == ["2024-03-10"]
    about = parse(applicant.get(f"{draft}/about").text)
    assert about.xpath("//select[@id='identity_kind']/option[@selected]/@value") == ["passport"]
    assert about.xpath("//input[@id='declares_no_record']/@checked")


def test_a_wrong_date_comes_back_beside_its_field_with_the_input_kept_and_nothing_saved(app: FastAPI, applicant) -> None:
    draft = _start(applicant)
    future = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    for value, words in (("15/03/2019", "year-month-day"), (future, "in the future")):
        response = _step(applicant, draft, "residence", arrived_on=value)
        assert response.status_code == 422
        tree = parse(response.text)
        assert tree.xpath("//input[@id='arrived_on']/@aria-invalid") == ["true"]
        assert tree.xpath("//input[@id='arrived_on']/@value") == [value]
        assert words in tree.xpath("string(//p[@id='arrived_on-error'])")
        assert tree.xpath("//div[@class='error-summary']//a/@href") == ["#arrived_on"]
    assert _draft_row(app, draft).answers == {}
    # A document needs its kind and its date together.
    response = _step(applicant, draft, "evidence", evidence_kind="rental_contract")
    assert response.status_code == 422
    assert "date written on the document" in parse(response.text).xpath("string(//p[@id='evidence_dated-error'])")
    assert parse(response.text).xpath("//select[@id='evidence_kind']/option[@selected]/@value") == ["rental_contract"]
    response = _step(applicant, draft, "work", evidence_kind="a_forged_kind", evidence_dated="2024-01-01")
    assert response.status_code == 422
    assert _draft_row(app, draft).answers == {}


def test_starting_the_same_programme_again_resumes_the_open_draft(app: FastAPI, applicant) -> None:
    first = _start(applicant)
    _step(applicant, first, "about", identity_kind="passport")
    page = applicant.get("/my/drafts/new")
    again = applicant.post("/my/drafts", data={"programme_id": "arg-web-2026", "csrf_token": csrf(page.text)}, follow_redirects=False)
    assert again.headers["location"] == f"{first}/residence"
    assert len(parse(applicant.get("/my/cases").text).xpath("//section[@aria-labelledby='drafts-title']//li")) == 1


def test_only_the_owner_reaches_a_draft_and_every_access_is_journaled(app: FastAPI, applicant) -> None:
    from amparo.audit.models import AuditEntry

    draft = _start(applicant)
    _step(applicant, draft, "residence", arrived_on="2024-03-10")
    with client_for(app) as other:
        register(other)
        for step in ("", "/about", "/residence", "/review"):
            assert other.get(f"{draft}{step}", follow_redirects=False).status_code == 404
        token = csrf(other.get("/my/drafts/new").text)
        assert other.post(f"{draft}/residence", data={"arrived_on": "2020-01-01", "action": "continue", "csrf_token": token}).status_code == 404
        assert other.post(f"{draft}/review", data={"action": "file", "csrf_token": token}).status_code == 404
        assert other.post(f"{draft}/discard", data={"csrf_token": token}).status_code == 404
        assert "Web test programme" not in other.get("/my/cases").text
    with client_for(app) as staff:
        sign_in(staff, "caseworker@arg.example")
        assert staff.get(f"{draft}/about").status_code == 403
    assert _draft_row(app, draft).answers == {"residence": {"arrived_on": "2024-03-10"}}
    draft_id = draft.rsplit("/", 1)[1]
    with app.state.sessionmaker() as db:
        entries = db.scalars(select(AuditEntry).where(AuditEntry.object_type == "application_draft", AuditEntry.object_id == draft_id)).all()
    actions = {e.action for e in entries}
    assert {"application_draft:read", "application_draft:write"} <= actions
    assert all(e.purpose == "the applicant fills in their application" and e.username == applicant.username for e in entries)


def test_filing_the_draft_creates_the_case_with_its_evidence_and_deletes_the_draft(app: FastAPI, applicant) -> None:
    from amparo.regularization.drafts import ApplicationDraft

    draft = _start(applicant)
    _step(applicant, draft, "about", identity_kind="passport", identity_expires_on="2031-01-01", declares_no_record="true")
    _step(applicant, draft, "residence", arrived_on="2024-03-10")
    _step(applicant, draft, "work", evidence_kind="employment_record", evidence_dated="2024-06-01", description="Bakery")
    moved = _step(applicant, draft, "evidence", evidence_kind="rental_contract", evidence_dated="2025-02-01")
    assert moved.headers["location"] == f"{draft}/review"
    review = applicant.get(f"{draft}/review")
    tree = parse(review.text)
    answers = " ".join(tree.xpath("string(//dl[@class='answers'])").split())
    assert "Passport" in answers and "A rental contract" in answers and "Bakery" in answers
    filed = applicant.post(f"{draft}/review", data={"action": "file", "csrf_token": csrf(review.text)},
                           files={"evidence_file": ("contrato.png", png_bytes(), "image/png")}, follow_redirects=False)
    assert filed.status_code == 303, filed.text
    number = filed.headers["location"].rsplit("/", 1)[1]
    case = parse(applicant.get(f"/my/cases/{number}").text)
    steps = [t.strip() for t in case.xpath("//ol[@class='timeline']/li/p[@class='timeline-what']/text()")]
    assert steps == ["Case opened", "Application filed", "Evidence added"]
    assert case.xpath("//table[@class='data']//td[contains(., 'contrato.png')]")
    draft_id = draft.rsplit("/", 1)[1]
    with app.state.sessionmaker() as db:
        assert db.scalar(select(func.count()).select_from(ApplicationDraft).where(ApplicationDraft.id == draft_id)) == 0
        from amparo.regularization import repository
        from amparo.cases.models import Case

        row = repository.application(db, db.scalars(select(Case.id).where(Case.number == number)).one())
        assert [e["kind"] for e in row.declared_evidence] == ["employment_record", "rental_contract"]
        assert row.applicant["identity_document"]["kind"] == "passport" and row.applicant["arrived_on"] == "2024-03-10"
    assert applicant.get(draft + "/review").status_code == 404
    assert "drafts-title" not in applicant.get("/my/cases").text


def test_a_refused_filing_keeps_the_draft(app: FastAPI, applicant) -> None:
    first = _start(applicant)
    review = applicant.get(f"{first}/review")
    assert applicant.post(f"{first}/review", data={"action": "file", "csrf_token": csrf(review.text)}, follow_redirects=False).status_code == 303
    # A second draft for the same programme is allowed (the first became a case) but cannot be filed twice.
    second = _start(applicant)
    review = applicant.get(f"{second}/review")
    refused = applicant.post(f"{second}/review", data={"action": "file", "csrf_token": csrf(review.text)})
    assert refused.status_code == 409
    assert "already have an application pending" in parse(refused.text).xpath("string(//p[@id='action-error'])")
    assert _draft_row(app, second) is not None


def test_a_draft_for_a_closed_window_says_so_on_submit_and_is_kept(app: FastAPI, applicant) -> None:
    from amparo.auth import repository as users
    from amparo.regularization import drafts

    with app.state.sessionmaker() as db:
        actor = users.actor_for(users.get_user_by_username(db, applicant.username))
        draft, _created = drafts.start(db, actor, "arg-closed-2020", "test set-up: a draft started while the window was open",
                                       on=datetime.date(2020, 6, 1))
        draft_id = draft.id
        db.commit()
    # It can no longer be started today.
    page = applicant.get("/my/drafts/new")
    assert "arg-closed-2020" not in page.text
    refused = applicant.post("/my/drafts", data={"programme_id": "arg-closed-2020", "csrf_token": csrf(page.text)})
    assert refused.status_code == 422 and "not open for applications today" in refused.text
    review = applicant.get(f"/my/drafts/{draft_id}/review")
    warning = " ".join(parse(review.text).xpath("string(//p[@class='warning'])").split())
    assert "no longer open for applications" in warning and "2020" in warning
    response = applicant.post(f"/my/drafts/{draft_id}/review", data={"action": "file", "csrf_token": csrf(review.text)})
    assert response.status_code == 422
    assert "no longer open for applications" in parse(response.text).xpath("string(//p[@id='action-error'])")
    assert _draft_row(app, f"/my/drafts/{draft_id}") is not None


def test_a_draft_started_under_a_closed_version_is_judged_by_the_version_in_force_and_files(app: FastAPI, applicant) -> None:
    from amparo.auth import repository as users
    from amparo.regularization import drafts

    with app.state.sessionmaker() as db:
        actor = users.actor_for(users.get_user_by_username(db, applicant.username))
        draft, _created = drafts.start(db, actor, "arg-reopened-2020", "test set-up: a draft started under version 1",
                                       on=datetime.date(2020, 6, 1))
        draft_id, started_under = draft.id, draft.programme_version
        db.commit()
    assert started_under == 1
    review = applicant.get(f"/my/drafts/{draft_id}/review")
    page = parse(review.text)
    # Version 1's window closed in 2020, but a filing today meets version 2's, which is open.
    assert page.xpath("//p[@class='warning']") == []
    assert "rules of this programme were updated" in page.xpath("string(//p[@id='rules-updated'])")
    response = applicant.post(f"/my/drafts/{draft_id}/review", data={"action": "file", "csrf_token": csrf(review.text)},
                              follow_redirects=False)
    assert response.status_code == 303, response.text
    assert _draft_row(app, f"/my/drafts/{draft_id}") is None
    from amparo.cases.models import Case

    number = response.headers["location"].rsplit("/", 1)[1]
    with app.state.sessionmaker() as db:
        case = db.scalars(select(Case).where(Case.number == number)).one()
        assert (case.state["programme"]["id"], case.state["programme"]["version"]) == ("arg-reopened-2020", 2)


def test_a_draft_under_the_version_in_force_has_no_rules_notice(app: FastAPI, applicant) -> None:
    draft = _start(applicant)
    page = parse(applicant.get(f"{draft}/review").text)
    assert page.xpath("//p[@id='rules-updated']") == [] and page.xpath("//p[@class='warning']") == []


def test_filing_a_draft_takes_its_locks_in_the_order_every_filing_does(app: FastAPI, applicant) -> None:
    """Person, then case number, then the audit chain's head. A draft submit that journaled its
    read first held the head from the start and could deadlock on PostgreSQL with a filing that held
    the case-number counter and waited for the head."""
    from sqlalchemy import event

    draft = _start(applicant)
    review = applicant.get(f"{draft}/review")
    seen: list[str] = []

    def _before(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        seen.append(" ".join(statement.split()))

    event.listen(app.state.engine, "before_cursor_execute", _before)
    try:
        filed = applicant.post(f"{draft}/review", data={"action": "file", "csrf_token": csrf(review.text)}, follow_redirects=False)
    finally:
        event.remove(app.state.engine, "before_cursor_execute", _before)
    assert filed.status_code == 303, filed.text

    def first(fragment: str) -> int:
        return next(i for i, statement in enumerate(seen) if fragment in statement)

    person_lock = first("SELECT persons.id FROM persons WHERE persons.id =")
    counter = first("case_number_counters")
    head = first("FROM audit_head")
    assert person_lock < counter < head, "\n".join(seen)


def test_a_draft_can_be_deleted_by_its_owner(app: FastAPI, applicant) -> None:
    draft = _start(applicant)
    review = applicant.get(f"{draft}/review")
    deleted = applicant.post(f"{draft}/discard", data={"csrf_token": csrf(review.text)}, follow_redirects=False)
    assert deleted.status_code == 303
    assert _draft_row(app, draft) is None
    assert applicant.get(f"{draft}/about").status_code == 404


def test_draft_pages_label_every_field_and_mark_the_current_step(app: FastAPI, applicant) -> None:
    draft = _start(applicant)
    for index, step in enumerate(("about", "residence", "work", "evidence", "review"), start=1):
        tree = parse(applicant.get(f"{draft}/{step}").text)
        labelled = {label.get("for") for label in tree.iter("label")}
        for control in tree.xpath("//input[not(@type='hidden') and not(@type='submit')] | //select | //textarea"):
            assert control.get("id") in labelled, f"{step}: {control.get('name')} has no label"
        assert re.match(rf"Step {index} of 5", tree.xpath("string(//h1)"))
        assert len(tree.xpath("//ol[@class='steps']/li[@aria-current='step']")) == 1
        assert tree.xpath("//button[@value='save']")
    arabic = applicant.get(f"{draft}/about?lang=ar")
    assert parse(arabic.text).xpath("//html/@dir") == ["rtl"]


def test_the_download_of_everything_held_includes_the_drafts_answers(app: FastAPI, applicant) -> None:
    import json

    draft = _start(applicant)
    _step(applicant, draft, "residence", arrived_on="2024-03-10")
    exported = json.loads(applicant.get("/my/data.json").text)
    (saved,) = exported["drafts"]
    assert saved["programme_id"] == "arg-web-2026" and saved["step"] == "work"
    assert saved["answers"] == {"residence": {"arrived_on": "2024-03-10"}}


def test_two_starts_at_once_make_one_draft(app: FastAPI, applicant) -> None:
    """Two tabs starting the same programme at the same moment: the second resumes the first's draft."""
    import threading

    from amparo.auth import repository as users
    from amparo.regularization import drafts
    with app.state.sessionmaker() as db:
        actor = users.actor_for(users.get_user_by_username(db, applicant.username))
    barrier, results, errors = threading.Barrier(2), [], []

    def start() -> None:
        try:
            with app.state.sessionmaker() as db:
                barrier.wait(timeout=10)
                draft, _created = drafts.start(db, actor, "arg-web-2026", "test: two tabs")
                db.commit()
                results.append(draft.id)
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and len(set(results)) == 1


def test_the_draft_service_refuses_every_role_but_the_applicants_own(app: FastAPI, applicant) -> None:
    from amparo.auth import repository as users
    from amparo.errors import Forbidden
    from amparo.regularization import drafts

    draft_id = _start(applicant).rsplit("/", 1)[1]
    with app.state.sessionmaker() as db:
        staff = users.actor_for(users.get_user_by_username(db, "caseworker@arg.example"))
        with pytest.raises(Forbidden):
            drafts.get(db, staff, draft_id, "casework")
        assert drafts.list_own(db, staff, "casework") == []
        db.rollback()


def test_two_steps_saved_at_once_keep_both_answers(app: FastAPI, applicant) -> None:
    """Two tabs: the second save waits for the first and adds its step to the answers the first
    saved, instead of writing back the answers it read before the first committed."""
    from sqlalchemy.orm import Session

    from amparo.auth import repository as users
    from amparo.regularization import drafts

    draft_id = _start(applicant).rsplit("/", 1)[-1]
    with Session(app.state.engine) as db:
        actor = users.actor_for(users.get_user_by_username(db, applicant.username))
    about = {"identity_kind": "passport", "declares_no_record": True}
    residence = {"arrived_on": "2024-03-10"}
    waited, second = race(
        app.state.sessionmaker,  # the writing requests' sessions
        lambda db: drafts.save_step(db, actor, draft_id, "about", about, "residence", "test: the first tab"),
        lambda db: drafts.save_step(db, actor, draft_id, "residence", residence, "work", "test: the second tab"),
    )
    assert second == "done"
    assert waited, "the second save did not wait for the first"
    with Session(app.state.engine) as db:
        saved = db.get(drafts.ApplicationDraft, draft_id).answers
    assert saved == {"about": about, "residence": residence}


def test_one_saved_step_locks_the_draft_once_and_journals_one_write(app: FastAPI, applicant) -> None:
    """The page used to read the draft (locked, journaled) to choose the step to resume at, then the
    service read it again: two locks and two read entries beside the write for every "Continue".
    Now the service alone locks it and journals the save; a form sent back with errors is one read."""
    from sqlalchemy import event

    draft = _start(applicant)
    draft_id = draft.rsplit("/", 1)[1]
    _step(applicant, draft, "about", identity_kind="passport")
    _step(applicant, draft, "residence", arrived_on="2024-03-10")

    def journal() -> list[tuple[str, dict | None]]:
        return _journal(app, draft_id)

    page = applicant.get(f"{draft}/about")  # going back to correct the first step
    before = journal()
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_rest) -> None:  # noqa: ANN001
        seen.append(statement)

    event.listen(app.state.engine, "before_cursor_execute", count)
    try:
        saved = applicant.post(f"{draft}/about", data={"identity_kind": "national_id_card", "action": "continue",
                                                       "csrf_token": csrf(page.text)}, follow_redirects=False)
    finally:
        event.remove(app.state.engine, "before_cursor_execute", count)
    assert saved.status_code == 303 and saved.headers["location"] == f"{draft}/residence"
    assert journal()[len(before):] == [("application_draft:write", {"step": "about", "next": "work"})]
    assert sum("FROM application_drafts" in statement for statement in seen) == 1, seen
    # Saved, and still resumed at the furthest step reached.
    assert _draft_row(app, draft).step == "work"

    before = journal()
    refused = _step(applicant, draft, "residence", arrived_on="15/03/2019")
    assert refused.status_code == 422
    assert [action for action, _detail in journal()[len(before):]] == ["application_draft:read"] * 2  # the page, then the refusal


def _journal(app: FastAPI, draft_id: str) -> list[tuple[str, dict | None]]:
    """The draft's journal entries, oldest first: (action, detail)."""
    from amparo.audit.models import AuditEntry

    with app.state.sessionmaker() as db:
        entries = db.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "application_draft", AuditEntry.object_id == draft_id)
            .order_by(AuditEntry.id)
        ).all()
        return [(e.action, e.detail) for e in entries]


def _draft_statements(app: FastAPI, send):  # noqa: ANN001, ANN202
    """The response to `send()` and the statements it ran on the draft's table: (reads, of which locking)."""
    from sqlalchemy import event

    reads: list[str] = []
    locking: list[str] = []

    def watch(_conn, _cursor, statement, _parameters, context, _executemany) -> None:  # noqa: ANN001
        if not statement.lstrip().upper().startswith("SELECT") or "FROM application_drafts" not in statement:
            return
        reads.append(statement)
        # As the engine tells a locking read on SQLite, whose compiler drops FOR UPDATE.
        if context.compiled is not None and getattr(context.compiled.statement, "_for_update_arg", None) is not None:
            locking.append(statement)

    event.listen(app.state.engine, "before_cursor_execute", watch)
    try:
        response = send()
    finally:
        event.remove(app.state.engine, "before_cursor_execute", watch)
    return response, reads, locking


def test_discarding_a_draft_locks_it_once_and_journals_the_discard_alone(app: FastAPI, applicant) -> None:
    """The discard read the draft through `drafts.get`, journaled as a read, then journaled the
    discard: two entries for one act. Now the one locked read is journaled by the discard's entry."""
    draft = _start(applicant)
    draft_id = draft.rsplit("/", 1)[1]
    page = applicant.get(f"{draft}/review")
    before = _journal(app, draft_id)
    deleted, reads, locking = _draft_statements(
        app, lambda: applicant.post(f"{draft}/discard", data={"csrf_token": csrf(page.text)}, follow_redirects=False)
    )
    assert deleted.status_code == 303 and _draft_row(app, draft) is None
    assert _journal(app, draft_id)[len(before):] == [("application_draft:discard", {"programme": "arg-web-2026@1"})]
    assert len(reads) == len(locking) == 1, reads


def test_saving_on_the_review_page_reads_the_draft_once_and_locks_nothing(app: FastAPI, applicant) -> None:
    """"Save and continue later" on the last page saves nothing (each step was saved as it was sent):
    it used to lock the draft as a filing does and journal a read; it is one read, journaled once."""
    draft = _start(applicant)
    draft_id = draft.rsplit("/", 1)[1]
    page = applicant.get(f"{draft}/review")
    before = _journal(app, draft_id)
    saved, reads, locking = _draft_statements(app, lambda: applicant.post(
        f"{draft}/review", data={"action": "save", "csrf_token": csrf(page.text)}, follow_redirects=False
    ))
    assert saved.status_code == 303 and saved.headers["location"] == "/my/cases"
    assert [action for action, _detail in _journal(app, draft_id)[len(before):]] == ["application_draft:read"]
    assert len(reads) == 1 and locking == [], reads


def test_a_review_sent_back_with_errors_is_one_read_and_locks_nothing(app: FastAPI, applicant) -> None:
    """A review form refused before any filing (an action the page does not offer) shows the draft
    again beside the error: a read, journaled once, and nothing to lock."""
    draft = _start(applicant)
    draft_id = draft.rsplit("/", 1)[1]
    page = applicant.get(f"{draft}/review")
    before = _journal(app, draft_id)
    refused, reads, locking = _draft_statements(app, lambda: applicant.post(
        f"{draft}/review", data={"action": "withdraw", "csrf_token": csrf(page.text)}, follow_redirects=False
    ))
    assert refused.status_code == 422
    assert [action for action, _detail in _journal(app, draft_id)[len(before):]] == ["application_draft:read"]
    assert len(reads) == 1 and locking == [], reads
    assert _draft_row(app, draft) is not None


def test_a_file_without_its_document_locks_the_draft_once_and_journals_one_read(app: FastAPI, applicant) -> None:
    """A file sent with no document named in the step before: the draft is locked once, to be filed,
    and, refused, journaled as what happened to it: one read."""
    draft = _start(applicant)
    draft_id = draft.rsplit("/", 1)[1]
    page = applicant.get(f"{draft}/review")
    before = _journal(app, draft_id)
    refused, reads, locking = _draft_statements(app, lambda: applicant.post(
        f"{draft}/review", data={"action": "file", "csrf_token": csrf(page.text)},
        files={"evidence_file": ("contrato.png", png_bytes(), "image/png")}, follow_redirects=False,
    ))
    assert refused.status_code == 422
    assert "in the step before" in " ".join(parse(refused.text).xpath("string(//div[@class='error-summary'])").split())
    assert [action for action, _detail in _journal(app, draft_id)[len(before):]] == ["application_draft:read"]
    assert len(reads) == len(locking) == 1, reads
    assert _draft_row(app, draft) is not None
