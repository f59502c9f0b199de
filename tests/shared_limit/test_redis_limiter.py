"""Tests for softr_orm.http.redis_limiter against a real redis-server on loopback."""

from __future__ import annotations

import itertools
import logging
import threading
import time

import pytest
from _redis_server import RedisServer, free_port

from softr_orm import Session, errors
from softr_orm.http.ratelimit import Bucket, RateLimits
from softr_orm.http.redis_limiter import SharedRateLimiter, budget_digest, safe_url

KEY = "sk_live_do-not-leak-0123456789"


def no_sleep(seconds: float) -> None:
    """Waits are returned, not slept: the tests read the schedule Redis booked."""


def starts(shared: SharedRateLimiter, bucket: Bucket = "read") -> list[float]:
    """The starts of the latest slots booked for ``bucket``, as Redis keeps them (its clock)."""
    recent = shared._keys[bucket][1]
    return [float(start) for start in shared._redis.lrange(recent, 0, -1)]


def limiter(url: str, limits: RateLimits, digest: str = "d1", **kw: float) -> SharedRateLimiter:
    return SharedRateLimiter(url, digest, limits, sleep=no_sleep, **kw)


def test_processes_share_one_schedule(redis_url: str) -> None:
    """Two limiters (two processes) on one key book slots from one schedule, one interval
    apart, alternating as they ask; another key has a budget of its own."""
    limits = RateLimits(read=20, write=20, burst=1, margin=0.0)
    one, two = limiter(redis_url, limits), limiter(redis_url, limits)
    waits = [(one if n % 2 else two).acquire("read") for n in range(10)]
    booked = starts(one)
    assert len(booked) == 10 and booked == starts(two)
    # never two slots closer than 1/20 s, whichever process asked; and asking at once, the
    # later callers were given slots ahead of time
    assert all(b - a >= 0.05 - 1e-6 for a, b in itertools.pairwise(booked))
    assert max(waits) > 0.0
    other_key = limiter(redis_url, limits, digest="d2")
    assert other_key.acquire("read") == pytest.approx(0.0, abs=0.01)
    # writes have a budget of their own
    assert one.acquire("write") == pytest.approx(0.0, abs=0.01)


def test_no_window_holds_more_than_the_rate_burst_included(redis_server: RedisServer) -> None:
    """45 reads asked at once at 40/s with the default burst (10): the first 10 go at once,
    the 11th an interval later, and the 41st a full window (one second plus the margin) after
    the first (slot starts read from Redis itself, on its clock)."""
    client = redis_server.client()
    client.flushdb()
    fleet = [limiter(redis_server.url, RateLimits(margin=0.03)) for _ in range(3)]
    [recent] = [key for key in fleet[0]._keys["read"] if key.endswith(":recent")]
    starts, waits = [], []
    for n in range(45):
        waits.append(fleet[n % 3].acquire("read"))
        starts.append(float(client.lindex(recent, -1)))
    assert waits[:10] == [0.0] * 10  # the burst goes at once
    assert starts[10] - starts[0] >= 0.025 - 1e-6  # and no more
    assert starts[40] - starts[0] == pytest.approx(1.03, abs=0.001)
    assert all(
        later - earlier >= 1.03 - 1e-6 for earlier, later in zip(starts, starts[40:], strict=False)
    )
    assert starts == sorted(starts)
    client.close()


def test_a_late_send_counts_from_when_it_went(redis_server: RedisServer) -> None:
    """A thread that wakes 80 ms after its slot records its real send in Redis, so the
    request a window later is booked a window after the real send."""
    client = redis_server.client()
    client.flushdb()

    class LateClock:
        """The process's clock: every sleep overshoots by 80 ms."""

        offset = 0.0

        def __call__(self) -> float:
            return time.monotonic() + self.offset

        def sleep(self, seconds: float) -> None:
            self.offset += seconds + 0.08

    clock = LateClock()
    limits = RateLimits(read=2, write=2, burst=1, margin=0.0)
    late = SharedRateLimiter(redis_server.url, "d1", limits, clock=clock, sleep=clock.sleep)
    [recent] = [key for key in late._keys["read"] if key.endswith(":recent")]
    late.acquire("read")  # no wait, so not late
    late.acquire("read")  # booked 0.5 s after the first, sent 80 ms after that
    first, second = (float(x) for x in client.lrange(recent, 0, -1))
    assert second - first == pytest.approx(0.58, abs=0.02)
    client.close()


def test_threads_of_many_processes_are_served_in_order(redis_url: str) -> None:
    """16 threads over 4 limiters get 160 distinct slots, none lost or given twice."""
    limits = RateLimits(read=100, write=100, burst=1, margin=0.0)
    fleet = [limiter(redis_url, limits) for _ in range(4)]
    waits: list[float] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        for _ in range(10):
            wait = fleet[n % 4].acquire("read")
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(waits) == 160
    # the last 100 slots (all Redis keeps) are distinct, in order, an interval apart at least
    booked = starts(fleet[0])
    assert len(booked) == 100
    assert all(b - a >= 0.01 - 1e-6 for a, b in itertools.pairwise(booked))


def test_a_pause_holds_the_whole_fleet(redis_url: str) -> None:
    """A 429 seen by one process pauses the others, for reads and writes, then the budget
    resumes at its rate without a burst."""
    limits = RateLimits(read=10, write=10, burst=5)
    one, two = limiter(redis_url, limits), limiter(redis_url, limits)
    one.pause(0.5)
    until = float(one._redis.get(one._pause_key))
    assert two.acquire("read") > 0.4
    assert two.acquire("write") > 0.4
    two.acquire("read")
    assert starts(two, "read") == [pytest.approx(until), pytest.approx(until + 0.1)]
    assert starts(two, "write") == [pytest.approx(until)]  # no burst after a pause


def test_redis_holds_a_hash_of_the_key_never_the_key(redis_server: RedisServer) -> None:
    """The budget is named by a SHA-256 of service and key; the key is nowhere in Redis."""
    client = redis_server.client()
    client.flushdb()
    session = Session(KEY, base_url="http://127.0.0.1:9/api/v1", rate_limit=redis_server.url)
    assert isinstance(session.rate_limiter, SharedRateLimiter)
    session.rate_limiter.acquire("read")
    session.rate_limiter.pause(0.01)
    names = [name.decode() for name in client.keys("*")]
    digest = budget_digest("Softr", KEY)
    assert names and all(digest in name for name in names)
    dump = " ".join(names) + " ".join(str(client.dump(name)) for name in names)
    assert KEY not in dump and KEY[8:] not in dump
    assert KEY not in repr(session.rate_limiter)
    client.close()


def test_a_wait_past_max_wait_is_refused_unsent(redis_url: str) -> None:
    """Waiting has a deadline: a slot further ahead than max_wait raises RateLimited, and
    books nothing (the next caller is not pushed back by the refused one)."""
    limits = RateLimits(read=2, write=2, burst=1, margin=0.0)
    one = limiter(redis_url, limits, max_wait=0.6)
    assert one.acquire("read") == pytest.approx(0.0, abs=0.01)
    assert one.acquire("read") > 0.3  # booked 0.5 s after the first
    with pytest.raises(errors.RateLimited, match=r"max_wait=0\.6"):
        one.acquire("read")
    with pytest.raises(errors.RateLimited):
        one.acquire("read")
    assert one.shared and one.fallbacks == 0


def test_unreachable_redis_falls_back_to_the_process_buckets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nothing listens at the URL: requests still go (through the per-process buckets),
    one warning is logged, and the metric counts every request that fell back."""
    url = f"redis://:s3cret@127.0.0.1:{free_port()}/0"
    limits = RateLimits(read=10, write=10, burst=5)
    shared = SharedRateLimiter(url, "d1", limits, sleep=no_sleep, recheck=0.05)
    with caplog.at_level(logging.WARNING, logger="softr_orm.ratelimit"):
        waits = [shared.acquire("read") for _ in range(6)]
    assert waits[:5] == [0.0] * 5 and waits[5] == pytest.approx(0.1, abs=0.01)  # local
    assert shared.fallbacks == 6 and shared.redis_errors >= 1
    assert not shared.shared
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "s3cret" not in warnings[0].getMessage() and "s3cret" not in repr(shared)


def test_session_takes_a_redis_url_and_refuses_other_strings(redis_url: str) -> None:
    """rate_limit accepts a redis:// URL (and SOFTR_RATE_LIMIT_URL in from_env); any other
    string is a ConfigurationError that does not echo it."""
    base = "http://127.0.0.1:9/api/v1"
    session = Session.from_env(
        {"SOFTR_API_KEY": KEY, "SOFTR_BASE_URL": base, "SOFTR_RATE_LIMIT_URL": redis_url}
    )
    assert isinstance(session.rate_limiter, SharedRateLimiter)
    assert session.rate_limiter.url == redis_url
    with pytest.raises(errors.ConfigurationError, match="Redis URL") as info:
        Session(KEY, base_url=base, rate_limit="http://user:pw@host/0")
    assert "pw" not in str(info.value)
    with pytest.raises(errors.ConfigurationError, match="redis-py cannot use") as info:
        Session(KEY, base_url=base, rate_limit="redis://u:pw@host:notaport/0")
    assert "pw" not in str(info.value)
    assert safe_url("redis://u:pw@h:1/0") == "redis://u:***@h:1/0"


def test_redis_outage_mid_run_then_recovery(own_redis: RedisServer) -> None:
    """Redis stops while requests flow: they go on through the process's buckets; once it
    is back, the shared budget is used again."""
    limits = RateLimits(read=200, write=200, burst=5)
    shared = SharedRateLimiter(
        own_redis.url, "d1", limits, sleep=no_sleep, recheck=0.05, redis_timeout=0.2
    )
    for _ in range(5):
        shared.acquire("read")
    assert shared.shared and shared.fallbacks == 0
    own_redis.stop()
    for _ in range(5):
        shared.acquire("read")
    assert not shared.shared and shared.fallbacks == 5
    own_redis.start()
    client = own_redis.client()
    assert client.keys("*") == []  # a fresh server: no persistence
    deadline = threading.Event()
    for _ in range(100):
        shared.acquire("read")
        if shared.shared:
            break
        deadline.wait(0.01)
    assert shared.shared
    assert client.keys("*")  # the shared schedule lives in Redis again
    client.close()
