"""Compact signed tokens: `base64url(claims JSON) "." base64url(Ed25519 signature)`.

The first segment is the canonical JSON of the claims (sorted keys, no spaces, UTF-8) with two extra
members, `v` (format version, 1) and `kid` (the signing key's id). The signature covers the ASCII of
the first segment prefixed with a fixed context string, so a signature made by the same key for any
other purpose can never pass as a certificate. Both segments are unpadded base64url: the token is
URL-safe as it stands and goes straight into `/verify/{token}` and the QR code.

Checking needs only the jurisdiction's public key, so a clinic with no connection can still tell a
genuine certificate from a forgery; whether the case is *still* pending is a separate, online question
(`amparo.certificates.validity`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import ValidationError

from amparo.certificates.errors import InvalidCertificate, InvalidKey
from amparo.certificates.keys import key_id, load_public_key
from amparo.certificates.schemas import CertificateClaims, VerifiedCertificate
from amparo.errors import InvalidInput

TOKEN_VERSION = 1
#: Domain separation: what the signature is *for* is part of what is signed.
SIGNING_CONTEXT = b"amparo/certificate-of-pending-application/v1:"
#: Far above any real token (about 500 characters); refuses absurd input before any decoding.
MAX_TOKEN_LENGTH = 4096
_B64URL_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_DAMAGED = "Check that it was copied completely (it has two parts joined by one '.'), or scan the QR code instead."


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(segment: str, what: str) -> bytes:
    """Strict unpadded base64url: exactly one spelling per byte string, so no edit goes unnoticed."""
    if not segment or not set(segment) <= _B64URL_ALPHABET or len(segment) % 4 == 1:
        raise InvalidCertificate(f"The certificate's {what} is not valid base64url text. {_DAMAGED}", reason="malformed")
    data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    # The last character can carry unused bits; two spellings of one byte string would let a token be
    # altered without the signature noticing, so only the canonical one is accepted.
    if _b64encode(data) != segment:
        raise InvalidCertificate(f"The certificate's {what} is not in canonical form. {_DAMAGED}", reason="malformed")
    return data


def canonical_json(payload: Mapping[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same claims always give the same bytes."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def issue(claims: CertificateClaims, private_key: Ed25519PrivateKey, *, kid: str | None = None) -> str:
    """Sign the claims with the jurisdiction's key and return the token.

    Args:
        claims: what the certificate states.
        private_key: the signing key of the jurisdiction in `claims.jurisdiction`.
        kid: the key's id when the caller has it already (one per key, not one hash per signature);
            it must be `key_id(private_key)`.

    Returns:
        The URL-safe token, e.g. ``eyJjYXNlIjoi....pQ0xS...``.
    """
    return sign_claims(claims.model_dump(mode="json", by_alias=True), private_key, kid=kid)


def sign_claims(claims: Mapping[str, Any], private_key: Ed25519PrivateKey, *, kid: str | None = None) -> str:
    """Sign claims already in the form they are signed in: `CertificateClaims.model_dump(mode="json",
    by_alias=True)`, or `schemas.complete_for_case` of claims validated earlier. `issue` is the way
    for claims not yet validated."""
    payload = {"v": TOKEN_VERSION, "kid": kid or key_id(private_key), **claims}
    body = _b64encode(canonical_json(payload))
    signature = private_key.sign(SIGNING_CONTEXT + body.encode("ascii"))
    return f"{body}.{_b64encode(signature)}"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise ValueError(f"duplicate member {name!r}")
        result[name] = value
    return result


def _split(token: str) -> tuple[str, dict[str, Any], bytes]:
    """Body segment, decoded payload and signature bytes; InvalidCertificate('malformed') otherwise."""
    if not isinstance(token, str) or not token.strip():
        raise InvalidCertificate(f"No certificate token was given. {_DAMAGED}", reason="malformed")
    if len(token) > 2 * MAX_TOKEN_LENGTH:
        raise InvalidCertificate(
            f"The text has {len(token)} characters; a certificate token has at most {MAX_TOKEN_LENGTH}.",
            reason="malformed",
        )
    # Whitespace is dropped so a token typed from its printed groups, or wrapped by a mail program, still reads.
    token = "".join(token.split())
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidCertificate(
            f"The text has {len(token)} characters; a certificate token has at most {MAX_TOKEN_LENGTH}.",
            reason="malformed",
        )
    parts = token.split(".")
    if len(parts) != 2:
        raise InvalidCertificate(
            f"A certificate token has 2 parts separated by '.', this text has {len(parts)}. {_DAMAGED}",
            reason="malformed",
        )
    body, signature_text = parts
    raw = _b64decode(body, "content")
    signature = _b64decode(signature_text, "signature")
    if len(signature) != 64:
        raise InvalidCertificate(
            f"The certificate's signature has {len(signature)} bytes; an Ed25519 signature has 64. {_DAMAGED}",
            reason="malformed",
        )
    try:
        payload = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # deep nesting: RecursionError
        raise InvalidCertificate(f"The certificate's content is not readable ({exc}). {_DAMAGED}", reason="malformed") from exc
    if not isinstance(payload, dict):
        raise InvalidCertificate(f"The certificate's content is not a set of claims. {_DAMAGED}", reason="malformed")
    version = payload.get("v")
    if type(version) is not int or version != TOKEN_VERSION:  # `type`: JSON true must not pass as 1
        raise InvalidCertificate(
            f"The certificate has format version {version!r}; this verifier reads version {TOKEN_VERSION}. "
            "Update Amparo, or check that this is an Amparo certificate.",
            reason="malformed",
        )
    if not isinstance(payload.get("kid"), str):
        raise InvalidCertificate(f"The certificate does not name its signing key. {_DAMAGED}", reason="malformed")
    return body, payload, signature


def _claims_of(payload: dict[str, Any]) -> CertificateClaims:
    fields = {name: value for name, value in payload.items() if name not in ("v", "kid")}
    try:
        return CertificateClaims.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'claims'}: {e['msg']}" for e in exc.errors())
        raise InvalidCertificate(f"The certificate's claims are not valid: {problems}.", reason="malformed") from exc


def peek_claims(token: str) -> CertificateClaims:
    """The claims of a well-formed token WITHOUT checking its signature.

    Only for the issuer's own use (e.g. checking that a PDF prints what its token says); never to decide
    whether to trust a certificate — use `verify` for that.
    """
    return _claims_of(_split(token)[1])


def peek_key_id(token: str) -> str:
    """The id of the key a well-formed token says it was signed with (unverified, like `peek_claims`)."""
    return _split(token)[1]["kid"]


def verify(
    token: str,
    public_keys: Mapping[str, Ed25519PublicKey | bytes | str],
    *,
    key_jurisdictions: Mapping[str, str] | None = None,
) -> VerifiedCertificate:
    """Check a token's signature offline and return its claims.

    Args:
        token: the text from the QR code, the URL or the printed certificate.
        public_keys: key id → public key (object, raw 32 bytes, PEM, or base64url text).
        key_jurisdictions: key id → jurisdiction the key signs for; when given, a certificate naming
            another jurisdiction is refused even if its signature is valid.

    Raises:
        InvalidCertificate: `reason` is "malformed" (damaged or not a token), "unknown_key" (signed by
            a key not in `public_keys`), "bad_signature" (altered or forged) or "wrong_jurisdiction".
        InvalidKey: `public_keys` maps an id to a key whose id is different (a configuration mistake).
    """
    body, payload, signature = _split(token)
    kid = payload["kid"]
    if kid not in public_keys:
        known = ", ".join(sorted(public_keys)) or "none"
        raise InvalidCertificate(
            f"The certificate was signed with key {kid!r}, which this verifier does not hold (it holds: {known}). "
            "Get the issuing jurisdiction's current public key, or treat the certificate as unverified.",
            reason="unknown_key",
            key_id=kid,
        )
    public_key = load_public_key(public_keys[kid])
    if key_id(public_key) != kid:
        raise InvalidKey(f"The public key listed under id {kid!r} has id {key_id(public_key)!r}; fix the key list.")
    try:
        public_key.verify(signature, SIGNING_CONTEXT + body.encode("ascii"))
    except InvalidSignature:
        raise InvalidCertificate(
            "The certificate's signature does not match its content: it was changed after it was issued, or it "
            "is a forgery. Do not rely on it; ask the holder for the original or check the case with the authority.",
            reason="bad_signature",
            key_id=kid,
        ) from None
    claims = _claims_of(payload)
    if key_jurisdictions is not None and key_jurisdictions.get(kid) != claims.jurisdiction:
        owner = repr(key_jurisdictions[kid]) if kid in key_jurisdictions else "no jurisdiction on record"
        raise InvalidCertificate(
            f"The certificate names jurisdiction {claims.jurisdiction!r} but was signed with the key of "
            f"{owner}. Only a jurisdiction's own key can certify its applications.",
            reason="wrong_jurisdiction",
            key_id=kid,
        )
    return VerifiedCertificate(claims=claims, key_id=kid, token="".join(token.split()))


def verification_url(base_url: str, token: str) -> str:
    """The address printed in the QR code: ``{base_url}/verify/{token}``.

    >>> verification_url("https://amparo.example.org/", "abc.def")
    'https://amparo.example.org/verify/abc.def'
    """
    if not base_url.startswith(("https://", "http://")):
        raise InvalidInput(f"The base URL {base_url!r} must start with https:// (or http:// for local testing).")
    return f"{base_url.rstrip('/')}/verify/{token}"
