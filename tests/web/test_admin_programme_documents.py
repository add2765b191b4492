"""The programme administrator's upload page with documents that cannot be read at all: a YAML syntax
error, a self-referencing alias, an alias bomb. Each comes back at once as a 422 page with the line,
the column, the parser's words (marked English) and what to do beside the document field; never a
500, never "None", and nothing is published."""

from __future__ import annotations

import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.programmes.test_hostile_documents import SELF_ALIAS, SYNTAX_ERROR, alias_bomb
from tests.web.conftest import parse
from tests.web.web_support import PROGRAMME, client_for, csrf, make_app, sign_in


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("admin-documents"))


@pytest.fixture
def admin(app: FastAPI):
    with client_for(app) as client:
        sign_in(client, "admin@arg.example")
        yield client


def post(admin: TestClient, text: str, action: str = "check", lang: str = "en", as_file: bool = False):
    page = admin.get(f"/admin/programmes?lang={lang}")
    data = {"action": action, "csrf_token": csrf(page.text)}
    if as_file:
        return admin.post(f"/admin/programmes?lang={lang}", data=data, files={"file": ("programme.yaml", text.encode(), "text/yaml")})
    return admin.post(f"/admin/programmes?lang={lang}", data={**data, "document": text}, follow_redirects=False)


def field_error(response) -> str:
    """The text beside the document field."""
    return parse(response.text).xpath("string(//p[@id='document-error'])").strip()


def test_syntax_error_is_shown_beside_the_document_with_line_column_and_what_to_do(admin: TestClient) -> None:
    response = post(admin, SYNTAX_ERROR)
    assert response.status_code == 422
    assert field_error(response) == (
        "Line 4, column 4: while parsing a flow sequence, did not find expected ',' or ']' — "
        "This is not valid YAML: check the indentation, quotes and brackets from line 3 to this line."
    )
    doc = parse(response.text)
    assert doc.xpath("//p[@id='document-error']//span[@lang='en']/text()") == ["while parsing a flow sequence, did not find expected ',' or ']'"]
    assert doc.xpath("//textarea[@id='document']/@aria-invalid") == ["true"]
    assert doc.xpath("//textarea[@id='document']/text()")[0].startswith("id: x")  # the input is kept
    assert doc.xpath("//div[@class='error-summary']//a/@href") == ["#document"]
    assert "None" not in doc.xpath("string(//main)")


def test_spanish_page_words_the_framing_and_keeps_the_parser_words_in_english(admin: TestClient) -> None:
    response = post(admin, "id: x\nwindow:\n\topens: 2021-01-01\n", lang="es")
    assert response.status_code == 422
    message = field_error(response)
    assert message.startswith("Línea 3, columna 1: while scanning for the next token, found character that cannot start any token — ")
    assert "sangría" in message and "tabuladores" in message


def test_self_referencing_alias_is_a_422_not_a_500(admin: TestClient) -> None:
    response = post(admin, "id: x\n" + SELF_ALIAS)
    assert response.status_code == 422
    assert field_error(response) == (
        "Line 2, column 4: &x — Anchors and aliases (&name / *name) are not allowed in a programme document; "
        "write the value out where it is needed."
    )
    assert parse(response.text).xpath("//p[@id='document-error']//code[@lang='en']/text()") == ["&x"]


@pytest.mark.parametrize("as_file", [False, True])
def test_alias_bomb_is_refused_at_once(admin: TestClient, as_file: bool) -> None:
    started = time.perf_counter()
    response = post(admin, alias_bomb(7), as_file=as_file)
    elapsed = time.perf_counter() - started
    assert response.status_code == 422
    assert elapsed < 1.0
    assert field_error(response).startswith("Line 1, column 5: &a0 — Anchors and aliases")


def test_an_unreadable_document_is_not_published(admin: TestClient) -> None:
    text = PROGRAMME.replace("arg-web-2026", "arg-alias-2026").replace("months: 24", "months: &m 24")
    response = post(admin, text, action="publish")
    assert response.status_code == 422
    assert field_error(response).startswith("Line ") and "Anchors and aliases" in field_error(response)
    assert "arg-alias-2026" not in admin.get("/admin/programmes").text


def test_a_valid_programme_still_checks_clean(admin: TestClient) -> None:
    response = post(admin, PROGRAMME.replace("arg-web-2026", "arg-valid-2026"))
    assert response.status_code == 200
    doc = parse(response.text)
    assert not doc.xpath("//p[@id='document-error']") and doc.xpath("//section[@aria-labelledby='report-title']")
