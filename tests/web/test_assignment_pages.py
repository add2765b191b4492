"""Who works a case, through the real app: a supervisor's assignment refused beside the username it
names, with the input kept, on the page it was sent from; the case page offering the decision and
information forms only to whoever the scope table lets use them, and saying who the case is
assigned to otherwise; the queue naming each row's applicant and assignee in one statement a page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from tests.db_support import create_database, drop_database
from tests.web.conftest import parse
from tests.web.test_page_queries import QUEUE_PAGE_CEILING, QUEUE_SEARCH_CEILING, STAFF_CASE_PAGE_CEILING, Statements
from tests.web.web_support import apply, assign, client_for, csrf, make_app, register, sign_in


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    application = make_app(tmp_path_factory.mktemp("assignment"))
    from amparo.auth import repository as users
    from amparo.auth.policy import Role

    with application.state.sessionmaker() as db:
        users.create_user(db, "caseworker2@arg.example", "a long enough password 123", Role.CASEWORKER, "ARG")
        db.commit()
    return application


def _filed(app: FastAPI, **person: str) -> str:
    with client_for(app) as client:
        register(client, **person)
        return apply(client, with_file=False)


@pytest.fixture
def supervisor(app: FastAPI):
    with client_for(app) as client:
        sign_in(client, "supervisor@arg.example")
        yield client


def _assign_form(page_text: str, number: str) -> dict[str, str]:
    tree = parse(page_text)
    (form,) = tree.xpath(f"//form[@action='/supervisor/cases/{number}/assign']")
    return {"version": form.xpath(".//input[@name='version']/@value")[0], "csrf_token": csrf(page_text)}


# --- the supervisor's assignment -------------------------------------------------------------------


def test_an_unknown_username_comes_back_beside_the_field_with_the_input_kept(supervisor, app: FastAPI) -> None:
    number = _filed(app)
    queue = supervisor.get("/supervisor/sign-off")
    refused = supervisor.post(f"/supervisor/cases/{number}/assign", data={**_assign_form(queue.text, number), "username": "nobody@arg.example"},
                              follow_redirects=False)
    assert refused.status_code == 422
    tree = parse(refused.text)
    (form,) = tree.xpath(f"//form[@action='/supervisor/cases/{number}/assign']")
    (field,) = form.xpath(".//input[@name='username']")
    assert field.get("value") == "nobody@arg.example" and field.get("aria-invalid") == "true"
    error = form.xpath(f"string(.//p[@id='{field.get('aria-describedby')}'])").strip()
    assert error == "No staff member with the username “nobody@arg.example”."
    assert tree.xpath("//div[@class='error-summary']//a/@href") == [f"#{field.get('id')}"]
    # Only that case's form is marked; nothing was assigned.
    assert len(tree.xpath("//input[@aria-invalid='true']")) == 1
    assert number in parse(supervisor.get("/supervisor/sign-off").text).xpath("string(//ul[@class='card-list'])")


def test_an_account_of_the_wrong_role_is_named_with_its_role_in_words(supervisor, app: FastAPI) -> None:
    number = _filed(app)
    with client_for(app) as other:
        applicant = register(other)
    queue = supervisor.get("/supervisor/sign-off")
    refused = supervisor.post(f"/supervisor/cases/{number}/assign", data={**_assign_form(queue.text, number), "username": applicant})
    assert refused.status_code == 422
    form = parse(refused.text).xpath(f"//form[@action='/supervisor/cases/{number}/assign']")[0]
    assert form.xpath(".//input[@name='username']/@value") == [applicant]
    error = " ".join(form.xpath("string(.//p[@class='field-error'])").split())
    assert error == (f"“{applicant}” is an applicant, not a caseworker: only caseworkers, supervisors and complaints officers "
                     "can be assigned cases.")
    assert "user 1" not in refused.text and "a applicant" not in refused.text


def test_the_refusal_is_in_the_supervisors_language(supervisor, app: FastAPI) -> None:
    number = _filed(app)
    queue = supervisor.get("/supervisor/sign-off?lang=es")
    refused = supervisor.post(f"/supervisor/cases/{number}/assign", data={**_assign_form(queue.text, number), "username": "nadie"})
    assert refused.status_code == 422
    error = parse(refused.text).xpath("string(//form[contains(@action, '/assign')]//p[@class='field-error'])").strip()
    assert error == "No hay ninguna persona del personal con el nombre de usuario «nadie»."


def test_a_stale_case_version_says_the_case_changed(supervisor, app: FastAPI) -> None:
    number = _filed(app)
    queue = supervisor.get("/supervisor/sign-off")
    stale = {**_assign_form(queue.text, number), "version": "1", "username": "caseworker@arg.example"}
    refused = supervisor.post(f"/supervisor/cases/{number}/assign", data=stale)
    assert refused.status_code == 409
    form = parse(refused.text).xpath(f"//form[@action='/supervisor/cases/{number}/assign']")[0]
    assert form.xpath("string(.//p[@class='field-error'])").strip() == "The case changed meanwhile; check it and assign again."
    assert form.xpath(".//input[@name='username']/@value") == ["caseworker@arg.example"]
    # The form carries the case's current version: sent again, it assigns.
    again = supervisor.post(f"/supervisor/cases/{number}/assign", data={**_assign_form(refused.text, number), "username": "caseworker@arg.example"},
                            follow_redirects=False)
    assert again.status_code == 303


def test_assigning_from_the_case_page_comes_back_there(supervisor, app: FastAPI) -> None:
    number = _filed(app)
    page = supervisor.get(f"/staff/cases/{number}")
    form = parse(page.text).xpath("//form[contains(@action, '/assign')]")[0]
    fields = {i.get("name"): i.get("value") or "" for i in form.xpath(".//input[@type='hidden']")}
    refused = supervisor.post(form.get("action"), data={**fields, "username": "nobody"})
    assert refused.status_code == 422
    tree = parse(refused.text)
    assert tree.xpath("//input[@id='username']/@value") == ["nobody"]
    assert tree.xpath("//input[@id='username']/@aria-invalid") == ["true"]
    assert tree.xpath("string(//p[@id='username-error'])").strip() == "No staff member with the username “nobody”."
    done = supervisor.post(form.get("action"), data={**fields, "username": "caseworker@arg.example"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/staff/cases/{number}"
    assert "The case was assigned to “caseworker@arg.example”." in supervisor.get(done.headers["location"]).text


# --- the case page offers only what the viewer may do ---------------------------------------------


def _forms(page_text: str) -> list[str]:
    return [a.rsplit("/", 1)[1] for a in parse(page_text).xpath("//form[@method='post']/@action")]


def test_a_caseworker_sees_no_decision_form_on_a_case_not_assigned_to_them(app: FastAPI) -> None:
    unassigned = _filed(app)
    theirs = _filed(app)
    assign(app, theirs, "caseworker2@arg.example")
    with client_for(app) as caseworker:
        sign_in(caseworker, "caseworker@arg.example")
        page = caseworker.get(f"/staff/cases/{unassigned}")
        assert page.status_code == 200
        assert not {"decision", "request-information", "assign"} & set(_forms(page.text))
        status = " ".join(parse(page.text).xpath("string(//p[@id='assignment-status'])").split())
        assert status.startswith("This case is not assigned to anyone yet.")
        assert "Ask a supervisor to assign it to you." in page.text
        other = caseworker.get(f"/staff/cases/{theirs}")
        assert not {"decision", "request-information"} & set(_forms(other.text))
        assert "This case is assigned to caseworker2@arg.example." in " ".join(parse(other.text).xpath("string(//p[@id='assignment-status'])").split())


def test_the_assigned_caseworker_sees_both_forms_and_no_assignment_notice(app: FastAPI) -> None:
    number = _filed(app)
    assign(app, number)
    with client_for(app) as caseworker:
        sign_in(caseworker, "caseworker@arg.example")
        page = caseworker.get(f"/staff/cases/{number}")
        assert {"decision", "request-information"} <= set(_forms(page.text))
        assert not parse(page.text).xpath("//section[@aria-labelledby='assignment-title']")


def test_a_supervisor_is_told_who_has_the_case_and_can_assign_it(supervisor, app: FastAPI) -> None:
    number = _filed(app)
    assign(app, number)
    page = supervisor.get(f"/staff/cases/{number}")
    forms = set(_forms(page.text))
    assert "assign" in forms and not {"decision", "request-information"} & forms
    status = " ".join(parse(page.text).xpath("string(//p[@id='assignment-status'])").split())
    assert status.startswith("This case is assigned to caseworker@arg.example.")
    # Assigned to themselves, the forms appear.
    fields = {i.get("name"): i.get("value") or "" for i in parse(page.text).xpath("//form[contains(@action, '/assign')]//input[@type='hidden']")}
    assert supervisor.post(f"/supervisor/cases/{number}/assign", data={**fields, "username": "supervisor@arg.example"},
                           follow_redirects=False).status_code == 303
    assert {"decision", "request-information"} <= set(_forms(supervisor.get(f"/staff/cases/{number}").text))


def test_the_page_of_someone_elses_case_reads_the_assignee_once(app: FastAPI) -> None:
    number = _filed(app)
    assign(app, number, "caseworker2@arg.example")
    with client_for(app) as caseworker:
        sign_in(caseworker, "caseworker@arg.example")
        assert caseworker.get(f"/staff/cases/{number}").status_code == 200
        with Statements(app) as statements:
            assert caseworker.get(f"/staff/cases/{number}").status_code == 200
        listing = "\n".join(statements.seen)
        assert sum(s.startswith("SELECT users.") and "auth_tokens" not in s for s in statements.seen) == 1, listing
        assert len(statements.seen) <= STAFF_CASE_PAGE_CEILING + 1, listing
        # Nobody to name on an unassigned case: the page reads no one.
        unassigned = _filed(app)
        caseworker.get(f"/staff/cases/{unassigned}")
        with Statements(app) as statements:
            assert caseworker.get(f"/staff/cases/{unassigned}").status_code == 200
        assert len(statements.seen) <= STAFF_CASE_PAGE_CEILING, "\n".join(statements.seen)


# --- the queue names the applicant and the assignee ------------------------------------------------


@pytest.fixture(scope="module")
def counted_app(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    folder = tmp_path_factory.mktemp(f"queue-names-{backend}")
    url = create_database(backend, folder)
    application = make_app(folder, url)
    yield application
    application.state.engine.dispose()
    drop_database(url)


def _rows(text: str) -> dict[str, tuple[str, str]]:
    """case number -> (applicant's name, assignee) as the queue shows them."""
    rows = {}
    for tr in parse(text).xpath("//table[contains(@class, 'queue')]/tbody/tr"):
        number = tr.xpath("string(td[1]/a)").strip()
        (name,) = tr.xpath("td[@class='applicant']")
        assert name.get("dir") == "auto"
        rows[number] = (name.text_content().strip(), " ".join(tr.xpath("string(td[@class='assignee'])").split()))
    return rows


def test_queue_rows_name_the_applicant_and_the_assignee_in_one_statement_a_page(counted_app: FastAPI) -> None:
    names = [("Wendy Mirian", "Quispe Mamani"), ("José Ángel", "Quispe Ñahui"), ("مريم", "Quispe Haddad"), ("Ana", "Quispe Rojas")]
    numbers = [_filed(counted_app, given_names=g, family_names=f) for g, f in names]
    assign(counted_app, numbers[1])
    assign(counted_app, numbers[2], "supervisor@arg.example")
    expected = {
        numbers[0]: ("Wendy Mirian Quispe Mamani", "Not assigned"),
        numbers[1]: ("José Ángel Quispe Ñahui", "caseworker@arg.example"),
        numbers[2]: ("مريم Quispe Haddad", "supervisor@arg.example"),
        numbers[3]: ("Ana Quispe Rojas", "Not assigned"),
    }
    with client_for(counted_app) as staff:
        sign_in(staff, "caseworker@arg.example")
        for path, ceiling in (("/staff/queue", QUEUE_PAGE_CEILING), ("/staff/queue?q=quispe", QUEUE_SEARCH_CEILING)):
            staff.get(path)
            with Statements(counted_app) as statements:
                page = staff.get(path)
            listing = "\n".join(statements.seen)
            assert page.status_code == 200
            assert {n: r for n, r in _rows(page.text).items() if n in expected} == expected, path
            # One statement reads every row's person and assignee, however many rows the page has.
            assert sum("FROM persons" in s or "JOIN persons" in s for s in statements.seen) == 1, listing
            assert sum(re.search(r"\busers\b", s) is not None and "auth_tokens" not in s for s in statements.seen) == 1, listing
            assert len(statements.seen) <= ceiling, f"{path}: {len(statements.seen)} statements:\n{listing}"
