"""`amparo treaties`: JSON and table output, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amparo.cli import app, main

PAGES = Path(__file__).parent / "fixtures" / "pages"
runner = CliRunner()


def run_ok(*args: str) -> str:
    result = runner.invoke(app, ["treaties", *args])
    assert result.exit_code == 0, result.output
    return result.output


def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the real entry point (with its error handling) in-process."""
    monkeypatch.setattr(sys, "argv", ["amparo", "treaties", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


class TestJson:
    def test_count(self) -> None:
        data = json.loads(run_ok("count", "ICCPR", "--as-of", "2004-08-31", "--json"))
        assert (data["instrument"], data["as_of"], data["count"]) == ("ICCPR", "2004-08-31", 152)
        assert data["status_as_at"] == "2026-02-03" and data["source"]

    def test_status(self) -> None:
        data = json.loads(run_ok("status", "ARG", "ICRMW", "--on", "2007-05-31", "--json"))
        assert {k: data[k] for k in ("state", "instrument", "on", "status")} == {
            "state": "ARG", "instrument": "ICRMW", "on": "2007-05-31", "status": "not_binding"}
        assert "2007-06-01" in data["reason"] and data["source"]

    def test_profile(self) -> None:
        data = json.loads(run_ok("profile", "COL", "--on", "2021-03-01", "--json"))
        assert data["state"] == "COL" and len(data["instruments"]) == 29
        assert {a["instrument"]: a["status"] for a in data["instruments"]}["ICRMW"] == "binding"

    def test_parties_and_non_parties(self) -> None:
        parties = json.loads(run_ok("parties", "CMW", "--as-of", "2026-02-03", "--json"))
        assert len(parties["parties"]) == 60
        non = json.loads(run_ok("non-parties", "ICRMW", "--as-of", "2004-08-31", "--json"))
        assert "ARG" in {p["state"] for p in non["signatories"]}
        assert not {p["state"] for p in non["signatories"]} & {p["state"] for p in non["others"]}

    def test_list_timeline_complaints(self) -> None:
        assert [i["id"] for i in json.loads(run_ok("list", "--json"))][:3] == ["ICERD", "ICESCR", "ICCPR"]
        years = json.loads(run_ok("timeline", "ICRMW", "--json"))["years"]
        assert years[-1]["parties"] == 60
        routes = json.loads(run_ok("complaints", "ARG", "--on", "2020-01-01", "--json"))["procedures"]
        assert {r["instrument"]: r["status"] for r in routes}["CAT"] == "binding"

    def test_import_untc_writes_the_shared_csv_shape(self, tmp_path: Path) -> None:
        out = tmp_path / "ICRMW.csv"
        data = json.loads(run_ok("import-untc", str(PAGES / "good.html"), "--out", str(out), "--json"))
        assert data["declared_parties"] == data["parties_found"] == 3
        assert out.read_text(encoding="utf-8").startswith("instrument,state,signature_date,action,action_date,source,status_as_at\n")
        assert json.loads(run_ok("import-csv", str(out), "--json"))["with_acts"] == 3


def test_import_untc_compare(shared_data: Path) -> None:
    same = run_ok("import-untc", str(shared_data / "untc-pages" / "cmw.html"), "--compare")
    assert "same parties and deposit dates as Amparo's data on 2026-02-03" in same
    data = json.loads(run_ok("import-untc", str(PAGES / "good.html"), "--compare", "--json"))
    assert data["differences"]["only_on_page"] == []
    assert "ARG" not in data["differences"]["only_in_data"] and "COL" in data["differences"]["only_in_data"]


class TestHuman:
    def test_tables_and_lines(self) -> None:
        assert "binding" in run_ok("status", "Argentina", "cmw", "--on", "2007-06-01")
        assert "152 parties" in run_ok("count", "ICCPR", "--as-of", "2004-08-31")
        assert "PARTIAL" in run_ok("count", "ILO C097", "--as-of", "2020-01-01")
        assert "ICRMW" in run_ok("profile", "COL", "--on", "2021-03-01")
        assert "Signatories" in run_ok("non-parties", "ICRMW", "--as-of", "2004-08-31")
        assert "Parties to ICRMW" in run_ok("parties", "ICRMW", "--as-of", "2010-01-01")
        assert "ICRMW" in run_ok("list")
        assert "ICRMW" in run_ok("timeline", "ICRMW")
        assert "not open" in run_ok("complaints", "USA", "--on", "2020-01-01")


class TestErrors:
    @pytest.mark.parametrize(
        ("args", "expected"),
        [
            (("status", "Narnia", "ICRMW"), "Error: Unknown state 'Narnia'"),
            (("status", "Argentinia", "ICRMW"), "Did you mean: ARG (Argentina)"),
            (("count", "ICCPR-OP3"), "Error: Unknown instrument 'ICCPR-OP3'. Did you mean: ICCPR_OP2"),
            (("count", "ICCPR", "--as-of", "31/08/2004"), "expected a calendar date written YYYY-MM-DD"),
            (("import-untc", str(PAGES / "header_disagrees.html")), "Parties : 5 but the grid has 3"),
            (("import-untc", "/nonexistent/page.html"), "Cannot read '/nonexistent/page.html'"),
        ],
    )
    def test_one_line_and_exit_2(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], expected: str) -> None:
        code, out, err = run_main(monkeypatch, capsys, *args)
        assert code == 2
        assert expected in err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err + out

    def test_missing_argument_is_a_usage_error(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, err = run_main(monkeypatch, capsys, "status", "ARG")
        assert code == 2 and "missing argument 'instrument'" in err.lower() and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
        code, out, err = run_main(monkeypatch, capsys, "count", "ICCPR", "--as-at", "2004-08-31")
        assert code == 2 and "No such option: --as-at" in err and "--as-of" in err


    def test_no_command_prints_help(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, err = run_main(monkeypatch, capsys)
        assert code == 0 and "import-untc" in out and "Traceback" not in err


class TestSubprocess:
    def test_real_process(self) -> None:
        ok = subprocess.run(
            [sys.executable, "-m", "amparo", "treaties", "count", "ICESCR", "--as-of", "2004-08-31", "--json"],
            capture_output=True, text=True, timeout=60, check=False,
        )
        assert ok.returncode == 0, ok.stderr
        assert json.loads(ok.stdout)["count"] == 149
        bad = subprocess.run(
            [sys.executable, "-m", "amparo", "treaties", "status", "ARG", "ICRMW", "--on", "2007-13-01"],
            capture_output=True, text=True, timeout=60, check=False,
        )
        assert bad.returncode == 2
        assert bad.stderr.strip() == (
            "Error: Invalid --on '2007-13-01': expected a calendar date written YYYY-MM-DD, e.g. 2004-08-31."
        )
