"""Tests for softr_orm.http.ratelimit (token buckets) and how the Session uses them."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import responses

from softr_orm import Session
from softr_orm.http.ratelimit import RateLimiter, RateLimits, TokenBucket
from softr_orm.http.retry import RetryPolicy

BASE = "http://127.0.0.1:8080/api/v1"


class FakeClock:
    """A monotonic clock that only moves when someone sleeps (or the test says so)."""

    def __init__(self, advance_on_sleep: bool = True) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.advance_on_sleep = advance_on_sleep
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            if self.advance_on_sleep:
                self.now += seconds


@pytest.fixture
def fake() -> FakeClock:
    return FakeClock()


def bucket(fake: FakeClock, rate: float = 10.0, capacity: int = 5) -> TokenBucket:
    return TokenBucket(rate, capacity, clock=fake.clock, sleep=fake.sleep)


def test_burst_goes_out_without_waiting(fake: FakeClock) -> None:
    """The first `capacity` acquisitions are immediate; the next one waits one interval."""
    b = bucket(fake)
    assert [b.acquire() for _ in range(5)] == [0.0] * 5
    assert fake.sleeps == []
    assert b.acquire() == pytest.approx(0.1)
    assert fake.sleeps == [pytest.approx(0.1)]


def test_sustained_rate_is_respected(fake: FakeClock) -> None:
    """105 acquisitions at 10/s with a burst of 5 take 10 seconds of (fake) time."""
    b = bucket(fake)
    start = fake.now
    for _ in range(105):
        b.acquire()
    assert fake.now - start == pytest.approx(10.0)
    assert len(fake.sleeps) == 100
    assert all(s == pytest.approx(0.1) for s in fake.sleeps)


def test_quiet_period_refills_only_up_to_capacity(fake: FakeClock) -> None:
    """After a long idle time the bucket holds `capacity` tokens, not more."""
    b = bucket(fake, rate=10, capacity=3)
    for _ in range(3):
        b.acquire()
    fake.now += 60.0
    assert [b.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert b.acquire() == pytest.approx(0.1)


def test_pause_blocks_then_resumes_without_burst(fake: FakeClock) -> None:
    """pause(2) delays the next request by 2 s; after it the rate applies, with no burst."""
    b = bucket(fake)
    b.pause(2.0)
    assert b.acquire() == pytest.approx(2.0)
    assert b.acquire() == pytest.approx(0.1)
    assert b.acquire() == pytest.approx(0.1)


def test_pause_of_zero_or_less_is_ignored(fake: FakeClock) -> None:
    """A non-positive pause changes nothing."""
    b = bucket(fake)
    b.pause(0)
    b.pause(-5)
    assert b.acquire() == 0.0


def test_limiter_pause_holds_both_buckets(fake: FakeClock) -> None:
    """A 429 is per token: pausing the limiter delays reads and writes alike."""
    limiter = RateLimiter(
        RateLimits(read=40, write=30, burst=5), clock=fake.clock, sleep=fake.sleep
    )
    limiter.pause(3.0)
    fake.advance_on_sleep = False
    assert limiter.acquire("read") == pytest.approx(3.0)
    assert limiter.acquire("write") == pytest.approx(3.0)


def test_limiter_buckets_are_independent(fake: FakeClock) -> None:
    """Spending the write bucket does not slow down reads."""
    limiter = RateLimiter(
        RateLimits(read=10, write=10, burst=1), clock=fake.clock, sleep=fake.sleep
    )
    fake.advance_on_sleep = False
    assert limiter.acquire("write") == 0.0
    assert limiter.acquire("write") == pytest.approx(0.1)
    assert limiter.acquire("read") == 0.0


def test_off_switch_never_sleeps(fake: FakeClock) -> None:
    """RateLimiter(None) lets everything through and ignores pauses."""
    limiter = RateLimiter(None, clock=fake.clock, sleep=fake.sleep)
    limiter.pause(10)
    assert not limiter.enabled
    assert [limiter.acquire("read") for _ in range(1000)] == [0.0] * 1000
    assert fake.sleeps == []


def test_unknown_bucket_is_an_error(fake: FakeClock) -> None:
    """A typo in the bucket name is not silently unlimited."""
    with pytest.raises(ValueError):
        RateLimiter(None).acquire("reads")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        RateLimiter(RateLimits()).acquire("reads")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"read": 0},
        {"write": -1},
        {"burst": 0},
        {"read": float("nan")},
        {"margin": -0.1},
        {"margin": 1.0},
    ],
)
def test_rate_limits_validate(kwargs: dict[str, float]) -> None:
    """Rates must be positive, burst at least 1, the margin within [0, 1) seconds."""
    with pytest.raises(ValueError):
        RateLimits(**kwargs)  # type: ignore[arg-type]


def test_defaults_follow_softr_limits() -> None:
    """Defaults are Softr's documented 40 reads/s and 30 writes/s with a small burst."""
    limits = RateLimits()
    assert (limits.read, limits.write) == (40, 30)
    assert 1 <= limits.burst <= 10


def _busiest(times: list[float], window: float) -> int:
    """The most of ``times`` within any half-open window ``[t, t + window)``."""
    ordered = sorted(times)
    best = start = 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_default_burst_never_puts_more_than_the_rate_in_a_server_second() -> None:
    """The default limits at the burst's edge: a scan keeping 16 reads in flight, each
    answered 0.25 s after it was sent, sends 90 reads (fake clock). The first ``burst`` leave
    at once and the rest as fast as the limits allow, yet no window of one second plus the
    margin holds more than 40 sends, and no second more than 40 arrivals at the server when a
    request's way out takes anywhere from 0.1 to 0.149 s (less than the margin apart)."""
    limits = RateLimits()
    now = [0.0]
    in_flight: list[tuple[float, Any]] = []  # (answer time, the request's slot)

    def sleep(seconds: float) -> None:
        """Advance the clock, answering each request in flight when its answer is due."""
        until = now[0] + seconds
        while in_flight and min(in_flight, key=lambda f: f[0])[0] <= until:
            due = min(in_flight, key=lambda f: f[0])
            in_flight.remove(due)
            now[0] = max(now[0], due[0])
            due[1].__exit__(None, None, None)
        now[0] = until

    limiter = RateLimiter(limits, clock=lambda: now[0], sleep=sleep)
    rng = random.Random(20261205)
    sends: list[float] = []
    arrivals: list[float] = []
    for _ in range(90):
        if len(in_flight) == 16:
            sleep(min(f[0] for f in in_flight) - now[0])
        slot = limiter.slot("read")
        slot.__enter__()
        sends.append(now[0])
        arrivals.append(now[0] + rng.uniform(0.1, 0.149))
        in_flight.append((now[0] + 0.25, slot))
    sleep(1.0)
    assert not in_flight
    burst = limits.burst
    assert sends[:burst] == [0.0] * burst  # the burst leaves at once...
    assert sends[burst] > 0.0  # ...and no more
    assert _busiest(sends, 1.0 + limits.margin - 1e-9) == 40  # the whole budget, never more
    assert _busiest(arrivals, 1.0) <= 40
    # The rate is kept up: 90 reads within 90 / 40 windows of one second plus the margin.
    assert max(sends) < 90 / 40 * (1.0 + limits.margin)


def test_reservations_are_thread_safe() -> None:
    """16 threads reserving concurrently get distinct, evenly spaced slots: no token is lost."""
    fake = FakeClock(advance_on_sleep=False)
    b = TokenBucket(10, 5, clock=fake.clock, sleep=fake.sleep)
    waits: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(16)

    def worker() -> None:
        start.wait()
        for _ in range(25):
            wait = b.reserve()
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = [0.0] * 5 + [0.1 * k for k in range(1, 400 - 4)]
    assert sorted(waits) == pytest.approx(expected)


# --- how the Session uses its buckets -------------------------------------------------------


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def limited_session(fake: FakeClock, **limits: float) -> Session:
    return Session(
        "test-key",
        base_url=BASE,
        users_base_url="http://127.0.0.1:8080/v1/api",
        rate_limit=RateLimits(**limits),  # type: ignore[arg-type]
        retry_policy=RetryPolicy(jitter=lambda: 0.5),
        clock=fake.clock,
        sleep=fake.sleep,
    )


def test_session_spaces_reads_and_writes_separately(
    fake: FakeClock, mocked: responses.RequestsMock
) -> None:
    """GETs and searches use the read bucket; creates, writes and the Users API the write one."""
    mocked.add(responses.GET, f"{BASE}/t", json={})
    mocked.add(responses.POST, f"{BASE}/t/search", json={})
    mocked.add(responses.POST, f"{BASE}/t", json={})
    mocked.add(responses.PATCH, f"{BASE}/t", json={})
    mocked.add(responses.POST, "http://127.0.0.1:8080/v1/api/users", json={})
    fake.advance_on_sleep = False
    s = limited_session(fake, read=10, write=4, burst=1)
    s.request("GET", ["t"])
    s.request("POST", ["t", "search"], json={}, kind="read")
    assert fake.sleeps == [pytest.approx(0.1)]  # second read waited one read interval
    s.request("POST", ["t"], json={})
    s.request("PATCH", ["t"], json={})
    s.request("POST", ["users"], api="users", json={})
    assert fake.sleeps[1:] == [pytest.approx(0.25), pytest.approx(0.5)]


def test_session_rate_limit_false_never_sleeps(
    fake: FakeClock, mocked: responses.RequestsMock
) -> None:
    """rate_limit=False sends as fast as asked."""
    mocked.add(responses.GET, f"{BASE}/t", json={})
    s = Session("test-key", base_url=BASE, rate_limit=False, clock=fake.clock, sleep=fake.sleep)
    for _ in range(100):
        s.request("GET", ["t"])
    assert fake.sleeps == []
    assert len(mocked.calls) == 100


def test_session_429_pauses_both_buckets(
    fake: FakeClock, mocked: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 429 pauses the limiter (both buckets) for the retry delay; a 503 does not."""
    mocked.add(responses.GET, f"{BASE}/t", status=429, headers={"Retry-After": "3"})
    mocked.add(responses.GET, f"{BASE}/t", status=503, headers={"Retry-After": "2"})
    mocked.add(responses.GET, f"{BASE}/t", json={"ok": True})
    s = limited_session(fake)
    pauses: list[float] = []
    real_pause = s.rate_limiter.pause

    def spy(seconds: float) -> None:
        pauses.append(seconds)
        real_pause(seconds)

    monkeypatch.setattr(s.rate_limiter, "pause", spy)
    assert s.request("GET", ["t"]) == {"ok": True}
    assert pauses == [3.0]
    assert fake.sleeps == [3.0, 2.0]


def test_session_429_pause_delays_other_callers(
    fake: FakeClock, mocked: responses.RequestsMock
) -> None:
    """While a 429 pause runs, the retry and any other caller (even a write) wait for it."""
    mocked.add(responses.GET, f"{BASE}/t", status=429, headers={"Retry-After": "5"})
    mocked.add(responses.GET, f"{BASE}/t", json={})
    fake.advance_on_sleep = False  # time stands still: the pause is still on afterwards
    s = limited_session(fake)
    s.request("GET", ["t"])
    # the retry slept 5 s itself, then the read bucket made it wait for the pause's end
    assert fake.sleeps == [5.0, pytest.approx(5.0)]
    assert s.rate_limiter.acquire("write") == pytest.approx(5.0)
