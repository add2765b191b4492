"""Programme documents that are not YAML, or that a hostile administrator wrote: each is refused as
an `InvalidInput` naming the line, the column, what was found and what to write instead, within
milliseconds, before anything is built from it.

The slow cases run under a short alarm so that a loader that expands aliases fails the test instead
of holding up the suite.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from amparo.cli import main
from amparo.errors import InvalidInput
from amparo.programmes import example_paths, parse_programme
from amparo.programmes.loader import parse_programme_source
from amparo.safeguards.rulefile import MAX_CHARS, MAX_DEPTH

HERE = Path(__file__).parent
GOOD = HERE / "programmes" / "fixture-adult-workers.yaml"
SYNTAX_ERROR = "id: x\nversion: 1\ntitle: [unclosed\nfoo: bar\n"
SELF_ALIAS = "a: &x [*x]\n"


def alias_bomb(levels: int) -> str:
    """Nine aliases of the level below on each line: `levels` lines stand for 9**levels strings."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block (with TimeoutError) if it runs longer than `seconds`."""

    def interrupt(signum: int, frame: Any) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def refused(text: str, limit: float = 2.0) -> tuple[InvalidInput, float]:
    """The error `text` is refused with, and how long refusing it took."""
    started = time.perf_counter()
    with time_limit(limit), pytest.raises(InvalidInput) as caught:
        parse_programme_source(text, "upload.yaml")
    return caught.value, time.perf_counter() - started


def test_syntax_error_names_line_column_what_was_found_and_what_to_do() -> None:
    error, _ = refused(SYNTAX_ERROR)
    detail = error.details[0]
    assert (detail["line"], detail["column"]) == (4, 4)
    assert detail["found"] == "while parsing a flow sequence, did not find expected ',' or ']'"
    assert "indentation, quotes and brackets on lines 3 to 4" in detail["expected"]
    assert error.message == (
        "upload.yaml, line 4: this is not valid YAML: while parsing a flow sequence, did not find expected ',' or ']' "
        "(column 4) — expected YAML `key: value` lines; check the indentation, quotes and brackets on lines 3 to 4."
    )
    assert "None" not in error.message


def test_a_tab_in_the_indentation_is_named() -> None:
    error, _ = refused("id: x\nwindow:\n\topens: 2021-01-01\n")
    assert error.details[0]["line"] == 3 and error.details[0]["tab"] is True
    assert "indent with spaces, not tabs" in error.message


def test_self_referencing_alias_is_refused_with_its_line() -> None:
    error, elapsed = refused("id: x\n" + SELF_ALIAS)
    assert elapsed < 1.0
    assert error.details[0] | {"expected": ""} == {
        "file": "upload.yaml", "line": 2, "column": 4, "reason": "yaml_alias", "found": "found the anchor &x",
        "expected": "", "name": "&x",
    }
    assert (
        "upload.yaml, line 2: found the anchor &x (column 4) — anchors and aliases (&name / *name) are not allowed "
        "in a programme document; write the value out where it is needed."
    ) == error.message


@pytest.mark.parametrize("levels", [7, 9])
def test_nested_alias_bomb_is_refused_at_once(levels: int) -> None:
    text = alias_bomb(levels)
    assert len(text) < 500
    error, elapsed = refused(text)
    assert elapsed < 1.0
    assert error.details[0]["reason"] == "yaml_alias" and error.details[0]["line"] == 1


def test_an_alias_whose_anchor_is_missing_is_refused_too() -> None:
    error, _ = refused("id: x\nversion: *v\n")
    assert error.details[0]["found"] == "found the alias *v" and error.details[0]["line"] == 2


@pytest.mark.parametrize("text", ["a: !!str 5\n", "a: !custom 5\n", "a: !!python/object:os.system x\n", "a: !!set {x}\n"])
def test_tags_are_refused(text: str) -> None:
    error, _ = refused(text)
    assert error.details[0]["reason"] == "yaml_tag" and error.details[0]["line"] == 1
    assert "tags (!name / !!name) are not allowed in a programme document" in error.message


def test_nesting_is_capped() -> None:
    block = "".join(f"{' ' * level}k{level}:\n" for level in range(MAX_DEPTH + 5)) + " " * (MAX_DEPTH + 5) + "x\n"
    for text in ("a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5), block):
        error, elapsed = refused(text)
        assert elapsed < 1.0
        assert error.details[0]["reason"] == "yaml_depth" and error.details[0]["depth"] == MAX_DEPTH
        assert f"a programme document nests at most {MAX_DEPTH} levels" in error.message
    # libyaml stops far deeper nesting itself, as a syntax error; either way it is refused at once.
    error, elapsed = refused("a: " + "[" * 5000 + "]" * 5000)
    assert elapsed < 1.0 and error.details[0]["reason"] in {"yaml_depth", "yaml_syntax"}
    deep_enough = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    with pytest.raises(InvalidInput, match="this field is required"):  # read, then found not to be a programme
        parse_programme(deep_enough)


def test_size_is_capped() -> None:
    error, elapsed = refused("#" * (MAX_CHARS + 1))
    assert elapsed < 1.0
    assert error.details[0]["reason"] == "too_long"
    assert f"at most {MAX_CHARS} characters for a programme document" in error.message


def test_a_date_that_does_not_exist_is_an_invalid_input_with_its_line() -> None:
    text = GOOD.read_text(encoding="utf-8").replace("opens: 2006-04-17", "opens: 2006-02-30", 1)
    assert "2006-02-30" in text
    error, _ = refused(text)
    detail = error.details[0]
    assert detail["reason"] == "yaml_date" and detail["value"] == "2006-02-30"
    assert text.splitlines()[detail["line"] - 1].strip() == "opens: 2006-02-30"


def test_valid_programmes_still_load_from_text() -> None:
    paths = [*example_paths(), GOOD, HERE / "programmes" / "bad-employer-sponsored.yaml"]
    for path in paths:
        with time_limit(5.0):
            assert parse_programme(path.read_text(encoding="utf-8"), path.name).legal_basis


def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["amparo", "programmes", *args])
    with time_limit(5.0), pytest.raises(SystemExit) as exited:
        main()
    return int(exited.value.code or 0), capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (SYNTAX_ERROR, "line 4: this is not valid YAML: while parsing a flow sequence, did not find expected ',' or ']' (column 4)"),
        (SELF_ALIAS, "line 1: found the anchor &x (column 4) — anchors and aliases (&name / *name) are not allowed"),
        (alias_bomb(9), "line 1: found the anchor &a0 (column 5)"),
    ],
)
def test_cli_check_reports_the_line_and_exits_as_for_any_malformed_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, words: str
) -> None:
    path = tmp_path / "programme.yaml"
    path.write_text(text, encoding="utf-8")
    status, err = run_cli(monkeypatch, capsys, "check", str(path))
    assert status == 2  # the documented status of a malformed file (1 means design findings)
    assert f"{path}, {words}" in err
    assert "Traceback" not in err and "None" not in err
