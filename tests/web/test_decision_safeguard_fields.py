"""A refusal blocked by the safeguards shows each missing piece beside the field that supplies it: an
appeal deadline on or before the decision date beside the deadline (marked invalid), missing reasons
beside the reasons; the field is found from the catalogue check's fact, not from English wording."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from amparo.safeguards import default_engine
from amparo.web.forms import FormState
from amparo.web.views import safeguards_panel
from tests.web.conftest import parse
from tests.web.web_support import apply, assign, client_for, make_app, refusal_form, register, sign_in

REASONS = "No document shows that you were in Argentina before 1 June 2026."
HOW = "Escriba a la Dirección Nacional de Migraciones, Av. Antártida Argentina 1355, Buenos Aires."


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("safeguard-fields"))


@pytest.fixture(scope="module")
def number(app: FastAPI) -> str:
    with client_for(app) as client:
        register(client)
        filed = apply(client, with_file=False)
    assign(app, filed)
    return filed


@pytest.fixture
def caseworker(app: FastAPI):
    with client_for(app) as client:
        sign_in(client, "caseworker@arg.example")
        yield client


def _refuse(caseworker, number: str, **fields: str):
    page = caseworker.get(f"/staff/cases/{number}")
    response = caseworker.post(f"/staff/cases/{number}/decision", data=refusal_form(page.text, **fields))
    assert response.status_code == 409, response.status_code
    return parse(response.text)


def _invalid(tree, tag: str, name: str) -> bool:
    return tree.xpath(f"//{tag}[@id='{name}']/@aria-invalid") == ["true"]


def test_a_past_appeal_deadline_is_shown_beside_the_deadline_not_the_reasons(caseworker, number) -> None:
    tree = _refuse(caseworker, number, reasons=REASONS, appeal_how=HOW, appeal_deadline="2020-01-01")
    error = tree.xpath("string(//p[@id='appeal_deadline-error'])")
    assert "an appeal deadline after the date of the decision" in error and "ICRMW art. 22(3)" in error
    assert _invalid(tree, "input", "appeal_deadline")
    assert "appeal_deadline-error" in tree.xpath("string(//input[@id='appeal_deadline']/@aria-describedby)").split()
    assert not tree.xpath("//p[@id='reasons-error']") and not _invalid(tree, "textarea", "reasons")
    assert tree.xpath("string(//textarea[@id='reasons'])") == REASONS  # the input is kept
    assert "#appeal_deadline" in tree.xpath("//div[@class='error-summary']//a/@href")


def test_missing_reasons_are_shown_beside_the_reasons_only(caseworker, number) -> None:
    tree = _refuse(caseworker, number, appeal_how=HOW, appeal_deadline="2039-06-30")
    assert "the reasons for the decision, in writing" in tree.xpath("string(//p[@id='reasons-error'])")
    assert _invalid(tree, "textarea", "reasons")
    assert not _invalid(tree, "input", "appeal_deadline") and not _invalid(tree, "textarea", "appeal_how")


def test_every_decision_check_of_the_catalogue_lands_beside_the_field_of_its_fact() -> None:
    catalogue = default_engine().catalogue
    seen = set()
    for safeguard in catalogue.by_event["decision:refuse"]:
        for check in safeguard.spec.checks:
            form = FormState(model=BaseModel)
            safeguards_panel.attach(form, [{"safeguard": safeguard.id, "sources": ["X art. 1"], "missing": check.missing}])
            expected = safeguards_panel.FACT_FIELDS.get(check.fact, safeguards_panel.DEFAULT_FIELD)
            assert list(form.errors) == [expected], (safeguard.id, check.fact)
            seen.add(expected)
    assert {"reasons", "language", "appeal_how", "appeal_deadline", "best_interests_assessed", "referred_for_protection"} <= seen


def test_several_pieces_of_one_safeguard_are_split_beside_their_fields() -> None:
    form = FormState(model=BaseModel)
    missing = "; ".join(["the reasons for the decision, in writing", "an appeal deadline after the date of the decision"])
    safeguards_panel.attach(form, [
        {"safeguard": "written-reasons", "sources": ["ICRMW art. 22(3)"], "missing": missing},
        {"safeguard": "some-future-safeguard", "sources": [], "missing": ["something the form has no field for"]},
    ])
    assert set(form.errors) == {"reasons", "appeal_deadline", "outcome"}
    assert form.errors["appeal_deadline"] == ["Missing: an appeal deadline after the date of the decision. Required by ICRMW art. 22(3)."]
