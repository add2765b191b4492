"""Line-aware loading of rule files (YAML) shared by the safeguards catalogue and programmes.

A rule that is wrong must fail when it is loaded, naming its file, its line and what was expected
(STYLE.md 7). PyYAML's composed node tree keeps the line of every value; we walk it once to build a
map from a data path such as ``("eligibility", "age", "min")`` to its line, so a Pydantic error
location can be turned back into "programme.yaml, line 23".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from amparo.errors import InvalidInput

try:  # libyaml is several times faster; fall back to the pure-Python loader where it is absent.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Path_ = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


class RuleDocument:
    """A parsed YAML document with the line (1-based) of every mapping key and value in it."""

    def __init__(self, data: Any, lines: dict[Path_, int], filename: str):
        self.data = data
        self.lines = lines
        self.filename = filename

    def line_of(self, path: Iterable[str | int]) -> int:
        """Line of the value at `path`, or of its nearest ancestor that exists in the file."""
        parts = tuple(path)
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return self.lines.get((), 1)


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int], filename: str, line: int | None = None) -> None:
    # A mapping's value is reported at the line of its key: "line 40, permit.length" points at
    # `length:`, not at the first line inside it.
    lines[path] = line if line is not None else node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                # PyYAML silently keeps the last duplicate; a rule file must not hide a value that way.
                raise InvalidInput(
                    f"{filename}, line {key_node.start_mark.line + 1}: the key {key!r} appears twice "
                    f"(first at line {seen[key]}); expected each key once. Remove one of them.",
                    details=[{"file": filename, "line": key_node.start_mark.line + 1, "loc": [*path, key]}],
                )
            seen[key] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), lines, filename, key_node.start_mark.line + 1)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, filename)


def parse_yaml(text: str, filename: str) -> RuleDocument:
    """Parse one YAML document, keeping the line of every value.

    Raises:
        InvalidInput: the text is not YAML, is empty, or repeats a key.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise InvalidInput(
                f"{filename} is empty; expected a YAML mapping. Write the document's fields in it.",
                details=[{"file": filename, "line": 1}],
            )
        lines: dict[Path_, int] = {}
        _walk(node, (), lines, filename)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise InvalidInput(
            f"{filename}, line {line}: this is not valid YAML ({exc.problem}); "
            "expected a YAML mapping. Check the indentation and quoting on that line.",
            details=[{"file": filename, "line": line}],
        ) from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{filename}: this is not valid YAML ({exc}); expected a YAML mapping.") from None
    finally:
        loader.dispose()
    return RuleDocument(data, lines, filename)


def read_yaml(path: str | Path) -> RuleDocument:
    """Read and parse a YAML rule file; a missing or unreadable file is an `InvalidInput`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file; expected the path of a YAML file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot be read as UTF-8 text ({exc}); expected a YAML file.") from None
    return parse_yaml(text, str(path))


def _describe(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "this field is required but missing"
    if kind == "extra_forbidden":
        return "this field is not known here (check its spelling and indentation)"
    return str(error.get("msg", "invalid value")).removeprefix("Value error, ")


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def validate(model: type[M], document: RuleDocument, what: str) -> M:
    """Validate `document` against `model`, reporting the first errors with their file and line.

    Raises:
        InvalidInput: with one line per error: file, line, field path, the value received and what
            was expected; `details` holds the same as data.
    """
    if not isinstance(document.data, dict):
        raise InvalidInput(
            f"{document.filename}, line 1: expected a YAML mapping describing a {what}, "
            f"received {type(document.data).__name__}.",
            details=[{"file": document.filename, "line": 1}],
        )
    try:
        return model.model_validate(document.data)
    except ValidationError as exc:
        details = []
        parts = []
        for error in exc.errors(include_url=False)[:10]:
            loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            line = document.line_of(loc)
            field = ".".join(str(p) for p in loc) or "(document)"
            received = error.get("input")
            message = _describe(error)
            shown = "" if error.get("type") == "missing" else f" (received {_short(received)})"
            parts.append(f"{document.filename}, line {line}, {field}: {message}{shown}")
            details.append({"file": document.filename, "line": line, "loc": list(loc), "expected": message})
        more = exc.error_count() - len(details)
        suffix = f"; and {more} more" if more > 0 else ""
        raise InvalidInput(f"Invalid {what}: " + "; ".join(parts) + suffix, details=details) from None
