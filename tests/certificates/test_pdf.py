"""The certificate PDF: parsed back to check its text and the QR code it carries."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest
import zxingcpp

from amparo.certificates import FontMissing, issue, render_pdf, verification_url
from amparo.certificates.fonts import FontSet, find_fonts
from amparo.certificates.pdf import group_token, qr_code
from amparo.errors import InvalidInput

from .builders import make_claims

BASE = "https://amparo.example.org"


def render(claims, key):
    token = issue(claims, key)
    url = verification_url(BASE, token)
    return render_pdf(claims, token, url), token, url


@pytest.fixture(scope="module")
def rendered(signing_key):
    """One certificate with the default claims, rendered once for the tests that only read it."""
    return render(make_claims(), signing_key)


def page_text(pdf: bytes) -> str:
    return pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_pdf_is_one_a4_page_with_header_and_trailer(rendered):
    pdf, _, _ = rendered
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)
    assert reader.metadata.title == "Certificate of pending application AR-2026-000123"


def test_pdf_states_holder_case_programme_dates_and_what_it_proves(rendered):
    text = page_text(rendered[0])
    for expected in [
        "Certificate of pending application",
        "Argentina (ARG)",
        "José Ñúñez",
        "1990-05-17",
        "AR-2026-000123",
        "Programa Patria Grande",
        "2026-03-02",
        "pending when this certificate was issued",
        "no expiry date",
    ]:
        assert expected in " ".join(text.split()), expected


def test_pdf_names_the_key_a_verifier_needs(rendered, signing_key):
    from amparo.certificates import key_id

    assert f"key id is {key_id(signing_key)}" in " ".join(page_text(rendered[0]).split())


def test_arabic_name_is_embedded_and_extractable(signing_key):
    text = page_text(render(make_claims(given_names="محمد عبد الله", family_names="الحسيني"), signing_key)[0])
    assert "محمد عبد الله" in text and "الحسيني" in text


def test_qr_code_in_the_pdf_decodes_to_the_verification_url(rendered):
    pdf, token, url = rendered
    images = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].images
    # QR codes only, as a phone's camera reads it: a reader trying every format now and then also
    # "finds" a short linear barcode in the QR's modules (CI once decoded "C$3-B" beside the URL).
    qr_only = zxingcpp.BarcodeFormat.QRCode
    decoded = [barcode.text for image in images for barcode in zxingcpp.read_barcodes(image.image, formats=qr_only)]
    assert decoded == [url]
    assert url == f"{BASE}/verify/{token}"


def test_qr_code_uses_medium_error_correction(signing_key):
    token = issue(make_claims(), signing_key)
    code = qr_code(verification_url(BASE, token))
    assert code.error == "M" and not code.is_micro


def test_token_is_printed_in_groups_for_manual_entry(rendered):
    pdf, token, _ = rendered
    text = page_text(pdf)
    assert group_token(token)[:17] in text  # printed in groups of five
    assert token in "".join(text.split())
    assert group_token(token).replace(" ", "") == token


def test_claims_that_differ_from_the_token_are_refused(signing_key):
    token = issue(make_claims(), signing_key)
    with pytest.raises(InvalidInput, match="differ from the claims in the token"):
        render_pdf(make_claims(given_names="Someone Else"), token, verification_url(BASE, token))


def test_url_that_does_not_carry_the_token_is_refused(signing_key):
    claims = make_claims()
    token = issue(claims, signing_key)
    with pytest.raises(InvalidInput, match="/verify/<token>"):
        render_pdf(claims, token, f"{BASE}/verify/another")


def test_character_no_font_can_draw_is_refused_naming_it(signing_key):
    fonts = find_fonts()
    no_fallbacks = FontSet(fonts.regular, fonts.bold, fonts.mono, fallbacks=())
    claims = make_claims(given_names="王秀英")
    token = issue(claims, signing_key)
    with pytest.raises(FontMissing, match="U\\+738B CJK UNIFIED IDEOGRAPH-738B") as caught:
        render_pdf(claims, token, verification_url(BASE, token), fonts=no_fallbacks)
    assert caught.value.status_code == 503 and "fonts-noto-core" in caught.value.message


def test_missing_fonts_name_the_debian_package(monkeypatch, tmp_path: Path):
    monkeypatch.setattr("amparo.certificates.fonts.SYSTEM_FONT_DIRS", (tmp_path / "none",))
    monkeypatch.setenv("AMPARO_CERTIFICATE_FONT_DIR", str(tmp_path))
    with pytest.raises(FontMissing, match="fonts-dejavu-core") as caught:
        find_fonts()
    assert str(tmp_path) in caught.value.message


def test_font_folder_can_be_set_by_environment(monkeypatch, tmp_path: Path):
    system = find_fonts()
    for path in (system.regular, system.bold, system.mono):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    monkeypatch.setenv("AMPARO_CERTIFICATE_FONT_DIR", str(tmp_path))
    assert find_fonts().regular == tmp_path / "DejaVuSans.ttf"


def test_same_certificate_renders_to_the_same_bytes(rendered):
    """Deterministic output: the PDF can be cached, or drawn again later, and be byte-identical."""
    first, token, url = rendered
    assert render_pdf(make_claims(), token, url) == first


def test_latin_text_is_laid_out_without_the_shaping_engine_and_arabic_with_it():
    from amparo.certificates.pdf import needs_shaping

    assert not needs_shaping("José Ñúñez, Programa de Regularización")
    assert needs_shaping("محمد") and needs_shaping("דוד") and needs_shaping("राम")
