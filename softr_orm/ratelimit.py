"""Client-side rate limiting: two thread-safe token buckets per session.

Softr limits each token to 40 reads/s (GET and record searches) and 30 writes/s (everything
else) and answers 429 beyond that. Spacing requests on our side is cheaper than being refused
and retried, and it keeps a pool of threads sharing one session from stampeding.

The buckets are "virtual scheduling" (GCRA) buckets: each caller reserves the next free slot
under a lock and then sleeps *outside* the lock until that slot. Callers are served in arrival
order, no thread holds the lock while sleeping, and a burst of ``burst`` requests may go out at
once after a quiet period. Clock and sleep are injectable so tests never sleep for real.

A burst must not push a second past the server's limit: a plain bucket of rate ``r`` and
capacity ``b`` lets ``r + b - 1`` requests into one second after a quiet period (44 reads at
40/s with a burst of 5), and Softr counts requests per second. So each of the session's buckets
also remembers its last ``floor(rate)`` requests and lets no other one start less than
``1 s + window_margin`` after the oldest of them: no window of that length ever holds more than
``rate`` requests. It does so twice: when slots are reserved (so waiting threads are scheduled
in order), and again, against the times requests were actually let go, just before sending
(a thread that woke late, after a GC pause or a busy CPU, would otherwise go out together
with the next ones). The margin absorbs jitter between our clock and the server's.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from softr_orm.constants import READ_RATE_LIMIT, WRITE_RATE_LIMIT

__all__ = ["RateLimiter", "RateLimits", "TokenBucket"]

Bucket = Literal["read", "write"]

# Float noise below this is not worth a sleep() call (and would make fake-clock tests flaky).
_EPSILON = 1e-9


@dataclass(frozen=True)
class RateLimits:
    """Requests per second for each bucket, and how many may go out at once.

    Attributes:
        read: sustained reads per second (GET, and POST searches sent with ``kind="read"``).
        write: sustained writes per second (other POSTs, PUT, PATCH, DELETE, the Users API).
        burst: how many requests a bucket lets through back to back after a quiet period
            (never so many that one second holds more than the rate).
        window_margin: seconds added to the server's one-second window when counting, so that
            network jitter cannot squeeze ``rate + 1`` requests into one second on its side.
    """

    read: float = READ_RATE_LIMIT
    write: float = WRITE_RATE_LIMIT
    burst: int = 5
    window_margin: float = 0.25

    def __post_init__(self) -> None:
        if not self.read > 0 or not self.write > 0:
            raise ValueError(f"rates must be positive, got read={self.read}, write={self.write}")
        if self.burst < 1:
            raise ValueError(f"burst must be at least 1, got {self.burst}")
        if not self.window_margin >= 0:
            raise ValueError(f"window_margin must be >= 0, got {self.window_margin}")


class TokenBucket:
    """A thread-safe token bucket of ``rate`` tokens per second holding at most ``capacity``.

    Args:
        rate: tokens added per second (the sustained request rate).
        capacity: the most tokens the bucket holds, i.e. the burst size.
        clock: a monotonic clock in seconds (``time.monotonic``).
        sleep: called with the seconds to wait (``time.sleep``).
        window_limit: if given, at most this many requests start in any ``window`` seconds
            (on top of the rate; see the module docstring).
        window: the length of that window in seconds.
    """

    def __init__(
        self,
        rate: float,
        capacity: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        window_limit: int | None = None,
        window: float = 1.0,
    ) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be positive, got {rate}")
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        if window_limit is not None and window_limit < 1:
            raise ValueError(f"window_limit must be at least 1, got {window_limit}")
        if not window > 0:
            raise ValueError(f"window must be positive, got {window}")
        self.rate = float(rate)
        self.capacity = int(capacity)
        self._interval = 1.0 / self.rate
        # How far ahead of "now" the schedule may run before a caller has to wait.
        self._tolerance = (self.capacity - 1) * self._interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        # Theoretical arrival time: when the bucket will be full again if nobody else asks.
        self._tat = float("-inf")
        self._paused_until = float("-inf")
        # Start times of the last ``window_limit`` reservations (they never decrease), and
        # the times the last ``window_limit`` requests were actually let go.
        self._window = float(window)
        self._recent: deque[float] | None = None
        self._sent: deque[float] | None = None
        if window_limit is not None:
            self._recent = deque(maxlen=window_limit)
            self._sent = deque(maxlen=window_limit)

    def reserve(self) -> float:
        """Take one token and return how many seconds the caller must wait before using it."""
        with self._lock:
            now = self._clock()
            start = max(now, self._tat - self._tolerance, self._paused_until)
            recent = self._recent
            if recent is not None:
                if len(recent) == recent.maxlen:
                    start = max(start, recent[0] + self._window)
                recent.append(start)
            self._tat = max(self._tat, start) + self._interval
        wait = start - now
        return wait if wait > _EPSILON else 0.0

    def acquire(self) -> float:
        """Take one token, sleeping until it is available. Returns the seconds waited."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
        sent = self._sent
        if sent is None:
            return wait
        while True:
            with self._lock:
                now = self._clock()
                if len(sent) < (sent.maxlen or 0) or sent[0] + self._window <= now:
                    sent.append(now)
                    return wait
                extra = sent[0] + self._window - now
            self._sleep(extra)
            wait += extra
            if self._clock() <= now:  # a clock that stands still (tests): do not spin
                with self._lock:
                    sent.append(now)
                return wait

    def pause(self, seconds: float) -> None:
        """Let nothing through for ``seconds``; afterwards resume at the rate, without a burst.

        Used after a 429: the server has told us we are over budget, so the bucket restarts
        empty rather than letting ``capacity`` requests out at once.
        """
        if not seconds > 0:
            return
        with self._lock:
            until = self._clock() + seconds
            self._paused_until = max(self._paused_until, until)
            self._tat = max(self._tat, until + self._tolerance)


class RateLimiter:
    """The read and write buckets of one session, or a no-op when limiting is off.

    Args:
        limits: the rates, or ``None`` to switch client-side limiting off entirely.
        clock, sleep: injectable for tests (see :class:`TokenBucket`).
    """

    def __init__(
        self,
        limits: RateLimits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limits = limits
        self.buckets: dict[Bucket, TokenBucket] = {}
        if limits is not None:
            rates: tuple[tuple[Bucket, float], ...] = (
                ("read", limits.read),
                ("write", limits.write),
            )
            for name, rate in rates:
                self.buckets[name] = TokenBucket(
                    rate,
                    limits.burst,
                    clock=clock,
                    sleep=sleep,
                    window_limit=max(1, math.floor(rate)),
                    window=1.0 + limits.window_margin,
                )

    @property
    def enabled(self) -> bool:
        """Whether requests are spaced at all."""
        return bool(self.buckets)

    def acquire(self, bucket: Bucket) -> float:
        """Wait for a token of ``bucket`` ("read" or "write"); returns the seconds waited."""
        found = self.buckets.get(bucket)
        if found is None:
            if bucket not in ("read", "write"):
                raise ValueError(f"unknown bucket {bucket!r}; expected 'read' or 'write'")
            return 0.0
        return found.acquire()

    def pause(self, seconds: float) -> None:
        """Pause both buckets, e.g. for the delay a 429 asked for: the limit is per token."""
        for bucket in self.buckets.values():
            bucket.pause(seconds)
