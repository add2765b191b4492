"""Content sniffing: real files pass, anything that is not what it claims is refused and named."""

from __future__ import annotations

import pytest

from amparo.errors import PayloadTooLarge
from amparo.evidence import RejectedFile, check_content

from .builders import flip, jpeg_bytes, mpo_bytes, pdf_bytes, png_bytes, png_with_bad_pixels, zip_bytes


@pytest.mark.parametrize(
    ("make", "declared", "expected"),
    [
        (png_bytes, "image/png", "image/png"),
        (jpeg_bytes, "image/jpeg", "image/jpeg"),
        (lambda: jpeg_bytes(progressive=True), "image/jpeg", "image/jpeg"),
        (lambda: jpeg_bytes(restart_marker_blocks=1), "image/jpeg", "image/jpeg"),
        (mpo_bytes, "image/jpeg", "image/jpeg"),
        (pdf_bytes, "application/pdf", "application/pdf"),
        (jpeg_bytes, "image/jpg", "image/jpeg"),
        (pdf_bytes, "application/pdf; charset=binary", "application/pdf"),
    ],
)
def test_real_files_are_accepted(make, declared, expected):
    assert check_content(make(), declared) == expected


@pytest.mark.parametrize("declared", [None, "", "application/octet-stream"])
def test_undeclared_type_is_decided_by_content(declared):
    assert check_content(png_bytes(), declared) == "image/png"


def test_png_sent_as_pdf_names_both_types():
    with pytest.raises(RejectedFile) as caught:
        check_content(png_bytes(), "application/pdf", filename="contract.pdf")
    message = caught.value.message
    assert "sent as a PDF document (application/pdf)" in message and "content is a PNG image (image/png)" in message
    assert caught.value.status_code == 422
    assert caught.value.details == [{"declared": "application/pdf", "detected": "image/png"}]


def test_png_renamed_pdf_is_refused_even_when_the_type_is_right():
    with pytest.raises(RejectedFile, match=r"'contract.pdf' is named as a PDF document \(.pdf\), but its content is a PNG"):
        check_content(png_bytes(), "image/png", filename="contract.pdf")


def test_pdf_renamed_jpg_is_refused():
    with pytest.raises(RejectedFile, match="named as a JPEG image"):
        check_content(pdf_bytes(), None, filename="scan.JPG")


def test_a_type_that_is_not_accepted_is_refused_by_name():
    with pytest.raises(RejectedFile, match="'image/gif' are not accepted"):
        check_content(png_bytes(), "image/gif")


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b"GIF89a" + bytes(100), "a GIF image"),
        (b"\x00\x00\x00\x18ftypheic" + bytes(100), "a HEIC photo (iPhone); export it as JPEG"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "a web page"),
        (b"just some words", "plain text"),
        (zip_bytes(), "a ZIP archive"),
    ],
)
def test_other_formats_are_named_in_the_refusal(content, named):
    with pytest.raises(RejectedFile) as caught:
        check_content(content, "image/jpeg")
    assert named in caught.value.message and "sent as a JPEG image" in caught.value.message


def test_empty_file_is_refused():
    with pytest.raises(RejectedFile, match="empty"):
        check_content(b"", "application/pdf")


def test_size_limit_boundary():
    data = pdf_bytes()
    assert check_content(data, "application/pdf", max_bytes=len(data)) == "application/pdf"
    with pytest.raises(PayloadTooLarge) as caught:
        check_content(data, "application/pdf", max_bytes=len(data) - 1)
    assert f"{len(data):,} bytes" in caught.value.message and f"limit is {len(data) - 1} bytes" in caught.value.message
    assert caught.value.status_code == 413


def test_default_limit_is_ten_mebibytes():
    with pytest.raises(PayloadTooLarge, match=r"the limit is 10 MiB \(10,485,760 bytes\)"):
        check_content(b"%PDF-1.7" + bytes(10 * 1024 * 1024), "application/pdf")


@pytest.mark.parametrize(
    ("make", "declared", "cut", "problem"),
    [
        (png_bytes, "image/png", 20, "truncated"),
        (jpeg_bytes, "image/jpeg", 200, "truncated"),
        (jpeg_bytes, "image/jpeg", 2, "truncated"),
        (pdf_bytes, "application/pdf", 10, "truncated"),
    ],
)
def test_truncated_files_are_refused(make, declared, cut, problem):
    data = make()
    with pytest.raises(RejectedFile, match=problem):
        check_content(data[:-cut], declared)


def test_png_with_a_damaged_byte_fails_its_checksum():
    data = png_bytes()
    with pytest.raises(RejectedFile, match="IDAT chunk fails its checksum"):
        check_content(flip(data, len(data) - 30), "image/png")


def test_png_whose_pixels_cannot_be_decoded_is_refused():
    with pytest.raises(RejectedFile, match="could not be decoded"):
        check_content(png_with_bad_pixels(), "image/png")


def test_jpeg_without_a_frame_header_is_refused():
    data = jpeg_bytes()
    sof = data.index(b"\xff\xc0")
    with pytest.raises(RejectedFile, match="before its frame header"):
        check_content(data[:sof + 1] + b"\xe9" + data[sof + 2 :], "image/jpeg")  # SOF0 turned into APP9


def test_pdf_with_a_misplaced_cross_reference_is_refused():
    data = pdf_bytes()
    at = data.rindex(b"startxref") + len(b"startxref\n")
    end = data.index(b"\n", at)
    with pytest.raises(RejectedFile, match="cross-reference"):
        check_content(data[:at] + b"7" + data[end:], "application/pdf")


def test_jpeg_with_a_pdf_appended_is_refused_polyglot():
    with pytest.raises(RejectedFile, match=r"bytes of other data after the end of the image"):
        check_content(jpeg_bytes() + pdf_bytes(), "image/jpeg")


def test_jpeg_followed_by_an_undeclared_second_jpeg_is_refused():
    with pytest.raises(RejectedFile, match="after the end of the image"):
        check_content(jpeg_bytes() + jpeg_bytes(), "image/jpeg")


def test_zero_padding_after_a_jpeg_is_tolerated():
    assert check_content(jpeg_bytes() + bytes(64), "image/jpeg") == "image/jpeg"


def test_png_with_data_after_its_end_is_refused():
    with pytest.raises(RejectedFile, match="after the end of the image"):
        check_content(png_bytes() + b"tail", "image/png")


def test_png_carrying_a_pdf_header_is_a_polyglot():
    data = png_bytes(text={"Comment": "%PDF-1.7 1 0 obj << >> endobj"})
    with pytest.raises(RejectedFile) as caught:
        check_content(data, "image/png")
    assert "also contains a PDF document" in caught.value.message
    assert caught.value.details[0]["hidden"] == "a PDF document"


def test_png_carrying_a_script_is_a_polyglot():
    with pytest.raises(RejectedFile, match="also contains a web page"):
        check_content(png_bytes(text={"Comment": "<script>alert(1)</script>"}), "image/png")


def test_pdf_that_is_also_a_zip_archive_is_refused():
    with pytest.raises(RejectedFile, match="also contains a ZIP archive"):
        check_content(pdf_bytes() + zip_bytes(), "application/pdf")


def test_image_over_the_pixel_limit_is_refused_before_decoding():
    with pytest.raises(RejectedFile, match=r"640x480 pixels \(0.307 megapixels\); the limit is 0.1 megapixels"):
        check_content(png_bytes(640, 480), "image/png", max_pixels=100_000)


def test_png_made_of_a_flood_of_tiny_chunks_is_refused_quickly():
    from amparo.evidence.formats import MAX_PARTS

    from .builders import png_chunk

    data = png_bytes()
    iend = data.rindex(b"IEND") - 4
    flood = png_chunk(b"tEXt", b"") * (MAX_PARTS + 1)
    with pytest.raises(RejectedFile, match="more than 100,000 chunks"):
        check_content(data[:iend] + flood + data[iend:], "image/png", max_bytes=50 * 1024 * 1024)


def test_pdf_locked_with_a_password_is_refused():
    from .builders import encrypted_pdf_bytes

    with pytest.raises(RejectedFile, match="protected with a password"):
        check_content(encrypted_pdf_bytes("applicant's password"), "application/pdf")


def test_pdf_with_only_an_owner_password_opens_and_is_accepted():
    """Bank statements and bills often restrict printing with an owner password; they still open."""
    from .builders import encrypted_pdf_bytes

    assert check_content(encrypted_pdf_bytes(""), "application/pdf") == "application/pdf"


def test_pdf_without_pages_is_refused():
    from .builders import pageless_pdf_bytes

    with pytest.raises(RejectedFile, match="no pages"):
        check_content(pageless_pdf_bytes(), "application/pdf")
