"""`amparo certificate keygen` and `verify`, run as a real process."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from amparo.certificates import issue, key_id, private_key_from_pem

from .builders import make_claims

PASSPHRASE = "correct horse battery staple"


def amparo(*args: str, passphrase: str | None = PASSPHRASE) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "AMPARO_CERTIFICATE_PASSPHRASE"}
    if passphrase is not None:
        env["AMPARO_CERTIFICATE_PASSPHRASE"] = passphrase
    return subprocess.run(
        [sys.executable, "-m", "amparo", "certificate", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


@pytest.fixture(scope="module")
def keydir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("keys")
    result = amparo("keygen", "--jurisdiction", "arg", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def private_key(keydir):
    (path,) = keydir.glob("ARG-*.key.pem")
    return private_key_from_pem(path.read_bytes(), PASSPHRASE)


@pytest.fixture(scope="module")
def public_pem(keydir) -> Path:
    (path,) = keydir.glob("ARG-*.pub.pem")
    return path


def test_keygen_writes_an_encrypted_private_key_only_the_owner_can_read(keydir, private_key):
    (path,) = keydir.glob("ARG-*.key.pem")
    assert path.name == f"ARG-{key_id(private_key)}.key.pem"
    assert b"ENCRYPTED PRIVATE KEY" in path.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_keygen_refuses_a_name_that_is_not_an_iso_code(tmp_path):
    result = amparo("keygen", "--jurisdiction", "Argentina", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "--jurisdiction 'ARGENTINA' is not an ISO 3166-1 alpha-3 country code" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_keygen_refuses_a_short_passphrase_and_writes_nothing(tmp_path):
    result = amparo("keygen", "--jurisdiction", "COL", "--out", str(tmp_path / "k"), passphrase="short")
    assert result.returncode == 2 and "at least 12" in result.stderr
    assert not (tmp_path / "k").exists()


def test_verify_prints_what_the_certificate_says(private_key, public_pem):
    token = issue(make_claims(), private_key)
    result = amparo("verify", token, "--public-key", str(public_pem))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"OK (key {key_id(private_key)})" in out
    assert "José Ñúñez (born 1990-05-17)" in out and "AR-2026-000123" in out
    assert "Programa Patria Grande" in out and "2026-03-02 09:30 UTC" in out
    assert "current status not checked" in out


def test_verify_json(private_key, public_pem):
    token = issue(make_claims(), private_key)
    result = amparo("verify", token, "--public-key", str(public_pem), "--json")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["signature"] == "valid" and report["status"] == "unknown"
    assert report["claims"]["given_names"] == "José" and report["claims"]["case_number"] == "AR-2026-000123"


def test_verify_accepts_the_url_from_the_qr_code(private_key, public_pem):
    token = issue(make_claims(), private_key)
    result = amparo("verify", f"https://amparo.example.org/verify/{token}", "-k", str(public_pem))
    assert result.returncode == 0, result.stderr


def test_tampered_token_exits_1(private_key, public_pem):
    token = issue(make_claims(), private_key)
    body, signature = token.split(".")
    tampered = f"{body}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    result = amparo("verify", tampered, "--public-key", str(public_pem))
    assert result.returncode == 1
    assert "INVALID (bad signature)" in result.stderr and "Traceback" not in result.stderr
    as_json = amparo("verify", tampered, "--public-key", str(public_pem), "--json")
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["reason"] == "bad_signature"


def test_token_from_another_key_exits_1_as_unknown_key(signing_key, public_pem):
    result = amparo("verify", issue(make_claims(), signing_key), "--public-key", str(public_pem))
    assert result.returncode == 1 and "unknown key" in result.stderr


def test_missing_or_unreadable_key_is_a_usage_error(private_key, tmp_path):
    token = issue(make_claims(), private_key)
    missing = amparo("verify", token)
    assert missing.returncode == 2 and "--public-key FILE is required" in missing.stderr
    absent = amparo("verify", token, "--public-key", str(tmp_path / "nope.pem"))
    assert absent.returncode == 2 and "Cannot read the public key file" in absent.stderr
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("hello")
    bad = amparo("verify", token, "--public-key", str(garbage))
    assert bad.returncode == 2 and "neither PEM" in bad.stderr


def test_keygen_without_a_passphrase_or_terminal_says_how_to_give_one(tmp_path):
    result = amparo("keygen", "--jurisdiction", "COL", "--out", str(tmp_path / "k"), passphrase=None)
    assert result.returncode == 2 and "set AMPARO_CERTIFICATE_PASSPHRASE" in result.stderr
    assert not (tmp_path / "k").exists()
