"""A failed form comes back with each error beside its field, announced, and the input kept."""

from __future__ import annotations

import datetime

from pydantic import Field, field_validator

from amparo.web import i18n
from amparo.web.forms import WebForm, form_error, validate_form
from amparo.web.i18n import N_
from tests.web.conftest import csrf_from, parse


class _Example(WebForm):
    name: str = Field(min_length=1, title=N_("State"))
    when: datetime.date = Field(title=N_("Date"))
    count: int = Field(default=1, ge=1)

    @field_validator("name")
    @classmethod
    def _not_x(cls, value: str) -> str:
        if value == "x":
            raise form_error(N_("No State is known by “{value}”. Check the spelling, or use its ISO code."), value=value)
        return value


def test_errors_are_per_field_translated_and_input_is_kept() -> None:
    token = i18n.activate("fr")
    try:
        form, state = validate_form(_Example, {"name": "  ", "when": "31/02/2026", "count": "0"})
    finally:
        i18n._current.reset(token)
    assert form is None
    assert set(state.errors) == {"name", "when", "count"}
    assert state.value("when") == "31/02/2026"
    assert state.errors["name"] == ["Ce champ est obligatoire."]
    assert "année-mois-jour" in state.errors["when"][0]
    assert [row[0] for row in state.summary()] == ["name", "when", "count"]


def test_custom_validator_message_carries_its_value() -> None:
    token = i18n.activate("es")
    try:
        _form, state = validate_form(_Example, {"name": "x", "when": "2026-02-03"})
    finally:
        i18n._current.reset(token)
    assert state.errors["name"] == ["No se conoce ningún Estado como «x». Revise cómo está escrito o use su código ISO."]


def test_empty_optional_field_takes_its_default() -> None:
    form, state = validate_form(_Example, {"name": "Chile", "when": "2026-02-03", "count": ""})
    assert state.valid and form is not None and form.count == 1


def test_sign_in_form_redraws_errors_beside_fields_and_never_echoes_the_password(client) -> None:
    token = csrf_from(client.get("/sign-in").text)
    response = client.post("/sign-in", data={"username": "ana@example.org", "password": "", "csrf_token": token})
    assert response.status_code == 422
    doc = parse(response.text)
    summary = doc.xpath("//*[@role='alert']")
    assert summary and summary[0].xpath(".//a[@href='#password']")
    password = doc.get_element_by_id("password")
    assert password.get("aria-invalid") == "true"
    assert "password-error" in password.get("aria-describedby").split()
    assert doc.get_element_by_id("password-error").text_content().strip()
    assert password.get("value") is None
    username = doc.get_element_by_id("username")
    assert username.get("value") == "ana@example.org" and username.get("aria-invalid") is None


def test_treaty_form_keeps_input_and_marks_the_date(client) -> None:
    response = client.get("/treaties?state=Chile&on=2026-13-40")
    assert response.status_code == 422
    doc = parse(response.text)
    assert doc.get_element_by_id("state").get("value") == "Chile"
    date_input = doc.get_element_by_id("on")
    assert date_input.get("value") == "2026-13-40" and date_input.get("aria-invalid") == "true"


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_every_page_form_field_has_a_translatable_label(app) -> None:
    """A field without `title=N_(...)` would be labelled with its English attribute name."""
    forms = [f for f in _all_subclasses(WebForm) if f.__module__.startswith("amparo.")]
    assert {f.__name__ for f in forms} >= {"SignInForm", "TreatyLookupForm"}
    untitled = [f"{form.__name__}.{name}" for form in forms for name, info in form.model_fields.items() if not info.title]
    assert not untitled, f"give these fields a title=N_(...): {untitled}"
