"""A case reference that is digits but no id a case can have is "not found", on SQLite and PostgreSQL.

Ids are the database's BigInteger (1 .. 2**63-1): a larger number overflowed the SQLite driver and
more than 4,300 digits made `int()` raise, both answered with a 500 instead of the 404 any unknown
case gets.
"""

from __future__ import annotations

import pytest

from amparo.auth.policy import Role
from amparo.cases import service as cases
from amparo.errors import NotFound
from builders import actor_for, make_case, make_user

PURPOSE = "casework"
LARGEST_ID = 2**63 - 1

NO_CASE = [
    pytest.param("99999999999999999999", id="20-digits"),
    pytest.param(str(LARGEST_ID + 1), id="one-past-bigint"),
    pytest.param("9" * 5000, id="5000-digits"),
    pytest.param("0" * 5000 + "9" * 30, id="zero-padded-too-large"),
    pytest.param(str(LARGEST_ID), id="largest-id-unused"),
    pytest.param("0", id="zero"),
    pytest.param("\u00b2", id="superscript-digit"),
    pytest.param(LARGEST_ID + 1, id="int-past-bigint"),
    pytest.param(10**30, id="int-30-digits"),
    pytest.param(-1, id="int-negative"),
    pytest.param(0, id="int-zero"),
]


@pytest.mark.parametrize("reference", NO_CASE)
def test_digits_outside_the_id_range_are_not_found(session, reference) -> None:
    supervisor = actor_for(make_user(session, Role.SUPERVISOR))
    make_case(session)
    with pytest.raises(NotFound, match="not found"):
        cases.get_case(session, supervisor, reference, PURPOSE)
    with pytest.raises(NotFound):
        cases.journal(session, supervisor, reference, PURPOSE)


def test_an_id_in_range_is_still_found_as_digits_or_number(session) -> None:
    supervisor = actor_for(make_user(session, Role.SUPERVISOR))
    case = make_case(session)
    for reference in (case.id, str(case.id), f" {case.id}\n", f"000{case.id}", case.number.lower()):
        assert cases.get_case(session, supervisor, reference, PURPOSE).id == case.id


def test_case_id_from_reads_only_ascii_digits_in_the_id_range() -> None:
    assert cases.case_id_from("42") == 42
    assert cases.case_id_from(str(LARGEST_ID)) == LARGEST_ID
    assert cases.case_id_from("0" * 5000 + "7") == 7
    for text in ("", "0", str(LARGEST_ID + 1), "9" * 5000, "-1", "+1", "1.0", "\u00b2", "\u0663", "ARG-2026-0000001"):
        assert cases.case_id_from(text) is None, text
