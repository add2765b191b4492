"""Date arithmetic of entry-into-force and denunciation rules, at their boundaries."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amparo.commitments.rules import (
    DENUNCIATION_KINDS,
    EIF_KINDS,
    RuleError,
    add_months,
    check_rule,
    denunciation_effective,
    describe_eif,
    entry_into_force,
)

D = datetime.date


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [(D(2007, 2, 23), 3, D(2007, 5, 23)), (D(1992, 11, 30), 3, D(1993, 2, 28)), (D(1991, 11, 30), 3, D(1992, 2, 29)),
     (D(2007, 10, 31), 3, D(2008, 1, 31)), (D(2022, 8, 12), 12, D(2023, 8, 12)), (D(2008, 2, 29), 12, D(2009, 2, 28))],
)
def test_add_months_clips_to_month_end(start: D, months: int, expected: D) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("rule", "deposit", "expected"),
    [
        ({"kind": "days_after_deposit", "days": 30}, D(1994, 5, 11), D(1994, 6, 10)),
        ({"kind": "days_after_deposit", "days": 90}, D(1992, 8, 18), D(1992, 11, 16)),
        ({"kind": "months_after_deposit", "months": 3}, D(1991, 10, 4), D(1992, 1, 4)),
        ({"kind": "first_day_of_month_after_months", "months": 3}, D(2007, 2, 23), D(2007, 6, 1)),
        # Three months from 2007-09-15 end in December: the next month is January of the next year.
        ({"kind": "first_day_of_month_after_months", "months": 3}, D(2007, 9, 15), D(2008, 1, 1)),
        ({"kind": "on_deposit"}, D(1992, 8, 18), D(1992, 8, 18)),
        ({"kind": "months_after_registration", "months": 12}, D(2022, 8, 12), D(2023, 8, 12)),
    ],
)
def test_entry_into_force(rule: dict, deposit: D, expected: D) -> None:
    assert entry_into_force(check_rule(rule, EIF_KINDS), deposit) == expected
    assert describe_eif(rule)


@given(st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31)))
def test_first_day_rule_is_always_a_first_day_after_three_months(deposit: D) -> None:
    result = entry_into_force({"kind": "first_day_of_month_after_months", "months": 3}, deposit)
    assert result.day == 1
    assert add_months(deposit, 3) < result <= add_months(deposit, 4) + datetime.timedelta(days=1)


def test_denunciation_rules() -> None:
    assert denunciation_effective({"kind": "months_after_notification", "months": 3}, D(1997, 10, 23)) == D(1998, 1, 23)
    assert denunciation_effective({"kind": "not_provided"}, D(1997, 8, 25)) is None
    assert denunciation_effective(None, D(1997, 8, 25)) is None


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"kind": "days_after_deposit"}, "needs 'days'"),
        ({"kind": "days_after_deposit", "days": "30"}, "needs 'days' as a whole number"),
        ({"kind": "days_after_deposit", "days": 30, "months": 1}, "does not take months"),
        ({"kind": "weeks_after_deposit", "weeks": 4}, "unknown rule kind 'weeks_after_deposit'"),
        ("30 days", "must be a mapping"),
    ],
)
def test_malformed_rules_are_refused(rule: object, message: str) -> None:
    with pytest.raises(RuleError) as err:
        check_rule(rule, EIF_KINDS)
    assert message in str(err.value)


def test_denunciation_kinds_are_distinct_from_eif_kinds() -> None:
    with pytest.raises(RuleError):
        check_rule({"kind": "months_after_notification", "months": 3}, EIF_KINDS)
    assert check_rule({"kind": "not_provided"}, DENUNCIATION_KINDS) == {"kind": "not_provided"}


def test_doctests() -> None:
    import doctest

    import amparo.commitments
    import amparo.commitments.rules

    for module in (amparo.commitments, amparo.commitments.rules):
        failed, tried = doctest.testmod(module)
        assert tried > 0 and failed == 0, module.__name__
