"""Scan rate against latency: does the rate window keep the read budget full when slow?

Run ``python -m benchmarks.bench_scan_latency`` (or ``python -m benchmarks --only
scan_latency``).

A 100-page ORM scan (20,000 records, an unsorted view: no server-side sort) with
``Session(rate_limit=True)``, against the emulator in a child process with Softr's limits and
50 ms, then 250 ms, of latency. The limiter counts a request from when it is sent (later only
by a round trip slower than the fastest), so at either latency the scan should stay near the
40 requests/s bound with no 429. Counting a request until its answer plus one second, as the
limiter did before, capped a scan at ``40 / (1 + latency)``: 73% of the bound at 250 ms.
Reported: the rate from the first page's answer to the last one's (the whole scan's wall time
also holds two lone round trips, the first page and the last answer, 0.5 s at 250 ms). Target:
>= 90% of 40 req/s at both latencies, and no 429.
"""

from __future__ import annotations

import statistics
import sys
from typing import Any

from benchmarks._util import print_table, row
from benchmarks.bench_scan import RemoteEmulator, _model, _orm_scan
from softr_orm.constants import READ_RATE_LIMIT

RECORDS = 20_000
PAGES = RECORDS // 200
LATENCIES_MS = (50, 250)


def run(repeat: int = 2) -> list[dict[str, Any]]:
    results = []
    for latency in LATENCIES_MS:
        with RemoteEmulator(records=RECORDS, latency_ms=latency) as remote:
            info = remote.info
            model = _model(info["database_id"])
            runs = [_orm_scan(model, info, set(info["ids"]), view=True) for _ in range(repeat)]
        seconds = statistics.median(r["seconds"] for r in runs)
        steady = statistics.median(r["steady_rate"] for r in runs)
        pct = steady / READ_RATE_LIMIT * 100
        refused = sum(r["throttled"] for r in runs)
        times = ", ".join(f"{r['seconds']:.2f}" for r in runs)
        results.append(
            row(
                f"scan {PAGES} pages at {latency} ms: steady rate (% of 40 req/s)",
                pct,
                "%",
                target=">= 90% of 40 req/s, no 429",
                met=pct >= 90.0 and refused == 0,
                note=(
                    f"{steady:.1f} req/s after the first page; whole scans {times} s "
                    f"({PAGES / seconds:.1f} req/s); 429s {[r['throttled'] for r in runs]}; "
                    f"the old bound 40 / (1 + latency) = {40 / (1 + latency / 1000):.1f} req/s"
                ),
            )
        )
    return results


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print_table(run(repeat=1 if "--quick" in args else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
