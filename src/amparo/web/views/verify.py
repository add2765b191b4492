"""`/verify/{token}`: is this certificate of pending application genuine and still valid?

Anyone may ask (a landlord, a clinic, a police officer): the answer is JSON for API clients and a page
for browsers. `/verify` is the same check for someone holding the paper: a form to paste the printed
code, or the whole address, into. The token carries the holder's name, so the answer is never cached
(`Cache-Control: no-store`) and the page is never named to another site (`Referrer-Policy:
no-referrer`); neither the token path nor the pasted code is written to Amparo's logs.
"""

from __future__ import annotations

import logging
import re

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import Field

from amparo.api.deps import open_session
from amparo.certificates import InvalidCertificate, Verdict, VerifiedCertificate
from amparo.regularization import service
from amparo.web.forms import WebForm, blank_form, validate_form
from amparo.web.i18n import N_, _
from amparo.web.routing import web_router
from amparo.web.templating import render

router = web_router()
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
#: Paths whose last segment is a bearer secret: a certificate token or an employer's invitation token.
_SECRET_PATHS = re.compile(r"^(/verify/|/api/v1/employer-invitations/)[^?\s]+")
#: The `/verify` form's query: the code pasted into it is the same secret.
_SECRET_QUERIES = re.compile(r"^(/verify/?\?)\S*")


class RedactTokenPaths(logging.Filter):
    """Access-log filter: `/verify/<token>` is logged as `/verify/[redacted]`, `/verify?code=…` as
    `/verify?[redacted]`.

    A certificate token names its holder and an invitation token is a password; an access log is
    read by more people, for longer, than the database, so neither is ever written there.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3 and isinstance(record.args[2], str):
            path = _SECRET_PATHS.sub(lambda m: m.group(1) + "[redacted]", record.args[2])
            path = _SECRET_QUERIES.sub(lambda m: m.group(1) + "[redacted]", path)
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


def _check(request: Request, token: str) -> tuple[VerifiedCertificate, Verdict]:
    """The signature checked with the jurisdiction's stored key, then the case's current status.

    Raises:
        InvalidCertificate: the token is damaged, altered, or signed by no key this authority holds.
    """
    session = open_session(request)
    try:
        result = service.verify_certificate(session, token)
        session.commit()
        return result
    except InvalidCertificate:
        session.rollback()
        raise
    finally:
        session.close()


@router.get("/verify/{token}", name="verify", response_model=None)
def verify(request: Request, token: str) -> Response:
    """Check the signature with the jurisdiction's stored key, then the case's current status."""
    try:
        verified, verdict = _check(request, token)
    except InvalidCertificate as exc:
        if _wants_html(request):
            return render(request, "verify/result.html", {"genuine": False, "reason": exc.reason}, status_code=422, headers=PRIVATE)
        return JSONResponse(
            {"error": exc.code, "message": exc.message, "details": [{"field": "token", "reason": exc.reason}]},
            status_code=422, headers=PRIVATE,
        )
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


class CertificateCodeForm(WebForm):
    """The `/verify` form; the code travels in the query string, as the QR code's address carries it."""

    code: str = Field(
        min_length=1,
        # A token has at most 4,096 characters; its printed groups of five and an address add a fifth.
        max_length=10_000,
        title=N_("Certificate code or address"),
        description=N_("The code printed under the QR code, or the whole address. Spaces and line breaks do not matter."),
    )


#: Characters a copy from a PDF or a message can slip into a code, none of which a code contains.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))


def token_from(text: str) -> str:
    """The certificate token in what a person pasted: the code alone, or an address ending in
    `/verify/<code>`, wrapped over lines or in groups as the certificate prints it.

    Examples:
        >>> token_from("https://amparo.example.org/verify/ abcde fghij\\n.klm?lang=es")
        'abcdefghij.klm'
        >>> token_from(" abcde\\u00adfg.hi ")
        'abcdefg.hi'
    """
    compact = "".join(text.translate(_INVISIBLE).split())
    _, marker, address_tail = compact.rpartition("/verify/")
    if marker:
        compact = re.split(r"[?#]", address_tail, maxsplit=1)[0].rstrip("/")
    return compact


def _refusal(error: InvalidCertificate) -> str:
    """What to tell the person beside the field, in their language."""
    if error.reason == "malformed":
        return _("This is not a whole certificate code. Copy all of it (two parts joined by one “.”), or scan the QR code instead.")
    return " ".join((
        _("Not genuine: do not rely on this certificate."),
        _("The certificate was changed after it was issued, is damaged, or was not issued by this authority. Ask the holder for the original, or check the case with the authority."),
    ))


@router.get("/verify", name="verify_form", response_model=None)
@router.get("/verify/", response_model=None)
def verify_form(request: Request) -> Response:
    """The form; with `code` in the query, the same verdict as `/verify/{token}`, or the error beside the field."""
    if "code" not in request.query_params:
        return render(request, "verify/check.html", {"form": blank_form(CertificateCodeForm)}, headers=PRIVATE)
    data, form = validate_form(CertificateCodeForm, request.query_params)
    if data is None:
        return render(request, "verify/check.html", {"form": form}, status_code=422, headers=PRIVATE)
    try:
        verified, verdict = _check(request, token_from(data.code))
    except InvalidCertificate as exc:
        form.add_error("code", _refusal(exc))
        return render(request, "verify/check.html", {"form": form}, status_code=422, headers=PRIVATE)
    context = {"form": blank_form(CertificateCodeForm), "verdict": verdict, "claims": verified.claims}
    return render(request, "verify/check.html", context, headers=PRIVATE)
