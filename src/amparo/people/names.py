"""Name search keys: what a caseworker types must find what a document says.

"José María García-López" is found by "garcia", "lopez m", "jose maria" and "GARCÍA LÓPEZ": keys are
case-folded, stripped of accents and punctuation, and stored once for every word a search may start
with, so that every lookup is an index range scan on one column.
"""

from __future__ import annotations

import re
import unicodedata

#: Longest key stored; longer names are cut (prefix search never needs more).
KEY_LENGTH = 120
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """Case-fold, strip accents and collapse punctuation to single spaces.

    >>> normalise("  José María GARCÍA-López ")
    'jose maria garcia lopez'
    >>> normalise("Øyvind Ærø")
    'oyvind aero'
    """
    folded = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in folded if not unicodedata.combining(c))
    # Letters that NFKD does not decompose but that people type without their diacritic.
    stripped = stripped.translate(_EXTRA)
    return _NON_WORD.sub(" ", stripped).strip()


_EXTRA = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})


def search_keys(given_names: str, family_names: str) -> list[str]:
    """Every key under which a person is found: each word onwards, family-first and given-first,
    without a key that begins another (a search for its prefix finds the longer key anyway).

    >>> search_keys("Ana", "Pérez Soto")
    ['perez soto ana', 'soto ana', 'ana perez soto']
    """
    family, given = normalise(family_names), normalise(given_names)
    tails: list[str] = []
    for full in (f"{family} {given}".strip(), f"{given} {family}".strip()):
        words = full.split(" ")
        for start in range(len(words)):
            key = " ".join(words[start:])[:KEY_LENGTH]
            if key and key not in tails:
                tails.append(key)
    return [key for key in tails if not any(other != key and other.startswith(key) for other in tails)]


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix` (for range scans).

    >>> prefix_upper_bound("gar")
    'gas'
    """
    last = prefix[-1]
    return prefix[:-1] + chr(ord(last) + 1)
