"""The journeys of issue 5 in real Chromium: an applicant files with evidence and downloads the
certificate; a caseworker's refusal without reasons is blocked in the form with the article shown
(JavaScript off); a supervisor signs; the applicant reads the decision in Spanish and appeals; the
Arabic case page is right to left and mirrored."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.browser.conftest import _free_port
from tests.web.web_support import PASSWORD, apply, assign, client_for, make_app, png_bytes, register

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
REASONS = "No document shows that you were in Argentina before 1 June 2026."
HOW = "Escriba a la Dirección Nacional de Migraciones, Av. Antártida Argentina 1355, Buenos Aires."


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, str]]:
    """(app, base URL): the app with a programme and staff, served by uvicorn in a thread."""
    import uvicorn

    app = make_app(tmp_path_factory.mktemp("journeys"))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.05)
    yield app, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _sign_in(page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/sign-in?lang=en")
    page.get_by_label("Email address or phone number").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def _filed_case(app) -> tuple[str, str]:
    """(username, case number) of an application filed through the pages, assigned to the caseworker."""
    with client_for(app) as client:
        username = register(client)
        number = apply(client)
    assign(app, number)
    return username, number


def test_applicant_registers_files_with_evidence_and_downloads_the_certificate(page, served, tmp_path: Path) -> None:
    app, base = served
    page.goto(f"{base}/register")
    page.get_by_label("Email address or phone number").fill("+54 11 5555 0101")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Given names").fill("Wendy Mirian")
    page.get_by_label("Family names").fill("Quispe Mamani")
    page.get_by_label("Date of birth").fill("1992-07-04")
    page.get_by_label("Nationality").fill("BOL")
    page.get_by_label("Country where you are applying").fill("ARG")
    page.get_by_label("Languages you understand").fill("es, qu")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url("**/my/cases")
    assert page.get_by_role("heading", level=1).inner_text() == "My cases"

    page.get_by_role("link", name="Apply to a programme").click()
    page.get_by_label("Programme").select_option("arg-web-2026")
    page.get_by_label("Date you arrived in the country").fill("2024-03-10")
    page.get_by_label("Identity document you have").select_option("passport")
    page.get_by_label("I declare that I have no disqualifying record").check()
    page.get_by_label("A document that shows you were in the country").select_option("rental_contract")
    page.get_by_label("The date written on that document").fill("2025-02-01")
    evidence = tmp_path / "contrato.png"
    evidence.write_bytes(png_bytes())
    page.get_by_label("The document (PDF, JPEG or PNG)").set_input_files(str(evidence))
    page.get_by_role("button", name="File my application").click()
    page.wait_for_url("**/my/cases/ARG-*")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Case ARG-")
    assert page.locator(".timeline-what").all_inner_texts() == ["Case opened", "Application filed", "Evidence added"]
    assert "contrato.png" in page.locator("table.data").inner_text()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the certificate (PDF)").click()
    saved = tmp_path / "certificate.pdf"
    download_info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    assert page.csp_violations == []


def test_refusal_without_reasons_is_blocked_with_the_article_shown_without_javascript(no_js_page, served) -> None:
    app, base = served
    _, number = _filed_case(app)
    page = no_js_page
    _sign_in(page, base, "caseworker@arg.example")
    page.goto(f"{base}/staff/cases/{number}")
    assert "ICRMW" in page.locator("#safeguard-written-reasons").inner_text()
    page.get_by_label("Decision", exact=True).select_option("refuse")
    page.get_by_label("How to appeal").fill(HOW)
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_load_state()
    reasons = page.get_by_label("Reasons", exact=True)
    assert reasons.get_attribute("aria-invalid") == "true"
    error = page.locator("#reasons-error").inner_text()
    assert "ICRMW art. 22(3)" in error
    assert page.get_by_label("How to appeal").input_value() == HOW
    assert page.locator(".error-summary").is_visible()


def test_supervisor_signs_then_the_applicant_reads_the_decision_in_spanish_and_appeals(browser, served) -> None:
    app, base = served
    username, number = _filed_case(app)
    for who in ("caseworker@arg.example", "supervisor2@arg.example", username):
        context = browser.new_context(locale="en-GB")
        page = context.new_page()
        _sign_in(page, base, who)
        if who.startswith("caseworker"):
            page.goto(f"{base}/staff/cases/{number}")
            page.get_by_label("Decision", exact=True).select_option("refuse")
            page.get_by_label("Reasons", exact=True).fill(REASONS)
            page.get_by_label("How to appeal").fill(HOW)
            page.get_by_role("button", name="Record the decision").click()
            page.wait_for_url(f"**/staff/cases/{number}")
            assert "awaits a supervisor" in page.locator(".timeline").inner_text()
        elif who.startswith("supervisor"):
            page.goto(f"{base}/supervisor/sign-off")
            page.get_by_role("link", name=number).click()
            assert REASONS in page.locator("main").inner_text()
            page.get_by_role("button", name="Sign the refusal").click()
            page.wait_for_url("**/supervisor/sign-off")
            assert "The refusal was signed" in page.locator(".flashes").inner_text()
        else:
            page.goto(f"{base}/my/cases/{number}")
            page.get_by_role("link", name="Español").click()
            page.wait_for_url("**lang=es")
            assert page.locator("html").get_attribute("lang") == "es"
            decision = page.locator("section.decision")
            assert decision.get_by_role("heading", name="La decisión").is_visible()
            assert "Su solicitud fue denegada." in decision.inner_text() and REASONS in decision.inner_text()
            assert "Puede recurrir hasta el" in decision.inner_text()
            page.get_by_label("Por qué debe cambiar la decisión").fill("Tengo un contrato de alquiler de 2025.")
            page.get_by_role("button", name="Presentar mi recurso").click()
            page.wait_for_url(f"**/my/cases/{number}")
            assert "Su recurso fue presentado" in page.locator(".flashes").inner_text()
            assert page.locator(".timeline-what").last.inner_text() == "Recurso presentado"
        context.close()


def test_the_arabic_case_page_is_right_to_left_and_mirrored(browser, served) -> None:
    app, base = served
    username, number = _filed_case(app)
    context = browser.new_context(locale="ar")
    page = context.new_page()
    _sign_in(page, base, username)
    page.goto(f"{base}/my/cases/{number}?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.querySelector('main')).direction") == "rtl"
    # The timeline's rule is on the reading start: the right in Arabic.
    widths = page.evaluate("(() => { const s = getComputedStyle(document.querySelector('.timeline')); return [s.borderRightWidth, s.borderLeftWidth]; })()")
    assert widths[0] != "0px" and widths[1] == "0px"
    heading = page.get_by_role("heading", level=1).bounding_box()
    main = page.locator("main").bounding_box()
    # The heading hugs the right edge of the page's content.
    assert abs((heading["x"] + heading["width"]) - (main["x"] + main["width"])) < 40
    assert page.get_by_role("heading", name="ما حدث").is_visible()
    context.close()


def test_applicant_saves_after_step_two_signs_out_and_back_in_resumes_and_files(page, served, tmp_path: Path) -> None:
    app, base = served
    with client_for(app) as client:
        username = register(client)
    _sign_in(page, base, username)
    page.goto(f"{base}/my/cases")
    page.get_by_role("link", name="Apply step by step, saving as you go").click()
    page.get_by_label("Programme").select_option("arg-web-2026")
    page.get_by_role("button", name="Start").click()
    page.wait_for_url("**/about")
    assert page.get_by_role("heading", level=1).inner_text() == "Step 1 of 5: About you"
    page.get_by_label("Identity document you have").select_option("passport")
    page.get_by_label("I declare that I have no disqualifying record").check()
    page.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_url("**/residence")
    page.get_by_label("Date you arrived in the country").fill("2024-03-10")
    page.get_by_role("button", name="Save and continue later").click()
    page.wait_for_url("**/my/cases")
    assert "Continue from “My cases”" in page.locator(".flashes").inner_text()
    assert "At step 3 of 5" in page.locator("section[aria-labelledby='drafts-title']").inner_text()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/")
    _sign_in(page, base, username)
    page.goto(f"{base}/my/cases")
    page.get_by_role("link", name="Continue my application").click()
    page.wait_for_url("**/work")
    assert page.get_by_role("heading", level=1).inner_text() == "Step 3 of 5: Work or studies"
    page.get_by_role("link", name="Back to the previous step").click()
    assert page.get_by_label("Date you arrived in the country").input_value() == "2024-03-10"
    page.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_url("**/work")
    page.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_url("**/evidence")
    page.get_by_label("A document that shows you were in the country").select_option("rental_contract")
    page.get_by_label("The date written on that document").fill("2025-02-01")
    page.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_url("**/review")
    assert "Passport" in page.locator("dl.answers").inner_text()
    evidence = tmp_path / "contrato.png"
    evidence.write_bytes(png_bytes())
    page.get_by_label("The document (PDF, JPEG or PNG)").set_input_files(str(evidence))
    page.get_by_role("button", name="File my application").click()
    page.wait_for_url("**/my/cases/ARG-*")
    assert page.locator(".timeline-what").all_inner_texts() == ["Case opened", "Application filed", "Evidence added"]
    page.goto(f"{base}/my/cases")
    assert page.locator("section[aria-labelledby='drafts-title']").count() == 0
    assert page.csp_violations == []


def test_the_step_by_step_application_works_without_javascript(no_js_page, served) -> None:
    app, base = served
    with client_for(app) as client:
        username = register(client)
    page = no_js_page
    _sign_in(page, base, username)
    page.goto(f"{base}/my/drafts/new")
    page.get_by_label("Programme").select_option("arg-web-2026")
    page.get_by_role("button", name="Start").click()
    page.wait_for_url("**/about")
    page.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_url("**/residence")
    page.get_by_label("Date you arrived in the country").fill("2099-01-01")
    page.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_load_state()
    assert "in the future" in page.locator("#arrived_on-error").inner_text()
    assert page.get_by_label("Date you arrived in the country").input_value() == "2099-01-01"
    page.get_by_label("Date you arrived in the country").fill("2024-03-10")
    page.get_by_role("button", name="Save and continue later").click()
    page.wait_for_url("**/my/cases")
    assert "At step 3 of 5" in page.locator("section[aria-labelledby='drafts-title']").inner_text()
