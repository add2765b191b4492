"""Runtime settings, read from the environment (prefix `AMPARO_`) and an optional `.env` file.

Every setting has a safe default for a developer's machine. Outside `development` the defaults that
would be dangerous (the secret key) are refused at start-up, with the variable to set, rather than
discovered later in production.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from amparo.errors import AmparoError

#: The development-only secret; refused in every other environment.
DEVELOPMENT_SECRET_KEY = "amparo-development-secret-key-do-not-use-in-production"
MIN_SECRET_KEY_LENGTH = 32


#: Memory (KiB) × passes of the weakest argon2id that OWASP's Password Storage Cheat Sheet recommends
#: (m=7168 KiB, t=5 — equivalent in cost to m=19456, t=2).
MIN_PASSWORD_HASH_COST = 7168 * 5


class SettingsError(AmparoError):
    """The environment holds a setting Amparo cannot start with."""

    status_code = 500
    code = "invalid_settings"
    exit_code = 2


class Settings(BaseSettings):
    """Amparo's settings. Each field is read from `AMPARO_<FIELD NAME IN CAPITALS>`."""

    model_config = SettingsConfigDict(env_prefix="AMPARO_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        "development", description="Where Amparo runs; anything but development refuses default secrets."
    )
    data_dir: Path = Field(Path("./var"), description="Directory for the SQLite file and stored evidence.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; defaults to a SQLite file in data_dir. PostgreSQL: "
        "postgresql+psycopg://user:password@host:5432/amparo",
    )
    secret_key: SecretStr = Field(
        SecretStr(DEVELOPMENT_SECRET_KEY),
        description=f"Signs sessions and certificates; at least {MIN_SECRET_KEY_LENGTH} characters outside development.",
    )
    max_body_bytes: int = Field(1024 * 1024, gt=0, description="Largest request body accepted, in bytes.")
    login_max_failures: int = Field(5, gt=0, description="Failed logins allowed per username and address in the window.")
    login_window_seconds: int = Field(300, gt=0, description="Length of the login rate-limit window, in seconds.")
    max_upload_bytes: int = Field(10 * 1024 * 1024, gt=0, description="Largest evidence file accepted, in bytes.")
    public_base_url: str = Field(
        "http://localhost:8000", description="Address the public reaches Amparo at; printed in certificate QR codes."
    )
    registrations_per_address: int = Field(
        20, gt=0, description="Self-registrations allowed per address in the login rate-limit window."
    )
    server_timing: bool = Field(
        False, description="Add `Server-Timing: app;dur=<ms>` to every response (benchmarks, diagnosis); "
        "off in normal use, since it tells anyone how long each request took.",
    )
    password_memory_kib: int = Field(
        65536, ge=7168, le=4194304,
        description="argon2id memory per password hash, in KiB (RFC 9106's second recommendation: 65536). "
        "Lower it only knowingly: it is what makes a stolen hash expensive to crack.",
    )
    password_time_cost: int = Field(3, ge=1, le=20, description="argon2id passes over that memory (RFC 9106: 3).")
    password_parallelism: int = Field(4, ge=1, le=16, description="argon2id lanes (RFC 9106: 4).")

    @model_validator(mode="after")
    def _refuse_weak_password_hashing(self) -> Settings:
        cost = self.password_memory_kib * self.password_time_cost
        if cost < MIN_PASSWORD_HASH_COST:
            raise ValueError(
                f"AMPARO_PASSWORD_MEMORY_KIB × AMPARO_PASSWORD_TIME_COST is {self.password_memory_kib} × "
                f"{self.password_time_cost} = {cost}, below {MIN_PASSWORD_HASH_COST} (OWASP's weakest recommended "
                "argon2id, e.g. 19456 KiB × 2 passes); raise either"
            )
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> Settings:
        if self.environment == "development":
            return self
        secret = self.secret_key.get_secret_value()
        if secret == DEVELOPMENT_SECRET_KEY:
            raise ValueError(
                f"AMPARO_SECRET_KEY is the development default, which is refused when AMPARO_ENVIRONMENT is "
                f"{self.environment!r}; set AMPARO_SECRET_KEY to a random value of at least "
                f"{MIN_SECRET_KEY_LENGTH} characters (e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        if len(secret) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(
                f"AMPARO_SECRET_KEY has {len(secret)} characters; at least {MIN_SECRET_KEY_LENGTH} are required "
                f"when AMPARO_ENVIRONMENT is {self.environment!r}"
            )
        return self

    @property
    def effective_database_url(self) -> str:
        """The database URL to use: `database_url`, or the SQLite file `amparo.db` in `data_dir`."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'amparo.db').resolve()}"


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning a validation failure into one actionable `SettingsError`."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            variable = f"AMPARO_{field.upper()}" if field else "settings"
            message = error["msg"].removeprefix("Value error, ")
            received = error.get("input")
            if field and not isinstance(received, dict):
                problems.append(f"{variable}={received!r}: {message}")
            else:
                problems.append(message)
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once. Tests call `get_settings.cache_clear()` after changing the env."""
    return load_settings()
