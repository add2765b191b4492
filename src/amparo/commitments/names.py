"""Participant names as the sources spell them, mapped to ISO 3166-1 alpha-3 codes.

Used only when building data or importing a page (it imports pycountry); the query path reads the
states table that the build ships instead.

Codes for participants that are not ISO 3166-1 countries, or that ISO names differently, are fixed
here and documented in ``SPECIAL_PARTICIPANTS``:

* ``EUU``: the European Union (the World Bank's code; ISO 3166-1 reserves "EU" as an alpha-2
  exceptional reservation but assigns no alpha-3).
* ``VAT``: Holy See; ``PSE``: State of Palestine; ``COK``: Cook Islands; ``NIU``: Niue (all ISO).
* ``YUG``: the former Socialist Federal Republic of Yugoslavia (ISO 3166-3 withdrawn code), which
  appears only as the author of declarations that its successors confirmed.
"""

from __future__ import annotations

import unicodedata

#: Non-State or special participants the UN counts as parties: code -> (name, kind).
SPECIAL_PARTICIPANTS: dict[str, tuple[str, str]] = {
    "EUU": ("European Union", "regional integration organisation"),
    "VAT": ("Holy See", "non-member observer State"),
    "PSE": ("State of Palestine", "non-member observer State"),
    "COK": ("Cook Islands", "State in free association with New Zealand with full treaty-making capacity"),
    "NIU": ("Niue", "State in free association with New Zealand with full treaty-making capacity"),
    "YUG": ("Yugoslavia (former)", "predecessor State"),
}

#: Spellings used by the UNTC pages, the older UNTC scrapes, NORMLEX (French) and the Swiss
#: compilation (German) that pycountry does not resolve, or resolves to the wrong entity.
SOURCE_SPELLINGS: dict[str, str] = {
    # UN Treaty Collection
    "Bahamas (The)": "BHS",
    "Bolivia (Plurinational State of)": "BOL",
    "Côte d'Ivoire": "CIV",
    "Cote d'Ivoire": "CIV",
    "Czech Republic": "CZE",
    "Democratic People's Republic of Korea": "PRK",
    "Democratic Republic of the Congo": "COD",
    "European Union": "EUU",
    "Gambia (The)": "GMB",
    "Guinea - Bissau": "GNB",
    "Holy See": "VAT",
    "Iran (Islamic Republic of)": "IRN",
    "Lao People's Democratic Republic": "LAO",
    "Micronesia (Federated States of)": "FSM",
    "Netherlands (Kingdom of the)": "NLD",
    "Republic of Korea": "KOR",
    "Republic of Macedonia": "MKD",
    "Republic of Moldova": "MDA",
    "St. Kitts and Nevis": "KNA",
    "St. Lucia": "LCA",
    "St. Vincent and the Grenadines": "VCT",
    "State of Palestine": "PSE",
    "Swaziland": "SWZ",
    "The former Yugoslav Republic of Macedonia": "MKD",
    "Türkiye": "TUR",
    "Turkey": "TUR",
    "United Kingdom of Great Britain and Northern Ireland": "GBR",
    "United Republic of Tanzania": "TZA",
    "United States of America": "USA",
    "Venezuela (Bolivarian Republic of)": "VEN",
    "Yugoslavia (former)": "YUG",
    # NORMLEX, French
    "Albanie": "ALB",
    "Algérie": "DZA",
    "Allemagne": "DEU",
    "Arménie": "ARM",
    "Barbade": "BRB",
    "Belgique": "BEL",
    "Bosnie-Herzégovine": "BIH",
    "Brésil": "BRA",
    "Cameroun": "CMR",
    "Chypre": "CYP",
    "Comores": "COM",
    "Dominique": "DMA",
    "Equateur": "ECU",
    "Espagne": "ESP",
    "Grenade": "GRD",
    "Israël": "ISR",
    "Italie": "ITA",
    "Jamaïque": "JAM",
    "Kirghizistan": "KGZ",
    # Swiss classified compilation, German
    "Argentinien": "ARG",
    "Belgien": "BEL",
    "Bolivien": "BOL",
    "Brasilien": "BRA",
    "Deutschland": "DEU",
    "Dominikanische Republik": "DOM",
    "Finnland": "FIN",
    "Irland": "IRL",
    "Italien": "ITA",
    "Jamaika": "JAM",
    "Kolumbien": "COL",
    "Madagaskar": "MDG",
    "Mexiko": "MEX",
    "Philippinen": "PHL",
    "Schweden": "SWE",
    "Schweiz": "CHE",
    "Südafrika": "ZAF",
}


#: Short English names people type that neither pycountry nor the sources use; shipped as aliases
#: in the states table so that the query path accepts them too.
COMMON_NAMES: dict[str, str] = {
    "Brunei": "BRN",
    "Burma": "MMR",
    "Cape Verde": "CPV",
    "Congo-Brazzaville": "COG",
    "DR Congo": "COD",
    "DRC": "COD",
    "East Timor": "TLS",
    "EU": "EUU",
    "Great Britain": "GBR",
    "Holland": "NLD",
    "Ivory Coast": "CIV",
    "Macedonia": "MKD",
    "Micronesia": "FSM",
    "Palestine": "PSE",
    "Russia": "RUS",
    "UAE": "ARE",
    "UK": "GBR",
    "Vatican": "VAT",
    "Vatican City": "VAT",
}


def fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive key: "Côte d'Ivoire" -> "cotedivoire"."""
    decomposed = unicodedata.normalize("NFKD", text.replace("&", " and "))
    return "".join(ch for ch in decomposed.casefold() if ch.isalnum())


_FOLDED = {fold(name): code for name, code in SOURCE_SPELLINGS.items()}


def code_for_source_name(name: str) -> str | None:
    """The alpha-3 code of a participant as a source spells it, or None if nothing matches.

    The explicit table wins over pycountry, so that a source spelling is never silently matched to
    a different entity by a fuzzy rule.
    """
    cleaned = " ".join(name.split())
    code = _FOLDED.get(fold(cleaned))
    if code:
        return code
    import pycountry  # build and import path only

    try:
        return pycountry.countries.lookup(cleaned).alpha_3
    except LookupError:
        return None
