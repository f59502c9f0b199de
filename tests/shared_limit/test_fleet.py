"""Several processes on one key share one budget through Redis, against Softr's limits."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest
from _redis_server import RedisServer

from benchmarks.fleet import prepare, run_fleet
from softr_orm import Session
from softr_orm.emulator import Emulator
from softr_orm.http.redis_limiter import SharedRateLimiter

pytestmark = pytest.mark.integration


@pytest.fixture
def limited_emu() -> Iterator[Emulator]:
    """An emulator enforcing Softr's limits: 40 reads/s and 30 writes/s per key."""
    with Emulator(rate_limit=True) as emulator:
        yield emulator


def busiest_seconds(log: list[dict[str, object]]) -> dict[str, int]:
    """The most reads and the most writes the emulator received in one calendar second
    (refused requests included)."""
    per_second: dict[str, Counter[str]] = {"read": Counter(), "write": Counter()}
    for entry in log:
        method, path = str(entry["method"]), str(entry["path"])
        read = method == "GET" or (method == "POST" and path.endswith("/records/search"))
        per_second["read" if read else "write"][str(entry["time"])[:19]] += 1
    return {kind: max(counts.values(), default=0) for kind, counts in per_second.items()}


def test_four_processes_share_one_budget(limited_emu: Emulator, redis_server: RedisServer) -> None:
    """4 processes x 3 threads of mixed traffic on one key, limited through Redis: no error
    reaches a user, and the emulator's log holds no second with more than 40 reads or 30
    writes for the key."""
    redis_server.client().flushdb()
    settings = prepare(limited_emu)
    limited_emu.clear_request_log()
    settings.update(rate_limit=redis_server.url, threads=3, ops=20)
    result = run_fleet(settings, processes=4)
    log = limited_emu.request_log()
    assert result.ops == 4 * 3 * 20
    assert result.errors == 0, result.error_kinds
    assert len(log) == result.attempts
    busiest = busiest_seconds(log)
    assert busiest["read"] <= 40 and busiest["write"] <= 30, busiest
    # the budget was in use, not idle: a second was (nearly) full
    assert busiest["read"] >= 30 or busiest["write"] >= 20, busiest


def test_requests_go_on_through_a_redis_outage(own_redis: RedisServer) -> None:
    """Redis stops while a session sends requests: none fails, they go through the process's
    own buckets; when Redis is back the session uses the shared budget again."""
    with Emulator(rate_limit=True) as emu:
        settings = prepare(emu, records=3)
        session = Session(emu.api_key, base_url=emu.base_url, rate_limit=own_redis.url)
        limiter = session.rate_limiter
        assert isinstance(limiter, SharedRateLimiter)
        path = ["databases", settings["database"], "tables", settings["table"], "records"]

        def read(times: int) -> None:
            for _ in range(times):
                session.request("GET", [*path, settings["record_ids"][0]])

        read(5)
        assert limiter.shared and limiter.fallbacks == 0
        own_redis.stop()
        read(10)  # no error reaches the caller
        assert not limiter.shared and limiter.fallbacks >= 10
        own_redis.start()
        deadline = time.monotonic() + 10
        while not limiter.shared and time.monotonic() < deadline:
            read(1)  # Redis is tried again every second
            time.sleep(0.05)
        assert limiter.shared
        fallbacks = limiter.fallbacks
        read(5)
        assert limiter.fallbacks == fallbacks  # the shared budget again
        client = own_redis.client()
        assert any(b":read:" in key for key in client.keys("*"))
        client.close()
        session.close()
