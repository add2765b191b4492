"""Languages of the web interface: choosing one per request, translating, formatting.

English is the source language; Spanish, French and Arabic come from gettext catalogues in
`translations/<lang>/LC_MESSAGES/messages.po`. The catalogues are compiled in memory when first used
(Babel's `read_po` + `write_mo`) rather than shipped as `.mo` files: the `.po` file is then the only
copy, a fresh checkout or install works with no build step, and a stale `.mo` cannot exist. It costs a
few milliseconds per language, once per process.

Text direction is never hard-coded: it comes from each locale's CLDR data (`character_order`).
"""

from __future__ import annotations

import contextvars
import datetime
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import DateTimePattern, get_date_format, parse_pattern
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import LazyProxy, NullTranslations, Translations

#: The interface languages, English (the source language) first.
LANGUAGES: tuple[str, ...] = ("en", "es", "fr", "ar")
DEFAULT_LANGUAGE = "en"
#: Cookie that remembers the language a person chose with the switch.
LANG_COOKIE = "amparo_lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
TRANSLATIONS_DIR = Path(__file__).parent / "translations"

_current: contextvars.ContextVar[str] = contextvars.ContextVar("amparo_web_language", default=DEFAULT_LANGUAGE)
#: Texts `gettext` produced during this request: the error page knows such a message is already in
#: the page's language, and marks any other (English from a domain error) as English.
_produced: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar("amparo_web_produced", default=None)


@dataclass(frozen=True)
class Language:
    """What a template needs to know about one interface language."""

    code: str
    #: The language's name in itself ("Español", "العربية"), for the switch.
    autonym: str
    #: "ltr" or "rtl", from CLDR.
    direction: str


@lru_cache(maxsize=None)
def language(code: str) -> Language:
    """The `Language` for one of `LANGUAGES`."""
    locale = Locale.parse(code)
    direction = "rtl" if locale.character_order == "right-to-left" else "ltr"
    name = locale.display_name or code
    return Language(code=code, autonym=name[:1].upper() + name[1:], direction=direction)


@lru_cache(maxsize=None)
def translations(code: str) -> NullTranslations:
    """The compiled catalogue for `code`; English (and a missing catalogue) translate to themselves.

    Fuzzy entries are left out on purpose: a translator has not confirmed them.
    """
    po_path = TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.po"
    if code == DEFAULT_LANGUAGE or not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=code)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer)


def normalise(code: str | None) -> str | None:
    """One of `LANGUAGES` for a tag such as "es", "es-CO", "fr_CA" or "AR"; None if unsupported."""
    if not code:
        return None
    try:
        locale = Locale.parse(code.strip().replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    return locale.language if locale.language in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The supported language the browser prefers most, honouring q-values; None if none is supported."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        code = normalise(tag) if tag and tag != "*" else None
        if code and quality > 0:
            ranked.append((-quality, position, code))
    return min(ranked)[2] if ranked else None


def choose(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The request's language: `?lang=`, then the switch's cookie, then Accept-Language, then English."""
    return normalise(query) or normalise(cookie) or from_accept_language(accept_language) or DEFAULT_LANGUAGE


def current() -> str:
    """The language of the request being handled (English outside a request)."""
    return _current.get()


def activate(code: str) -> contextvars.Token[str]:
    """Make `code` the current language for this context (the locale middleware does this per request)."""
    return _current.set(code)


def start_request() -> contextvars.Token[set[str] | None]:
    """Begin recording translated texts for one request (see `was_translated`)."""
    return _produced.set(set())


def was_translated(text: str) -> bool:
    """Whether `text` came out of `gettext` in this request (so it is in the request's language)."""
    produced = _produced.get()
    return produced is not None and text in produced


def gettext(message: str, **variables: Any) -> str:
    """`message` translated into the current language, then `str.format`-ed with `variables`."""
    text = translations(current()).gettext(message)
    text = text.format(**variables) if variables else text
    produced = _produced.get()
    if produced is not None and len(produced) < 1000:
        produced.add(text)
    return text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    """The plural form for `n` in the current language; `{n}` is available to the message."""
    text = translations(current()).ngettext(singular, plural, n)
    return text.format(n=format_number(n), **variables)


_ = gettext


def N_(message: str) -> str:
    """Mark `message` for extraction without translating it now (it is translated where it is shown)."""
    return message


def lazy_gettext(message: str, **variables: Any) -> LazyProxy:
    """A string that translates itself into the language current when it is used, not when defined."""
    return LazyProxy(gettext, message, enable_cache=False, **variables)


def format_date(day: datetime.date | None, length: str = "long") -> str:
    """`day` written the way the current language writes dates ("3 de febrero de 2026")."""
    if day is None:
        return ""
    locale = _locale(current())
    return _date_pattern(locale.language, length).apply(day, locale)


def format_number(value: int | float) -> str:
    """`value` with the current language's digit grouping and decimal sign."""
    return format_decimal(value, locale=_locale(current()))


@lru_cache(maxsize=None)
def _locale(code: str) -> Locale:
    """CLDR's data for `code`, parsed once (Babel parses a code given as text on every call)."""
    return Locale.parse(code)


@lru_cache(maxsize=None)
def _date_pattern(code: str, length: str) -> DateTimePattern:
    """The language's date pattern of `length` ("short", "medium", "long", "full"), parsed once."""
    return parse_pattern(get_date_format(length, locale=_locale(code)))


@lru_cache(maxsize=None)
def territory_names(code: str) -> dict[str, str]:
    """ISO 3166-1 alpha-2 code → the State's name in language `code` (from CLDR)."""
    return {key: value for key, value in Locale.parse(code).territories.items() if len(key) == 2 and key.isalpha()}


def language_name(code: str) -> str:
    """A language's name in the current language from CLDR ("es" → "español" on a Spanish page), with
    its code after it; the code alone when CLDR does not know it."""
    try:
        name = Locale.parse(current()).languages.get(code.replace("-", "_").split("_")[0].lower())
    except (ValueError, TypeError):
        name = None
    return f"{name} ({code})" if name else code


def territory_name(alpha2: str) -> str:
    """The State's name in the current language, or the code itself when CLDR has no name."""
    return territory_names(current()).get(alpha2.upper(), alpha2.upper())
