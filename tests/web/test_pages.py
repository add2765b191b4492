"""Every public page, in every language, parsed: structure, labels, links, headers and weight."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from babel import Locale

from amparo.web.i18n import LANGUAGES
from tests.web.conftest import parse

PAGES = [
    ("/", 200),
    ("/treaties", 200),
    ("/treaties?state=Colombia&on=2026-02-10", 200),
    ("/treaties?state=Fr4nce&on=2026-02-10", 422),
    ("/treaties?state=&on=not-a-date", 422),
    ("/programmes", 200),
    ("/programmes/col-etpv-2021", 200),
    ("/sign-in", 200),
    ("/no-such-page", 404),
]
#: Issue 5: at most 100 KB of HTML plus uncached assets on a first visit.
PAGE_BUDGET_BYTES = 100 * 1024


def _get(client, url: str, lang: str):
    separator = "&" if "?" in url else "?"
    return client.get(f"{url}{separator}lang={lang}")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(("url", "status"), PAGES)
def test_page_structure(client, url: str, status: int, lang: str) -> None:
    response = _get(client, url, lang)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    doc = parse(response.text)
    root = doc.getroottree().getroot()
    expected_dir = "rtl" if Locale.parse(lang).character_order == "right-to-left" else "ltr"
    assert (root.get("lang"), root.get("dir")) == (lang, expected_dir)

    headings = [int(h.tag[1]) for h in doc.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    assert headings.count(1) == 1 and headings[0] == 1, f"one h1, first: {headings}"
    for previous, current in zip(headings, headings[1:]):
        assert current <= previous + 1, f"heading level jumps from h{previous} to h{current} on {url}: {headings}"

    ids = [element.get("id") for element in doc.iter() if element.get("id")]
    assert len(ids) == len(set(ids)), "duplicate ids"
    labels = {label.get("for") for label in doc.iter("label")}
    for field in doc.iter("input", "select", "textarea"):
        if field.get("type") in ("hidden", "submit"):
            continue
        assert field.get("id") in labels or field.get("aria-label"), f"unlabelled field {field.get('name')} on {url}"
        for described in (field.get("aria-describedby") or "").split():
            assert described in ids, f"aria-describedby points at missing #{described}"

    switch = doc.xpath("//nav[contains(@class,'lang-switch')]//a")
    assert sorted(a.get("hreflang") for a in switch) == sorted(LANGUAGES)
    assert doc.xpath("//a[@href='#main']") and doc.xpath("//main[@id='main']")


@pytest.mark.parametrize(("url", "status"), PAGES)
def test_no_inline_script_or_style_and_strict_csp(client, url: str, status: int) -> None:
    response = client.get(url)
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "script-src" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    doc = parse(response.text)
    assert not list(doc.iter("script")) and not list(doc.iter("style"))
    for element in doc.iter():
        attributes = set(element.attrib)
        assert "style" not in attributes, f"inline style on <{element.tag}>"
        assert not {a for a in attributes if a.startswith("on")}, f"inline handler on <{element.tag}>"


def test_every_link_resolves(client) -> None:
    seen: set[str] = set()
    for lang in LANGUAGES:
        for url, status in PAGES:
            page_url = f"{url}{'&' if '?' in url else '?'}lang={lang}"
            doc = parse(client.get(page_url).text)
            ids = {element.get("id") for element in doc.iter() if element.get("id")}
            links = [a for a in doc.iter("a") if not (status >= 400 and a.xpath("ancestor::nav[contains(@class,'lang-switch')]"))]
            # (On an error page the language switch leads to the same error, in another language.)
            for href in [a.get("href") for a in links] + [link.get("href") for link in doc.iter("link")]:
                assert href, f"empty link on {page_url}"
                if href.startswith("#"):
                    assert href[1:] in ids, f"{href} on {page_url} points at no element"
                    continue
                if href.startswith("data:"):
                    continue
                target = urljoin(f"http://testserver{url}", href)
                if urlsplit(target).netloc != "testserver":
                    assert urlsplit(target).scheme in ("http", "https"), href
                    continue
                seen.add(target)
    broken = [t for t in sorted(seen) if client.get(t).status_code >= 400]
    assert not broken, f"links that do not resolve: {broken}"


@pytest.mark.parametrize(("url", "status"), PAGES)
def test_page_weight_within_budget(client, url: str, status: int) -> None:
    response = client.get(url + ("&" if "?" in url else "?") + "lang=ar")
    doc = parse(response.text)
    assets = 0
    for link in doc.iter("link"):
        href = link.get("href")
        if href.startswith("/static/"):
            assets += len(client.get(href).content)
    total = len(response.content) + assets
    assert total <= PAGE_BUDGET_BYTES, f"{url}: {len(response.content)} B HTML + {assets} B assets"


def test_error_page_keeps_api_json(client) -> None:
    """Browsers get the page; API clients and non-HTML clients keep the one JSON error shape."""
    page = client.get("/no-such-page")
    assert page.headers["content-type"].startswith("text/html")
    doc = parse(page.text)
    assert "not_found" in doc.text_content() and "404" in doc.text_content()
    json_error = client.get("/no-such-page", headers={"accept": "application/json"})
    assert json_error.status_code == 404 and json_error.json()["error"] == "not_found"
