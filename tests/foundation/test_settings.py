"""Settings: each read from its AMPARO_ variable, with defaults, and unsafe defaults refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from amparo.config import DEVELOPMENT_SECRET_KEY, SettingsError, get_settings, load_settings

GOOD_SECRET = "k" * 48


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ("ENVIRONMENT", "DATA_DIR", "DATABASE_URL", "SECRET_KEY", "MAX_BODY_BYTES", "LOGIN_MAX_FAILURES", "LOGIN_WINDOW_SECONDS",
                 "PASSWORD_MEMORY_KIB", "PASSWORD_TIME_COST", "PASSWORD_PARALLELISM"):
        monkeypatch.delenv(f"AMPARO_{name}", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env file
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_environment_defaults_to_development_and_rejects_unknown_values(monkeypatch):
    assert load_settings().environment == "development"
    monkeypatch.setenv("AMPARO_ENVIRONMENT", "staging")
    with pytest.raises(SettingsError, match="AMPARO_ENVIRONMENT='staging'"):
        load_settings()


def test_data_dir_and_the_default_sqlite_file_inside_it(monkeypatch, tmp_path):
    assert load_settings().data_dir == Path("var")
    monkeypatch.setenv("AMPARO_DATA_DIR", str(tmp_path / "data"))
    settings = load_settings()
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'data' / 'amparo.db'}"


def test_database_url_overrides_the_sqlite_default(monkeypatch):
    monkeypatch.setenv("AMPARO_DATABASE_URL", "postgresql+psycopg://amparo@db:5432/amparo")
    assert load_settings().effective_database_url == "postgresql+psycopg://amparo@db:5432/amparo"


def test_default_secret_is_accepted_in_development_only(monkeypatch):
    assert load_settings().secret_key.get_secret_value() == DEVELOPMENT_SECRET_KEY
    for environment in ("test", "production"):
        monkeypatch.setenv("AMPARO_ENVIRONMENT", environment)
        with pytest.raises(SettingsError, match="AMPARO_SECRET_KEY is the development default") as caught:
            load_settings()
        assert DEVELOPMENT_SECRET_KEY not in caught.value.message.split("default")[0]


def test_short_secret_is_refused_outside_development_and_a_long_one_accepted(monkeypatch):
    monkeypatch.setenv("AMPARO_ENVIRONMENT", "production")
    monkeypatch.setenv("AMPARO_SECRET_KEY", "short")
    with pytest.raises(SettingsError, match="has 5 characters; at least 32"):
        load_settings()
    monkeypatch.setenv("AMPARO_SECRET_KEY", GOOD_SECRET)
    assert load_settings().secret_key.get_secret_value() == GOOD_SECRET


def test_max_body_bytes_default_and_override(monkeypatch):
    assert load_settings().max_body_bytes == 1024 * 1024
    monkeypatch.setenv("AMPARO_MAX_BODY_BYTES", "2048")
    assert load_settings().max_body_bytes == 2048
    monkeypatch.setenv("AMPARO_MAX_BODY_BYTES", "0")
    with pytest.raises(SettingsError, match="AMPARO_MAX_BODY_BYTES='0'"):
        load_settings()


def test_login_rate_limit_settings(monkeypatch):
    settings = load_settings()
    assert (settings.login_max_failures, settings.login_window_seconds) == (5, 300)
    monkeypatch.setenv("AMPARO_LOGIN_MAX_FAILURES", "3")
    monkeypatch.setenv("AMPARO_LOGIN_WINDOW_SECONDS", "60")
    settings = load_settings()
    assert (settings.login_max_failures, settings.login_window_seconds) == (3, 60)
    monkeypatch.setenv("AMPARO_LOGIN_WINDOW_SECONDS", "soon")
    with pytest.raises(SettingsError, match="AMPARO_LOGIN_WINDOW_SECONDS='soon'"):
        load_settings()


def test_get_settings_is_cached_until_cleared(monkeypatch):
    first = get_settings()
    monkeypatch.setenv("AMPARO_MAX_BODY_BYTES", "4096")
    assert get_settings() is first
    get_settings.cache_clear()
    assert get_settings().max_body_bytes == 4096


def test_password_hashing_below_owasps_weakest_recommendation_is_refused(monkeypatch):
    settings = load_settings()
    assert (settings.password_memory_kib, settings.password_time_cost, settings.password_parallelism) == (65536, 3, 4)
    monkeypatch.setenv("AMPARO_PASSWORD_MEMORY_KIB", "7168")
    monkeypatch.setenv("AMPARO_PASSWORD_TIME_COST", "5")  # 35,840: exactly the floor
    assert load_settings().password_memory_kib == 7168
    monkeypatch.setenv("AMPARO_PASSWORD_TIME_COST", "4")
    with pytest.raises(SettingsError, match=r"7168 × 4 = 28672, below 35840"):
        load_settings()
    monkeypatch.setenv("AMPARO_PASSWORD_MEMORY_KIB", "1024")
    with pytest.raises(SettingsError, match="AMPARO_PASSWORD_MEMORY_KIB"):
        load_settings()
