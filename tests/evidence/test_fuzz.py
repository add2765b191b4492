"""Whatever bytes arrive, the sniffer answers with an accepted type or a RejectedFile — never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amparo.evidence import RejectedFile, check_content

from .builders import jpeg_bytes, pdf_bytes, png_bytes

SAMPLES = {"image/png": png_bytes(), "image/jpeg": jpeg_bytes(progressive=True), "application/pdf": pdf_bytes()}


def answer(data: bytes, declared: str | None) -> str:
    try:
        return check_content(data, declared)
    except RejectedFile as exc:
        assert exc.message and exc.status_code == 422
        return "rejected"


@settings(max_examples=300, deadline=None)
@given(data=st.binary(min_size=1, max_size=2048), declared=st.sampled_from([None, *SAMPLES]))
def test_random_bytes(data, declared):
    answer(data, declared)


@settings(max_examples=400, deadline=None)
@given(
    media_type=st.sampled_from(sorted(SAMPLES)),
    edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=4),
    cut=st.floats(0, 1),
)
def test_damaged_real_files(media_type, edits, cut):
    data = bytearray(SAMPLES[media_type])
    for where, value in edits:
        data[int(where * len(data))] = value
    data = bytes(data[: max(1, int(len(data) * (0.5 + cut / 2)))])
    assert answer(data, media_type) in (media_type, "rejected")


@pytest.mark.parametrize("media_type", sorted(SAMPLES))
def test_every_truncation_of_a_real_file_is_refused(media_type):
    data = SAMPLES[media_type]
    step = max(1, len(data) // 200)
    accepted = [n for n in range(1, len(data), step) if answer(data[:n], media_type) != "rejected"]
    assert accepted == []
