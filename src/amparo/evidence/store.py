"""Content-addressed evidence storage: each file is kept once, under the SHA-256 of its bytes.

Layout: ``ROOT/sha256/ab/abcdef…`` (the first two hex characters spread files over 256 folders) and
``ROOT/tmp/`` for uploads in progress, on the same file system so the final rename is atomic.

A `put` streams the upload into a temporary file while hashing it and counting its size (refusing it
as soon as it passes the limit), checks the content (`amparo.evidence.sniff`), flushes the file to
disk, renames it into place and flushes the folder. A crash at any point leaves either no file or
the whole file under its name — never half of one; stray temporary files are removed by
`remove_stale_temporaries`. Storing the same bytes twice stores them once. Every read re-hashes the
file, so a disk fault or a tampered file is reported instead of served as evidence.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import re
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from amparo.errors import InvalidInput, NotFound
from amparo.evidence.errors import CorruptBlob
from amparo.evidence.sniff import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, MediaType, check_content, check_size, identify

CHUNK_SIZE = 1 << 20
_SHA256 = re.compile(r"[0-9a-f]{64}")

Source = bytes | bytearray | memoryview | BinaryIO | Iterable[bytes]


@dataclass(frozen=True)
class StoredBlob:
    """A stored file: its checksum (and name), size in bytes, media type and path."""

    sha256: str
    size: int
    media_type: MediaType
    path: Path


def _chunks(data: Source) -> Iterable[bytes]:
    if isinstance(data, bytes | bytearray | memoryview):
        yield bytes(data)
    elif hasattr(data, "read"):
        while chunk := data.read(CHUNK_SIZE):
            yield chunk
    else:
        yield from data


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class EvidenceStore:
    """Evidence files on local disk, addressed by SHA-256.

    Args:
        root: folder of the store (created if missing).
        max_bytes: largest file accepted (default 10 MiB).
        max_pixels: largest image accepted.
    """

    def __init__(self, root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS):
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self._blobs = self.root / "sha256"
        self._tmp = self.root / "tmp"
        self._blobs.mkdir(parents=True, exist_ok=True)
        self._tmp.mkdir(parents=True, exist_ok=True)

    def path_for(self, sha256: str) -> Path:
        """Where the file with this checksum lives; refuses anything but 64 lowercase hex characters."""
        if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
            raise InvalidInput(f"{sha256!r} is not a SHA-256 checksum: expected 64 lowercase hexadecimal characters.")
        return self._blobs / sha256[:2] / sha256

    def put(
        self,
        data: Source,
        declared_media_type: str | None,
        *,
        filename: str | None = None,
        declared_size: int | None = None,
    ) -> StoredBlob:
        """Check and store an upload; return where it is. Nothing is stored when it is refused.

        Args:
            data: the bytes, a binary file object (read in 1 MiB chunks), or an iterable of chunks.
            declared_media_type: the client's media type; must agree with the content.
            filename: the client's file name; its extension must agree with the content.
            declared_size: the client's Content-Length, to refuse an oversize upload before reading it.

        Raises:
            PayloadTooLarge: over the size limit (reading stops at the limit).
            RejectedFile: empty, not PDF/JPEG/PNG, not what it was declared as, damaged, or a polyglot.
        """
        if isinstance(data, bytes | bytearray | memoryview):
            check_size(len(data), self.max_bytes)
        elif declared_size is not None and declared_size > self.max_bytes:
            check_size(declared_size, self.max_bytes)
        fd, temp_name = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=self._tmp)
        temp = Path(temp_name)
        try:
            digest = hashlib.sha256()
            size = 0
            with os.fdopen(fd, "wb") as handle:
                for chunk in _chunks(data):
                    size += len(chunk)
                    if size > self.max_bytes:
                        check_size(size, self.max_bytes, at_least=True)
                    digest.update(chunk)
                    handle.write(chunk)
                check_size(size, self.max_bytes)
                handle.flush()
                with open(temp, "rb") as reader, mmap.mmap(reader.fileno(), 0, access=mmap.ACCESS_READ) as view:
                    media_type = check_content(
                        view, declared_media_type, filename=filename, max_bytes=self.max_bytes, max_pixels=self.max_pixels
                    )
                os.fsync(handle.fileno())
            os.chmod(temp, 0o440)
            sha256 = digest.hexdigest()
            final = self.path_for(sha256)
            if self._intact(final, sha256):
                temp.unlink()
            else:
                # A missing file, or one whose bytes no longer match (it is replaced with the good copy).
                final.parent.mkdir(exist_ok=True)
                os.replace(temp, final)
                _fsync_dir(final.parent)
            return StoredBlob(sha256=sha256, size=size, media_type=media_type, path=final)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    def _intact(self, path: Path, sha256: str) -> bool:
        try:
            with open(path, "rb") as handle:
                return _hash_file(handle) == sha256
        except FileNotFoundError:
            return False

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        """The stored file, opened for reading after its checksum was verified; the caller closes it.

        Raises:
            NotFound: no file with this checksum.
            CorruptBlob: the file's bytes no longer match its checksum.
        """
        path = self.path_for(sha256)
        try:
            handle = open(path, "rb")
        except FileNotFoundError:
            raise NotFound(f"No evidence file with checksum {sha256} is stored.") from None
        try:
            actual = _hash_file(handle)
            if actual != sha256:
                raise CorruptBlob(
                    f"The stored evidence file {sha256} is damaged: its content now has checksum {actual}. "
                    "Do not rely on it; restore it from a backup or ask the applicant to upload it again.",
                    details=[{"sha256": sha256, "actual": actual}],
                )
            handle.seek(0)
            return handle
        except BaseException:
            handle.close()
            raise

    def read(self, sha256: str) -> bytes:
        """The stored file's bytes, verified against its checksum (see `open`)."""
        with self.open(sha256) as handle:
            return handle.read()

    def verify(self, sha256: str) -> StoredBlob:
        """Re-hash a stored file (for a periodic scrub); raises like `open`."""
        with self.open(sha256) as handle:
            size = os.fstat(handle.fileno()).st_size
            media_type, _ = identify(handle.read(16))
        return StoredBlob(sha256=sha256, size=size, media_type=media_type, path=self.path_for(sha256))  # type: ignore[arg-type]

    def delete(self, sha256: str) -> bool:
        """Remove a stored file (e.g. at the end of its retention period); True if it was there.

        Files are shared by every record with the same content, so the caller deletes only once no
        evidence record refers to the checksum any more.
        """
        path = self.path_for(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        _fsync_dir(path.parent)
        return True

    def __iter__(self):
        """Checksums of every stored file."""
        for shard in sorted(self._blobs.iterdir()):
            for path in sorted(shard.iterdir()):
                if _SHA256.fullmatch(path.name):
                    yield path.name

    def remove_stale_temporaries(self, older_than_seconds: float = 3600) -> int:
        """Delete uploads left in progress by a crash; returns how many were removed."""
        cutoff = time.time() - older_than_seconds
        removed = 0
        for path in self._tmp.iterdir():
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def _hash_file(handle: BinaryIO) -> str:
    digest = hashlib.sha256()
    while chunk := handle.read(CHUNK_SIZE):
        digest.update(chunk)
    return digest.hexdigest()
