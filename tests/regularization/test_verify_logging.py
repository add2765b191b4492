"""Tokens in paths never reach the access log."""

from __future__ import annotations

import logging

import amparo.web.views.verify as verify


def test_access_log_redacts_certificate_and_invitation_tokens() -> None:
    access = logging.getLogger("uvicorn.access")
    assert any(isinstance(f, verify.RedactTokenPaths) for f in access.filters)
    for path, expected in [
        ("/verify/eyJhbGciOi.sig", "/verify/[redacted]"),
        ("/api/v1/employer-invitations/abc123?x=1", "/api/v1/employer-invitations/[redacted]?x=1"),
        ("/api/v1/programmes", "/api/v1/programmes"),
    ]:
        # The shape of uvicorn's access record: client, method, path, HTTP version, status.
        record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5", "GET", path, "1.1", 200), None)
        for log_filter in access.filters:
            log_filter.filter(record)
        assert record.getMessage() == f'127.0.0.1:5 - "GET {expected} HTTP/1.1" 200'
