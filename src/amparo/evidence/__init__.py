"""Evidence uploads: content sniffing, size limits and content-addressed storage with checksums.

A pure library (no web or database imports). The filing flow calls `EvidenceStore.put` with the
upload stream and the client's declared type, then records an `EvidenceMetadata` (which points at
the stored file by its SHA-256) in the database.
"""

from amparo.evidence.errors import CorruptBlob, RejectedFile
from amparo.evidence.schemas import EvidenceKind, EvidenceMetadata
from amparo.evidence.sniff import (
    ACCEPTED,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
    MediaType,
    check_content,
    check_size,
    identify,
    normalise_media_type,
)
from amparo.evidence.store import EvidenceStore, StoredBlob

__all__ = [
    "ACCEPTED",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "CorruptBlob",
    "EvidenceKind",
    "EvidenceMetadata",
    "EvidenceStore",
    "MediaType",
    "RejectedFile",
    "StoredBlob",
    "check_content",
    "check_size",
    "identify",
    "normalise_media_type",
]
