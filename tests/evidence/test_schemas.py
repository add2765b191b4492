"""Evidence records: kinds, and a document date that cannot be after the day it was received."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from amparo.errors import InvalidInput
from amparo.evidence import EvidenceKind, EvidenceMetadata, EvidenceStore

from .builders import pdf_bytes

RECEIVED = date(2026, 3, 2)


@pytest.fixture()
def blob(tmp_path):
    return EvidenceStore(tmp_path).put(pdf_bytes(), "application/pdf")


def test_the_kinds_programmes_can_ask_for():
    assert {kind.value for kind in EvidenceKind} == {
        "rental_contract",
        "school_enrolment",
        "medical_record",
        "utility_bill",
        "sworn_statement_two_witnesses",
        "identity_document",
        "employment_confirmation",
        "other",
    }


def test_record_points_at_the_stored_file(blob):
    record = EvidenceMetadata.for_blob(blob, kind="rental_contract", document_date=date(2025, 11, 3), received_on=RECEIVED)
    assert (record.sha256, record.size, record.media_type) == (blob.sha256, blob.size, "application/pdf")
    assert record.kind is EvidenceKind.RENTAL_CONTRACT


def test_document_dated_the_day_it_was_received_is_accepted(blob):
    record = EvidenceMetadata.for_blob(blob, kind="utility_bill", document_date=RECEIVED, received_on=RECEIVED)
    assert record.document_date == RECEIVED


def test_document_dated_the_day_after_is_refused_naming_both_dates(blob):
    with pytest.raises(InvalidInput) as caught:
        EvidenceMetadata.for_blob(blob, kind="utility_bill", document_date=date(2026, 3, 3), received_on=RECEIVED)
    message = caught.value.message
    assert "document date 2026-03-03 is after the day the evidence was received, 2026-03-02" in message
    assert caught.value.status_code == 422 and "Value error" not in message


def test_kind_other_needs_a_description(blob):
    with pytest.raises(InvalidInput, match="needs a description"):
        EvidenceMetadata.for_blob(blob, kind="other", document_date=RECEIVED, received_on=RECEIVED)
    record = EvidenceMetadata.for_blob(
        blob, kind="other", document_date=RECEIVED, received_on=RECEIVED, description="Church membership letter"
    )
    assert record.description == "Church membership letter"


def test_unknown_kind_is_refused_naming_the_field(blob):
    with pytest.raises(InvalidInput) as caught:
        EvidenceMetadata.for_blob(blob, kind="employer_sponsorship", document_date=RECEIVED, received_on=RECEIVED)
    assert caught.value.details[0]["field"] == "kind"


def test_schema_refuses_a_checksum_that_is_not_sha256():
    with pytest.raises(ValidationError):
        EvidenceMetadata(
            kind="medical_record", document_date=RECEIVED, received_on=RECEIVED, sha256="abc", media_type="image/png", size=1
        )


def test_only_the_base_name_of_a_client_path_is_kept(blob):
    record = EvidenceMetadata.for_blob(
        blob, kind="utility_bill", document_date=RECEIVED, received_on=RECEIVED, original_filename="C:\\Users\\ana\\bill.pdf"
    )
    assert record.original_filename == "bill.pdf"
    unix = EvidenceMetadata.for_blob(
        blob, kind="utility_bill", document_date=RECEIVED, received_on=RECEIVED, original_filename="/home/ana/bill.pdf"
    )
    assert unix.original_filename == "bill.pdf"
