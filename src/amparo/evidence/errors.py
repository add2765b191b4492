"""Errors of the evidence package, as `amparo.errors` classes with their own machine codes."""

from __future__ import annotations

from amparo.errors import DataError, InvalidInput


class RejectedFile(InvalidInput):
    """An upload that is not an acceptable PDF, JPEG or PNG file (422); nothing was stored."""

    code = "evidence_rejected"


class CorruptBlob(DataError):
    """Stored evidence whose bytes no longer match their SHA-256: disk fault or tampering."""

    code = "evidence_corrupt"
