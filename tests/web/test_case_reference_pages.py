"""Case pages and API routes answer 404 for a numeric reference no case can have (past the database's
BigInteger ids, or more digits than `int()` converts), as for any unknown case: never a 500. On SQLite
and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from tests.db_support import create_database, drop_database
from tests.web.web_support import apply, client_for, make_app, register, sign_in

REFERENCES = ["99999999999999999999", str(2**63), "9" * 5000]


@pytest.fixture(scope="module")
def app(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    folder = tmp_path_factory.mktemp(f"references-{backend}")
    url = create_database(backend, folder)
    application = make_app(folder, url)
    yield application
    application.state.engine.dispose()
    drop_database(url)


@pytest.mark.parametrize("reference", REFERENCES, ids=["20-digits", "one-past-bigint", "5000-digits"])
def test_a_reference_past_the_id_range_is_not_found_on_every_case_page(app: FastAPI, reference: str) -> None:
    with client_for(app) as applicant:
        register(applicant)
        number = apply(applicant, with_file=False)
        assert applicant.get(f"/my/cases/{number}").status_code == 200
        for path in (f"/my/cases/{reference}", f"/my/cases/{reference}/certificate.pdf", f"/my/cases/{reference}/invite"):
            response = applicant.get(path)
            assert response.status_code == 404, (path[:40], response.status_code)
    for username, pages in (("caseworker@arg.example", ["/staff/cases/{}"]), ("supervisor@arg.example", ["/supervisor/cases/{}", "/staff/cases/{}"])):
        with client_for(app) as staff:
            sign_in(staff, username)
            for page in pages:
                assert staff.get(page.format(reference)).status_code == 404, page
            for route in ("/api/v1/cases/{}", "/api/v1/cases/{}/actions", "/api/v1/cases/{}/evidence"):
                response = staff.get(route.format(reference), headers={"accept": "application/json"})
                assert response.status_code == 404, route
                assert response.json()["error"] == "not_found"


@pytest.mark.parametrize("reference", ["99999999999999999999", str(2**63)], ids=["20-digits", "one-past-bigint"])
def test_a_person_id_or_assignee_past_the_id_range_is_not_found_or_invalid_not_a_500(app: FastAPI, reference: str) -> None:
    with client_for(app) as staff:
        sign_in(staff, "caseworker@arg.example")
        person = staff.get(f"/api/v1/persons/{reference}", headers={"accept": "application/json"})
        assert person.status_code == 404 and person.json()["error"] == "not_found"
        queue = staff.get(f"/api/v1/queue?assigned_to={reference}", headers={"accept": "application/json"})
        assert queue.status_code == 422 and queue.json()["details"][0]["field"].endswith("assigned_to")
