"""Several processes on one key share one budget through Redis, against Softr's limits."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from _redis_server import RedisServer

from benchmarks.fleet import prepare, run_fleet
from softr_orm.emulator import Emulator

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
