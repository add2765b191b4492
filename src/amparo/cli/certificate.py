"""`amparo certificate`: make a jurisdiction's signing key, check a certificate offline.

`verify` needs nothing but the token and the jurisdiction's public key, so it works on a laptop with
no connection; it says whether the signature is genuine, and that the current case status was not
checked. Exit status: 0 genuine, 1 not genuine (damaged, altered, forged, unknown key), 2 usage.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from amparo.errors import InvalidInput

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

# The certificates library (pydantic, cryptography) is imported inside each command so that
# `amparo --help` stays quick.

app = typer.Typer(help="Certificates of pending application: signing keys and offline checks.", no_args_is_help=True)

PASSPHRASE_ENV = "AMPARO_CERTIFICATE_PASSPHRASE"


def _token_from(text: str) -> str:
    """Accept the token itself or the whole URL a QR scanner shows."""
    text = text.strip()
    if "/verify/" in text:
        text = text.rsplit("/verify/", 1)[1].split("?", 1)[0].split("#", 1)[0]
    return text


def _read_keys(paths: list[Path]) -> dict[str, Ed25519PublicKey]:
    from amparo.certificates import key_id, load_public_key

    keys: dict[str, Ed25519PublicKey] = {}
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"Cannot read the public key file {str(path)!r}: {exc.strerror}.") from exc
        key = load_public_key(data)
        keys[key_id(key)] = key
    return keys


@app.command("verify")
def verify_command(
    token: Annotated[str, typer.Argument(metavar="TOKEN", help="The certificate's code, or the URL from its QR code.")],
    public_key: Annotated[
        list[Path] | None,
        typer.Option(
            "--public-key",
            "-k",
            metavar="FILE",
            help="The jurisdiction's public key (PEM or base64url); repeat for several.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Check a certificate's signature offline and show what it certifies."""
    from amparo.certificates import InvalidCertificate, assess, verify

    if not public_key:
        # Checked here rather than by Typer so the message says where to get the key.
        raise InvalidInput(
            "--public-key FILE is required: the public key of the jurisdiction that issued the certificate "
            "(the .pub.pem file from `amparo certificate keygen`, or as published by the authority)."
        )
    keys = _read_keys(public_key)
    try:
        verified = verify(_token_from(token), keys)
    except InvalidCertificate as exc:
        if as_json:
            typer.echo(json.dumps({"signature": "invalid", "reason": exc.reason, "message": exc.message}))
        else:
            typer.echo(f"Signature: INVALID ({exc.reason.replace('_', ' ')})", err=True)
            typer.echo(exc.message, err=True)
        raise typer.Exit(1) from None
    claims = verified.claims
    verdict = assess(verified, None, None)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "signature": "valid",
                    "key_id": verified.key_id,
                    "claims": claims.model_dump(mode="json"),
                    "status": verdict.state,
                    "status_explanation": verdict.explanation,
                },
                ensure_ascii=False,
            )
        )
        return
    born = f"born {claims.date_of_birth.isoformat()}" if claims.date_of_birth else "no date of birth in the document"
    lines = [
        f"Signature:     OK (key {verified.key_id})",
        f"Holder:        {claims.holder_name} ({born})",
        f"Case:          {claims.case_number}, filed {claims.filed_on.isoformat()}",
        f"Programme:     {claims.programme_title} ({claims.programme_id}), {claims.jurisdiction}",
        f"Issued:        {claims.issued_at:%Y-%m-%d %H:%M} UTC, status then: {claims.status}",
        f"Certificate:   {claims.certificate_id}",
        f"Status now:    {verdict.headline}. Check online for the current status.",
    ]
    typer.echo("\n".join(lines))


def _passphrase() -> str:
    from_env = os.environ.get(PASSPHRASE_ENV)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise InvalidInput(
            f"No passphrase for the new private key: set {PASSPHRASE_ENV}, or run the command in a terminal to "
            "type it."
        )
    return typer.prompt("Passphrase for the new private key", hide_input=True, confirmation_prompt=True)


def _write_new(path: Path, data: bytes, mode: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise InvalidInput(f"{str(path)!r} already exists; keys are never overwritten. Choose another --out.") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


@app.command("keygen")
def keygen_command(
    jurisdiction: Annotated[str, typer.Option("--jurisdiction", "-j", metavar="CODE", help="ISO 3166-1 alpha-3 code, e.g. ARG.")],
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="Folder to write the key files into.")],
) -> None:
    """Make a new Ed25519 signing key for a jurisdiction.

    Writes JURISDICTION-KEYID.key.pem (encrypted with the passphrase from AMPARO_CERTIFICATE_PASSPHRASE,
    or asked for; readable by the owner only) and JURISDICTION-KEYID.pub.pem (to publish).
    """
    from amparo.certificates import generate_key, key_id, private_key_to_pem, public_key_to_b64, public_key_to_pem

    from amparo.jurisdictions.codes import check_alpha3

    code = check_alpha3(jurisdiction.strip().upper(), field="--jurisdiction")
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"--out {str(out)!r} is a file; give a folder.")
    key = generate_key()
    private_pem = private_key_to_pem(key, _passphrase())
    out.mkdir(parents=True, exist_ok=True)
    kid = key_id(key)
    private_path = out / f"{code}-{kid}.key.pem"
    public_path = out / f"{code}-{kid}.pub.pem"
    _write_new(private_path, private_pem, 0o600)
    _write_new(public_path, public_key_to_pem(key), 0o644)
    typer.echo(f"Key id:       {kid}\nJurisdiction: {code}\nPublic key:   {public_key_to_b64(key)}")
    typer.echo(f"Private key:  {private_path} (encrypted; keep it secret)\nPublic PEM:   {public_path}")
