"""Every signed-in page, in every language, parsed as the public pages are: one h1 and no skipped
heading level, unique ids, every control labelled, hints and errors that exist, no inline script or
style, and the weight budget (100 KB of HTML plus uncached assets) with the most content a case shows."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from babel import Locale
from fastapi import FastAPI

from amparo.web import i18n
from tests.web.conftest import parse
from tests.web.web_support import apply, assign, client_for, csrf, make_app, refusal_form, register, sign_in

PAGE_BUDGET_BYTES = 100 * 1024
#: (role's username or None for the applicant, path template) for each signed-in page.
PAGES = [
    (None, "/my/cases"), (None, "/my/cases/{number}"), (None, "/my/apply"), (None, "/my/data"), (None, "/my/cases/{number}/invite"),
    ("caseworker@arg.example", "/staff/queue"), ("caseworker@arg.example", "/staff/cases/{number}"),
    ("caseworker@arg.example", "/staff/cases/{pending}"),
    ("supervisor@arg.example", "/supervisor/sign-off"), ("supervisor@arg.example", "/supervisor/cases/{proposed}"),
    ("admin@arg.example", "/admin/programmes"),
]
WEIGHTS: dict[str, int] = {}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A refused case (decision, appeal form), a pending one and one whose refusal awaits sign-off."""
    app = make_app(tmp_path_factory.mktemp("signed-in"))
    with client_for(app) as client:
        username = register(client)
        number, pending, proposed = apply(client), apply_other(app), apply_other(app)
    for case in (number, pending, proposed):
        assign(app, case)
    with client_for(app) as caseworker:
        sign_in(caseworker, "caseworker@arg.example")
        for case in (number, proposed):
            page = caseworker.get(f"/staff/cases/{case}")
            reasons = "No document shows that you were in Argentina before 1 June 2026. " * 20
            caseworker.post(f"/staff/cases/{case}/decision", data=refusal_form(page.text, reasons=reasons, appeal_how="Dirección Nacional de Migraciones."))
    with client_for(app) as supervisor:
        sign_in(supervisor, "supervisor2@arg.example")
        review = supervisor.get(f"/supervisor/cases/{number}")
        version = re.search(r'name="version" value="(\d+)"', review.text).group(1)  # type: ignore[union-attr]
        supervisor.post(f"/supervisor/cases/{number}/sign-off", data={"version": version, "csrf_token": csrf(review.text)})
    return {"app": app, "username": username, "number": number, "pending": pending, "proposed": proposed}


def apply_other(app: FastAPI) -> str:
    with client_for(app) as client:
        register(client)
        return apply(client, with_file=False)


@pytest.fixture(scope="module")
def clients(world) -> Iterator[dict[str, object]]:
    """One signed-in client per person (signing in is slow on purpose: argon2)."""
    opened: dict[str, object] = {}
    for who in {w or str(world["username"]) for w, _path in PAGES}:
        client = client_for(world["app"])  # type: ignore[arg-type]
        client.__enter__()
        sign_in(client, who)
        opened[who] = client
    yield opened
    for client in opened.values():
        client.__exit__(None, None, None)  # type: ignore[attr-defined]


def _fetch(world, clients, who: str | None, template: str, lang: str):
    path = template.format(number=world["number"], pending=world["pending"], proposed=world["proposed"])
    client = clients[who or str(world["username"])]
    return client, client.get(f"{path}?lang={lang}")


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
@pytest.mark.parametrize(("who", "template"), PAGES)
def test_signed_in_page_structure(world, clients, who: str | None, template: str, lang: str) -> None:
    client, response = _fetch(world, clients, who, template, lang)
    assert response.status_code == 200, response.text[-800:]
    doc = parse(response.text)
    root = doc.getroottree().getroot()
    expected_dir = "rtl" if Locale.parse(lang).character_order == "right-to-left" else "ltr"
    assert (root.get("lang"), root.get("dir")) == (lang, expected_dir)
    headings = [int(h.tag[1]) for h in doc.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    assert headings.count(1) == 1 and headings[0] == 1, headings
    for previous, current in zip(headings, headings[1:]):
        assert current <= previous + 1, f"heading level jumps on {template}: {headings}"
    ids = [element.get("id") for element in doc.iter() if element.get("id")]
    assert len(ids) == len(set(ids)), f"duplicate ids: {sorted({i for i in ids if ids.count(i) > 1})}"
    labels = {label.get("for") for label in doc.iter("label")}
    for field in doc.iter("input", "select", "textarea"):
        if field.get("type") in ("hidden", "submit"):
            continue
        assert field.get("id") in labels, f"unlabelled field {field.get('name')} on {template}"
        for described in (field.get("aria-describedby") or "").split():
            assert described in ids, f"aria-describedby points at missing #{described}"
    assert not list(doc.iter("script")) and not list(doc.iter("style"))
    assert not [e for e in doc.iter() if "style" in e.attrib or any(a.startswith("on") for a in e.attrib)]
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"  # pages about a person never stay in a cache
    assets = sum(len(client.get(link.get("href")).content) for link in doc.iter("link") if link.get("href", "").startswith("/static/"))
    total = len(response.content) + assets
    WEIGHTS[f"{template} [{lang}]"] = total
    assert total <= PAGE_BUDGET_BYTES, f"{template}: {len(response.content)} B HTML + {assets} B assets"


def test_the_case_page_shows_what_the_structure_test_relies_on(world, clients) -> None:
    """Guards the structure test: the applicant's case page it parses holds the decision and the appeal form."""
    _client, response = _fetch(world, clients, None, "/my/cases/{number}", "en")
    doc = parse(response.text)
    assert doc.xpath("//section[@aria-labelledby='decision-title']") and doc.xpath("//textarea[@id='grounds']")
