"""Every user-facing string of the web interface has a translation in Spanish, French and Arabic,
and no template shows text that is not marked for translation."""

from __future__ import annotations

import html.parser
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from jinja2 import Environment
from jinja2.lexer import TOKEN_BLOCK_BEGIN, TOKEN_DATA, TOKEN_NAME

from amparo.web import i18n
from amparo.web.templating import TEMPLATES_DIR

REPO = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "lazy_gettext": None}
#: Words that are the same in every language: the product's name.
PROPER_NOUNS = {"Amparo"}
#: Attributes a person reads or hears.
TEXT_ATTRIBUTES = ("alt", "title", "placeholder", "aria-label")


def _read_method_map() -> list[tuple[str, str]]:
    """The extraction map from babel.cfg (the same one `pybabel extract` uses)."""
    methods = []
    for line in (REPO / "babel.cfg").read_text().splitlines():
        match = re.match(r"\[(\w+):\s*(.+)\]", line.strip())
        if match:
            methods.append((match.group(2), match.group(1)))
    return methods


def extracted_messages() -> dict[str | tuple[str, str], list[str]]:
    """Every msgid in the code and templates babel.cfg names, with where it was found."""
    messages: dict[str | tuple[str, str], list[str]] = {}
    options = {pattern: {"trimmed": "true", "extensions": "jinja2.ext.i18n"} for pattern, method in _read_method_map() if method == "jinja2"}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(REPO), method_map=_read_method_map(), options_map=options, keywords=KEYWORDS
    ):
        messages.setdefault(message, []).append(filename)
    return messages


def test_extraction_finds_the_web_strings() -> None:
    messages = extracted_messages()
    # Guards the test itself: if the map stopped matching, every catalogue would look complete.
    assert "Skip to main content" in messages and "This field is required." in messages
    assert len(messages) > 150


@pytest.mark.parametrize("code", [c for c in i18n.LANGUAGES if c != i18n.DEFAULT_LANGUAGE])
def test_every_string_is_translated(code: str) -> None:
    path = i18n.TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=code)
    problems = []
    for msgid, where in sorted(extracted_messages().items(), key=str):
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        entry = catalog.get(key)
        if entry is None:
            problems.append(f"missing: {msgid!r} (from {where[0]})")
            continue
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry.fuzzy or not all(forms) or (isinstance(msgid, tuple) and len(forms) != catalog.num_plurals):
            problems.append(f"untranslated or fuzzy: {msgid!r} (from {where[0]})")
            continue
        for placeholder in set(re.findall(r"%\(\w+\)s|\{\w+\}", key)):
            if not any(placeholder in form for form in forms):
                problems.append(f"{code} translation of {key!r} drops {placeholder}")
    assert not problems, f"{len(problems)} problems in {path}:\n" + "\n".join(problems)


class _VisibleText(html.parser.HTMLParser):
    """Collects text and readable attributes from the literal HTML around Jinja tags."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in TEXT_ATTRIBUTES and value]

    def handle_data(self, data: str) -> None:
        self.found.append(data)


def untranslated_text(source: str) -> list[str]:
    """Literal words in a template that are outside `{% trans %}` blocks and `{{ ... }}` expressions."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    pieces: list[str] = []
    in_trans = False
    tokens = [token for token in env.lex(source) if token[1] != "whitespace"]
    for index, (_line, kind, value) in enumerate(tokens):
        if kind == TOKEN_BLOCK_BEGIN and index + 1 < len(tokens) and tokens[index + 1][1] == TOKEN_NAME:
            keyword = tokens[index + 1][2]
            in_trans = keyword == "trans" or (in_trans and keyword not in ("endtrans",))
        if kind == TOKEN_DATA and not in_trans:
            pieces.append(value)
    parser = _VisibleText()
    # Placeholders keep attribute values that were Jinja expressions from merging with literal text.
    parser.feed(" \x00 ".join(pieces))
    words = []
    for text in parser.found:
        for word in re.findall(r"[^\W\d_]{2,}", text):
            if word not in PROPER_NOUNS:
                words.append(word)
    return words


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES_DIR).as_posix() for p in TEMPLATES_DIR.rglob("*.html")))
def test_templates_have_no_unmarked_text(template: str) -> None:
    words = untranslated_text((TEMPLATES_DIR / template).read_text(encoding="utf-8"))
    assert not words, f"{template} shows text not marked for translation: {words}"


def test_the_unmarked_text_check_catches_bare_text() -> None:
    assert untranslated_text('<p>Hello {{ name }}</p><img alt="A photo" src="x">') == ["Hello", "photo"]
    assert untranslated_text("<p>{{ _('Hello') }} {% trans %}World{% endtrans %}</p>") == []


def test_every_instrument_title_is_marked_for_translation() -> None:
    from amparo.commitments import load
    from amparo.web.instrument_titles import INSTRUMENT_TITLES

    missing = [i.title for i in load().instruments() if i.title not in INSTRUMENT_TITLES]
    assert not missing, f"add these titles to amparo/web/instrument_titles.py and translate them: {missing}"


def test_catalogues_compile_and_translate() -> None:
    for code, expected in (("es", "Ir al contenido principal"), ("fr", "Aller au contenu principal"), ("ar", "الانتقال إلى المحتوى الرئيسي")):
        assert i18n.translations(code).gettext("Skip to main content") == expected
