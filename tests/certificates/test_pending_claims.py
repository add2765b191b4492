"""Claims validated before the case exists (bulk intake) and completed for it sign exactly what
claims validated whole sign; the three claims added are checked as the model checks them. And the
fast path of name cleaning refuses what the full scan refuses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from amparo.certificates import issue, key_id, verify
from amparo.certificates.schemas import complete_for_case
from amparo.certificates.tokens import sign_claims

from .builders import make_claims


def test_completed_claims_sign_the_same_token_as_whole_claims(signing_key):
    whole = make_claims()
    pending = make_claims(certificate_id="provisional", case_number="provisional", issued_at=datetime(2026, 3, 5, tzinfo=UTC)).pending_case()
    assert not {"cid", "case", "iat"} & set(pending)
    completed = complete_for_case(pending, whole.certificate_id, whole.case_number, whole.issued_at)
    kid = key_id(signing_key)
    token = sign_claims(completed, signing_key, kid=kid)
    assert token == issue(whole, signing_key)  # Ed25519 signatures are deterministic
    assert verify(token, {kid: signing_key.public_key()}).claims == whole


@pytest.mark.parametrize(("certificate_id", "case_number", "issued_at", "message"), [
    ("", "ARG-2026-0000001", datetime(2026, 3, 2, tzinfo=UTC), "certificate_id '' is not an identifier"),
    ("c1", "ARG 2026", datetime(2026, 3, 2, tzinfo=UTC), "case_number 'ARG 2026' is not an identifier"),
    ("c1", "ARG-2026-0000001", datetime(2026, 3, 2), "must carry a time zone"),
    ("c1", "ARG-2026-0000001", datetime(2020, 1, 1, tzinfo=UTC), "before the application was filed"),
])
def test_completing_checks_what_it_adds(certificate_id, case_number, issued_at, message):
    pending = make_claims().pending_case()
    with pytest.raises(ValueError, match=message):
        complete_for_case(pending, certificate_id, case_number, issued_at)


@pytest.mark.parametrize("name", ["Ana\u202eMaría", "Ana\u0007", "Ana\u2028Luz", "Ana\ufeff"])
def test_names_with_controls_or_formatting_are_refused(name):
    with pytest.raises(ValidationError, match="control or formatting characters"):
        make_claims(given_names=name)


@pytest.mark.parametrize("name", ["María José", "نور حداد", "Zoë\u00a0Ann", "علی\u200cرضا"])
def test_names_as_written_are_kept(name):
    assert make_claims(given_names=name).given_names == name
