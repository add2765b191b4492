"""Importers: a saved UN Treaty Collection status page (HTML) and a CSV in the shared shape.

Both return rows in the shared CSV shape (``instrument, state, signature_date, action, action_date,
source, status_as_at``), so that an imported page can be saved beside the other facts and rebuilt
into the shipped data with ``amparo treaties build-data``.

A page is refused, never half-imported: its header's "Parties : N" must equal the participants
found in the grid with a deposited act that is not bracketed (UNTC brackets acts that were later
denounced or withdrawn).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amparo.commitments.build import CSV_COLUMNS, _read_instrument
from amparo.commitments.catalogue import Catalogue, load_catalogue
from amparo.commitments.names import code_for_source_name
from amparo.errors import InvalidInput

_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1)}
#: UNTC grid suffixes: a accession, d succession, A acceptance, AA approval, c formal confirmation.
_SUFFIX = {"": "ratification", "a": "accession", "d": "succession", "A": "acceptance", "AA": "approval", "c": "formal confirmation"}
_CELL = re.compile(r"^(\[)?\s*(\d{1,2})\s+([A-Z][a-z]{2})\s+(\d{4})\s*(AA|A|a|d|c)?\s*(\])?$")


class PageRefused(InvalidInput):
    """A saved page cannot be imported as it stands; the message says what disagrees."""

    code = "page_refused"


@dataclass(frozen=True)
class PageRow:
    """One row of a UNTC participant grid."""

    name: str
    state: str | None
    signature_date: datetime.date | None
    signature_kind: str | None  # "signature" or "succession to signature"
    action: str | None
    action_date: datetime.date | None
    bracketed: bool  # the act is shown in brackets: later denounced or withdrawn
    footnotes: tuple[str, ...] = ()

    @property
    def is_party(self) -> bool:
        return self.action is not None and not self.bracketed


@dataclass(frozen=True)
class UntcPage:
    """What a saved UNTC status page says, checked against its own header."""

    instrument: str
    untc_reference: str
    status_as_at: datetime.date
    declared_parties: int
    declared_signatories: int | None
    rows: tuple[PageRow, ...]
    source: str
    unmatched: tuple[str, ...] = field(default=())

    @property
    def parties(self) -> list[PageRow]:
        return [row for row in self.rows if row.is_party]

    def csv_rows(self) -> list[dict[str, str]]:
        """The page's current participants in the shared CSV shape (bracketed acts left out)."""
        out = []
        for row in self.rows:
            action = row.action if row.is_party else ""
            if row.signature_kind == "succession to signature" and not action:
                action = "signature by succession (d)"
            out.append({
                "instrument": self.instrument,
                "state": row.name,
                "signature_date": row.signature_date.isoformat() if row.signature_date and not row.bracketed else "",
                "action": action,
                "action_date": row.action_date.isoformat() if row.is_party and row.action_date else "",
                "source": self.source,
                "status_as_at": self.status_as_at.isoformat(),
            })
        return out


def _cell_date(text: str, where: str) -> tuple[datetime.date | None, str, bool]:
    text = " ".join(text.replace("\xa0", " ").split())
    if not text:
        return None, "", False
    match = _CELL.match(text)
    if not match or match.group(3) not in _MONTHS:
        raise PageRefused(f"{where}: cannot read the date cell {text!r}; expected e.g. '5 Jun 2007 a'")
    bracketed = bool(match.group(1) or match.group(6))
    day = datetime.date(int(match.group(4)), _MONTHS[match.group(3)], int(match.group(2)))
    return day, match.group(5) or "", bracketed


def parse_untc_page(html_text: str, *, name: str = "page", catalogue: Catalogue | None = None) -> UntcPage:
    """Read a saved UNTC status page.

    Raises:
        PageRefused: the page lacks its grid, status date or header counts, names a treaty outside
            the catalogue, has an unreadable cell, or its header's party count disagrees with the
            rows found (the message gives both numbers).
    """
    from lxml import html as lxml_html  # import path only

    catalogue = catalogue or load_catalogue()
    refs = re.findall(r"mtdsg_no=([IVXL]+-\d+(?:-[a-z])?)", html_text)
    by_ref = {inst.untc_reference: inst for inst in catalogue.instruments if inst.untc_reference}
    known = [ref for ref in refs if ref in by_ref]
    if not known:
        found = f"; it refers to {sorted(set(refs))}" if refs else ""
        raise PageRefused(f"{name}: no UN Treaty Collection reference of a catalogue instrument found{found}")
    inst = by_ref[max(set(known), key=known.count)]
    as_at = re.search(r"STATUS AS AT\s*:\s*(\d{2})-(\d{2})-(\d{4})", html_text)
    if not as_at:
        raise PageRefused(f"{name}: no 'STATUS AS AT : DD-MM-YYYY' line; is this a saved UNTC status page?")
    status_as_at = datetime.date(int(as_at.group(3)), int(as_at.group(2)), int(as_at.group(1)))
    doc = lxml_html.fromstring(html_text)
    header = " ".join(doc.xpath("string(//*[contains(@id,'rptStatus')])").split()) or " ".join(
        html_text.split()
    )
    parties_m = re.search(r"Parties\s*:\s*(\d+)", header)
    if not parties_m:
        raise PageRefused(f"{name}: no 'Parties : N' in the page header")
    signatories_m = re.search(r"Signatories\s*:\s*(\d+)", header)
    grids = doc.xpath("//table[contains(@id,'tblgrid')]") or [
        t for t in doc.xpath("//table") if t.xpath("string(.//tr[1])").strip().startswith("Participant")
    ]
    if not grids:
        raise PageRefused(f"{name}: no participant grid (a table whose first column is 'Participant')")
    rows: list[PageRow] = []
    unmatched: list[str] = []
    for number, tr in enumerate(grids[0].xpath("./tr|./tbody/tr")[1:], start=2):
        cells = tr.xpath("./td")
        if len(cells) < 3:
            continue
        notes = tuple(n.strip() for n in cells[0].xpath(".//sup//text()") if n.strip().strip(","))
        for sup in cells[0].xpath(".//sup"):
            sup.getparent().remove(sup)
        who = " ".join(cells[0].text_content().split())
        where = f"{name}: grid row {number} ({who})"
        sig, sig_suffix, sig_br = _cell_date(cells[1].text_content(), where)
        act, act_suffix, act_br = _cell_date(cells[2].text_content(), where)
        if act_suffix not in _SUFFIX:
            raise PageRefused(f"{where}: unknown act mark {act_suffix!r}")
        code = code_for_source_name(who)
        if code is None:
            unmatched.append(who)
        rows.append(PageRow(
            name=who,
            state=code,
            signature_date=sig,
            signature_kind=("succession to signature" if sig_suffix == "d" else "signature") if sig else None,
            action=_SUFFIX[act_suffix] if act else None,
            action_date=act,
            bracketed=act_br or (sig_br and act is None),
            footnotes=notes,
        ))
    page = UntcPage(
        instrument=inst.id,
        untc_reference=inst.untc_reference or "",
        status_as_at=status_as_at,
        declared_parties=int(parties_m.group(1)),
        declared_signatories=int(signatories_m.group(1)) if signatories_m else None,
        rows=tuple(rows),
        source=f"https://treaties.un.org/Pages/ViewDetails.aspx?src=TREATY&mtdsg_no={inst.untc_reference} (saved page {name})",
        unmatched=tuple(unmatched),
    )
    found = len(page.parties)
    if found != page.declared_parties:
        raise PageRefused(
            f"{name}: the header says Parties : {page.declared_parties} but the grid has {found} participants "
            f"with a deposited act; the page is incomplete or not a UNTC status page, so nothing was imported"
        )
    return page


def compare_with(page: UntcPage, engine: Any) -> dict[str, list[str]]:
    """Differences between a page and Amparo's data on the page's date, State by State.

    Returns lists of codes: ``only_on_page`` (parties the data lacks), ``only_in_data`` (parties the
    page lacks) and ``different_dates`` ("ARG: page 2007-02-23, data 2007-02-24").
    """
    shipped = {p.state: p.deposited for p in engine.parties(page.instrument, page.status_as_at).parties}
    on_page = {r.state or r.name: r.action_date for r in page.parties}
    return {
        "only_on_page": sorted(set(on_page) - set(shipped)),
        "only_in_data": sorted(set(shipped) - set(on_page)),
        "different_dates": [
            f"{code}: page {on_page[code]}, data {shipped[code]}"
            for code in sorted(set(on_page) & set(shipped))
            if on_page[code] != shipped[code]
        ],
    }


def import_untc_page(path: Path, catalogue: Catalogue | None = None) -> UntcPage:
    """Read a saved page from disk (see ``parse_untc_page``)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"Cannot read {str(path)!r}: {exc.strerror}. Give the path of a saved UNTC status page (.html).") from None
    return parse_untc_page(raw.decode("utf-8", errors="replace"), name=path.name, catalogue=catalogue)


def import_csv(path: Path, catalogue: Catalogue | None = None) -> dict[str, Any]:
    """Check a CSV in the shared shape and return its normalised participants and metadata.

    The file name must be ``<INSTRUMENT>.csv`` for a catalogue instrument.

    Raises:
        InvalidInput: the file name names no catalogue instrument.
        DataError: a row is malformed (the message names file and line).
    """
    catalogue = catalogue or load_catalogue()
    path = Path(path)
    if path.stem not in catalogue.by_id:
        raise InvalidInput(f"CSV file {path.name!r} must be named <INSTRUMENT>.csv for a catalogue instrument, e.g. ICRMW.csv")
    if not path.is_file():
        raise InvalidInput(f"Cannot read {str(path)!r}: no such file.")
    meta, participants = _read_instrument(path, path.stem)
    return {"instrument": path.stem, **meta, "participants": participants}


def to_csv_text(rows: list[dict[str, str]]) -> str:
    """Rows in the shared CSV shape, as text (for ``import-untc --out``)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
