"""Errors of the certificates package, each an `amparo.errors` class with its own machine code.

A verifier (the `/verify/{token}` page, the CLI, a clinic's offline app) needs to tell a damaged copy
from a forgery from a certificate signed by a key it does not know, so each has its own code; all are
422 because the token is the caller's input.
"""

from __future__ import annotations

from typing import Literal

from amparo.errors import AmparoError, InvalidInput

#: Why a token was refused, in the order `verify` checks.
Reason = Literal["malformed", "unknown_key", "bad_signature", "wrong_jurisdiction"]


class InvalidCertificate(InvalidInput):
    """A certificate token that does not verify; `reason` says which check refused it."""

    exit_code = 1

    def __init__(self, message: str, *, reason: Reason, key_id: str | None = None):
        details = [{"reason": reason}] + ([{"key_id": key_id}] if key_id else [])
        super().__init__(message, details=details, code=f"certificate_{reason}")
        self.reason: Reason = reason
        self.key_id = key_id


class InvalidKey(InvalidInput):
    """A key file or passphrase that cannot be used (wrong passphrase, not Ed25519, not a key at all)."""

    code = "certificate_key_invalid"


class FontMissing(AmparoError):
    """The server cannot draw a certificate: no font covers the text. An operator must install one."""

    status_code = 503
    code = "certificate_font_missing"
    exit_code = 1
