"""The `amparo` entry point: one clear line and an exit status, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

import amparo.cli as cli


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "amparo", *args], capture_output=True, text=True, timeout=120)


def test_unknown_command_is_a_usage_error_with_status_2() -> None:
    result = _run("no-such-command")
    assert result.returncode == 2
    assert "No such command 'no-such-command'" in result.stderr
    assert "Traceback" not in result.stderr


def test_unexpected_errors_print_one_line_and_exit_1(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    def broken(**_: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(cli, "app", broken)
    monkeypatch.delenv("AMPARO_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "Unexpected error: RuntimeError: disk on fire" in err and "AMPARO_DEBUG=1" in err
    assert "Traceback" not in err


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**_: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(cli, "app", broken)
    monkeypatch.setenv("AMPARO_DEBUG", "1")
    with pytest.raises(RuntimeError, match="disk on fire"):
        cli.main()
