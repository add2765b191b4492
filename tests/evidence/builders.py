"""Real PDF, JPEG and PNG files made on the spot, and ways to damage them."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from fpdf import FPDF
from PIL import Image, PngImagePlugin


def png_bytes(width: int = 64, height: int = 48, text: dict[str, str] | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    Image.effect_noise((width, height), 40).convert("RGB").save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def jpeg_bytes(width: int = 64, height: int = 48, **options) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((width, height), 40).convert("RGB").save(buffer, "JPEG", **options)
    return buffer.getvalue()


def mpo_bytes() -> bytes:
    """A JPEG with a second picture after it, declared as Multi-Picture Format (as phone cameras do)."""
    first, second = Image.new("RGB", (32, 32), "red"), Image.new("RGB", (32, 32), "blue")
    buffer = io.BytesIO()
    first.save(buffer, "MPO", save_all=True, append_images=[second])
    return buffer.getvalue()


def pdf_bytes(text: str = "Rental contract, Buenos Aires, 2025-11-03") -> bytes:
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text=text)
    return bytes(document.output())


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.txt", "hidden")
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_bad_pixels() -> bytes:
    """Every chunk well-formed with a correct checksum, but the image data is not zlib data."""
    header = struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", b"not zlib at all") + png_chunk(b"IEND", b"")


def flip(data: bytes, position: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 0xFF
    return bytes(changed)


def encrypted_pdf_bytes(user_password: str) -> bytes:
    """A PDF encrypted with AES-256; an empty user password means it opens without one."""
    import pypdf

    writer = pypdf.PdfWriter()
    writer.append(pypdf.PdfReader(io.BytesIO(pdf_bytes())))
    writer.encrypt(user_password, "owner secret", algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pageless_pdf_bytes() -> bytes:
    import pypdf

    buffer = io.BytesIO()
    pypdf.PdfWriter().write(buffer)
    return buffer.getvalue()
