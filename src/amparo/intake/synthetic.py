"""Synthetic applicants for the demo, the tests and the benchmark: intake CSV rows with realistic names.

Names come from Faker's locale data, drawn once into pools per locale (Faker per row is ~100 times
slower than a pool draw, and a benchmark writes millions of rows). Nationalities follow the
programme's nationality criterion, with a share of people outside it, of children and of people who
arrived after the presence cut-off, so the pre-assessment sees every outcome. Everything is seeded:
the same seed writes the same file. Faker has no Venezuelan locale; Venezuelan names are drawn from
its Colombian, Mexican and Spanish pools, which share the naming pattern (two given names, two family
names).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from amparo.intake.format import COLUMN_NAMES
from amparo.programmes import Programme

POOL = 400
#: Where people of a nationality get their names, and the languages they are likely to speak.
_ORIGINS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "VEN": (("es_CO", "es_MX", "es_ES"), ("es",)),
    "COL": (("es_CO",), ("es",)),
    "ARG": (("es_AR",), ("es",)),
    "BOL": (("es_AR", "es_CL"), ("es", "qu", "ay")),
    "PRY": (("es_AR",), ("es", "gn")),
    "PER": (("es_CL", "es_MX"), ("es", "qu")),
    "BRA": (("pt_BR",), ("pt",)),
    "HTI": (("fr_FR",), ("ht", "fr")),
    "SYR": (("ar_SA", "ar_AA"), ("ar",)),
    "LBN": (("ar_AA", "fr_FR"), ("ar", "fr")),
    "SEN": (("fr_FR",), ("fr", "wo")),
}
#: Country calling codes of jurisdictions, so phone numbers look local.
_CALLING = {"COL": 57, "ARG": 54, "BRA": 55, "CHL": 56, "PER": 51, "ECU": 593, "ESP": 34, "ITA": 39, "MEX": 52}
_OTHERS = ("HTI", "PER", "SYR", "BRA", "BOL")
_SITES = ("terminal-norte", "parroquia-san-jose", "alcaldia-centro", "consulado-movil", "escuela-frontera", "hospital-regional")
_DOCUMENTS = ("passport", "passport", "passport", "national_id_card", "national_id_card", "birth_certificate")
CONSENT = "I agree that this organisation files my application under the programme for me and sends me its answers."


@dataclass(frozen=True)
class _Pool:
    female: tuple[str, ...]
    male: tuple[str, ...]
    family: tuple[str, ...]


_pools: dict[str, _Pool] = {}


def _pool(locale: str) -> _Pool:
    found = _pools.get(locale)
    if found is None:
        from faker import Faker  # imported here: the web process never needs it

        fake = Faker(locale)
        fake.seed_instance(7)
        found = _Pool(
            tuple(sorted({fake.first_name_female() for _ in range(POOL)})),
            tuple(sorted({fake.first_name_male() for _ in range(POOL)})),
            tuple(sorted({fake.last_name() for _ in range(POOL)})),
        )
        _pools[locale] = found
    return found


def rows(programme: Programme, count: int, *, seed: int = 2021, today: dt.date | None = None, start: int = 0) -> Iterator[dict[str, str]]:
    """`count` intake rows (cells by column) for `programme`, numbered from `start` (unique row ids)."""
    rnd = random.Random(seed)
    today = today or dt.date.today()
    opens = programme.window.opens
    closes = min(programme.window.closes or today, today)
    span = max((closes - opens).days, 0)
    eligibility = programme.eligibility
    wanted = tuple(eligibility.nationality.any_of) if eligibility.nationality else ("VEN", "BOL", "PRY", "PER")
    cutoff = eligibility.presence.before if eligibility.presence else opens
    kinds = tuple(eligibility.presence.evidence_any_of) if eligibility.presence else ("rental_contract", "utility_bill", "medical_record")
    prefix = programme.jurisdiction.lower()
    calling = _CALLING.get(programme.jurisdiction, 1)
    for i in range(start, start + count):
        nationality = rnd.choice(wanted) if rnd.random() < 0.93 else rnd.choice(_OTHERS)
        locales, languages = _ORIGINS.get(nationality, (("es_CO",), ("es",)))
        pool = _pool(rnd.choice(locales))
        sex = "female" if rnd.random() < 0.51 else "male"
        first = pool.female if sex == "female" else pool.male
        given = rnd.choice(first) + (" " + rnd.choice(first) if rnd.random() < 0.6 else "")
        family = rnd.choice(pool.family) + (" " + rnd.choice(pool.family) if locales[0].startswith("es") else "")
        filed = opens + dt.timedelta(days=rnd.randint(0, span))
        age = rnd.choice((rnd.randint(0, 17), rnd.randint(18, 64), rnd.randint(18, 64), rnd.randint(18, 64), rnd.randint(65, 85)))
        birth = filed - dt.timedelta(days=age * 365 + rnd.randint(0, 364))
        late = rnd.random() < 0.08  # arrived after the cut-off: the pre-assessment says so
        arrived = (cutoff + dt.timedelta(days=rnd.randint(0, 60))) if late else (cutoff - dt.timedelta(days=rnd.randint(30, 2500)))
        arrived = min(arrived, filed)
        evidence = []
        for _ in range(rnd.choice((0, 1, 1, 2, 2, 3))):
            low, high = arrived, min(filed, cutoff - dt.timedelta(days=1)) if not late else filed
            if high < low:
                high = low
            evidence.append(f"{rnd.choice(kinds)}:{low + dt.timedelta(days=rnd.randint(0, (high - low).days))}")
        document = rnd.choice(_DOCUMENTS) if rnd.random() < 0.9 else ""
        expires = "" if document != "passport" else str(filed + dt.timedelta(days=rnd.randint(-1500, 3000)))
        site = rnd.choice(_SITES)
        yield {
            "site": f"{prefix}-{site}", "row_id": f"F-{i:08d}", "programme_id": programme.id, "filed_on": str(filed),
            "given_names": given, "family_names": family, "date_of_birth": "" if rnd.random() < 0.02 else str(birth),
            "sex": sex, "nationalities": nationality + (";" + programme.jurisdiction if rnd.random() < 0.03 and nationality != programme.jurisdiction else ""),
            "languages": ";".join(languages[: rnd.randint(1, len(languages))]),
            "phone": f"+{calling} {rnd.randint(300, 399)} {rnd.randint(100, 999)} {rnd.randint(1000, 9999)}" if rnd.random() < 0.8 else "",
            "email": "", "address": "",
            "arrived_on": str(arrived) if rnd.random() < 0.85 else "",
            "declares_no_disqualifying_record": "yes" if rnd.random() < 0.95 else "",
            "id_document_kind": document, "id_document_expires_on": expires, "evidence": ";".join(evidence),
            "consent_method": "signed_form" if rnd.random() < 0.9 else "witnessed_verbal", "consent_given_on": str(filed),
            "consent_statement": CONSENT,
        }


def write_csv(path: Path, programme: Programme, count: int, *, seed: int = 2021, today: dt.date | None = None) -> int:
    """Write `count` synthetic rows to `path` as an intake CSV; returns the number written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMN_NAMES)
        writer.writeheader()
        written = 0
        for row in rows(programme, count, seed=seed, today=today):
            writer.writerow(row)
            written += 1
    return written
