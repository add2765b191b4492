"""Public programme information: what each shipped regularization programme asks and gives, in plain
language. The rules are data (`amparo.programmes`); these pages only explain them."""

from __future__ import annotations

import datetime
from collections import defaultdict
from functools import lru_cache

from babel.numbers import format_currency
from fastapi import Request
from fastapi.responses import HTMLResponse

from amparo.errors import NotFound
from amparo.programmes import EVIDENCE_KINDS, Programme, load_examples, version_on
from amparo.web import i18n
from amparo.web.i18n import N_, _
from amparo.web.routing import web_router
from amparo.web.templating import render
from amparo.web.views.treaties import state_label

router = web_router()

#: Plain-language names of the kinds of evidence of presence (`amparo.programmes.EVIDENCE_KINDS`).
EVIDENCE_LABELS: dict[str, str] = {
    "entry_stamp": N_("An entry stamp in your passport"),
    "migration_record": N_("A record held by the migration authority"),
    "rental_contract": N_("A rental contract"),
    "school_enrolment": N_("A school enrolment (yours or your child's)"),
    "medical_record": N_("A medical record or hospital document"),
    "utility_bill": N_("A water, electricity, gas or phone bill"),
    "employment_record": N_("A work contract, payslip or other employment record"),
    "bank_record": N_("A bank statement or bank record"),
    "public_authority_record": N_("A document from a public authority"),
    "religious_or_community_record": N_("A letter or record from a religious or community organisation"),
    "money_transfer_receipt": N_("A money transfer receipt"),
    "sworn_statement_two_witnesses": N_("A sworn statement by two witnesses"),
}
IDENTITY_LABELS: dict[str, str] = {
    "passport": N_("Passport"),
    "national_id_card": N_("National identity card"),
    "birth_certificate": N_("Birth certificate"),
    "consular_certificate": N_("Certificate from your consulate"),
    "travel_document": N_("Travel document"),
    "refugee_id": N_("Refugee identity document"),
}
FILER_LABELS: dict[str, str] = {
    "applicant": N_("You, yourself"),
    "legal_representative": N_("Your lawyer or legal representative"),
    "assisting_organisation": N_("An organisation helping you (an NGO, a municipality or your consulate)"),
    "employer": N_("Your employer"),
}
if set(EVIDENCE_LABELS) != set(EVIDENCE_KINDS):  # fail at import, not on the page of the first person to hit it
    raise RuntimeError(f"evidence kinds without a plain-language label: {sorted(set(EVIDENCE_KINDS) - set(EVIDENCE_LABELS))}")


@lru_cache(maxsize=1)
def _programmes() -> dict[str, list[Programme]]:
    """Every shipped programme's versions, by id (the data is read once per process)."""
    versions: dict[str, list[Programme]] = defaultdict(list)
    for programme in load_examples():
        versions[programme.id].append(programme)
    return dict(versions)


def current_version(versions: list[Programme], today: datetime.date) -> Programme:
    """The version in effect today, or the first one if none is in effect yet."""
    try:
        return version_on(versions, today)
    except NotFound:
        return min(versions, key=lambda p: (p.effective, p.version))


def window_state(programme: Programme, today: datetime.date) -> str:
    """"upcoming", "open" or "closed" on `today` (both window days included)."""
    if today < programme.window.opens:
        return "upcoming"
    if programme.window.closes is not None and today > programme.window.closes:
        return "closed"
    return "open"


def fee_text(programme: Programme) -> str:
    """The fee in the current language's currency format, or "Free of charge"."""
    if programme.fee.amount == 0:
        return _("Free of charge")
    return format_currency(programme.fee.amount, programme.fee.currency, locale=i18n.current())


def _context(programme: Programme, today: datetime.date) -> dict[str, object]:
    return {
        "programme": programme,
        "jurisdiction": state_label(programme.jurisdiction),
        "window_state": window_state(programme, today),
        "fee": fee_text(programme),
        "nationalities": [state_label(code) for code in (programme.eligibility.nationality.any_of if programme.eligibility.nationality else [])],
        "evidence": [_(EVIDENCE_LABELS[kind]) for kind in (programme.eligibility.presence.evidence_any_of if programme.eligibility.presence else [])],
        "identity": [_(IDENTITY_LABELS[kind]) for kind in (programme.eligibility.identity_document.accepted if programme.eligibility.identity_document else [])],
        "filers": [_(FILER_LABELS[kind]) for kind in programme.filing.by],
    }


@router.get("/programmes", name="programme_list")
def programme_list(request: Request) -> HTMLResponse:
    """Every shipped programme with where it applies, its window and whether it is open today."""
    today = datetime.date.today()
    items = [_context(current_version(versions, today), today) for _id, versions in sorted(_programmes().items())]
    return render(request, "programmes/list.html", {"items": items, "today": today})


@router.get("/programmes/{programme_id}", name="programme_detail")
def programme_detail(request: Request, programme_id: str) -> HTMLResponse:
    """One programme's rules in plain language: who, evidence, fee, window, permit, certificate.

    Raises:
        NotFound: no shipped programme has this id.
    """
    versions = _programmes().get(programme_id)
    if not versions:
        known = ", ".join(sorted(_programmes())) or _("none")
        raise NotFound(_("There is no programme “{value}”. The programmes here are: {known}.", value=programme_id, known=known))
    today = datetime.date.today()
    return render(request, "programmes/detail.html", {**_context(current_version(versions, today), today), "today": today})
