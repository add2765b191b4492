"""Caseworker, supervisor and programme administrator pages through the real app: the queue with its
filters and cursor pages, the safeguards panel, a refusal blocked beside its fields with the article
that requires it, the four-eyes sign-off, the applicant's appeal, and programme upload."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from tests.web.conftest import parse
from tests.web.web_support import PROGRAMME, apply, assign, client_for, csrf, make_app, refusal_form, register, sign_in

REASONS = "No document shows that you were in Argentina before 1 June 2026."
HOW = "Escriba a la Dirección Nacional de Migraciones, Av. Antártida Argentina 1355, Buenos Aires."


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("staff"))


@pytest.fixture(scope="module")
def filed(app: FastAPI) -> tuple[str, str]:
    """(applicant username, case number) of a case assigned to the caseworker."""
    with client_for(app) as client:
        username = register(client, family_names="Rojas Villca")
        number = apply(client)
    assign(app, number)
    return username, number


@pytest.fixture
def caseworker(app: FastAPI):
    with client_for(app) as client:
        sign_in(client, "caseworker@arg.example")
        yield client


def _queue_numbers(text: str) -> list[str]:
    return [n.strip() for n in parse(text).xpath("//table[contains(@class, 'queue')]//td[1]/a/text()")]


def test_queue_lists_filters_and_searches(caseworker, filed) -> None:
    _, number = filed
    page = caseworker.get("/staff/queue")
    assert page.status_code == 200
    assert number in _queue_numbers(page.text)
    assert number in _queue_numbers(caseworker.get("/staff/queue", params={"q": number}).text)
    assert number in _queue_numbers(caseworker.get("/staff/queue", params={"q": "rojas"}).text)
    assert number not in _queue_numbers(caseworker.get("/staff/queue", params={"q": "zzzz"}).text)
    assert number in _queue_numbers(caseworker.get("/staff/queue", params={"nationality": "BOL"}).text)
    assert number not in _queue_numbers(caseworker.get("/staff/queue", params={"nationality": "PRY"}).text)
    assert number not in _queue_numbers(caseworker.get("/staff/queue", params={"status": "granted"}).text)
    assert number in _queue_numbers(caseworker.get("/staff/queue", params={"programme": "arg-web-2026"}).text)


def test_queue_dates_have_their_year_in_full_and_decision_languages_their_names(caseworker, filed) -> None:
    import datetime

    from amparo.web import i18n

    _, number = filed
    today = datetime.date.today()
    row = parse(caseworker.get("/staff/queue?lang=es").text).xpath(f"//tr[td/a[text()='{number}']]")[0]
    filed_on = " ".join(row.xpath("string(td[count(../../tr/th[.='Presentado']/preceding-sibling::th)+1])").split())
    assert str(today.year) in filed_on, filed_on  # "30 nov 2026", not "30/11/26"
    page = parse(caseworker.get(f"/staff/cases/{number}?lang=es").text)
    options = dict(zip(page.xpath("//select[@name='language']/option/@value"), page.xpath("//select[@name='language']/option/text()")))
    assert options["qu"] == "quechua (qu)" and options["es"] == "español (es)", options
    token = i18n.activate("en")
    try:
        assert i18n.language_name("zz") == "zz" and i18n.language_name("pt-BR") == "Portuguese (pt-BR)"
    finally:
        i18n._current.reset(token)


def test_queue_filter_errors_come_back_beside_their_field(caseworker) -> None:
    response = caseworker.get("/staff/queue", params={"nationality": "Bolivia", "deadline_before": "soon"})
    assert response.status_code == 422
    tree = parse(response.text)
    assert tree.xpath("//input[@id='nationality']/@aria-invalid") == ["true"]
    assert tree.xpath("//input[@id='nationality']/@value") == ["Bolivia"]
    assert tree.xpath("//input[@id='deadline_before']/@aria-invalid") == ["true"]


def test_queue_pages_with_the_cursor(app: FastAPI, caseworker, monkeypatch) -> None:
    from amparo.web.views import staff

    with client_for(app) as other:
        register(other)
        apply(other, with_file=False)
    monkeypatch.setattr(staff, "PAGE_SIZE", 1)
    seen: list[str] = []
    url = "/staff/queue?programme=arg-web-2026"
    while url and len(seen) < 20:
        page = caseworker.get(url)
        rows = _queue_numbers(page.text)
        assert len(rows) <= 1
        seen += rows
        links = parse(page.text).xpath("//a[@rel='next']/@href")
        url = links[0] if links else None
    assert len(seen) >= 2 and len(seen) == len(set(seen))


def test_case_page_shows_the_safeguards_panel_with_articles_and_ratification(caseworker, filed) -> None:
    _, number = filed
    page = caseworker.get(f"/staff/cases/{number}")
    assert page.status_code == 200
    tree = parse(page.text)
    panel = tree.xpath("//section[@aria-labelledby='safeguards-title']")[0]
    reasons = panel.xpath(".//li[@id='safeguard-written-reasons']")[0]
    assert "Binding" in reasons.text_content()
    text = reasons.text_content()
    assert "ICRMW art. 22(3)" in text and "ratified 2007-02-23" in text
    assert "the reasons for the decision, in writing" in text
    labelled = {label.get("for") for label in tree.iter("label")}
    for control in tree.xpath("//form//select | //form//textarea | //form//input[not(@type='hidden')]"):
        assert control.get("id") in labelled
    (download,) = tree.xpath("//ul[@class='downloads']//a/@href")
    evidence = caseworker.get(download)
    assert evidence.status_code == 200 and evidence.content.startswith(b"\x89PNG")


def test_refusal_without_reasons_is_blocked_beside_the_field_with_the_article(caseworker, filed) -> None:
    _, number = filed
    page = caseworker.get(f"/staff/cases/{number}")
    response = caseworker.post(f"/staff/cases/{number}/decision", data=refusal_form(page.text, appeal_how=HOW))
    assert response.status_code == 409
    tree = parse(response.text)
    error = tree.xpath("string(//p[@id='reasons-error'])")
    assert "ICRMW art. 22(3)" in error and "reasons" in error
    assert tree.xpath("//textarea[@id='reasons']/@aria-invalid") == ["true"]
    assert tree.xpath("string(//textarea[@id='appeal_how'])") == HOW  # the rest of the input is kept
    assert tree.xpath("//div[@class='error-summary']//a/@href")[0].startswith("#")
    # Nothing was recorded: the case is still pending.
    assert "refusal_proposed" not in caseworker.get(f"/staff/cases/{number}").text


def test_refusal_signed_by_a_second_supervisor_then_read_in_spanish_and_appealed(app: FastAPI, caseworker, filed) -> None:
    username, number = filed
    page = caseworker.get(f"/staff/cases/{number}")
    proposed = caseworker.post(f"/staff/cases/{number}/decision", follow_redirects=False,
                               data=refusal_form(page.text, reasons=REASONS, appeal_how=HOW))
    assert proposed.status_code == 303
    with client_for(app) as supervisor:
        sign_in(supervisor, "supervisor@arg.example")
        assert number in supervisor.get("/supervisor/sign-off").text
        review = supervisor.get(f"/supervisor/cases/{number}")
        assert REASONS in review.text
        version = parse(review.text).xpath("//form[contains(@action, 'sign-off')]//input[@name='version']/@value")[0]
        signed = supervisor.post(f"/supervisor/cases/{number}/sign-off", data={"version": version, "csrf_token": csrf(review.text)}, follow_redirects=False)
        assert signed.status_code == 303
    with client_for(app) as applicant:
        sign_in(applicant, username)
        page = applicant.get(f"/my/cases/{number}?lang=es")
        tree = parse(page.text)
        assert tree.xpath("/html/@lang") == ["es"]
        assert tree.xpath("string(//h2[@id='decision-title'])") == "La decisión"
        decision = tree.xpath("//section[@aria-labelledby='decision-title']")[0].text_content()
        assert REASONS in decision and HOW in decision
        assert tree.xpath("//section[@aria-labelledby='decision-title']//p[@class='deadline']")
        appealed = applicant.post(f"/my/cases/{number}/appeal", data={"grounds": "Tengo un contrato de alquiler de 2025.", "csrf_token": csrf(page.text)},
                                  follow_redirects=False)
        assert appealed.status_code == 303
        after = parse(applicant.get(f"/my/cases/{number}").text)
        assert not after.xpath("//form[contains(@action, '/appeal')]")
        # The language chosen with the switch stays chosen (cookie): the timeline is in Spanish too.
        assert [s.strip() for s in after.xpath("//ol[@class='timeline']/li/p[@class='timeline-what']/text()")][-1] == "Recurso presentado"


def test_the_proposer_cannot_sign_their_own_refusal(app: FastAPI) -> None:
    with client_for(app) as client:
        register(client)
        number = apply(client, with_file=False)
    assign(app, number, "supervisor@arg.example")
    with client_for(app) as supervisor:
        sign_in(supervisor, "supervisor@arg.example")
        page = supervisor.get(f"/staff/cases/{number}")
        assert supervisor.post(f"/staff/cases/{number}/decision", follow_redirects=False,
                               data=refusal_form(page.text, reasons=REASONS, appeal_how=HOW)).status_code == 303
        review = supervisor.get(f"/supervisor/cases/{number}")
        version = parse(review.text).xpath("//form[contains(@action, 'sign-off')]//input[@name='version']/@value")[0]
        refused = supervisor.post(f"/supervisor/cases/{number}/sign-off", data={"version": version, "csrf_token": csrf(review.text)})
        assert refused.status_code == 403
        assert "another supervisor" in parse(refused.text).xpath("string(//div[@class='error-summary'])")


def test_programme_upload_shows_errors_with_lines_then_checks_and_publishes(app: FastAPI) -> None:
    with client_for(app) as admin:
        sign_in(admin, "admin@arg.example")
        page = admin.get("/admin/programmes")
        broken = admin.post("/admin/programmes", data={"document": "id: x\nversion: one\n", "action": "check", "csrf_token": csrf(page.text)})
        assert broken.status_code == 422
        errors = parse(broken.text).xpath("//ul[@class='validation-errors']/li")
        assert any(li.text_content().startswith("Line 2") and "version" in li.text_content() for li in errors)
        sponsored = PROGRAMME.replace("arg-web-2026", "arg-sponsored-2026").replace("filing:\n  by: [applicant]", "filing:\n  by: [employer]")
        checked = admin.post("/admin/programmes", data={"document": sponsored, "action": "check", "csrf_token": csrf(page.text)})
        report = parse(checked.text).xpath("//section[@aria-labelledby='report-title']")[0].text_content()
        assert "Line " in report and "filing.by" in report
        published = admin.post("/admin/programmes", data={"document": PROGRAMME.replace("arg-web-2026", "arg-web-2027"), "action": "publish",
                                                          "csrf_token": csrf(page.text)}, follow_redirects=False)
        assert published.status_code == 303
        assert "arg-web-2027" in admin.get("/admin/programmes").text


def test_publishing_other_content_under_a_published_version_is_refused_on_the_page(app: FastAPI) -> None:
    """Versions never change: the page says so beside the document, lists what is published, and
    stores nothing."""
    changed = PROGRAMME.replace("arg-web-2026", "arg-web-2028")
    with client_for(app) as admin:
        sign_in(admin, "admin@arg.example")
        page = admin.get("/admin/programmes")
        assert admin.post("/admin/programmes", data={"document": changed, "action": "publish", "csrf_token": csrf(page.text)},
                          follow_redirects=False).status_code == 303
        other = changed.replace("title:", "title: Changed —", 1)
        assert other != changed
        refused = admin.post("/admin/programmes", data={"document": other, "action": "publish", "csrf_token": csrf(page.text)})
        assert refused.status_code == 409
        doc = parse(refused.text)
        assert "already published with other content" in doc.xpath("string(//div[@class='error-summary'])")
        assert "arg-web-2028" in doc.text_content()  # the published list, read again after the refusal
        assert "Changed —" not in admin.get("/admin/programmes").text


def test_staff_pages_are_refused_to_applicants(app: FastAPI) -> None:
    with client_for(app) as client:
        register(client)
        assert client.get("/staff/queue").status_code == 403
        assert client.get("/supervisor/sign-off").status_code == 403
        assert client.get("/admin/programmes").status_code == 403
