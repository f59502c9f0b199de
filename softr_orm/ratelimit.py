"""Client-side rate limiting: two thread-safe token buckets per session.

Softr limits each token to 40 reads/s (GET and record searches) and 30 writes/s (everything
else) and answers 429 beyond that. Spacing requests on our side is cheaper than being refused
and retried, and it keeps a pool of threads sharing one session from stampeding.

The buckets are "virtual scheduling" (GCRA) buckets: each caller reserves the next free slot
under a lock and then sleeps *outside* the lock until that slot. Callers are served in arrival
order, no thread holds the lock while sleeping, and a burst of ``burst`` requests may go out at
once after a quiet period. Clock and sleep are injectable so tests never sleep for real.
"""

from __future__ import annotations

import threading
import time
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
        burst: how many requests a bucket lets through back to back after a quiet period.
    """

    read: float = READ_RATE_LIMIT
    write: float = WRITE_RATE_LIMIT
    burst: int = 5

    def __post_init__(self) -> None:
        if not self.read > 0 or not self.write > 0:
            raise ValueError(f"rates must be positive, got read={self.read}, write={self.write}")
        if self.burst < 1:
            raise ValueError(f"burst must be at least 1, got {self.burst}")


class TokenBucket:
    """A thread-safe token bucket of ``rate`` tokens per second holding at most ``capacity``.

    Args:
        rate: tokens added per second (the sustained request rate).
        capacity: the most tokens the bucket holds, i.e. the burst size.
        clock: a monotonic clock in seconds (``time.monotonic``).
        sleep: called with the seconds to wait (``time.sleep``).
    """

    def __init__(
        self,
        rate: float,
        capacity: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be positive, got {rate}")
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
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

    def reserve(self) -> float:
        """Take one token and return how many seconds the caller must wait before using it."""
        with self._lock:
            now = self._clock()
            start = max(now, self._tat - self._tolerance, self._paused_until)
            self._tat = max(self._tat, start) + self._interval
        wait = start - now
        return wait if wait > _EPSILON else 0.0

    def acquire(self) -> float:
        """Take one token, sleeping until it is available. Returns the seconds waited."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
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
            self.buckets["read"] = TokenBucket(limits.read, limits.burst, clock=clock, sleep=sleep)
            self.buckets["write"] = TokenBucket(
                limits.write, limits.burst, clock=clock, sleep=sleep
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
