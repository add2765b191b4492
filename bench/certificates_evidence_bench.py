"""Benchmark certificates (issue, verify, PDF) and evidence uploads (sniff + store), pure libraries.

Run: ``.venv/bin/python bench/certificates_evidence_bench.py``. Prints medians and p95 in milliseconds,
with the machine and date, for docs/benchmarks.md. Nothing here is asserted: speed is measured, not tested.
"""

from __future__ import annotations

import datetime
import io
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fpdf import FPDF
from PIL import Image

from amparo.certificates import CertificateClaims, assess, generate_key, issue, key_id, render_pdf, verification_url, verify
from amparo.evidence import EvidenceStore, check_content


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def measure(fn: Callable[[int], object], n: int) -> tuple[float, float]:
    """Median and p95 of `n` single calls, in milliseconds."""
    samples = []
    for i in range(n):
        start = time.perf_counter_ns()
        fn(i)
        samples.append((time.perf_counter_ns() - start) / 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def claims(i: int) -> CertificateClaims:
    return CertificateClaims(
        certificate_id=f"c-{i}",
        case_number=f"ARG-2026-{i:07d}",
        programme_id="ar-patria-grande",
        programme_title="Programa Patria Grande",
        jurisdiction="ARG",
        given_names="José María",
        family_names="Ñúñez Quispe",
        date_of_birth=datetime.date(1990, 5, 17),
        filed_on=datetime.date(2026, 3, 2),
        issued_at=datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC),
    )


def photo(width: int, height: int) -> bytes:
    # Noise compresses badly, like a real phone photo of a paper document does not; a worst case.
    buffer = io.BytesIO()
    Image.effect_noise((width, height), 30).convert("RGB").save(buffer, "JPEG", quality=75)
    return buffer.getvalue()


def scan_pdf(pages: int) -> bytes:
    document = FPDF()
    image = io.BytesIO(photo(1240, 1754))
    for _ in range(pages):
        document.add_page()
        image.seek(0)
        document.image(image, x=0, y=0, w=210)
    return bytes(document.output())


def main() -> None:
    print(f"{os.cpu_count()} CPUs, {_cpu()}, Python {platform.python_version()}, {datetime.date.today()}")
    key = generate_key()
    keys = {key_id(key): key.public_key()}
    tokens = [issue(claims(i), key) for i in range(500)]
    rows = [
        ("certificate: `issue` (sign claims)", measure(lambda i: issue(claims(i), key), 500)),
        ("certificate: `verify` (offline)", measure(lambda i: verify(tokens[i], keys), 500)),
        ("certificate: `assess` after verify", measure(lambda i: assess(verify(tokens[i], keys), "pending", None), 500)),
        (
            "certificate: `render_pdf` (A4, QR, embedded fonts)",
            measure(lambda i: render_pdf(claims(i), tokens[i], verification_url("https://a.example", tokens[i])), 20),
        ),
    ]
    print(f"token length: {len(tokens[0])} characters")
    buffer = io.BytesIO()
    Image.effect_noise((1600, 1200), 30).convert("RGB").save(buffer, "PNG")
    samples = [
        ("JPEG 12 MP photo", "image/jpeg", photo(4000, 3000)),
        ("PNG 2 MP screenshot", "image/png", buffer.getvalue()),
        ("PDF 3-page scan", "application/pdf", scan_pdf(3)),
    ]
    with tempfile.TemporaryDirectory() as root:
        for name, declared, data in samples:
            label = f"{name} ({len(data) / 1e6:.1f} MB)"
            rows.append((f"evidence: `check_content`, {label}", measure(lambda i: check_content(data, declared), 10)))
            # A fresh store each time, so every put writes a new file (sniff, hash, fsync, rename).
            stores = [EvidenceStore(Path(root) / f"{name}-{i}") for i in range(10)]
            rows.append((f"evidence: `put` of a new file, {label}", measure(lambda i: stores[i].put(data, declared), 10)))
            rows.append((f"evidence: `put` of a file already stored, {label}", measure(lambda i: stores[0].put(data, declared), 10)))
            sha256 = stores[0].put(data, declared).sha256
            rows.append((f"evidence: `read` with checksum, {label}", measure(lambda i: stores[0].read(sha256), 10)))
    print("| operation | median | p95 |\n|---|---|---|")
    for label, (median, p95) in rows:
        print(f"| {label} | {median:.2f} ms | {p95:.2f} ms |")


if __name__ == "__main__":
    main()
