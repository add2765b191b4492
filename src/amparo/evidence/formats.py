"""Structural checks of PDF, JPEG and PNG files: the whole file, not just its first bytes.

Each `check_*` walks the file's own structure (PNG chunks with their CRCs from IHDR to IEND; JPEG
markers from SOI through the frame and scans to EOI; the PDF header, cross-reference pointer and
end-of-file marker) and raises `ValueError` with a short reason a person can understand. Data after
the format's end marker is refused: that is where polyglot files hide a second format.

The functions take any bytes-like object that supports slicing and `find` (bytes, or an `mmap` of
an upload spooled to disk), so large files are checked without being read into memory.
"""

from __future__ import annotations

import re
import struct
import zlib
from typing import Any

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Real files have a few hundred chunks or segments at most; a file made of millions of tiny ones
#: would only make the checker loop, so it is refused.
MAX_PARTS = 100_000
JPEG_SOI = b"\xff\xd8"

# Valid (colour type → allowed bit depths) pairs of PNG's IHDR (PNG spec, table 11.1).
_PNG_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}


def check_png(data: Any) -> tuple[int, int]:
    """Width and height of a well-formed PNG; ValueError otherwise."""
    if bytes(data[:8]) != PNG_SIGNATURE:
        raise ValueError("it does not start with the PNG signature")
    # Released on every exit so the caller can close an mmap it passed in.
    with memoryview(data) as view:
        pos, size, index = 8, len(data), 0
        width = height = 0
        seen_idat = False
        while True:
            if index >= MAX_PARTS:
                raise ValueError(f"it has more than {MAX_PARTS:,} chunks, far more than any real image")
            if pos + 12 > size:
                raise ValueError("it ends in the middle of a chunk (the file is truncated)")
            length, kind = struct.unpack(">I4s", view[pos : pos + 8])
            if length > 0x7FFFFFFF or not kind.isalpha():
                raise ValueError(f"chunk {index + 1} has an invalid header")
            end = pos + 8 + length
            if end + 4 > size:
                raise ValueError(f"its {kind.decode('ascii')} chunk is cut short (the file is truncated)")
            (crc,) = struct.unpack(">I", view[end : end + 4])
            if zlib.crc32(view[pos + 4 : end]) != crc:
                raise ValueError(f"its {kind.decode('ascii')} chunk fails its checksum (the file is damaged)")
            if index == 0:
                if kind != b"IHDR" or length != 13:
                    raise ValueError("its first chunk is not a valid IHDR header")
                width, height, depth, colour = struct.unpack(">IIBB", view[pos + 8 : pos + 18])
                if not width or not height or depth not in _PNG_DEPTHS.get(colour, ()):
                    raise ValueError(f"its header is invalid ({width}x{height}, colour type {colour}, depth {depth})")
            elif kind == b"IHDR":
                raise ValueError("it has a second IHDR header")
            seen_idat |= kind == b"IDAT"
            pos, index = end + 4, index + 1
            if kind == b"IEND":
                break
        if not seen_idat:
            raise ValueError("it has no image data (no IDAT chunk)")
        if pos != size:
            raise ValueError(f"it has {size - pos} bytes of other data after the end of the image")
    return width, height


_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_STANDALONE = frozenset(range(0xD0, 0xD8)) | {0x01}
# In entropy-coded data 0xFF is followed by 0x00 (stuffing) or a restart marker; anything else ends the scan.
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _jpeg_segments(data: Any, pos: int) -> tuple[int, tuple[int, int], bool]:
    """Walk one JPEG image from after its SOI; returns (end offset, (width, height), has MPF)."""
    size = len(data)
    frame: tuple[int, int] | None = None
    scans = segments = 0
    has_mpf = False
    while True:
        segments += 1
        if segments > MAX_PARTS:
            raise ValueError(f"it has more than {MAX_PARTS:,} segments, far more than any real image")
        if pos + 2 > size:
            raise ValueError("it ends before the end-of-image marker (the file is truncated)")
        if data[pos] != 0xFF:
            raise ValueError(f"byte {pos} should start a marker but does not (the file is damaged)")
        while pos + 1 < size and data[pos + 1] == 0xFF:  # fill bytes before a marker are allowed
            pos += 1
        if pos + 1 >= size:
            raise ValueError("it ends before the end-of-image marker (the file is truncated)")
        marker = data[pos + 1]
        pos += 2
        if marker == 0xD9:
            if frame is None or scans == 0:
                raise ValueError("it ends before any image data")
            return pos, frame, has_mpf
        if marker == 0xD8 or marker == 0x00:
            raise ValueError(f"it has an unexpected marker 0xFF{marker:02X} at byte {pos - 2}")
        if marker in _STANDALONE:
            continue
        if pos + 2 > size:
            raise ValueError("it ends inside a segment header (the file is truncated)")
        length = (data[pos] << 8) | data[pos + 1]
        if length < 2 or pos + length > size:
            raise ValueError(f"segment 0xFF{marker:02X} runs past the end of the file (the file is truncated)")
        segment = bytes(data[pos + 2 : pos + length])
        if marker in _SOF_MARKERS:
            if len(segment) < 6:
                raise ValueError("its frame header is too short")
            height, width = struct.unpack(">HH", segment[1:5])
            if not width or segment[5] == 0:
                raise ValueError(f"its frame header is invalid ({width}x{height}, {segment[5]} components)")
            frame = (width, height)
        elif marker == 0xE2 and segment.startswith(b"MPF\x00"):
            has_mpf = True
        pos += length
        if marker == 0xDA:
            if frame is None:
                raise ValueError("its image data comes before its frame header")
            scans += 1
            match = _SCAN_END.search(data, pos)
            if match is None:
                raise ValueError("its image data has no end-of-image marker (the file is truncated)")
            pos = match.start()


def check_jpeg(data: Any) -> tuple[int, int]:
    """Width and height of a well-formed JPEG; ValueError otherwise.

    Extra images after the first end-of-image marker are accepted only when the file declares them
    (Multi-Picture Format, used by many phone cameras) and they are JPEG images themselves.
    """
    if bytes(data[:3]) != b"\xff\xd8\xff":
        raise ValueError("it does not start with a JPEG start-of-image marker")
    end, dimensions, has_mpf = _jpeg_segments(data, 2)
    size = len(data)
    while end < size and has_mpf and bytes(data[end : end + 2]) == JPEG_SOI:
        end, _, _ = _jpeg_segments(data, end + 2)
    rest = bytes(data[end:]) if size - end <= 4096 else b"x"
    if end < size and rest.strip(b"\x00") != b"":
        raise ValueError(
            f"it has {size - end} bytes of other data after the end of the image (such as a motion-photo video "
            "or a second file)"
        )
    return dimensions


_PDF_HEADER = re.compile(rb"%PDF-[12]\.\d")
_PDF_TAIL = re.compile(rb"startxref\s+(\d+)\s*%%EOF[\x00\t\n\x0c\r ]*\Z")
_XREF_TARGET = re.compile(rb"\s*(xref|\d+\s+\d+\s+obj)")


def check_pdf(data: Any) -> str:
    """The version of a well-formed PDF ("1.7"); ValueError otherwise."""
    header = bytes(data[:8])
    if not _PDF_HEADER.match(header):
        raise ValueError("it does not start with a PDF header (%PDF-1.x or %PDF-2.0)")
    size = len(data)
    tail = bytes(data[max(0, size - 1024) :])
    match = _PDF_TAIL.search(tail)
    if match is None:
        if b"%%EOF" not in tail:
            raise ValueError("it has no end-of-file marker (%%EOF): the file is truncated")
        raise ValueError("its last end-of-file marker (%%EOF) is not where a PDF ends it, or other data follows it")
    offset = int(match.group(1))
    if not 0 < offset < size or not _XREF_TARGET.match(bytes(data[offset : offset + 40])):
        raise ValueError("its cross-reference table is missing or misplaced (the file is damaged)")
    return header[5:8].decode("ascii")
