"""`/verify/{token}`: is this certificate of pending application genuine and still valid?

Anyone may ask (a landlord, a clinic, a police officer): the answer is JSON for API clients and a page
for browsers. The token carries the holder's name, so the answer is never cached
(`Cache-Control: no-store`) and the page is never named to another site (`Referrer-Policy:
no-referrer`); the token path is not written to Amparo's logs.
"""

from __future__ import annotations

import logging
import re

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from amparo.api.deps import open_session
from amparo.certificates import InvalidCertificate
from amparo.regularization import service
from amparo.web.routing import web_router
from amparo.web.templating import render

router = web_router()
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
#: Paths whose last segment is a bearer secret: a certificate token or an employer's invitation token.
_SECRET_PATHS = re.compile(r"^(/verify/|/api/v1/employer-invitations/)[^?\s]*")


class RedactTokenPaths(logging.Filter):
    """Access-log filter: `/verify/<token>` is logged as `/verify/[redacted]`.

    A certificate token names its holder and an invitation token is a password; an access log is
    read by more people, for longer, than the database, so neither is ever written there.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3 and isinstance(record.args[2], str):
            path = _SECRET_PATHS.sub(lambda m: m.group(1) + "[redacted]", record.args[2])
            record.args = (*record.args[:2], path, *record.args[3:])
        return True


def install_log_filter() -> None:
    """Attach the filter to uvicorn's access logger once (importing this module does it)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokenPaths) for f in access.filters):
        access.addFilter(RedactTokenPaths())


install_log_filter()


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") and request.query_params.get("format") != "json"


@router.get("/verify/{token}", name="verify", response_model=None)
def verify(request: Request, token: str) -> Response:
    """Check the signature with the jurisdiction's stored key, then the case's current status."""
    session = open_session(request)
    try:
        verified, verdict = service.verify_certificate(session, token)
        session.commit()
    except InvalidCertificate as exc:
        session.rollback()
        if _wants_html(request):
            return render(request, "verify/result.html", {"genuine": False, "reason": exc.reason}, status_code=422, headers=PRIVATE)
        return JSONResponse(
            {"error": exc.code, "message": exc.message, "details": [{"field": "token", "reason": exc.reason}]},
            status_code=422, headers=PRIVATE,
        )
    finally:
        session.close()
    claims = verified.claims
    if _wants_html(request):
        response: HTMLResponse = render(
            request, "verify/result.html", {"genuine": True, "verdict": verdict, "claims": claims}, headers=PRIVATE
        )
        return response
    return JSONResponse(
        {
            "state": verdict.state, "headline": verdict.headline, "explanation": verdict.explanation,
            "case_status": verdict.case_status, "status_date": verdict.status_date.isoformat() if verdict.status_date else None,
            "claims": claims.model_dump(mode="json"), "key_id": verified.key_id,
        },
        headers=PRIVATE,
    )
