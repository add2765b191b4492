"""`/verify`: the form the certificate points to (“open …/verify/ followed by the code”). Pasting the
code, or the whole address, as it comes out of a PDF gives the same verdict as `/verify/{token}`; a
bad code comes back beside the field, never as a 500; the pasted code never reaches the access log."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

import amparo.web.views.verify as verify
from amparo.certificates.pdf import group_token
from tests.web.conftest import parse
from tests.web.web_support import apply, client_for, make_app, register


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("verify-form"))


@pytest.fixture(scope="module")
def token(app: FastAPI) -> str:
    """The certificate token of an application filed through the pages."""
    from amparo.cases.models import Case
    from amparo.regularization import repository

    with client_for(app) as client:
        register(client, given_names="Wendy Mirian", family_names="Quispe Mamani")
        number = apply(client, with_file=False)
    with app.state.sessionmaker() as db:
        case = db.scalars(select(Case).where(Case.number == number)).one()
        certificate = repository.latest_certificate(db, case.id)
        assert certificate is not None
        return certificate.token


@pytest.fixture
def visitor(app: FastAPI):
    with client_for(app) as client:  # nobody signed in: anyone may check a certificate
        yield client


def _field(tree) -> tuple[list[str], str]:
    return tree.xpath("//textarea[@id='code']/@aria-invalid"), tree.xpath("string(//p[@id='code-error'])")


@pytest.mark.parametrize("path", ["/verify", "/verify/"])
def test_the_form_is_a_public_page_with_a_labelled_field(visitor: TestClient, path: str) -> None:
    response = visitor.get(path)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store" and response.headers["referrer-policy"] == "no-referrer"
    tree = parse(response.text)
    (form,) = tree.xpath("//form[@action='/verify']")
    assert form.get("method") == "get"
    assert tree.xpath("//label[@for='code']/text()") == ["Certificate code or address"]
    assert tree.xpath("//textarea[@id='code']/@name") == ["code"]
    assert "code-hint" in tree.xpath("string(//textarea[@id='code']/@aria-describedby)")
    assert tree.xpath("//meta[@name='viewport']")


def _pastes(token: str, base: str) -> dict[str, str]:
    address = f"{base}/verify/{token}"
    return {
        "bare": token,
        "address": address,
        "address-with-query": address + "?lang=fr#top",
        "printed-groups-wrapped": "\n".join(group_token(token)[i : i + 60] for i in range(0, len(group_token(token)), 60)),
        "address-wrapped-from-pdf": f"  {base}/verify/\r\n" + group_token(token).replace(" ", "\u00ad ", 3) + "\n\n",
    }


@pytest.mark.parametrize("kind", ["bare", "address", "address-with-query", "printed-groups-wrapped", "address-wrapped-from-pdf"])
def test_a_pasted_code_or_address_gives_the_verdict_of_the_token_page(app: FastAPI, visitor: TestClient, token: str, kind: str) -> None:
    pasted = _pastes(token, app.state.settings.public_base_url.rstrip("/"))[kind]
    response = visitor.get("/verify", params={"code": pasted})
    assert response.status_code == 200, response.text[:300]
    tree = parse(response.text)
    reference = parse(visitor.get(f"/verify/{token}").text)
    assert tree.xpath("string(//p[contains(@class, 'verdict')])") == reference.xpath("string(//p[contains(@class, 'verdict')])")
    assert tree.xpath("string(//p[contains(@class, 'verdict')])") == "Valid: application pending."
    assert tree.xpath("string(//dl[@class='certificate-claims'])") == reference.xpath("string(//dl[@class='certificate-claims'])")
    assert "Quispe Mamani" in tree.xpath("string(//dl[@class='certificate-claims'])")
    assert _field(tree) == ([], "")
    assert tree.xpath("//form[@action='/verify']")  # another certificate can be checked at once


def test_the_verdict_is_translated(visitor: TestClient, token: str) -> None:
    tree = parse(visitor.get("/verify", params={"code": token, "lang": "es"}).text)
    assert tree.xpath("/html/@lang") == ["es"]
    assert tree.xpath("string(//p[contains(@class, 'verdict')])") == "Válido: solicitud en trámite."
    assert tree.xpath("//label[@for='code']/text()") != ["Certificate code or address"]


@pytest.mark.parametrize(
    ("pasted", "says"),
    [
        ("hello", "not a whole certificate code"),
        ("https://amparo.example.org/verify/", "not a whole certificate code"),
        ("abc.def.ghi", "not a whole certificate code"),
        ("x" * 9000, "not a whole certificate code"),
        ("x" * 10_001, "at most 10000 characters"),
        ("   \n ", "required"),
    ],
    ids=["word", "address-without-code", "three-parts", "too-long-token", "too-long-text", "blank"],
)
def test_a_bad_code_comes_back_beside_the_field_with_the_input_kept(visitor: TestClient, pasted: str, says: str) -> None:
    response = visitor.get("/verify", params={"code": pasted})
    assert response.status_code == 422
    tree = parse(response.text)
    invalid, error = _field(tree)
    assert invalid == ["true"] and says in error
    assert "code-error" in tree.xpath("string(//textarea[@id='code']/@aria-describedby)")
    assert tree.xpath("//div[@class='error-summary']//a/@href") == ["#code"]
    if pasted.strip() and len(pasted) <= 10_000:
        assert tree.xpath("string(//textarea[@id='code'])") == pasted.strip()
    assert not tree.xpath("//p[contains(@class, 'verdict')]")


def test_an_altered_code_is_not_genuine_beside_the_field(visitor: TestClient, token: str) -> None:
    body, signature = token.split(".")
    altered = body + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    response = visitor.get("/verify", params={"code": altered})
    assert response.status_code == 422
    invalid, error = _field(parse(response.text))
    assert invalid == ["true"] and "Not genuine: do not rely on this certificate." in error


def test_the_pasted_code_is_redacted_from_the_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    assert any(isinstance(f, verify.RedactTokenPaths) for f in access.filters)
    for path, expected in [
        ("/verify?code=eyJhbGciOi.sig&lang=es", "/verify?[redacted]"),
        ("/verify/?code=eyJhbGciOi.sig", "/verify/?[redacted]"),
        ("/verify", "/verify"),
        ("/verify/eyJhbGciOi.sig", "/verify/[redacted]"),
    ]:
        record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5", "GET", path, "1.1", 200), None)
        for log_filter in access.filters:
            log_filter.filter(record)
        assert record.getMessage() == f'127.0.0.1:5 - "GET {expected} HTTP/1.1" 200'
