"""Password hashing with argon2id.

The parameters default to RFC 9106's second recommendation (m = 64 MiB, t = 3, p = 4: argon2-cffi's
defaults) and are set per deployment through `AMPARO_PASSWORD_MEMORY_KIB`, `_TIME_COST` and
`_PARALLELISM` (`configure`, called when the app or the CLI starts). A hash keeps the parameters it was
made with, so changing them breaks no account: the next sign-in verifies the old hash and stores a
new one (`needs_rehash`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

if TYPE_CHECKING:
    from amparo.config import Settings

_hasher = PasswordHasher()

#: Verified against when a username is unknown, so a miss costs as much time as a wrong password.
_dummy_hash = _hasher.hash("amparo-timing-equaliser")


def configure(memory_kib: int, time_cost: int, parallelism: int) -> None:
    """Hash new passwords with these argon2id parameters from now on (the settings' values)."""
    global _hasher, _dummy_hash
    if (_hasher.memory_cost, _hasher.time_cost, _hasher.parallelism) == (memory_kib, time_cost, parallelism):
        return
    hasher = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=parallelism)
    _hasher, _dummy_hash = hasher, hasher.hash("amparo-timing-equaliser")


def configure_from(settings: Settings) -> None:
    configure(settings.password_memory_kib, settings.password_time_cost, settings.password_parallelism)


def parameters() -> tuple[int, int, int]:
    """The (memory KiB, passes, lanes) new hashes are made with."""
    return _hasher.memory_cost, _hasher.time_cost, _hasher.parallelism


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
