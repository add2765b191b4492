"""Public treaty lookup: a State and a date → every instrument, binding or not or unknown, and why.

A plain GET form, so it works with JavaScript off and a result can be bookmarked or shared.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import lru_cache

import pycountry
from fastapi import Request
from fastapi.responses import HTMLResponse
from pydantic import Field

from amparo.commitments import StatusAnswer, UnknownState, load
from amparo.commitments.names import fold
from amparo.errors import InvalidInput
from amparo.web import i18n
from amparo.web.forms import WebForm, blank_form, validate_form
from amparo.web.i18n import N_, _
from amparo.web.routing import web_router
from amparo.web.templating import render

router = web_router()
#: Order of the result groups: what binds first, then what the data cannot settle, then the rest.
GROUPS = ("binding", "unknown", "not_binding")


def _today() -> datetime.date:
    return datetime.date.today()


class TreatyLookupForm(WebForm):
    """The lookup form; both fields travel in the query string."""

    state: str = Field(
        min_length=1,
        max_length=120,
        title=N_("State"),
        description=N_("Its name in any of this site's languages, or its ISO code, for example Colombia, CO or COL."),
    )
    on: datetime.date = Field(default_factory=_today, title=N_("Date"), description=N_("Year-month-day, for example 2026-02-03."))


@lru_cache(maxsize=1)
def _localised_names() -> dict[str, str]:
    """Folded State name in each interface language → alpha-2 code (CLDR), so "Francia" finds FRA."""
    names: dict[str, str] = {}
    for code in i18n.LANGUAGES:
        for alpha2, name in i18n.territory_names(code).items():
            names.setdefault(fold(name), alpha2)
    return names


def _alpha2(alpha3: str) -> str | None:
    country = pycountry.countries.get(alpha_3=alpha3)
    return country.alpha_2 if country is not None else None


def state_label(alpha3: str) -> str:
    """The State's name in the current language, falling back to the data's English name."""
    alpha2 = _alpha2(alpha3)
    names = i18n.territory_names(i18n.current())
    if alpha2 and alpha2 in names:
        return names[alpha2]
    return load().state_name(alpha3)


def resolve_state(text: str) -> str:
    """An alpha-3 code for what the person typed: a code, or a name in English, Spanish, French or
    Arabic (the engine's own names and aliases included).

    Raises:
        UnknownState: nothing matches; `details[0]["suggestions"]` holds close matches.
    """
    engine = load()
    alpha2 = _localised_names().get(fold(text))
    if alpha2:
        try:
            return engine.resolve_state(alpha2)
        except UnknownState:
            pass
    return engine.resolve_state(text)


@dataclass(frozen=True)
class Row:
    """One instrument's answer, ready for the template."""

    answer: StatusAnswer
    short_name: str
    title: str
    partial: bool
    source_url: str | None
    source_note: str
    #: The source's own words for how current the data is, when it is vaguer than a day ("2013").
    as_at_text: str | None


def _split_source(source: str) -> tuple[str | None, str]:
    """The leading URL of a source string (linked) and the rest (shown as text)."""
    first, _sep, rest = source.partition(" ")
    if first.startswith(("https://", "http://")):
        return first, rest.strip()
    return None, source


def lookup_rows(alpha3: str, on: datetime.date) -> dict[str, list[Row]]:
    """The State's profile on `on`, grouped by status in `GROUPS` order, catalogue order within."""
    engine = load()
    groups: dict[str, list[Row]] = {status: [] for status in GROUPS}
    for answer in engine.profile(alpha3, on):
        instrument = engine.instrument(answer.instrument)
        url, note = _split_source(answer.source)
        as_at_text = instrument.status_as_at_text
        if as_at_text == answer.status_as_at.isoformat():
            as_at_text = None
        groups[answer.status].append(
            Row(answer, instrument.short_name, instrument.title, instrument.partial, url, note, as_at_text)
        )
    return groups


def _suggestions(error: UnknownState, on: datetime.date) -> list[tuple[str, str]]:
    """(localised label, URL) for each State the engine suggests."""
    found = []
    for detail in error.details:
        for label in detail.get("suggestions") or []:
            code = str(label).split(" ", 1)[0]
            try:
                found.append((f"{state_label(code)} ({code})", f"/treaties?state={code}&on={on.isoformat()}"))
            except (UnknownState, KeyError):
                continue
    return found


@router.get("/treaties", name="treaty_lookup")
def treaty_lookup(request: Request) -> HTMLResponse:
    """The form; with `state` in the query, the form and the State's instruments on the date."""
    context: dict[str, object] = {"groups": None, "suggestions": [], "GROUPS": GROUPS}
    if "state" not in request.query_params:
        context["form"] = blank_form(TreatyLookupForm, on=_today().isoformat())
        return render(request, "treaties/lookup.html", context)
    form, state = validate_form(TreatyLookupForm, request.query_params)
    context["form"] = state
    if form is None:
        return render(request, "treaties/lookup.html", context, status_code=422)
    try:
        alpha3 = resolve_state(form.state)
    except UnknownState as error:
        state.add_error("state", _("No State is known by “{value}”. Check the spelling, or use its ISO code.", value=form.state))
        context["suggestions"] = _suggestions(error, form.on)
        return render(request, "treaties/lookup.html", context, status_code=422)
    except InvalidInput:
        state.add_error("state", _("No State is known by “{value}”. Check the spelling, or use its ISO code.", value=form.state))
        return render(request, "treaties/lookup.html", context, status_code=422)
    groups = lookup_rows(alpha3, form.on)
    as_at = sorted({row.answer.status_as_at for rows in groups.values() for row in rows})
    context.update(
        groups=groups,
        alpha3=alpha3,
        state_name=state_label(alpha3),
        on=form.on,
        newest_as_at=as_at[-1] if as_at else None,
        oldest_as_at=as_at[0] if as_at else None,
    )
    return render(request, "treaties/lookup.html", context)
