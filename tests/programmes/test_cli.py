"""`amparo programmes validate | show | check`: output and exit statuses (0 clean, 1 findings, 2 malformed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from amparo.cli import main

HERE = Path(__file__).parent
BAD = HERE / "programmes" / "bad-employer-sponsored.yaml"
MALFORMED = HERE / "programmes" / "malformed-age.yaml"


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the real CLI entry point (the one the `amparo` script calls) and return (status, out, err)."""
    monkeypatch.setattr(sys, "argv", ["amparo", "programmes", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    out = capsys.readouterr()
    return int(exited.value.code or 0), out.out, out.err


def test_check_clean_example_exits_0(monkeypatch, capsys) -> None:
    status, out, _ = run(monkeypatch, capsys, "check", "col-etpv-2021")
    assert status == 0
    assert "No findings" in out


def test_check_bad_design_exits_1_with_sources_lines_and_binding(monkeypatch, capsys) -> None:
    status, out, _ = run(monkeypatch, capsys, "check", str(BAD))
    assert status == 1
    assert "family-unity [BINDING]" in out
    assert "no-employer-gate [recommended]" in out
    assert "bound: ICRMW: ratified 2007-02-23; in force for ARG from 2007-06-01" in out
    assert "employer.sponsorship_required (line " in out


def test_check_json_is_machine_readable(monkeypatch, capsys) -> None:
    status, out, _ = run(monkeypatch, capsys, "check", str(BAD), "--json")
    assert status == 1
    report = json.loads(out)
    assert report["clean"] is False
    assert {f["safeguard"] for f in report["findings"]} == {"no-employer-gate", "fee-waiver", "family-unity"}
    assert report["checked_on"] == "2007-06-01"


@pytest.mark.parametrize("command", ["check", "validate", "show"])
def test_malformed_file_exits_2_with_file_and_line(monkeypatch, capsys, command: str) -> None:
    status, out, err = run(monkeypatch, capsys, command, str(MALFORMED))
    assert status == 2
    assert "Traceback" not in err
    assert f"{MALFORMED}, line 13, eligibility.age.min" in err


def test_validate_and_show(monkeypatch, capsys) -> None:
    status, out, _ = run(monkeypatch, capsys, "validate", "col-etpv-2021")
    assert status == 0 and "col-etpv-2021@1 (COL)" in out
    status, out, _ = run(monkeypatch, capsys, "show", "col-etpv-2021")
    assert status == 0
    assert "presence before 2021-01-31" in out and "expired documents accepted" in out
    status, out, _ = run(monkeypatch, capsys, "show", "col-etpv-2021", "--json")
    assert json.loads(out)["jurisdiction"] == "COL"


def test_missing_file_exits_2(monkeypatch, capsys, tmp_path: Path) -> None:
    status, _, err = run(monkeypatch, capsys, "check", str(tmp_path / "nope.yaml"))
    assert status == 2 and "no such file" in err


def test_assess_explains_each_criterion(monkeypatch, capsys, tmp_path: Path) -> None:
    application = tmp_path / "application.yaml"
    application.write_text(
        "filed_on: 2021-06-01\n"
        "person: {birth_date: 1990-03-10, nationalities: [VEN], declares_no_disqualifying_record: true,"
        " identity_document: {kind: passport, expires_on: 2018-01-01}}\n"
        "evidence: [{kind: school_enrolment, dated: 2021-01-31}]\n",
        encoding="utf-8",
    )
    status, out, _ = run(monkeypatch, capsys, "assess", "col-etpv-2021", str(application))
    assert status == 0
    assert "col-etpv-2021@1, filed on 2021-06-01: incomplete" in out
    assert "- presence: needs evidence. The evidence given (school enrolment record dated 2021-01-31)" in out
    assert "(the officer checks this)" in out
    status, out, _ = run(monkeypatch, capsys, "assess", "col-etpv-2021", str(application), "--json")
    assert json.loads(out)["overall"] == "incomplete"


def test_assess_refuses_evidence_dated_after_filing(monkeypatch, capsys, tmp_path: Path) -> None:
    application = tmp_path / "application.yaml"
    application.write_text("filed_on: 2021-06-01\nperson: {}\nevidence: [{kind: utility_bill, dated: 2021-06-02}]\n", encoding="utf-8")
    status, _, err = run(monkeypatch, capsys, "assess", "col-etpv-2021", str(application))
    assert status == 2
    assert "evidence cannot be dated in the future" in err
