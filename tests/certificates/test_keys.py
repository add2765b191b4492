"""Signing keys: ids, encrypted private PEM, public key forms."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from amparo.certificates import (
    InvalidKey,
    generate_key,
    key_id,
    load_public_key,
    private_key_from_pem,
    private_key_to_pem,
    public_key_to_b64,
    public_key_to_pem,
    raw_public_key,
)

PASSPHRASE = "a long enough passphrase"


def test_key_id_is_the_start_of_the_sha256_of_the_raw_public_key(signing_key):
    raw = signing_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert key_id(signing_key) == hashlib.sha256(raw).hexdigest()[:16]
    assert key_id(signing_key.public_key()) == key_id(raw) == key_id(signing_key)


def test_two_keys_have_different_ids():
    assert key_id(generate_key()) != key_id(generate_key())


def test_private_key_round_trips_through_encrypted_pem(signing_key):
    pem = private_key_to_pem(signing_key, PASSPHRASE)
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):  # the PEM cannot be read without the passphrase
        serialization.load_pem_private_key(pem, password=None)
    loaded = private_key_from_pem(pem, PASSPHRASE.encode())
    assert raw_public_key(loaded) == raw_public_key(signing_key)


def test_wrong_passphrase_is_refused_with_a_clear_message(signing_key):
    pem = private_key_to_pem(signing_key, PASSPHRASE)
    with pytest.raises(InvalidKey, match="passphrase is wrong"):
        private_key_from_pem(pem, "another long passphrase")


def test_short_passphrase_is_refused(signing_key):
    with pytest.raises(InvalidKey, match="at least 12"):
        private_key_to_pem(signing_key, "short")


def test_unencrypted_private_key_is_refused(signing_key):
    plain = signing_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(InvalidKey, match="must be encrypted"):
        private_key_from_pem(plain, PASSPHRASE)


@pytest.mark.parametrize("form", ["pem", "pem-text", "b64", "raw"])
def test_public_key_loads_from_every_published_form(signing_key, form):
    data = {
        "pem": public_key_to_pem(signing_key),
        "pem-text": public_key_to_pem(signing_key).decode(),
        "b64": public_key_to_b64(signing_key),
        "raw": raw_public_key(signing_key),
    }[form]
    assert key_id(load_public_key(data)) == key_id(signing_key)


def test_base64url_public_key_is_43_url_safe_characters(signing_key):
    text = public_key_to_b64(signing_key)
    assert len(text) == 43 and "=" not in text
    assert base64.urlsafe_b64decode(text + "=") == raw_public_key(signing_key)


@pytest.mark.parametrize("data", [b"not a key", "AAAA", b"-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----\n"])
def test_garbage_public_key_is_refused(data):
    with pytest.raises(InvalidKey):
        load_public_key(data)


def test_a_public_key_of_another_algorithm_is_refused():
    pem = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(InvalidKey, match="Ed25519"):
        load_public_key(pem)
