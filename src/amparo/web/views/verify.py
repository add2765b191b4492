"""`/verify/{token}`: is this certificate of pending application genuine and still valid?

Anyone may ask (a landlord, a clinic, a police officer): the answer is JSON for API clients and a page
for browsers. The token carries the holder's name, so the answer is never cached
(`Cache-Control: no-store`) and the page is never named to another site (`Referrer-Policy:
no-referrer`); the token path is not written to Amparo's logs.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from amparo.certificates import InvalidCertificate
from amparo.regularization import service
from amparo.web.routing import web_router
from amparo.web.templating import render

router = web_router()
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") and request.query_params.get("format") != "json"


@router.get("/verify/{token}", name="verify", response_model=None)
def verify(request: Request, token: str) -> Response:
    """Check the signature with the jurisdiction's stored key, then the case's current status."""
    session = request.app.state.sessionmaker()
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
