"""Signing keys shared by the certificate tests (generated once per run)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from amparo.certificates import generate_key


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    return generate_key()


@pytest.fixture(scope="session")
def other_key() -> Ed25519PrivateKey:
    return generate_key()
