"""A genuine certificate's validity follows the case; it never lapses silently."""

from __future__ import annotations

from datetime import date

import pytest

from amparo.certificates import assess, issue, key_id, verify

from .builders import make_claims


@pytest.fixture()
def verified(signing_key):
    return verify(issue(make_claims(), signing_key), {key_id(signing_key): signing_key.public_key()})


@pytest.mark.parametrize(
    "status", ["open", "in_progress", "awaiting_information", "pending", "under_review", "under_appeal"]
)
def test_open_case_makes_the_certificate_valid(verified, status):
    verdict = assess(verified, status, date(2026, 6, 1))
    assert verdict.state == "valid" and verdict.is_valid
    assert "AR-2026-000123" in verdict.explanation and "José Ñúñez" in verdict.explanation
    assert "2026-06-01" in verdict.explanation and "no expiry date" in verdict.explanation


def test_appeal_is_named_in_the_headline(verified):
    assert assess(verified, "under_appeal", date(2026, 9, 1)).headline == "Valid: application under appeal"


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("granted", "was granted"),
        ("refused", "was refused"),
        ("decided", "was decided"),
        ("withdrawn", "was withdrawn"),
        ("closed", "was closed"),
    ],
)
def test_decided_or_withdrawn_case_ends_validity_with_reason_and_date(verified, status, reason):
    verdict = assess(verified, status, date(2026, 7, 15))
    assert verdict.state == "not_valid" and not verdict.is_valid
    assert verdict.headline == f"No longer valid: application {status} on 2026-07-15"
    assert reason in verdict.explanation and "2026-07-15" in verdict.explanation
    assert "genuine" in verdict.explanation


def test_refusal_says_an_appeal_revives_the_certificate(verified):
    assert "appeal" in assess(verified, "refused", date(2026, 7, 15)).explanation


def test_offline_check_is_unknown_never_a_confident_no(verified):
    verdict = assess(verified, None, None)
    assert verdict.state == "unknown" and verdict.case_status is None
    assert "could not be checked" in verdict.explanation and "2026-03-02" in verdict.explanation


def test_a_status_this_code_does_not_know_is_unknown(verified):
    verdict = assess(verified, "suspended_by_court", date(2026, 8, 1))
    assert verdict.state == "unknown" and "suspended_by_court" in verdict.explanation


def test_status_wording_is_case_insensitive(verified):
    assert assess(verified, " Pending ", None).state == "valid"


def test_every_status_of_the_cases_package_has_a_verdict(verified):
    """A status the cases package can produce must never fall through to 'unknown'."""
    from amparo.cases.schemas import CaseStatus

    statuses = [value for name, value in vars(CaseStatus).items() if name.isupper()]
    assert statuses
    for status in statuses:
        assert assess(verified, status, date(2026, 6, 1)).state != "unknown", status


def test_closed_status_without_a_date_still_says_why(verified):
    verdict = assess(verified, "withdrawn", None)
    assert verdict.state == "not_valid" and verdict.headline == "No longer valid: application withdrawn"
