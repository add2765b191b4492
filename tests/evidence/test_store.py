"""The content-addressed store: atomic, idempotent, streaming, and loud about corruption."""

from __future__ import annotations

import hashlib
import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from amparo.errors import InvalidInput, NotFound, PayloadTooLarge
from amparo.evidence import CorruptBlob, EvidenceStore, RejectedFile
from amparo.evidence.store import CHUNK_SIZE

from .builders import jpeg_bytes, pdf_bytes, png_bytes


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "sha256").rglob("*") if p.is_file())


def temporaries(root: Path) -> list[Path]:
    return sorted((root / "tmp").iterdir())


class CountingReader:
    """A file-like upload that records how much each read asked for."""

    def __init__(self, data: bytes):
        self.data, self.position, self.largest_read, self.reads = data, 0, 0, 0

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        size = len(self.data) if size < 0 else size
        self.largest_read = max(self.largest_read, size)
        chunk = self.data[self.position : self.position + size]
        self.position += len(chunk)
        return chunk


def test_put_stores_under_the_sha256_of_the_content(tmp_path):
    data = pdf_bytes()
    blob = EvidenceStore(tmp_path).put(data, "application/pdf")
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert (blob.size, blob.media_type) == (len(data), "application/pdf")
    assert blob.path == tmp_path / "sha256" / blob.sha256[:2] / blob.sha256
    assert blob.path.read_bytes() == data
    assert stat.S_IMODE(blob.path.stat().st_mode) == 0o440
    assert temporaries(tmp_path) == []


def test_same_content_twice_is_stored_once(tmp_path):
    store = EvidenceStore(tmp_path)
    data = png_bytes()
    first, second = store.put(data, "image/png"), store.put(data, "image/png", filename="again.png")
    assert first == second
    assert stored_files(tmp_path) == [first.path] and temporaries(tmp_path) == []
    assert list(store) == [first.sha256]


def test_put_streams_a_file_object_in_chunks(tmp_path):
    data = jpeg_bytes(1600, 1200, quality=95)
    reader = CountingReader(data)
    blob = EvidenceStore(tmp_path).put(reader, "image/jpeg")
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert reader.largest_read == CHUNK_SIZE and reader.reads >= 2


def test_put_accepts_an_iterable_of_chunks(tmp_path):
    data = pdf_bytes()
    blob = EvidenceStore(tmp_path).put((data[i : i + 100] for i in range(0, len(data), 100)), "application/pdf")
    assert EvidenceStore(tmp_path).read(blob.sha256) == data


def test_oversize_stream_stops_reading_at_the_limit_and_stores_nothing(tmp_path):
    consumed = 0

    def endless():
        nonlocal consumed
        while True:
            consumed += 1
            yield b"%PDF-1.7" + bytes(1024 * 1024 - 8)

    store = EvidenceStore(tmp_path, max_bytes=3 * 1024 * 1024)
    with pytest.raises(PayloadTooLarge) as caught:
        store.put(endless(), "application/pdf")
    assert consumed == 4
    assert "at least 4,194,304 bytes" in caught.value.message and "limit is 3 MiB" in caught.value.message
    assert stored_files(tmp_path) == [] and temporaries(tmp_path) == []


def test_declared_size_over_the_limit_is_refused_before_reading(tmp_path):
    reader = CountingReader(pdf_bytes())
    with pytest.raises(PayloadTooLarge, match="limit is 1 KiB"):
        EvidenceStore(tmp_path, max_bytes=1024).put(reader, "application/pdf", declared_size=50_000)
    assert reader.reads == 0


def test_refused_content_leaves_nothing_behind(tmp_path):
    store = EvidenceStore(tmp_path)
    with pytest.raises(RejectedFile):
        store.put(png_bytes(), "application/pdf")
    with pytest.raises(RejectedFile):
        store.put(b"", "application/pdf")
    assert stored_files(tmp_path) == [] and temporaries(tmp_path) == []


def test_an_upload_that_fails_midway_leaves_nothing_behind(tmp_path):
    def broken():
        yield pdf_bytes()[:100]
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        EvidenceStore(tmp_path).put(broken(), "application/pdf")
    assert stored_files(tmp_path) == [] and temporaries(tmp_path) == []


def test_a_killed_process_leaves_no_half_file_and_its_temporary_is_cleaned(tmp_path):
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from amparo.evidence import EvidenceStore
        def slow():
            yield b"%PDF-1.7\\n" + bytes(200_000)
            print("writing", flush=True)
            time.sleep(60)
            yield b"%%EOF"
        EvidenceStore(Path({str(tmp_path)!r})).put(slow(), "application/pdf")
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "writing"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        process.kill()
    assert stored_files(tmp_path) == []
    (leftover,) = temporaries(tmp_path)
    store = EvidenceStore(tmp_path)
    assert store.remove_stale_temporaries(older_than_seconds=3600) == 0  # a recent one may still be in use
    os.utime(leftover, (time.time() - 7200, time.time() - 7200))
    assert store.remove_stale_temporaries(older_than_seconds=3600) == 1 and temporaries(tmp_path) == []


def test_concurrent_puts_of_the_same_file_store_it_once(tmp_path):
    store, data, results, errors = EvidenceStore(tmp_path), jpeg_bytes(800, 600), [], []

    def put():
        try:
            results.append(store.put(data, "image/jpeg"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len({r.sha256 for r in results}) == 1
    assert len(stored_files(tmp_path)) == 1 and temporaries(tmp_path) == []


def corrupt(path: Path) -> None:
    path.chmod(0o640)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_reading_a_corrupted_file_raises_naming_both_checksums(tmp_path):
    store = EvidenceStore(tmp_path)
    data = pdf_bytes()
    blob = store.put(data, "application/pdf")
    corrupt(blob.path)
    actual = hashlib.sha256(blob.path.read_bytes()).hexdigest()
    for action in (store.read, store.open, store.verify):
        with pytest.raises(CorruptBlob) as caught:
            action(blob.sha256)
        assert blob.sha256 in caught.value.message and actual in caught.value.message


def test_storing_the_good_copy_again_repairs_a_corrupted_file(tmp_path):
    store = EvidenceStore(tmp_path)
    data = png_bytes()
    blob = store.put(data, "image/png")
    corrupt(blob.path)
    store.put(data, "image/png")
    assert store.read(blob.sha256) == data


def test_open_returns_the_verified_file_from_its_start(tmp_path):
    store = EvidenceStore(tmp_path)
    data = jpeg_bytes()
    blob = store.put(data, "image/jpeg")
    with store.open(blob.sha256) as handle:
        assert handle.read() == data
    assert store.verify(blob.sha256) == blob


def test_unknown_checksum_is_not_found(tmp_path):
    with pytest.raises(NotFound, match="No evidence file with checksum"):
        EvidenceStore(tmp_path).read("0" * 64)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "A" * 64, "0" * 63, "", "g" * 64])
def test_checksums_that_are_not_sha256_are_refused(tmp_path, bad):
    with pytest.raises(InvalidInput, match="not a SHA-256 checksum"):
        EvidenceStore(tmp_path).read(bad)


def test_delete_removes_the_file_once(tmp_path):
    store = EvidenceStore(tmp_path)
    blob = store.put(png_bytes(), "image/png")
    assert store.delete(blob.sha256) is True
    assert not store.exists(blob.sha256) and list(store) == []
    assert store.delete(blob.sha256) is False
    with pytest.raises(NotFound):
        store.read(blob.sha256)
