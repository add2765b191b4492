"""The stylesheet: text colours meet WCAG AA contrast on the backgrounds they are used on, and only
logical properties set sides, so the Arabic layout mirrors."""

from __future__ import annotations

import re

import pytest

from amparo.web.assets import STATIC_DIR

CSS = (STATIC_DIR / "amparo.css").read_text(encoding="utf-8")
COLOURS = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", CSS))

#: (text, background) pairs the stylesheet uses for text; AA needs 4.5:1 for normal text.
PAIRS = [
    ("text", "bg"), ("muted", "bg"), ("link", "bg"), ("link-visited", "bg"), ("text", "panel"),
    ("muted", "panel"), ("link", "panel"), ("ok", "ok-bg"), ("warn", "warn-bg"), ("bad", "bad-bg"),
    ("bad", "bg"), ("text", "focus"), ("#ffffff", "ok"), ("text", "ok-bg"), ("text", "warn-bg"),
]


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_formula_on_known_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize(("text", "background"), PAIRS)
def test_text_colours_meet_aa(text: str, background: str) -> None:
    fore = text if text.startswith("#") else COLOURS[text]
    back = background if background.startswith("#") else COLOURS[background]
    assert contrast(fore, back) >= 4.5, f"{text} on {background}: {contrast(fore, back):.2f}:1"


def test_no_physical_sides_so_rtl_mirrors() -> None:
    physical = re.findall(r"(?:margin|padding|border)-(?:left|right)\b|(?<![-\w])(?:left|right)\s*:|float\s*:\s*(?:left|right)|text-align\s*:\s*(?:left|right)", CSS)
    assert not physical, f"use logical properties (inline-start/end) instead of: {physical}"
