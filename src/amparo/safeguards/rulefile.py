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


#: Bounds on a rule file. A programme or catalogue is a few kilobytes, four or five levels deep; these
#: leave room for any real one and keep a hostile document to milliseconds of work.
MAX_CHARS = 1_000_000
MAX_DEPTH = 32
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


def _position(mark: yaml.Mark | None) -> tuple[int, int]:
    """(line, column), both 1-based, of a PyYAML mark (line 1, column 1 when there is none)."""
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _refuse(
    filename: str, mark: yaml.Mark | None, reason: str, found: str, expected: str, *,
    lead: str = "", show_column: bool = True, **extra: Any
) -> InvalidInput:
    """The error of a document that cannot be read as a rule file, pointing at the line and column.

    `details[0]["reason"]` says which refusal it is, so a page can word it in its own language;
    `found` is what the parser met (its own words), `expected` what to write instead; `lead` goes
    before `found` in the message only.
    """
    line, column = _position(mark)
    at = f" (column {column})" if show_column else ""
    return InvalidInput(
        f"{filename}, line {line}: {lead}{found}{at} — {expected}",
        details=[{"file": filename, "line": line, "column": column, "reason": reason, "found": found, "expected": expected, **extra}],
    )


def _too_long(filename: str, what: str, found: str) -> InvalidInput:
    expected = f"at most {MAX_CHARS} characters for a {what}; check that it is the right file."
    return InvalidInput(
        f"{filename} has {found} — {expected}",
        details=[{"file": filename, "line": 1, "reason": "too_long", "found": found, "expected": expected, "size": MAX_CHARS}],
    )


def _screen(text: str, filename: str, what: str) -> None:
    """Refuse, before anything is composed, what a rule file never needs and a hostile one could use.

    Anchors and aliases (``&name`` / ``*name``) are refused outright: a self-reference (``a: &x [*x]``)
    makes every walk of the tree recurse without end, and aliases of aliases grow exponentially
    ("billion laughs": 300 bytes, seconds of work, nine times more per level). Explicit tags and
    nesting past `MAX_DEPTH` are refused too, so the walk and the validation below stay bounded.

    Raises:
        InvalidInput: with the line and column of the first such thing.
        yaml.MarkedYAMLError: the text is not YAML (the caller words it).
    """
    loader = _Loader(text)
    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                sign = "*" if isinstance(event, yaml.AliasEvent) else "&"
                kind = "alias" if sign == "*" else "anchor"
                raise _refuse(
                    filename, event.start_mark, "yaml_alias", f"found the {kind} {sign}{event.anchor}",
                    f"anchors and aliases (&name / *name) are not allowed in a {what}; write the value out where it is needed.",
                    name=f"{sign}{event.anchor}",
                )
            if isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)) and event.tag is not None:
                tag = str(event.tag).replace("tag:yaml.org,2002:", "!!", 1)
                raise _refuse(
                    filename, event.start_mark, "yaml_tag", f"found the tag {tag}",
                    f"tags (!name / !!name) are not allowed in a {what}; remove the tag (quote a value to keep it as text).",
                    tag=tag,
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _refuse(
                        filename, event.start_mark, "yaml_depth", f"found a value nested {depth} levels deep",
                        f"a {what} nests at most {MAX_DEPTH} levels; check the indentation and the brackets.",
                        depth=MAX_DEPTH,
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    finally:
        loader.dispose()


def _check_timestamp(loader: Any, node: yaml.ScalarNode, filename: str) -> None:
    # PyYAML resolves 2021-02-30 as a date, then fails to build it with a bare ValueError.
    try:
        loader.construct_yaml_timestamp(node)
    except (ValueError, OverflowError) as exc:
        raise _refuse(
            filename, node.start_mark, "yaml_date", f"{node.value} is not a real date or time: {exc}",
            "expected a date that exists, written YYYY-MM-DD.",
            value=str(node.value),
        ) from None


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int], filename: str, loader: Any, line: int | None = None) -> None:
    # A mapping's value is reported at the line of its key: "line 40, permit.length" points at
    # `length:`, not at the first line inside it.
    lines[path] = line if line is not None else node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                # PyYAML silently keeps the last duplicate; a rule file must not hide a value that way.
                raise _refuse(
                    filename, key_node.start_mark, "duplicate_key", f"the key {key!r} appears twice (first at line {seen[key]})",
                    "expected each key once; remove one of them.", show_column=False,
                    loc=[*path, key], key=str(key), first_line=seen[key],
                )
            seen[key] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), lines, filename, loader, key_node.start_mark.line + 1)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, filename, loader)
    elif node.tag == _TIMESTAMP:
        _check_timestamp(loader, node, filename)


def _not_yaml(exc: yaml.MarkedYAMLError, text: str, filename: str) -> InvalidInput:
    """A syntax error in the parser's words, with where it noticed it and where the construct began."""
    mark = exc.problem_mark or exc.context_mark
    found = ", ".join(part for part in (exc.context, exc.problem) if part) or "a syntax error"
    started = exc.context_mark if exc.context_mark is not None and exc.problem_mark is not None else None
    line, _column = _position(mark)
    start_line = _position(started)[0] if started is not None and started.line + 1 < line else line
    lines = f"line {line}" if start_line == line else f"lines {start_line} to {line}"
    # libyaml says only "found character that cannot start any token" for this commonest mistake.
    tab = "\t" in "".join(text.splitlines()[start_line - 1 : line])
    how = "indent with spaces, not tabs, and check" if tab else "check"
    return _refuse(
        filename, mark, "yaml_syntax", found,
        f"expected YAML `key: value` lines; {how} the indentation, quotes and brackets on {lines}.",
        lead="this is not valid YAML: ", start_line=start_line, tab=tab,
    )


def parse_yaml(text: str, filename: str, what: str = "rule file") -> RuleDocument:
    """Parse one YAML document, keeping the line of every value.

    Args:
        text: the document.
        filename: named in every error.
        what: the kind of document, for the errors ("programme document").

    Raises:
        InvalidInput: the text is too long, is not YAML, is empty, uses anchors, aliases or tags,
            nests too deep, repeats a key or holds a date that does not exist; the message and
            `details` give the line, the column, what was found and what was expected.
    """
    if len(text) > MAX_CHARS:
        raise _too_long(filename, what, f"{len(text)} characters")
    try:
        _screen(text, filename, what)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise InvalidInput(
                    f"{filename} is empty; expected a YAML mapping. Write the document's fields in it.",
                    details=[{"file": filename, "line": 1, "reason": "empty", "found": "an empty document",
                              "expected": f"a YAML mapping: the {what}'s fields as `key: value` lines"}],
                )
            lines: dict[Path_, int] = {}
            _walk(node, (), lines, filename, loader)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        raise _not_yaml(exc, text, filename) from None
    except yaml.YAMLError as exc:
        raise InvalidInput(
            f"{filename}: this is not valid YAML ({exc}); expected a YAML mapping.",
            details=[{"file": filename, "line": 1, "reason": "yaml_syntax", "found": str(exc), "expected": "a YAML mapping"}],
        ) from None
    return RuleDocument(data, lines, filename)


def read_yaml(path: str | Path, what: str = "rule file") -> RuleDocument:
    """Read and parse a YAML rule file; a missing, unreadable or overlong file is an `InvalidInput`."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(4 * MAX_CHARS + 1)  # UTF-8 takes at most 4 bytes a character
        if len(raw) > 4 * MAX_CHARS:
            raise _too_long(str(path), what, f"more than {4 * MAX_CHARS} bytes")
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file; expected the path of a YAML file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot be read as UTF-8 text ({exc}); expected a YAML file.") from None
    return parse_yaml(text, str(path), what)


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
        received = type(document.data).__name__
        raise InvalidInput(
            f"{document.filename}, line 1: expected a YAML mapping describing a {what}, received {received}.",
            details=[{"file": document.filename, "line": 1, "reason": "not_a_mapping", "found": received,
                      "expected": f"a YAML mapping describing a {what}"}],
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
