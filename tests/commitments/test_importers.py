"""Importers: saved UNTC status pages (real ones and small fixtures) and CSVs in the shared shape."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from amparo.commitments import load
from amparo.commitments.importers import PageRefused, import_csv, import_untc_page, parse_untc_page, to_csv_text
from amparo.errors import DataError, InvalidInput

PAGES = Path(__file__).parent / "fixtures" / "pages"
D = datetime.date


class TestFixturePages:
    def test_good_page(self) -> None:
        page = import_untc_page(PAGES / "good.html")
        assert (page.instrument, page.untc_reference, page.status_as_at) == ("ICRMW", "IV-13", D(2026, 2, 3))
        assert page.declared_parties == 3 and page.declared_signatories == 3
        assert [r.state for r in page.parties] == ["ALB", "ARG", "BIH"]
        rows = {r.name: r for r in page.rows}
        assert rows["Argentina"].footnotes == ("1",)  # the footnote mark is not part of the name
        assert (rows["Albania"].action, rows["Albania"].action_date) == ("accession", D(2007, 6, 5))
        assert (rows["Argentina"].action, rows["Argentina"].signature_date) == ("ratification", D(2004, 8, 10))
        assert rows["Belarus"].bracketed and not rows["Belarus"].is_party
        assert rows["Montenegro"].signature_kind == "succession to signature"

    def test_csv_rows_round_trip_through_the_csv_importer(self, tmp_path: Path) -> None:
        page = import_untc_page(PAGES / "good.html")
        path = tmp_path / "ICRMW.csv"
        path.write_text(to_csv_text(page.csv_rows()), encoding="utf-8")
        table = import_csv(path)
        assert table["status_as_at"] == "2026-02-03"
        with_acts = {code for code, p in table["participants"].items() if p["acts"]}
        assert with_acts == {"ALB", "ARG", "BIH"}
        assert table["participants"]["ARM"]["signed"] == "2013-09-26"

    def test_header_that_disagrees_with_rows_is_refused_with_both_numbers(self) -> None:
        with pytest.raises(PageRefused) as err:
            import_untc_page(PAGES / "header_disagrees.html")
        assert "Parties : 5" in err.value.message and "the grid has 3" in err.value.message
        assert err.value.exit_code == 2

    @pytest.mark.parametrize(
        ("page", "message"),
        [
            ("unknown_treaty.html", "no UN Treaty Collection reference of a catalogue instrument found; it refers to ['XXVI-8']"),
            ("no_status_date.html", "no 'STATUS AS AT : DD-MM-YYYY' line"),
            ("bad_cell.html", "cannot read the date cell '23 Febr 2007'"),
        ],
    )
    def test_bad_pages_are_refused(self, page: str, message: str) -> None:
        with pytest.raises(PageRefused) as err:
            import_untc_page(PAGES / page)
        assert message in err.value.message and page in err.value.message

    def test_a_page_without_a_grid_is_refused(self) -> None:
        html = (PAGES / "good.html").read_text(encoding="utf-8")
        html = html[: html.index("<table")] + "</body></html>"
        with pytest.raises(PageRefused) as err:
            parse_untc_page(html, name="gridless.html")
        assert "no participant grid" in err.value.message

    def test_a_missing_file_is_invalid_input(self, tmp_path: Path) -> None:
        with pytest.raises(InvalidInput) as err:
            import_untc_page(tmp_path / "nope.html")
        assert "nope.html" in err.value.message


class TestCsvImporter:
    def test_file_must_be_named_for_an_instrument(self, tmp_path: Path) -> None:
        path = tmp_path / "treaty.csv"
        path.write_text("instrument,state\n", encoding="utf-8")
        with pytest.raises(InvalidInput) as err:
            import_csv(path)
        assert "<INSTRUMENT>.csv" in err.value.message

    def test_wrong_columns_are_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "ICRMW.csv"
        path.write_text("instrument,country,date\nICRMW,Argentina,2007-02-23\n", encoding="utf-8")
        with pytest.raises(DataError) as err:
            import_csv(path)
        assert "expected ['instrument', 'state'" in err.value.message


@pytest.mark.shared_data
class TestRealPages:
    """The 18 saved UNTC pages: each imports, and agrees with the shipped data on its date."""

    def _pages(self, shared_data: Path) -> list[Path]:
        pages = sorted((shared_data / "untc-pages").glob("*.html"))
        assert len(pages) == 18
        return pages

    def test_every_page_imports_and_matches_the_shipped_parties(self, shared_data: Path) -> None:
        engine = load()
        seen = set()
        for path in self._pages(shared_data):
            page = import_untc_page(path)
            seen.add(page.instrument)
            assert page.unmatched == (), path.name
            shipped = engine.parties(page.instrument, page.status_as_at)
            assert {p.state for p in page.parties} == {p.state for p in shipped.parties}, path.name
            # Same deposit dates, State by State.
            dates = {p.state: p.deposited for p in shipped.parties}
            assert {r.state: r.action_date for r in page.parties} == dates, path.name

    def test_counts_at_the_status_date_equal_the_header(self, shared_data: Path) -> None:
        """Must hold: counts as at each file's status-as-at date equal the parties the page declares."""
        engine = load()
        for path in self._pages(shared_data):
            page = import_untc_page(path)
            inst = engine.instrument(page.instrument)
            assert inst.status_as_at == page.status_as_at, path.name
            assert engine.count(page.instrument, inst.status_as_at).count == page.declared_parties, path.name

    def test_bracketed_acts_are_the_denounced_ones(self, shared_data: Path) -> None:
        page = import_untc_page(shared_data / "untc-pages" / "iccpr_op1.html")
        bracketed = {r.state for r in page.rows if r.bracketed}
        assert bracketed == {"BLR", "JAM", "TTO"}
