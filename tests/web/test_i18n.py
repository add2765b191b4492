"""Choosing the language, its direction from CLDR, and per-locale dates and numbers."""

from __future__ import annotations

import datetime

import pytest
from babel import Locale

from amparo.web import i18n
from tests.web.conftest import parse


@pytest.mark.parametrize(
    ("query", "cookie", "header", "expected"),
    [
        ("ar", "es", "fr", "ar"),  # the explicit choice wins
        (None, "es", "fr", "es"),  # then the remembered one
        (None, None, "de-DE,fr;q=0.8,es;q=0.9", "es"),  # then the browser's best supported
        ("xx", None, "fr-CA", "fr"),  # an unsupported ?lang= is ignored
        (None, "zz", None, "en"),  # nothing usable: English
        (None, None, "es;q=0, fr;q=0.1", "fr"),  # q=0 means "not this one"
    ],
)
def test_language_choice_order(query, cookie, header, expected) -> None:
    assert i18n.choose(query, cookie, header) == expected


@pytest.mark.parametrize("code", i18n.LANGUAGES)
def test_direction_comes_from_cldr(code: str) -> None:
    expected = "rtl" if Locale.parse(code).character_order == "right-to-left" else "ltr"
    assert i18n.language(code).direction == expected
    assert i18n.language("ar").direction == "rtl"


def test_dates_are_written_per_locale(client) -> None:
    day = datetime.date(2026, 2, 3)
    written = {}
    for code in i18n.LANGUAGES:
        token = i18n.activate(code)
        try:
            written[code] = i18n.format_date(day)
        finally:
            i18n._current.reset(token)
    assert written["es"] == "3 de febrero de 2026" and written["fr"] == "3 février 2026"
    assert written["en"] == "February 3, 2026" and "فبراير" in written["ar"]


def test_explicit_choice_is_remembered_by_cookie(client) -> None:
    first = client.get("/?lang=fr")
    assert "amparo_lang=fr" in first.headers["set-cookie"]
    assert first.headers["content-language"] == "fr"
    second = client.get("/programmes")
    root = parse(second.text).getroottree().getroot()
    assert root.get("lang") == "fr" and "Programmes de régularisation" in second.text


def test_browser_language_is_used_without_a_choice(client) -> None:
    response = client.get("/", headers={"accept-language": "ar-EG,ar;q=0.9,en;q=0.5"})
    root = parse(response.text).getroottree().getroot()
    assert (root.get("lang"), root.get("dir")) == ("ar", "rtl")
    assert "set-cookie" not in response.headers  # only an explicit choice is remembered


def test_language_switch_keeps_the_query(client) -> None:
    doc = parse(client.get("/treaties?state=Chile&on=2026-02-10&lang=es").text)
    links = {a.get("hreflang"): a.get("href") for a in doc.xpath("//nav[contains(@class,'lang-switch')]//a")}
    assert links["ar"] == "/treaties?state=Chile&on=2026-02-10&lang=ar"
    assert doc.xpath("//nav[contains(@class,'lang-switch')]//a[@aria-current='true']")[0].get("hreflang") == "es"


def test_language_switch_never_links_to_another_site() -> None:
    from starlette.requests import Request

    from amparo.web.templating import switch_url

    request = Request({"type": "http", "method": "GET", "path": "//evil.example/x", "query_string": b"a=1", "headers": []})
    url = switch_url(request, "es")
    assert url.startswith("/") and not url.startswith(("//", "/\\")) and url.endswith("?a=1&lang=es")
