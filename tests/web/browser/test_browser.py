"""End-to-end checks in real Chromium: no JavaScript needed, Arabic mirrored, focus visible."""

from __future__ import annotations

import datetime

import pytest

from amparo.commitments import load

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def test_treaty_lookup_works_with_javascript_disabled(no_js_page, live_server: str) -> None:
    page = no_js_page
    page.goto(f"{live_server}/treaties")
    page.get_by_label("State", exact=True).fill("Colombia")
    in_force = load().status("COL", "ICRMW", "2010-01-01").in_force_from
    page.get_by_label("Date", exact=True).fill(in_force.isoformat())
    page.get_by_role("button", name="Look up").click()
    page.wait_for_url("**/treaties?state=Colombia*")
    binding = page.locator("#group-binding")
    assert binding.locator("h4", has_text="(ICRMW)").count() == 1
    assert "July 1, 2003" in binding.locator("li", has_text="(ICRMW)").inner_text()

    day_before = (in_force - datetime.timedelta(days=1)).isoformat()
    page.get_by_label("Date", exact=True).fill(day_before)
    page.get_by_role("button", name="Look up").click()
    page.wait_for_url(f"**on={day_before}*")
    assert page.locator("#group-binding h4", has_text="(ICRMW)").count() == 0


def test_bad_state_without_javascript_comes_back_with_the_error_beside_the_field(no_js_page, live_server: str) -> None:
    page = no_js_page
    page.goto(f"{live_server}/treaties?lang=es")
    page.get_by_label("Estado").fill("Fr4nce")
    page.get_by_role("button", name="Consultar").click()
    page.wait_for_url("**state=Fr4nce*")
    field = page.get_by_label("Estado")
    assert field.input_value() == "Fr4nce" and field.get_attribute("aria-invalid") == "true"
    assert "Fr4nce" in page.locator("#state-error").inner_text()
    assert page.get_by_role("alert").count() == 1


def _x(page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box["x"]


def test_arabic_page_is_right_to_left_and_mirrored(page, live_server: str) -> None:
    page.set_viewport_size({"width": 800, "height": 900})
    page.goto(f"{live_server}/treaties?state=COL&on=2026-02-10&lang=en")
    english_brand, english_switch = _x(page, ".brand"), _x(page, ".lang-switch")
    assert english_brand < english_switch

    page.goto(f"{live_server}/treaties?state=COL&on=2026-02-10&lang=ar")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "ar"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    # The layout mirrors: the brand moves to the right of the language switch...
    assert _x(page, ".brand") > _x(page, ".lang-switch")
    # ...and the coloured edge of each treaty moves from the left to the right side.
    sides = page.evaluate(
        "(() => { const s = getComputedStyle(document.querySelector('li.instrument'));"
        " return [parseFloat(s.borderLeftWidth), parseFloat(s.borderRightWidth)]; })()"
    )
    assert sides[0] == 0 and sides[1] > 0
    assert page.csp_violations == []


def test_keyboard_focus_is_visible(page, live_server: str) -> None:
    page.goto(f"{live_server}/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    skip = page.locator(".skip-link").bounding_box()
    assert skip is not None and skip["x"] >= 0 and skip["width"] > 0  # on screen once focused

    page.keyboard.press("Tab")  # the brand link
    style = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return {bg: s.backgroundColor, shadow: s.boxShadow, outline: s.outlineStyle}; })()"
    )
    page.mouse.click(5, 890)  # move focus away, then compare with the same link unfocused
    page.evaluate("document.activeElement.blur()")
    rest = page.evaluate(
        "(() => { const s = getComputedStyle(document.querySelector('.brand'));"
        " return {bg: s.backgroundColor, shadow: s.boxShadow, outline: s.outlineStyle}; })()"
    )
    assert style != rest and (style["shadow"] != "none" or style["outline"] != "none")

    page.goto(f"{live_server}/treaties")
    page.get_by_label("State", exact=True).focus()
    page.keyboard.press("Tab")  # keyboard focus into the date field
    ring = page.evaluate("getComputedStyle(document.activeElement).boxShadow")
    assert page.evaluate("document.activeElement.id") == "on" and ring != "none"
    assert page.csp_violations == []


def test_skip_link_moves_to_the_main_content(page, live_server: str) -> None:
    page.goto(f"{live_server}/programmes")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    assert page.evaluate("document.activeElement.id") == "main"


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_pages_fit_a_small_phone_without_sideways_scrolling(page, live_server: str, lang: str) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    for path in ("/", "/treaties?state=COL&on=2026-02-10", "/programmes/col-etpv-2021", "/sign-in"):
        page.goto(f"{live_server}{path}{'&' if '?' in path else '?'}lang={lang}")
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{path} in {lang} is {widths[0]}px wide on a {widths[1]}px screen"
    assert page.csp_violations == []
