"""Signed tokens: what they carry, and every way a damaged or forged one is refused."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from amparo.certificates import (
    InvalidCertificate,
    InvalidKey,
    generate_key,
    issue,
    key_id,
    peek_claims,
    public_key_to_b64,
    public_key_to_pem,
    raw_public_key,
    verification_url,
    verify,
)
from amparo.certificates.tokens import SIGNING_CONTEXT, canonical_json
from amparo.errors import InvalidInput

from .builders import make_claims


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def keys_of(*private_keys):
    return {key_id(k): k.public_key() for k in private_keys}


def test_round_trip_returns_the_claims_and_key(signing_key):
    claims = make_claims()
    verified = verify(issue(claims, signing_key), keys_of(signing_key))
    assert verified.claims == claims
    assert verified.key_id == key_id(signing_key)


def test_token_is_url_safe_and_compact(signing_key):
    token = issue(make_claims(), signing_key)
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", token)
    assert len(token) < 600


def test_payload_is_canonical_json_with_version_and_key_id(signing_key):
    token = issue(make_claims(), signing_key)
    raw = unb64(token.split(".")[0])
    payload = json.loads(raw)
    assert payload["v"] == 1 and payload["kid"] == key_id(signing_key)
    assert canonical_json(payload) == raw
    assert payload["gn"] == "José" and payload["dob"] == "1990-05-17" and payload["iat"] == "2026-03-02T09:30:00Z"


def test_data_minimisation_claims_hold_no_nationality_address_or_document_number(signing_key):
    payload = json.loads(unb64(issue(make_claims(), signing_key).split(".")[0]))
    assert set(payload) == {"v", "kid", "cid", "case", "pid", "pt", "jur", "gn", "fn", "dob", "filed", "iat", "st"}


@pytest.mark.parametrize(
    ("given", "family"),
    [("José", "Ñúñez"), ("محمد عبد الله", "الحسيني"), ("Nguyễn Thị", "Minh Khai"), ("Aung", "")],
)
def test_unicode_and_single_names_survive_signing(signing_key, given, family):
    claims = make_claims(given_names=given, family_names=family)
    assert verify(issue(claims, signing_key), keys_of(signing_key)).claims.holder_name == f"{given} {family}".strip()


def test_names_are_nfc_normalised_so_both_spellings_sign_alike(signing_key):
    decomposed = make_claims(given_names="Jose\u0301")  # e + combining acute
    assert decomposed.given_names == "José"


def test_bidi_override_in_a_name_is_refused():
    with pytest.raises(ValidationError, match="U\\+202E"):
        make_claims(given_names="Ana\u202eoJ")


def test_edited_claim_with_original_signature_is_a_bad_signature(signing_key):
    body, signature = issue(make_claims(), signing_key).split(".")
    payload = json.loads(unb64(body))
    payload["dob"] = "1980-05-17"
    forged = f"{b64(canonical_json(payload))}.{signature}"
    with pytest.raises(InvalidCertificate) as caught:
        verify(forged, keys_of(signing_key))
    assert caught.value.reason == "bad_signature" and caught.value.code == "certificate_bad_signature"
    assert "changed after it was issued" in caught.value.message


def test_flipped_signature_byte_is_a_bad_signature(signing_key):
    body, signature = issue(make_claims(), signing_key).split(".")
    raw = bytearray(unb64(signature))
    raw[10] ^= 0x01
    with pytest.raises(InvalidCertificate) as caught:
        verify(f"{body}.{b64(bytes(raw))}", keys_of(signing_key))
    assert caught.value.reason == "bad_signature"


def test_token_signed_by_another_key_is_from_an_unknown_key(signing_key, other_key):
    token = issue(make_claims(), other_key)
    with pytest.raises(InvalidCertificate) as caught:
        verify(token, keys_of(signing_key))
    assert caught.value.reason == "unknown_key" and caught.value.key_id == key_id(other_key)
    assert key_id(other_key) in caught.value.message and key_id(signing_key) in caught.value.message


def test_forger_who_names_the_genuine_key_id_fails_the_signature(signing_key, other_key):
    body, _ = issue(make_claims(), other_key).split(".")
    payload = json.loads(unb64(body))
    payload["kid"] = key_id(signing_key)
    new_body = b64(canonical_json(payload))
    forged = f"{new_body}.{b64(other_key.sign(SIGNING_CONTEXT + new_body.encode()))}"
    with pytest.raises(InvalidCertificate) as caught:
        verify(forged, keys_of(signing_key))
    assert caught.value.reason == "bad_signature"


def test_signature_without_the_context_string_is_refused(signing_key):
    """A signature the same key made for some other purpose cannot pass as a certificate."""
    body, _ = issue(make_claims(), signing_key).split(".")
    bare = f"{body}.{b64(signing_key.sign(body.encode()))}"
    with pytest.raises(InvalidCertificate) as caught:
        verify(bare, keys_of(signing_key))
    assert caught.value.reason == "bad_signature"


def test_key_listed_under_the_wrong_id_is_a_configuration_error(signing_key, other_key):
    token = issue(make_claims(), signing_key)
    with pytest.raises(InvalidKey, match="fix the key list"):
        verify(token, {key_id(signing_key): other_key.public_key()})


@pytest.mark.parametrize("form", [raw_public_key, public_key_to_pem, public_key_to_b64])
def test_public_keys_may_be_given_in_any_published_form(signing_key, form):
    token = issue(make_claims(), signing_key)
    assert verify(token, {key_id(signing_key): form(signing_key)}).key_id == key_id(signing_key)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "onlyonepart", "a.b.c", "abc.de!f", "a" * 9000, "eyJ2IjoxfQ.AAAA", "bm90IGpzb24.AAAA"],
)
def test_malformed_text_is_refused_as_malformed(signing_key, text):
    with pytest.raises(InvalidCertificate) as caught:
        verify(text, keys_of(signing_key))
    assert caught.value.reason == "malformed"


def test_truncated_token_is_refused(signing_key):
    token = issue(make_claims(), signing_key)
    for cut in (1, 5, 40, len(token) // 2):
        with pytest.raises(InvalidCertificate):
            verify(token[:-cut], keys_of(signing_key))


@pytest.mark.parametrize(("version", "shown"), [(2, "2"), (True, "True"), ("1", "'1'"), (None, "None")])
def test_another_format_version_is_refused_with_its_value(signing_key, version, shown):
    payload = {"kid": key_id(signing_key)} | ({"v": version} if version is not None else {})
    body = b64(canonical_json(payload))
    token = f"{body}.{b64(signing_key.sign(SIGNING_CONTEXT + body.encode()))}"
    with pytest.raises(InvalidCertificate, match=f"format version {shown};"):
        verify(token, keys_of(signing_key))


def test_duplicate_claim_names_are_refused(signing_key):
    raw = b'{"v":1,"kid":"%s","gn":"A","gn":"B"}' % key_id(signing_key).encode()
    with pytest.raises(InvalidCertificate, match="duplicate"):
        verify(f"{b64(raw)}.{b64(bytes(64))}", keys_of(signing_key))


def test_spaces_and_line_breaks_from_manual_entry_are_ignored(signing_key):
    token = issue(make_claims(), signing_key)
    typed = " ".join(token[i : i + 5] for i in range(0, len(token), 5))
    typed = typed[:100] + "\n" + typed[100:]
    assert verify(typed, keys_of(signing_key)).token == token


def test_key_of_another_jurisdiction_is_refused_when_jurisdictions_are_known(signing_key):
    token = issue(make_claims(jurisdiction="COL"), signing_key)
    with pytest.raises(InvalidCertificate) as caught:
        verify(token, keys_of(signing_key), key_jurisdictions={key_id(signing_key): "ARG"})
    assert caught.value.reason == "wrong_jurisdiction"
    assert verify(token, keys_of(signing_key), key_jurisdictions={key_id(signing_key): "COL"}).claims.jurisdiction == "COL"
    with pytest.raises(InvalidCertificate, match="no jurisdiction on record"):
        verify(token, keys_of(signing_key), key_jurisdictions={})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_single_character_change_is_refused(signing_key, data):
    token = issue(make_claims(), signing_key)
    position = data.draw(st.integers(0, len(token) - 1))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    replacement = data.draw(st.sampled_from(alphabet).filter(lambda ch: ch != token[position]))
    altered = token[:position] + replacement + token[position + 1 :]
    with pytest.raises(InvalidCertificate):
        verify(altered, keys_of(signing_key))


def test_peek_reads_claims_without_a_key(signing_key):
    claims = make_claims()
    assert peek_claims(issue(claims, signing_key)) == claims


def test_claims_refuse_a_birth_after_filing_and_a_naive_timestamp():
    with pytest.raises(ValidationError, match="date of birth 2026-04-01 is after the filing date 2026-03-02"):
        make_claims(date_of_birth=date(2026, 4, 1))
    with pytest.raises(ValidationError, match="time zone"):
        make_claims(issued_at=datetime(2026, 3, 2, 9, 30))


def test_claims_refuse_an_issue_date_before_filing_beyond_time_zone_slack():
    make_claims(filed_on=date(2026, 3, 2), issued_at=datetime(2026, 3, 1, 23, 0, tzinfo=UTC))  # UTC+x evening
    with pytest.raises(ValidationError, match="before the application was filed"):
        make_claims(filed_on=date(2026, 3, 2), issued_at=datetime(2026, 2, 28, 23, 59, tzinfo=UTC))


def test_an_unknown_date_of_birth_is_allowed():
    assert make_claims(date_of_birth=None).date_of_birth is None


def test_verification_url_joins_base_and_token(signing_key):
    token = issue(make_claims(), signing_key)
    assert verification_url("https://amparo.example.org/", token) == f"https://amparo.example.org/verify/{token}"
    with pytest.raises(InvalidInput, match="https://"):
        verification_url("amparo.example.org", token)


def test_a_fresh_key_per_jurisdiction_verifies_only_its_own_tokens():
    ar, co = generate_key(), generate_key()
    ring = keys_of(ar, co)
    assert verify(issue(make_claims(jurisdiction="ARG"), ar), ring).key_id == key_id(ar)
    assert verify(issue(make_claims(jurisdiction="COL"), co), ring).key_id == key_id(co)


def test_unused_bits_in_the_last_character_cannot_be_changed(signing_key):
    """An Ed25519 signature is 64 bytes: its last base64url character carries 4 bits that decode to nothing."""
    token = issue(make_claims(), signing_key)
    for replacement in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_":
        if replacement != token[-1]:
            with pytest.raises(InvalidCertificate):
                verify(token[:-1] + replacement, keys_of(signing_key))


@pytest.mark.parametrize("code", ["AR", "arg", "XXX", "ES-CT"])
def test_jurisdiction_must_be_an_assigned_alpha3_code(code):
    with pytest.raises(ValidationError, match="alpha-3"):
        make_claims(jurisdiction=code)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=600) | st.from_regex(r"[A-Za-z0-9_-]{0,300}\.[A-Za-z0-9_-]{0,100}", fullmatch=True))
def test_arbitrary_text_is_refused_as_a_certificate_never_a_crash(signing_key, text):
    with pytest.raises(InvalidCertificate):
        verify(text, keys_of(signing_key))


def test_deeply_nested_content_is_malformed_not_a_crash(signing_key):
    with pytest.raises(InvalidCertificate) as caught:
        verify(f"{b64(b'[' * 3000)}.{b64(bytes(64))}", keys_of(signing_key))
    assert caught.value.reason == "malformed"
