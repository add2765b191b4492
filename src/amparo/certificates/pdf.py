"""Draw a certificate of pending application as an A4 PDF with a QR code.

The PDF is a rendering of the token, not a second source of truth: `render_pdf` checks that the
claims it prints are exactly those the token carries, so the paper can never say something its QR
code does not. The QR code holds the verification URL; the token is also printed, in groups of five
characters, for someone who must type it.
"""

from __future__ import annotations

import io
import unicodedata
from datetime import date

import segno
from fpdf import FPDF

from amparo.certificates.fonts import FontSet, find_fonts, fonts_for
from amparo.certificates.schemas import CertificateClaims
from amparo.certificates.tokens import peek_claims, peek_key_id
from amparo.errors import InvalidInput
from amparo.jurisdictions.codes import country_name

TITLE = "Certificate of pending application"
#: QR error correction "M" (15 % recovery) survives creases and a worn printout at this size.
QR_ERROR = "m"
QR_SIZE_MM = 62
_MARGIN = 18


def qr_code(verify_url: str) -> segno.QRCode:
    """The QR code the certificate carries (exposed so tests and the web page draw the same one)."""
    return segno.make(verify_url, error=QR_ERROR, micro=False)


def jurisdiction_name(code: str) -> str:
    """'Argentina (ARG)'; the code alone when the ISO tables do not know it.

    >>> jurisdiction_name("ARG")
    'Argentina (ARG)'
    """
    name = country_name(code)
    return f"{name} ({code})" if name else code


def _day(value: date | None) -> str:
    return value.isoformat() if value is not None else "not stated in the identity document"


def group_token(token: str, size: int = 5) -> str:
    """The token in groups for typing by hand; `verify` ignores the spaces.

    >>> group_token("abcdefghijk.lm")
    'abcde fghij k.lm'
    """
    return " ".join(token[i : i + size] for i in range(0, len(token), size))


def needs_shaping(text: str) -> bool:
    """Whether `text` has right-to-left or complex-script letters that must be shaped to read right.

    Shaping costs a noticeable share of the render time, so Latin-only text is laid out without it.

    >>> needs_shaping("José Ñúñez"), needs_shaping("محمد")
    (False, True)
    """
    return any(unicodedata.bidirectional(ch) in ("R", "AL", "AN") or 0x0900 <= ord(ch) <= 0x1CFF for ch in text)


def statement(claims: CertificateClaims) -> str:
    """What the certificate proves, in plain words.

    The programme is referred to, not quoted: a title in another script inside an English sentence
    would break the line into runs of both directions.
    """
    state = "under appeal" if claims.status == "under_appeal" else "pending"
    return (
        f"This certifies that the person named above filed an application under the programme named above on "
        f"{claims.filed_on.isoformat()}, and that the application was {state} when this certificate was issued. "
        "While the application is pending or under appeal, the holder has the rights that the programme and the "
        "law give to applicants, and must not be treated as a person without any status. This certificate has no "
        "expiry date: it stays valid for as long as the application is pending or under appeal. Show it together "
        "with the identity document."
    )


class _CertificatePDF(FPDF):
    def __init__(self, fonts: FontSet, fallbacks: list) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_auto_page_break(auto=True, margin=_MARGIN)
        self.add_font("body", "", str(fonts.regular))
        self.add_font("body", "B", str(fonts.bold))
        self.add_font("mono", "", str(fonts.mono))
        names = []
        for index, path in enumerate(fallbacks):
            names.append(f"fallback{index}")
            self.add_font(names[-1], "", str(path))
        if names:
            self.set_fallback_fonts(names, exact_match=False)

    def text_block(self, width: float, height: float, text: str) -> None:
        # Shaping joins Arabic letters and orders right-to-left runs; without it an Arabic name prints
        # as isolated letters in the wrong order. Only text that needs it pays for it.
        self.set_text_shaping(needs_shaping(text))
        self.multi_cell(width, height, text, align="L", new_x="LMARGIN", new_y="NEXT")

    def heading(self, text: str) -> None:
        self.set_font("body", "B", 12)
        self.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")

    def field(self, label: str, value: str, note: str | None = None) -> None:
        # Fields sit to the left of the QR code.
        width = self.epw - QR_SIZE_MM - 6
        self.set_font("body", "", 9)
        self.set_text_color(90, 90, 90)
        self.cell(width, 5, label, new_x="LMARGIN", new_y="NEXT")
        self.set_font("body", "B", 12)
        self.set_text_color(0, 0, 0)
        self.text_block(width, 6.5, value)
        if note:
            self.set_font("body", "", 9)
            self.text_block(width, 4.5, note)
        self.ln(1.5)


def render_pdf(claims: CertificateClaims, token: str, verify_url: str, *, fonts: FontSet | None = None) -> bytes:
    """The certificate as PDF bytes; the same arguments always give the same bytes.

    Args:
        claims: what the certificate states; must be exactly what `token` carries.
        token: the signed token (from `issue`).
        verify_url: ``{base_url}/verify/{token}`` (see `verification_url`), encoded in the QR code.
        fonts: font files to use; found on the system when omitted.

    Raises:
        InvalidInput: the token carries other claims, or the URL does not end with the token.
        FontMissing: no installed font can draw some character of the certificate.
    """
    if peek_claims(token) != claims:
        raise InvalidInput(
            "The claims to print differ from the claims in the token; issue the token from these claims "
            "(the PDF must never say something its QR code does not)."
        )
    if not verify_url.endswith("/verify/" + token):
        raise InvalidInput(f"The verification URL must end with '/verify/<token>'; got {verify_url[:80]!r}.")
    fonts = fonts or find_fonts()
    variable_text = " ".join(
        [claims.programme_title, claims.given_names, claims.family_names, claims.case_number, claims.programme_id]
    )
    pdf = _CertificatePDF(fonts, fonts_for(variable_text, fonts))
    authority = jurisdiction_name(claims.jurisdiction)
    pdf.set_title(f"{TITLE} {claims.case_number}")
    pdf.set_subject(f"{claims.programme_title}, {claims.jurisdiction}")
    pdf.set_author(authority)
    pdf.set_creator("Amparo")
    pdf.set_lang("en")
    pdf.set_creation_date(claims.issued_at)
    pdf.add_page()

    pdf.set_font("body", "B", 20)
    pdf.cell(0, 10, TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("body", "", 11)
    pdf.cell(0, 6, authority, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    qr_top = pdf.get_y()
    buffer = io.BytesIO()
    qr_code(verify_url).save(buffer, kind="png", scale=8, border=4)
    buffer.seek(0)
    pdf.image(buffer, x=pdf.w - _MARGIN - QR_SIZE_MM, y=qr_top, w=QR_SIZE_MM, h=QR_SIZE_MM)
    pdf.set_xy(pdf.w - _MARGIN - QR_SIZE_MM, qr_top + QR_SIZE_MM)
    pdf.set_font("body", "", 8)
    pdf.multi_cell(QR_SIZE_MM, 4, "Scan to check the current status", align="C")
    pdf.set_xy(_MARGIN, qr_top)

    pdf.field("Holder (names as written in the identity document)", claims.holder_name)
    pdf.field("Date of birth", _day(claims.date_of_birth))
    pdf.field("Case number", claims.case_number)
    pdf.field("Programme", claims.programme_title, note=f"Programme id: {claims.programme_id}")
    pdf.field("Application filed on", claims.filed_on.isoformat())
    pdf.field(
        "Certificate issued", f"{claims.issued_at:%Y-%m-%d %H:%M} UTC", note=f"Certificate number: {claims.certificate_id}"
    )
    pdf.set_y(max(pdf.get_y(), qr_top + QR_SIZE_MM + 8))

    pdf.heading("What this certificate proves")
    pdf.set_font("body", "", 10.5)
    pdf.text_block(0, 5.5, statement(claims))
    pdf.ln(4)

    pdf.heading("How to check it")
    pdf.set_font("body", "", 9.5)
    pdf.text_block(
        0,
        5,
        f"Online: scan the QR code, or open {verify_url.removesuffix(token)} followed by the code below. "
        f"Offline: amparo certificate verify CODE --public-key FILE, with the public key of {authority} "
        f"whose key id is {peek_key_id(token)}. Spaces in the code do not matter.",
    )
    pdf.ln(2)
    pdf.set_font("mono", "", 8.5)
    pdf.text_block(0, 4.2, group_token(token))
    return bytes(pdf.output())
