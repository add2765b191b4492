"""The bulk intake CSV format: one row per application collected at a field intake site.

This module is the format's single definition: the importer checks headers against `COLUMNS`, the
`amparo intake format` command prints `reference()`, and a test fails if a column is undocumented.

Rules that hold for every column:

* UTF-8 text (a byte-order mark, as spreadsheets write it, is accepted), comma-separated, quoted
  as RFC 4180 when a value holds a comma, quote or line break. The first row names the columns, in
  any order; unknown columns are refused (a misspelt column would otherwise be silently ignored).
* A row is numbered as a spreadsheet shows it: the header is row 1, the first application row 2.
* Dates are ISO 8601 days (`2021-01-15`). Empty means "not stated", never "no".
* Lists (`nationalities`, `languages`, `evidence`) separate items with `;`.
* `evidence` holds declarations `kind:date`, e.g. `rental_contract:2020-11-03;utility_bill:2021-01-15`:
  the documents the person showed at the site and the date written on each. The files themselves
  may be uploaded later to the case.
* `site` + `row_id` identify the paper or tablet form for ever: importing a row whose pair was
  already imported creates nothing and is counted as "already imported". A site must never reuse a
  row id (use the form's serial number, not a line number); a pair already filed for a person with
  other names or date of birth is rejected, not skipped.
* Rows are filed on the person's behalf by the assisting organisation that ran the site, so each row
  records the person's consent (`consent_method`, `consent_given_on` and the words agreed to, in
  `consent_statement` or, for a site's printed form, `--consent-text` on the command line).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Separator inside list columns.
LIST_SEPARATOR = ";"
#: Separator between an evidence kind and its date.
EVIDENCE_SEPARATOR = ":"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    required: bool
    meaning: str
    example: str


COLUMNS: tuple[Column, ...] = (
    Column("site", True, "Code of the intake site: letters, digits, '.', '_' or '-', at most 40.", "cucuta-terminal"),
    Column("row_id", True, "The site's id of this form, never reused: letters, digits, '.', '_', '-' or '/', at most 64.", "F-000123"),
    Column("programme_id", False, "The programme applied for; when present it must be the one given with --programme.", "col-etpv-2021"),
    Column("filed_on", True, "The day the person signed the form at the site (the filing date for the window and deadlines).", "2021-06-14"),
    Column("given_names", True, "Given names exactly as written in the person's identity document.", "María José"),
    Column("family_names", True, "Family names exactly as written in the person's identity document.", "Pérez Rangel"),
    Column("date_of_birth", False, "Date of birth; empty when unknown (never guessed).", "1990-04-17"),
    Column("sex", False, "As in the travel document: female, male, x or unknown (F, M and X are accepted too); empty is unknown.", "female"),
    Column("nationalities", False, "Every nationality as ISO 3166-1 alpha-3 codes; empty for a stateless person.", "VEN;COL"),
    Column("languages", False, "Languages the person understands, preferred first (BCP 47 tags).", "es;guc"),
    Column("phone", False, "Phone number to reach the person.", "+57 300 555 0101"),
    Column("email", False, "Email address to reach the person.", "maria@example.org"),
    Column("address", False, "Postal address in the jurisdiction.", "Calle 10 # 4-21, Cúcuta"),
    Column("arrived_on", False, "Date of arrival in the territory, if the person states one.", "2019-08-02"),
    Column("declares_no_disqualifying_record", False, "The person's declaration that they have no disqualifying record: yes or no; empty if not asked.", "yes"),
    Column("id_document_kind", False, "Identity document held: passport, national_id_card, birth_certificate, consular_certificate, travel_document or refugee_id.", "passport"),
    Column("id_document_expires_on", False, "Expiry date of that document; empty when it has none.", "2019-03-01"),
    Column("evidence", False, "Evidence of presence shown at the site, as kind:date items (kinds of amparo.programmes.EVIDENCE_KINDS).", "rental_contract:2020-11-03;utility_bill:2021-01-15"),
    Column("consent_method", True, "How the person consented to the site filing for them: signed_form, witnessed_verbal or digital_signature.", "signed_form"),
    Column("consent_given_on", True, "The day the person gave that consent (not after filed_on).", "2021-06-14"),
    Column("consent_statement", False, "What the person agreed to, in their words or the form's; may be empty when --consent-text gives the site form's wording.", ""),
)

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
REQUIRED: frozenset[str] = frozenset(c.name for c in COLUMNS if c.required)

#: Columns of the rejected-rows report, one line per problem found (a row may have several).
REPORT_COLUMNS: tuple[str, ...] = ("row", "site", "row_id", "column", "value", "expected", "message")


def reference() -> str:
    """The format as Markdown: the rules, then one line per column (what `amparo intake format` prints)."""
    rules = (__doc__ or "").split("Rules that hold for every column:", 1)[1].strip()
    lines = ["# Amparo bulk intake CSV", "", "One row per application collected at a field intake site.", "", "Rules that hold for every column:", "", rules, "", "| column | required | meaning | example |", "|---|---|---|---|"]
    for c in COLUMNS:
        lines.append(f"| `{c.name}` | {'yes' if c.required else 'no'} | {c.meaning} | `{c.example}` |")
    lines += ["", "Rejected rows are written to the report CSV with the columns " + ", ".join(f"`{c}`" for c in REPORT_COLUMNS) + "."]
    return "\n".join(lines) + "\n"
