"""Ed25519 signing keys, one per jurisdiction, and their serialisations.

A key is named by its *key id*: the first 16 hex characters (64 bits) of the SHA-256 of the raw
32-byte public key. The id travels inside every token so a verifier holding several keys (rotation, or
one deployment serving several jurisdictions) picks the right one without trying them all; 64 bits is
plenty to tell a handful of keys apart, and a forged id gains nothing because the signature is still
checked with the key it names.

Private keys are only ever written encrypted (PKCS#8 PEM with the library's best available scheme);
the passphrase comes from the caller (the application derives it from its secret; the CLI reads it
from `AMPARO_CERTIFICATE_PASSPHRASE` or asks for it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from amparo.certificates.errors import InvalidKey

#: Passphrases shorter than this are refused: the encrypted PEM may be copied to backups.
MIN_PASSPHRASE_LENGTH = 12
KEY_ID_LENGTH = 16


def generate_key() -> Ed25519PrivateKey:
    """A new random signing key."""
    return Ed25519PrivateKey.generate()


def raw_public_key(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    """The 32 raw bytes of a public key (of the private key's public half when given a private key)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def raw_private_key(key: Ed25519PrivateKey) -> bytes:
    """The 32 raw bytes of a private key: only to hand it to a process of the same program (bulk
    intake signs in a process of its own); never written anywhere."""
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def key_id(key: Ed25519PublicKey | Ed25519PrivateKey | bytes) -> str:
    """The key id: first 16 hex characters of SHA-256 over the raw public key.

    >>> key_id(bytes(32))
    '66687aadf862bd77'
    """
    raw = key if isinstance(key, bytes) else raw_public_key(key)
    return hashlib.sha256(raw).hexdigest()[:KEY_ID_LENGTH]


def _passphrase_bytes(passphrase: str | bytes) -> bytes:
    value = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
    if len(value) < MIN_PASSPHRASE_LENGTH:
        raise InvalidKey(
            f"The passphrase has {len(value)} bytes; at least {MIN_PASSPHRASE_LENGTH} are needed to protect a "
            "signing key. Use a longer passphrase."
        )
    return value


def private_key_to_pem(key: Ed25519PrivateKey, passphrase: str | bytes) -> bytes:
    """The private key as encrypted PKCS#8 PEM."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_passphrase_bytes(passphrase)),
    )


def private_key_from_pem(data: bytes, passphrase: str | bytes) -> Ed25519PrivateKey:
    """Load an encrypted PKCS#8 PEM private key; a wrong passphrase or another key type is refused."""
    secret = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
    try:
        key = serialization.load_pem_private_key(data, password=secret)
    except TypeError as exc:  # raised for an unencrypted key given a password, and the reverse
        raise InvalidKey(f"The private key file cannot be used: {exc}. Signing keys must be encrypted.") from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InvalidKey(
            "The private key could not be decrypted: the passphrase is wrong or the file is not a PEM private "
            "key. Check AMPARO_CERTIFICATE_PASSPHRASE and the key file."
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidKey(f"The private key is a {type(key).__name__}; certificates are signed with Ed25519 keys.")
    return key


def public_key_to_pem(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    """The public key as SubjectPublicKeyInfo PEM (what OpenSSL and most tools read)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_key_to_b64(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """The raw public key in unpadded base64url: 43 characters, short enough to publish anywhere."""
    return base64.urlsafe_b64encode(raw_public_key(key)).rstrip(b"=").decode("ascii")


def load_public_key(data: bytes | str | Ed25519PublicKey) -> Ed25519PublicKey:
    """Read a public key given as PEM, as unpadded base64url of the raw key, or as the 32 raw bytes."""
    if isinstance(data, Ed25519PublicKey):
        return data
    raw = data.encode("ascii", errors="replace") if isinstance(data, str) else data
    stripped = raw.strip()
    if stripped.startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(stripped)
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise InvalidKey(f"The PEM public key could not be read: {exc}.") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise InvalidKey(f"The public key is a {type(key).__name__}; certificates use Ed25519 keys.")
        return key
    if len(raw) == 32 and not isinstance(data, str):
        return Ed25519PublicKey.from_public_bytes(raw)
    try:
        decoded = base64.urlsafe_b64decode(stripped + b"=" * (-len(stripped) % 4))
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) != 32:
        raise InvalidKey(
            "The public key is neither PEM ('-----BEGIN PUBLIC KEY-----') nor the 43-character base64url form "
            f"of a raw Ed25519 key (got {len(stripped)} characters). Use the .pub.pem file written by "
            "`amparo certificate keygen`."
        )
    return Ed25519PublicKey.from_public_bytes(decoded)
