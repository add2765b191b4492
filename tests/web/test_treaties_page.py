"""The public treaty lookup against the real commitments data, at boundary dates."""

from __future__ import annotations

import datetime

import pytest

from amparo.commitments import load
from tests.web.conftest import parse


def _groups(client, state: str, on: str, lang: str = "en") -> dict[str, set[str]]:
    response = client.get(f"/treaties?state={state}&on={on}&lang={lang}")
    assert response.status_code == 200, response.text[:300]
    doc = parse(response.text)
    groups = {}
    for status in ("binding", "unknown", "not_binding"):
        section = doc.get_element_by_id(f"group-{status}")
        groups[status] = {h.xpath("string(.//span[@class='abbr'])").strip("()") for h in section.xpath(".//h4")}
    return groups


def _engine_groups(state: str, on: datetime.date) -> dict[str, set[str]]:
    engine = load()
    groups: dict[str, set[str]] = {"binding": set(), "unknown": set(), "not_binding": set()}
    for answer in engine.profile(state, on):
        groups[answer.status].add(engine.instrument(answer.instrument).short_name)
    return groups


@pytest.mark.parametrize("state", ["Colombia", "COL", "CO", "Colombie", "كولومبيا"])
def test_page_agrees_with_engine_at_the_icrmw_boundary(client, state: str) -> None:
    engine = load()
    in_force = engine.status("COL", "ICRMW", "2010-01-01").in_force_from
    day_before = in_force - datetime.timedelta(days=1)
    before = _groups(client, state, day_before.isoformat())
    on_day = _groups(client, state, in_force.isoformat())
    assert before == _engine_groups("COL", day_before) and on_day == _engine_groups("COL", in_force)
    assert "ICRMW" not in before["binding"] and "ICRMW" in on_day["binding"]


def test_after_the_data_runs_out_the_answer_is_unknown_not_no(client) -> None:
    engine = load()
    icrmw = engine.instrument("ICRMW")
    later = icrmw.status_as_at + datetime.timedelta(days=1)
    # A State that had not joined the ICRMW when the data was taken: the day of, not binding;
    # the day after, the data can no longer say.
    state = next(s for s in ("USA", "FRA", "DEU", "CAN") if engine.status(s, "ICRMW", icrmw.status_as_at).status != "binding")
    assert "ICRMW" in _groups(client, state, icrmw.status_as_at.isoformat())["not_binding"]
    assert "ICRMW" in _groups(client, state, later.isoformat())["unknown"]


def test_result_shows_dates_reasons_sources_and_the_data_date(client) -> None:
    response = client.get("/treaties?state=COL&on=2026-02-10&lang=es")
    doc = parse(response.text)
    answer = load().status("COL", "ICRMW", "2026-02-10")
    item = [li for li in doc.xpath("//li[contains(@class,'instrument')]") if "(ICRMW)" in li.text_content()][0]
    text = item.text_content()
    assert "Convención Internacional sobre la protección de los derechos de todos los trabajadores migratorios" in text
    assert "1 de julio de 2003" in text and answer.reason in text
    assert item.xpath(".//span[@lang='en']")  # the engine's English reason is marked as English
    assert item.xpath(".//a[starts-with(@href,'https://treaties.un.org')]")
    assert "3 de febrero de 2026" in doc.xpath("string(//p[@class='data-note'])")


def test_unknown_state_comes_back_with_suggestions(client) -> None:
    response = client.get("/treaties?state=Fr4nce&on=2026-02-10&lang=fr")
    assert response.status_code == 422
    doc = parse(response.text)
    assert doc.get_element_by_id("state").get("aria-invalid") == "true"
    assert "« Fr4nce »" in doc.get_element_by_id("state-error").text_content()
    suggestion = doc.xpath("//div[@class='suggestions']//a")[0]
    assert suggestion.text_content() == "France (FRA)" and "state=FRA" in suggestion.get("href")
    assert client.get(suggestion.get("href")).status_code == 200


def test_vague_data_dates_are_shown_in_the_sources_words(client) -> None:
    engine = load()
    vague = [i for i in engine.instruments() if i.status_as_at_text and i.status_as_at_text != i.status_as_at.isoformat()]
    assert vague, "the shipped data has no instrument with an approximate status date"
    doc = parse(client.get("/treaties?state=COL&on=2026-02-10").text)
    for instrument in vague:
        item = [li for li in doc.xpath("//li[contains(@class,'instrument')]") if f"({instrument.short_name})" in li.text_content()][0]
        assert instrument.status_as_at_text in item.text_content()
        if instrument.partial:
            assert "the list of parties is partial" in item.text_content()
