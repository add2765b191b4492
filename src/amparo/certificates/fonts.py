"""Find TrueType fonts that can draw every character of a certificate.

Names must print exactly as they are written in the holder's identity document — "José Ñúñez",
"محمد عبد الله" — so the PDF embeds a Unicode font rather than a PDF core font (Latin-1 only). The
primary font is DejaVu Sans (Debian package `fonts-dejavu-core`: Latin, Greek, Cyrillic, Arabic,
Hebrew, Armenian, Georgian). For other scripts, Noto fonts (`fonts-noto-core`) are used as fallbacks
when installed. A name with a character that no installed font can draw is refused with the
characters and the package to install; a certificate with a silently dropped letter in the
holder's name would not match their document.

`AMPARO_CERTIFICATE_FONT_DIR` names a folder searched before the system folders (it must hold
`DejaVuSans.ttf`, `DejaVuSans-Bold.ttf` and `DejaVuSansMono.ttf`); callers may also pass their own
`FontSet`.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from amparo.certificates.errors import FontMissing

SYSTEM_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian, Ubuntu: fonts-dejavu-core
    Path("/usr/share/fonts/dejavu"),  # Fedora: dejavu-sans-fonts
    Path("/usr/share/fonts/TTF"),  # Arch: ttf-dejavu
    Path("/usr/local/share/fonts"),
    Path("/Library/Fonts"),
)
FALLBACK_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/noto"))
REGULAR, BOLD, MONO = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"
#: Characters that shape text but need no glyph of their own.
_INVISIBLE = frozenset("\u200c\u200d")


@dataclass(frozen=True)
class FontSet:
    """The font files a certificate is drawn with."""

    regular: Path
    bold: Path
    #: For the printed token: a monospaced face where 0/O and 1/l/I look different, for typing it.
    mono: Path
    fallbacks: tuple[Path, ...] = field(default=())


def _search_dirs() -> list[Path]:
    override = os.environ.get("AMPARO_CERTIFICATE_FONT_DIR")
    return ([Path(override)] if override else []) + list(SYSTEM_FONT_DIRS)


def find_fonts() -> FontSet:
    """The first folder holding the three DejaVu files, with any Noto fallbacks installed.

    Raises:
        FontMissing: naming the folders searched and the Debian package to install.
    """
    searched = _search_dirs()
    for folder in searched:
        regular, bold, mono = folder / REGULAR, folder / BOLD, folder / MONO
        if regular.is_file() and bold.is_file() and mono.is_file():
            fallbacks = tuple(
                sorted(path for directory in FALLBACK_DIRS if directory.is_dir() for path in directory.glob("NotoSans*-Regular.ttf"))
            )
            return FontSet(regular, bold, mono, fallbacks=fallbacks)
    raise FontMissing(
        f"No font to draw certificates: {REGULAR}, {BOLD} and {MONO} were not found together in any of "
        f"{', '.join(str(d) for d in searched)}. Install the Debian package fonts-dejavu-core "
        "(apt-get install fonts-dejavu-core), or set AMPARO_CERTIFICATE_FONT_DIR to a folder holding them."
    )


@lru_cache(maxsize=64)
def _coverage(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # fpdf2's own dependency; imported late, only PDFs need it

    with TTFont(str(path), lazy=True) as font:
        return frozenset(font.getBestCmap())


def fonts_for(text: str, fonts: FontSet) -> list[Path]:
    """The fallback fonts needed, besides the regular one, to draw `text`.

    Raises:
        FontMissing: some characters are in no installed font; the message lists them by code point.
    """
    needed = {ord(ch) for ch in text if not ch.isspace() and ch not in _INVISIBLE} - _coverage(fonts.regular)
    chosen: list[Path] = []
    for path in fonts.fallbacks:
        if not needed:
            break
        covered = needed & _coverage(path)
        if covered:
            chosen.append(path)
            needed -= covered
    if needed:
        listed = ", ".join(f"U+{cp:04X} {unicodedata.name(chr(cp), '(unnamed)')}" for cp in sorted(needed)[:8])
        raise FontMissing(
            f"No installed font can draw {len(needed)} character(s) of this certificate: {listed}. Install a font "
            "that covers them (Debian: fonts-noto-core) so "
            "the holder's name prints exactly as in their identity document."
        )
    return chosen
