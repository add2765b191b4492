"""Files sent through the web pages: a phone photo of a few MB is accepted wherever a form takes
evidence, and a body over the limit comes back as the form's page in the person's language (status
413), the refusal beside the file field, saying that nothing was saved and what to do. The API keeps
its JSON refusal. Every form with a file field is covered (the templates are read to find them)."""

from __future__ import annotations

import io
import random
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from starlette.routing import Match

from amparo.api.app import FORM_FIELDS_ROOM, upload_limits
from amparo.api.limits import BodySizeLimit
from amparo.config import Settings
from amparo.web import i18n
from amparo.web.templating import TEMPLATES_DIR
from tests.web.conftest import TEST_SECRET, build_app, parse
from tests.web.web_support import PASSWORD, PROGRAMME, apply, client_for, csrf, register, sign_in

MIB = 1024 * 1024
#: Small enough to keep the tests quick, above the 1 MiB every other body is held to.
UPLOAD_LIMIT = 3 * MIB


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    folder = tmp_path_factory.mktemp("uploads")
    settings = Settings(environment="development", secret_key=TEST_SECRET, data_dir=folder,
                        registrations_per_address=1000, max_upload_bytes=UPLOAD_LIMIT)
    application = build_app(settings, folder / "web.db")
    from amparo.auth import repository as users
    from amparo.auth.policy import Role
    from amparo.regularization import service

    with application.state.sessionmaker() as db:
        service.publish_programme(db, None, PROGRAMME)
        users.create_user(db, "admin@arg.example", PASSWORD, Role.PROGRAMME_ADMIN, "ARG")
        db.commit()
    return application


@pytest.fixture
def applicant(app: FastAPI) -> Iterator[TestClient]:
    with client_for(app) as client:
        register(client)
        yield client


def phone_photo(at_least: int = 2_000_000) -> bytes:
    """A real JPEG of at least `at_least` bytes (noise does not compress), as a phone camera makes."""
    noise = random.Random(7)
    side = 1200
    while True:
        image = Image.frombytes("RGB", (side, side), noise.randbytes(side * side * 3))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=95)
        if buffer.tell() >= at_least:
            return buffer.getvalue()
        side += 200


def too_large() -> bytes:
    """A file whose body is over the limit (the file's, and the room for the form's other fields); it is
    refused before it is read, so its content does not matter."""
    return b"\xff\xd8\xff" + b"\0" * (UPLOAD_LIMIT + FORM_FIELDS_ROOM)


def _documents(page_text: str) -> list[str]:
    """The case page's list of documents, one cell each."""
    return [" ".join(cell.text_content().split()) for cell in parse(page_text).xpath("//table[@class='data']/tbody/tr/td[1]")]


# --- Every form with a file is covered -------------------------------------------------------------


def _file_forms() -> list[tuple[str, str, str]]:
    """(template, form action with each `{{ ... }}` as one path segment, accepted types) of every form
    in the templates that has a file field."""
    found = []
    for template in sorted(TEMPLATES_DIR.rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        for form in re.findall(r"<form\b.*?</form>", text, flags=re.S):
            if 'type="file"' not in form and not re.search(r"\{\{\s*file\(", form):
                continue
            action = re.search(r'action="([^"]*)"', form)
            assert action, f"{template.name}: a form with a file field has no action"
            accept = re.search(r'accept="([^"]*)"', form)
            found.append((str(template.relative_to(TEMPLATES_DIR)), re.sub(r"\{\{.*?\}\}", "x1", action.group(1)),
                          accept.group(1) if accept else ""))
    return found


def test_every_form_with_a_file_field_has_its_upload_limit_and_comes_back_when_refused(app: FastAPI) -> None:
    forms = _file_forms()
    assert {action for _, action, _ in forms} >= {"/my/apply", "/my/cases/x1/evidence", "/my/drafts/x1/review", "/admin/programmes"}
    settings = app.state.settings
    limits = BodySizeLimit(app, settings.max_body_bytes, routes=upload_limits(settings))
    for template, action, accept in forms:
        route = limits.route_for(action)
        assert route is not None and route.form_page, f"{template}: {action} is not in amparo.api.app's upload forms"
        if "image/jpeg" in accept or "application/pdf" in accept:  # evidence: a photo or a PDF
            assert route.file_bytes == settings.max_upload_bytes and route.max_bytes > settings.max_upload_bytes, template
    # Each route named there is a real POST route, and its page a real GET route with the same parameters.
    for route in upload_limits(settings):
        if route.form_page is None:
            continue
        sample = re.sub(r"\{[^}]*\}", "x1", route.path)
        for method, path in (("POST", sample), ("GET", route.page_for(sample))):
            scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": [], "query_string": b""}
            assert any(r.matches(scope)[0] is Match.FULL for r in app.router.routes), f"no {method} route answers {path}"


# --- A phone photo goes through --------------------------------------------------------------------


def test_a_two_megabyte_phone_photo_is_added_through_the_case_page(applicant: TestClient) -> None:
    number = apply(applicant, with_file=False)
    page = applicant.get(f"/my/cases/{number}")
    photo = phone_photo()
    assert 2_000_000 <= len(photo) < UPLOAD_LIMIT
    response = applicant.post(f"/my/cases/{number}/evidence", data={"kind": "utility_bill", "document_date": "2025-03-01", "csrf_token": csrf(page.text)},
                              files={"file": ("foto.jpg", photo, "image/jpeg")}, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert any("foto.jpg" in cell for cell in _documents(applicant.get(f"/my/cases/{number}").text))


def test_a_two_megabyte_phone_photo_files_an_application(applicant: TestClient) -> None:
    page = applicant.get("/my/apply")
    form = {"programme_id": "arg-web-2026", "arrived_on": "2024-03-10", "identity_kind": "passport", "identity_expires_on": "2031-01-01",
            "declares_no_record": "true", "evidence_kind": "rental_contract", "evidence_dated": "2025-02-01", "csrf_token": csrf(page.text)}
    response = applicant.post("/my/apply", data=form, files={"evidence_file": ("contrato.jpg", phone_photo(), "image/jpeg")}, follow_redirects=False)
    assert response.status_code == 303, response.text


# --- Too large: the form again, in the person's language -------------------------------------------


def _file_error(response, field: str) -> str:
    assert response.status_code == 413, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    tree = parse(response.text)
    assert tree.xpath(f"//input[@id='{field}']/@aria-invalid") == ["true"]
    return " ".join(tree.xpath(f"string(//p[@id='{field}-error'])").split())


@pytest.mark.parametrize("sent", ["declared", "streamed"])
def test_a_file_over_the_limit_comes_back_as_the_case_page_in_spanish_beside_the_file_field(applicant: TestClient, sent: str) -> None:
    number = apply(applicant, with_file=False)
    page = applicant.get(f"/my/cases/{number}")
    fields = {"kind": "utility_bill", "document_date": "2025-03-01", "csrf_token": csrf(page.text)}
    if sent == "declared":  # as a browser sends a form: its length first
        response = applicant.post(f"/my/cases/{number}/evidence?lang=es", data=fields, files={"file": ("foto.jpg", too_large(), "image/jpeg")})
    else:  # no Content-Length: stopped while it streams in
        boundary = "amparo-test-boundary"
        head = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n' for name, value in fields.items())
        head += f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="foto.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'

        def chunks() -> Iterator[bytes]:
            yield head.encode()
            body = too_large()
            for start in range(0, len(body), 256 * 1024):
                yield body[start : start + 256 * 1024]
            yield f"\r\n--{boundary}--\r\n".encode()

        response = applicant.post(f"/my/cases/{number}/evidence?lang=es", content=chunks(),
                                  headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    error = _file_error(response, "file")
    assert error == ("El archivo pesa más de 3 MB, así que no se guardó nada. Elija un archivo más pequeño (una foto con "
                     "menos resolución, o un PDF) o divida el documento en partes, y vuelva a completar el formulario.")
    tree = parse(response.text)
    assert tree.xpath("/html/@lang") == ["es"]
    assert tree.xpath(f"//form[@action='/my/cases/{number}/evidence']//input[@name='csrf_token']"), "the form is there to send again"
    assert _documents(response.text) == [], "nothing was saved"


def test_the_application_form_over_the_limit_comes_back_with_the_error_beside_its_file(applicant: TestClient) -> None:
    page = applicant.get("/my/apply")
    response = applicant.post("/my/apply?lang=fr", data={"programme_id": "arg-web-2026", "csrf_token": csrf(page.text)},
                              files={"evidence_file": ("photo.jpg", too_large(), "image/jpeg")})
    error = _file_error(response, "evidence_file")
    assert error.startswith("Le fichier dépasse 3 Mo, donc rien n’a été enregistré.")
    assert parse(response.text).xpath("//form[@action='/my/apply']")


def test_the_draft_review_over_the_limit_comes_back_with_the_error_beside_its_file(applicant: TestClient) -> None:
    start = applicant.get("/my/drafts/new")
    draft = applicant.post("/my/drafts", data={"programme_id": "arg-web-2026", "csrf_token": csrf(start.text)}, follow_redirects=False).headers["location"].rsplit("/", 1)[0]
    evidence = applicant.get(f"{draft}/evidence")
    applicant.post(f"{draft}/evidence", data={"evidence_kind": "rental_contract", "evidence_dated": "2025-02-01", "action": "continue",
                                              "csrf_token": csrf(evidence.text)}, follow_redirects=False)
    review = applicant.get(f"{draft}/review")
    response = applicant.post(f"{draft}/review", data={"action": "file", "csrf_token": csrf(review.text)},
                              files={"evidence_file": ("photo.jpg", too_large(), "image/jpeg")})
    error = _file_error(response, "evidence_file")
    assert error.startswith("The file is larger than 3 MB, so nothing was saved.")
    assert applicant.get(draft).status_code == 200, "the draft is kept, not filed"


def test_a_programme_document_over_the_limit_comes_back_beside_the_document(app: FastAPI) -> None:
    with client_for(app) as admin:
        sign_in(admin, "admin@arg.example")
        page = admin.get("/admin/programmes")
        response = admin.post("/admin/programmes?lang=es", data={"action": "check", "csrf_token": csrf(page.text)},
                              files={"file": ("programa.yaml", b"id: x\n" + b"#" * MIB, "text/yaml")})
    assert response.status_code == 413 and response.headers["content-type"].startswith("text/html")
    error = " ".join(parse(response.text).xpath("string(//p[@id='document-error'])").split())
    assert error.startswith("Lo que envió pesa más de 1 MB, así que no se guardó nada.")


def test_a_form_without_a_file_over_the_limit_gets_the_error_page_in_the_persons_language(applicant: TestClient) -> None:
    number = apply(applicant, with_file=False)
    page = applicant.get(f"/my/cases/{number}")
    response = applicant.post(f"/my/cases/{number}/appeal?lang=ar", data={"grounds": "x" * (MIB + 1), "csrf_token": csrf(page.text)})
    assert response.status_code == 413 and response.headers["content-type"].startswith("text/html")
    tree = parse(response.text)
    assert tree.xpath("/html/@lang") == ["ar"]
    message = " ".join(tree.xpath("string(//p[@class='error-message'])").split())
    assert message.startswith("حجم ما أرسلته أكبر من 1 ميغابايت، لذلك لم يُحفظ أي شيء.")


# --- The API keeps its JSON --------------------------------------------------------------------------


@pytest.mark.parametrize("path, size", [("/api/v1/cases/any/evidence", UPLOAD_LIMIT + FORM_FIELDS_ROOM + 1), ("/api/v1/persons", MIB + 1)])
def test_the_api_refuses_an_oversize_body_in_its_json_shape_even_to_a_browser(app: FastAPI, path: str, size: int) -> None:
    with client_for(app) as client:  # it asks for text/html
        response = client.post(path, content=b"x" * size, headers={"content-type": "application/octet-stream"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error"] == "payload_too_large" and set(body) == {"error", "message", "details"}
    assert f"the limit here is {size - 1} bytes" in body["message"]


def test_the_limit_is_named_in_megabytes_rounded_down_in_the_persons_language() -> None:
    from amparo.web.views.applicant_filing import megabytes

    token = i18n.activate("es")
    try:
        assert [megabytes(10 * MIB), megabytes(MIB // 2), megabytes(10 * MIB + 64 * 1024), megabytes(5 * MIB // 2 + 1), megabytes(200_000)] == ["10", "0,5", "10", "2,5", "0,19"]
    finally:
        i18n._current.reset(token)


def test_the_error_summary_names_the_file_field_in_the_person_s_language(applicant: TestClient) -> None:
    # A file input is read from the upload, not validated by the form's model; its label in the summary
    # above the form must still be the page's words, not the field's English name ("File").
    number = apply(applicant, with_file=False)
    page = applicant.get(f"/my/cases/{number}")
    fields = {"kind": "utility_bill", "document_date": "2025-03-01", "csrf_token": csrf(page.text)}
    response = applicant.post(f"/my/cases/{number}/evidence?lang=es", data=fields, files={"file": ("foto.jpg", too_large(), "image/jpeg")})
    summary = [" ".join(a.text_content().split()) for a in parse(response.text).xpath("//div[@class='error-summary']//a[@href='#file']")]
    assert len(summary) == 1
    assert summary[0].startswith("El documento (PDF, JPEG o PNG): El archivo pesa más de 3 MB"), summary
