"""Benchmark the pure engines behind a decision and a filing: safeguard evaluation and pre-assessment.

Run: ``.venv/bin/python bench/safeguards_bench.py``. Prints medians and p95 in microseconds, with the
machine and date, for docs/benchmarks.md. Nothing here is asserted: speed is measured, not tested.
"""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import time
from collections.abc import Callable

from amparo.programmes import assess, check_programme, load_example
from amparo.safeguards import EventFacts, load


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
    """Median and p95 of `n` single calls, in microseconds."""
    samples = []
    for i in range(n):
        start = time.perf_counter_ns()
        fn(i)
        samples.append((time.perf_counter_ns() - start) / 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def main() -> None:
    start = time.perf_counter()
    engine = load()
    load_ms = (time.perf_counter() - start) * 1000
    refusal = EventFacts(
        outcome="refuse",
        reasons="Presence before the cut-off date was not shown.",
        decision_language="es",
        person_languages=("es",),
        appeal={"how": "Recurso de reposición", "deadline": datetime.date(2030, 1, 1)},
        supervisor_signoff=True,
        individually_assessed=True,
    )
    base = datetime.date(2021, 6, 1)
    # Warm: the same State and date (the answer cache hits). Cold: a new date every call, so every
    # safeguard asks the commitments engine again, as the first decision of each day would.
    warm = measure(lambda i: engine.evaluate("decision:refuse", "COL", base, refusal), 20_000)
    cold = measure(lambda i: engine.evaluate("decision:refuse", "COL", base + datetime.timedelta(days=i + 1), refusal), 5_000)
    as_dict = refusal.model_dump(mode="json")
    from_json = measure(lambda i: engine.evaluate("decision:refuse", "COL", base, as_dict).to_dict(), 20_000)

    programme = load_example("col-etpv-2021")
    applicant = {
        "birth_date": "1990-03-10",
        "nationalities": ["VEN"],
        "declares_no_disqualifying_record": True,
        "identity_document": {"kind": "passport", "expires_on": "2019-01-01"},
    }
    evidence = [{"kind": "rental_contract", "dated": "2020-11-02"}, {"kind": "utility_bill", "dated": "2021-02-01"}]
    pre = measure(lambda i: assess(programme, applicant, evidence, base).to_dict(), 20_000)
    check = measure(lambda i: check_programme(programme, engine), 2_000)

    print(f"machine: {os.cpu_count()} CPUs, {_cpu()}; Python {platform.python_version()}; {datetime.date.today()}")
    print(f"engine load (catalogue + commitments data): {load_ms:.0f} ms")
    print(f"evaluate decision:refuse, warm cache      : median {warm[0]:.1f} us, p95 {warm[1]:.1f} us")
    print(f"evaluate decision:refuse, new date (cold) : median {cold[0]:.1f} us, p95 {cold[1]:.1f} us")
    print(f"evaluate from JSON facts + to_dict()      : median {from_json[0]:.1f} us, p95 {from_json[1]:.1f} us")
    print(f"pre-assessment (JSON in, dict out)        : median {pre[0]:.1f} us, p95 {pre[1]:.1f} us")
    print(f"  -> 2,500,000 pre-assessments on one core: {2_500_000 * pre[0] / 1e6 / 60:.1f} min at the median")
    print(f"programme check                           : median {check[0]:.1f} us, p95 {check[1]:.1f} us")


if __name__ == "__main__":
    main()
