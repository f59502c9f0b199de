"""``.iterator()`` beside ``all()``: request rate at 50 and 250 ms latency, memory at 10k/100k.

Run ``python -m benchmarks.bench_iterator`` (or ``python -m benchmarks --only iterator``).

The emulator runs in a child process (as in ``bench_scan``) with Softr's rate limits on: 40
reads per second per token in any one-second window, 429 beyond. Each timed scan uses a fresh
``Session(rate_limit=True)`` whose schema is already read, starts after a quiet second, and is
checked to return every one of the 10,000 ids exactly once. ``all()`` and ``.iterator()`` run
round robin (A B A B ...), so a drifting machine load falls on both alike.

* Rate: ``50 requests / wall seconds`` as a share of 40 req/s; targets >= 90% at 50 ms and
  >= 85% at 250 ms, with no answer refused (429). The first scan of each latency (an
  ``all()``, which runs first) is the process's first scan of that query, so it asks for its
  first page alone; the later ones know the query is large and ask for their first pages at once
  (``SPECULATIVE_PAGES`` in ``softr_orm/query/fetching.py``). The emulator runs with 32 worker
  threads (``bench_scan.SERVER_THREADS``): its latency is a sleep in a worker, and 8 threads
  served at most 32 requests per second at 250 ms.
* Memory: the peak of ``tracemalloc`` while ``for item in qs.iterator(): pass`` runs over
  10,000 and over 100,000 records (emulator without latency or limits, as only the client's
  memory is measured); target: the 100k peak within 2x of the 10k peak.
"""

from __future__ import annotations

import statistics
import sys
import time
import tracemalloc
from typing import Any

from benchmarks._util import print_table, row
from benchmarks.bench_scan import QUIET, RemoteEmulator, _check_ids, _model
from softr_orm import RequestEvent, Session
from softr_orm.constants import READ_RATE_LIMIT
from softr_orm.query.binding import bind

RECORDS = 10_000
BIG = 100_000
PAGES = RECORDS // 200


def _timed(model: Any, info: dict[str, Any], expected: set[str], how: str) -> dict[str, Any]:
    session = Session(info["api_key"], base_url=info["base_url"], rate_limit=True)
    bind(model, session)
    statuses: list[int | None] = []

    def listen(event: RequestEvent) -> None:
        statuses.append(event.status)

    session.add_listener(listen)
    time.sleep(QUIET)
    before = session.request_count
    started = time.perf_counter()
    query = model.objects.using(session).all()
    if how == "iterator":
        ids = [item.id for item in query.iterator()]
    else:
        ids = [item.id for item in list(query)]
    seconds = time.perf_counter() - started
    session.close()
    _check_ids(ids, expected, how)
    return {
        "seconds": seconds,
        "requests": session.request_count - before,
        "throttled": statuses.count(429),
    }


def _rates(latency_ms: float, repeat: int) -> dict[str, list[dict[str, Any]]]:
    runs: dict[str, list[dict[str, Any]]] = {"all": [], "iterator": []}
    with RemoteEmulator(RECORDS, latency_ms) as remote:
        info = remote.info
        expected = set(info["ids"])
        model = _model(info["database_id"])
        for _ in range(repeat):
            for how in runs:  # A B A B ...
                runs[how].append(_timed(model, info, expected, how))
    return runs


def _rate_row(how: str, latency_ms: float, runs: list[dict[str, Any]], target: float) -> Any:
    seconds = statistics.median(r["seconds"] for r in runs)
    pct = PAGES / seconds / READ_RATE_LIMIT * 100
    throttled = [r["throttled"] for r in runs]
    each = ", ".join(f"{r['seconds']:.2f}" for r in runs)
    return row(
        f"{how} 10k at {latency_ms:g} ms: rate (% of 40 req/s)",
        pct,
        "%",
        target=f">= {target:g}%, no 429",
        met=pct >= target and not any(throttled),
        note=(f"runs {each} s, requests {[r['requests'] for r in runs]}, 429s {throttled}"),
    )


def _peak(model: Any, info: dict[str, Any], expected: int) -> tuple[int, float]:
    session = Session(info["api_key"], base_url=info["base_url"], rate_limit=False)
    bind(model, session)
    count = 0
    tracemalloc.start()
    started = time.perf_counter()
    for _item in model.objects.using(session).all().iterator():
        count += 1
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    session.close()
    if count != expected:
        raise AssertionError(f"iterator gave {count} records of {expected}")
    return peak, seconds


def _memory() -> tuple[int, int]:
    peaks = []
    for records in (RECORDS, BIG):
        with RemoteEmulator(records, 0) as remote:
            remote.set_rate_limit(False)
            model = _model(remote.info["database_id"])
            peaks.append(_peak(model, remote.info, records)[0])
    return peaks[0], peaks[1]


def run(repeat: int = 3) -> list[dict[str, Any]]:
    results = []
    for latency_ms, target in ((50, 90.0), (250, 85.0)):
        runs = _rates(latency_ms, repeat)
        results.append(_rate_row("iterator()", latency_ms, runs["iterator"], target))
        results.append(_rate_row("all()", latency_ms, runs["all"], target))
    small, big = _memory()
    results.append(
        row(
            "iterator() peak traced memory, 100k vs 10k records",
            big / 1e6,
            "MB",
            baseline=small / 1e6,
            target="100k within 2x of 10k (ratio <= 2)",
            met=big <= 2 * small,
            note=f"10k: {small / 1e6:.1f} MB, 100k: {big / 1e6:.1f} MB (tracemalloc peak)",
        )
    )
    return results


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print_table(run(repeat=1 if "--quick" in args else 3))
    return 0


if __name__ == "__main__":
    sys.exit(main())
