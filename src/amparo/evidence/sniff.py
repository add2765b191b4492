"""Decide what an uploaded file really is, from its content, and refuse anything but PDF, JPEG and PNG.

Neither the media type the browser declared nor the file name is trusted: both come from the client.
The content is identified, checked from end to end (`amparo.evidence.formats`), images are decoded
with Pillow and PDFs opened with pypdf (a password-protected one is refused) so that a file a
caseworker could not open is refused now rather than discovered later,
and files that are at once two formats (polyglots) are refused. A file that claims to be one thing and
is another is refused with both named, so the person knows what to fix.
"""

from __future__ import annotations

import io
from pathlib import PurePath
from typing import Any, Literal, cast

from amparo.errors import PayloadTooLarge
from amparo.evidence.errors import RejectedFile
from amparo.evidence.formats import check_jpeg, check_pdf, check_png

MediaType = Literal["application/pdf", "image/jpeg", "image/png"]

#: What each accepted type is called in messages.
ACCEPTED: dict[str, str] = {"application/pdf": "PDF document", "image/jpeg": "JPEG image", "image/png": "PNG image"}
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png", "application/x-pdf": "application/pdf"}
_EXTENSIONS = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".jpe": "image/jpeg"}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
#: Decoding an image costs memory in proportion to its pixels; 60 megapixels covers phone cameras.
DEFAULT_MAX_PIXELS = 60_000_000

# Recognised only to name them in the refusal ("this is a HEIC photo"); never accepted.
_OTHER_SIGNATURES: list[tuple[int, bytes, str]] = [
    (0, b"GIF8", "a GIF image"),
    (0, b"II*\x00", "a TIFF image"),
    (0, b"MM\x00*", "a TIFF image"),
    (0, b"BM", "a BMP image"),
    (0, b"PK\x03\x04", "a ZIP archive or Office document"),
    (0, b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
    (0, b"{\\rtf", "an RTF document"),
    (0, b"\x7fELF", "a program"),
    (0, b"MZ", "a Windows program"),
    (4, b"ftypheic", "a HEIC photo (iPhone); export it as JPEG"),
    (4, b"ftypheix", "a HEIC photo (iPhone); export it as JPEG"),
    (4, b"ftypmif1", "a HEIF photo; export it as JPEG"),
    (4, b"ftypavif", "an AVIF image"),
    (4, b"ftyp", "a video"),
]


def human_size(size: int) -> str:
    """Sizes as people read them.

    >>> human_size(10 * 1024 * 1024), human_size(1536), human_size(12)
    ('10 MiB', '1.5 KiB', '12 bytes')
    """
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def check_size(size: int, max_bytes: int = DEFAULT_MAX_BYTES, *, at_least: bool = False) -> None:
    """Refuse an empty file, or one over `max_bytes` (PayloadTooLarge naming both sizes)."""
    if size == 0:
        raise RejectedFile("The file is empty (0 bytes). Choose the file again; it may not have finished saving.")
    if size > max_bytes:
        received = f"at least {size:,} bytes" if at_least else f"{human_size(size)} ({size:,} bytes)"
        raise PayloadTooLarge(
            f"The file is {received}; the limit is {human_size(max_bytes)} ({max_bytes:,} bytes). Scan at a lower "
            "resolution, or split the document into several files.",
            details=[{"size": size, "limit": max_bytes}],
        )


#: What clients send when they do not know the type: no claim, so the content alone decides.
_UNDECLARED = frozenset({"", "application/octet-stream", "binary/octet-stream"})


def normalise_media_type(declared: str | None) -> MediaType | None:
    """The accepted type a client declared, without parameters; None when it declared none.

    Raises:
        RejectedFile: a declared type that is not accepted (e.g. image/gif).
    """
    value = (declared or "").split(";", 1)[0].strip().lower()
    value = _ALIASES.get(value, value)
    if value in _UNDECLARED:
        return None
    if value not in ACCEPTED:
        raise RejectedFile(
            f"Files of type {declared!r} are not accepted; upload a PDF document, a JPEG image or a PNG image.",
            details=[{"declared": declared}],
        )
    return value  # type: ignore[return-value]


def identify(data: Any) -> tuple[MediaType | None, str]:
    """(accepted media type or None, description) from the first bytes alone."""
    head = bytes(data[:16])
    if head.startswith(b"%PDF-"):
        return "application/pdf", ACCEPTED["application/pdf"]
    if head.startswith(b"\x89PNG"):
        return "image/png", ACCEPTED["image/png"]
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ACCEPTED["image/jpeg"]
    for offset, signature, description in _OTHER_SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return None, description
    window = bytes(data[:1024]).lower()
    if b"<html" in window or b"<!doctype" in window or b"<svg" in window:
        return None, "a web page or SVG drawing"
    try:
        # The window may end inside a multi-byte character; three bytes of slack avoid misjudging it.
        (window[:-3] if len(window) == 1024 else window).decode("utf-8")
        return None, "plain text"
    except UnicodeDecodeError:
        return None, "a file of unknown type"


def _polyglot(data: Any, media_type: str) -> str | None:
    """The second format hidden in a file, if any; None for a clean file."""
    head = bytes(data[:1024])
    # PDF readers look for the header anywhere in the first 1,024 bytes, so an image carrying one
    # opens as a document in some viewers.
    if media_type != "application/pdf" and b"%PDF-" in head:
        return "a PDF document"
    lowered = head.lower()
    if b"<script" in lowered or b"<html" in lowered:
        return "a web page"
    # A ZIP archive is read from its end: an end-of-central-directory record whose comment reaches
    # exactly the end of the file makes any file a valid ZIP as well.
    size = len(data)
    tail_start = max(0, size - 22 - 0xFFFF)
    tail = bytes(data[tail_start:])
    at = tail.rfind(b"PK\x05\x06")
    while at != -1:
        if at + 22 <= len(tail) and at + 22 + int.from_bytes(tail[at + 20 : at + 22], "little") == len(tail):
            return "a ZIP archive"
        at = tail.rfind(b"PK\x05\x06", 0, at)
    return None


def _decode_image(data: Any, media_type: str, dimensions: tuple[int, int], max_pixels: int) -> None:
    from PIL import Image

    width, height = dimensions
    if width * max(height, 1) > max_pixels:
        raise RejectedFile(
            f"The image is {width}x{height} pixels ({width * height / 1e6:.3g} megapixels); the limit is "
            f"{max_pixels / 1e6:.3g} megapixels. Save it at a smaller size.",
            details=[{"width": width, "height": height, "limit": max_pixels}],
        )
    try:
        # The pixel limit above is checked first, so Pillow's own decompression-bomb guard (far higher)
        # is never what stops an upload; no global warnings filter is touched (uploads run in threads).
        with Image.open(io.BytesIO(data)) as image:
            # MPO is Pillow's name for a JPEG carrying extra pictures (Multi-Picture Format).
            expected = ("JPEG", "MPO") if media_type == "image/jpeg" else ("PNG",)
            if image.format not in expected:
                raise ValueError(f"decoder saw {image.format}")
            if media_type == "image/jpeg":
                # Decoding at 1/8 scale still reads every coded block (a damaged stream fails)
                # at a fraction of the time and memory.
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            image.load()
    # Any failure inside the third-party decoder (OSError, SyntaxError, struct.error, a decompression
    # bomb, ...) means the same thing to the applicant: the image does not open.
    except Exception as exc:  # noqa: BLE001
        raise RejectedFile(
            f"The {ACCEPTED[media_type]} could not be decoded ({exc}); the file is damaged or incomplete. "
            "Open it on your device to check it, then save or scan it again.",
            details=[{"detected": media_type}],
        ) from exc


def _open_pdf(data: Any) -> None:
    """Refuse a PDF that a caseworker could not open: password-protected, pageless or unparseable."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        # An owner password only restricts printing or copying; the document still opens with no
        # password (decrypt("") succeeds). A user password is what would lock the caseworker out.
        if reader.is_encrypted and not reader.decrypt(""):
            raise RejectedFile(
                "The PDF document is protected with a password, so the authority could not open it. Save or "
                "print it again as a PDF without a password, then upload it.",
                details=[{"detected": "application/pdf", "problem": "password"}],
            )
        pages = len(reader.pages)
    except RejectedFile:
        raise
    # Any failure inside the third-party parser means the document does not open.
    except Exception as exc:  # noqa: BLE001
        raise RejectedFile(
            f"The PDF document could not be opened ({exc}); the file is damaged. Open it on your device to check "
            "it, then save or scan it again.",
            details=[{"detected": "application/pdf"}],
        ) from exc
    if pages == 0:
        raise RejectedFile(
            "The PDF document has no pages. Check that the right file was chosen.",
            details=[{"detected": "application/pdf", "problem": "no pages"}],
        )


def check_content(
    data: Any,
    declared_media_type: str | None,
    *,
    filename: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> MediaType:
    """The media type of an acceptable upload; raises for anything else, naming what is wrong.

    Args:
        data: the whole file (bytes, or an mmap of it).
        declared_media_type: the type the client sent (e.g. the multipart part's Content-Type); None,
            "" or application/octet-stream mean "not declared" and the content alone decides.
        filename: the client's file name, if any; its extension must agree with the content.
        max_bytes: size limit.
        max_pixels: largest image accepted, in pixels.

    Raises:
        PayloadTooLarge: over `max_bytes`.
        RejectedFile: empty, not an accepted type, declared as another type, damaged, or a polyglot.
    """
    check_size(len(data), max_bytes)
    declared = normalise_media_type(declared_media_type)
    found, description = identify(data)
    if found is None:
        sent = f"The file was sent as a {ACCEPTED[declared]} ({declared}), but its content" if declared else "The file"
        raise RejectedFile(
            f"{sent} is {description}. Only PDF documents, JPEG images and PNG images are accepted.",
            details=[{"declared": declared, "detected": description}],
        )
    detected = cast(MediaType, found)
    if declared is not None and detected != declared:
        raise RejectedFile(
            f"The file was sent as a {ACCEPTED[declared]} ({declared}), but its content is a {ACCEPTED[detected]} "
            f"({detected}). Choose the right file, or send it with its real type.",
            details=[{"declared": declared, "detected": detected}],
        )
    suffix = PurePath(filename).suffix.lower() if filename else ""
    if suffix in _EXTENSIONS and _EXTENSIONS[suffix] != detected:
        raise RejectedFile(
            f"The file {filename!r} is named as a {ACCEPTED[_EXTENSIONS[suffix]]} ({suffix}), but its content is a "
            f"{ACCEPTED[detected]} ({detected}). Rename it or choose the right file.",
            details=[{"filename": filename, "declared": _EXTENSIONS[suffix], "detected": detected}],
        )
    hidden = _polyglot(data, detected)
    if hidden is not None:
        raise RejectedFile(
            f"The {ACCEPTED[detected]} also contains {hidden}, so different programs would open it differently. "
            "Files like this are refused for everyone's safety; save or scan the document again as a plain file.",
            details=[{"detected": detected, "hidden": hidden}],
        )
    checker = {"application/pdf": check_pdf, "image/png": check_png, "image/jpeg": check_jpeg}[detected]
    try:
        result = checker(data)
    except ValueError as exc:
        raise RejectedFile(
            f"The file looks like a {ACCEPTED[detected]}, but {exc}. Open it on your device to check it, then save "
            "or scan it again.",
            details=[{"detected": detected, "problem": str(exc)}],
        ) from exc
    if detected == "application/pdf":
        _open_pdf(data)
    else:
        _decode_image(data, detected, result, max_pixels)  # type: ignore[arg-type]
    return detected
