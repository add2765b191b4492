"""ISO 3166-1 alpha-3 country codes, checked against pycountry's copy of the standard."""

from __future__ import annotations

from functools import lru_cache

import pycountry

from amparo.errors import InvalidInput


@lru_cache(maxsize=512)
def country_name(code: str) -> str | None:
    """The ISO short name of alpha-3 `code`, or None when it is not an assigned code."""
    if len(code) != 3 or not code.isascii() or not code.isupper():
        return None
    country = pycountry.countries.get(alpha_3=code)
    return None if country is None else country.name


def check_alpha3(value: str, *, field: str = "code") -> str:
    """Return `value` when it is an assigned ISO 3166-1 alpha-3 code, else raise `InvalidInput`.

    Lower case is refused rather than silently upper-cased so that stored codes are always canonical
    at the edge too.
    """
    if not isinstance(value, str) or country_name(value) is None:
        hint = ""
        if isinstance(value, str) and country_name(value.upper()) is not None:
            hint = f" (did you mean {value.upper()!r}?)"
        raise InvalidInput(
            f"{field} {value!r} is not an ISO 3166-1 alpha-3 country code{hint}; expected three capital "
            "letters such as 'ARG', 'COL' or 'ESP'",
            details=[{"field": field, "value": value, "expected": "ISO 3166-1 alpha-3 code, e.g. 'ARG'"}],
        )
    return value


def alpha3_validator(value: str) -> str:
    """Pydantic validator form of `check_alpha3` (raises ValueError so the field is named)."""
    if not isinstance(value, str) or country_name(value) is None:
        raise ValueError("an ISO 3166-1 alpha-3 country code in capitals, e.g. 'ARG'")
    return value
