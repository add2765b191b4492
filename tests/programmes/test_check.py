"""Programme check: designs that break safeguards are flagged with sources, lines and binding status."""

from __future__ import annotations

import datetime
from pathlib import Path

from amparo.programmes import check_programme, load_example, read_programme
from amparo.programmes.schemas import Window

HERE = Path(__file__).parent
BAD = HERE / "programmes" / "bad-employer-sponsored.yaml"


def _line(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_shipped_example_is_clean() -> None:
    report = check_programme(load_example("col-etpv-2021"))
    assert report.clean, report.to_dict()
    assert report.checked_on == datetime.date(2021, 5, 5)
    assert report.jurisdiction == "COL"


def test_bad_design_is_flagged_on_every_count_with_the_lines_that_cause_it() -> None:
    report = check_programme(read_programme(BAD))
    findings = {f.safeguard: f for f in report.findings}
    assert set(findings) == {"no-employer-gate", "fee-waiver", "family-unity"}

    gate = findings["no-employer-gate"]
    assert {(p.field, p.line) for p in gate.problems} == {
        ("filing.by", _line(BAD, "by: [employer]")),
        ("employer.sponsorship_required", _line(BAD, "sponsorship_required: true")),
        ("employer.consent_required", _line(BAD, "consent_required: true")),
        ("employer.work_confirmation", _line(BAD, "work_confirmation: required")),
    }
    assert gate.sources == ("A/59/377 para 65", "A/65/222 para 77(d)")
    assert gate.status == "recommended" and not gate.binding

    fee = findings["fee-waiver"]
    assert fee.problems[0].line == _line(BAD, "fee:")
    assert "500 ARS" in fee.problems[0].text

    family = findings["family-unity"]
    assert family.problems[0].line == _line(BAD, "children_in_parent_application: false")
    # The programme opens 2007-06-01, the day ICRMW enters into force for ARG.
    assert family.binding and [b.instrument for b in family.bound_by] == ["CRC", "ICCPR", "ICRMW"]
    assert "CRC art. 9" in family.sources and "ICRMW art. 44" in family.sources


def test_binding_status_is_taken_on_the_programme_start_date() -> None:
    source = read_programme(BAD)

    def family_on(opens: datetime.date):
        programme = source.programme.model_copy(update={"window": Window(opens=opens, closes=opens)})
        return {f.safeguard: f for f in check_programme(programme).findings}["family-unity"]

    assert [b.instrument for b in family_on(datetime.date(2007, 5, 31)).bound_by] == ["CRC", "ICCPR"]
    assert family_on(datetime.date(1986, 11, 8)).binding
    day_before = family_on(datetime.date(1986, 11, 7))
    assert not day_before.binding and day_before.status == "recommended"


def test_adopting_a_safeguard_turns_a_recommendation_into_policy() -> None:
    programme = read_programme(BAD).programme.model_copy(update={"safeguards_adopted": ["no-employer-gate"]})
    gate = {f.safeguard: f for f in check_programme(programme).findings}["no-employer-gate"]
    assert gate.status == "adopted" and not gate.binding


def test_children_excluded_by_a_low_age_limit_are_flagged() -> None:
    programme = load_example("col-etpv-2021")
    family = programme.family.model_copy(update={"child_max_age": 14})
    report = check_programme(programme.model_copy(update={"family": family}))
    [finding] = report.findings
    assert finding.safeguard == "family-unity"
    assert "children aged 15 to 17 are excluded" in finding.problems[0].text


def test_a_fee_with_a_waiver_is_not_flagged() -> None:
    programme = read_programme(HERE / "programmes" / "fixture-adult-workers.yaml").programme
    assert programme.fee.amount > 0 and programme.fee.waivers
    assert check_programme(programme).clean
