"""Client-side rate limiting: two thread-safe token buckets per session.

Softr limits each token to 40 reads/s (GET and record searches) and 30 writes/s (everything
else) and answers 429 beyond that. Spacing requests on our side is cheaper than being refused
and retried, and it keeps a pool of threads sharing one session from stampeding.

The buckets are "virtual scheduling" (GCRA) buckets: each caller reserves the next free slot
under a lock and then sleeps *outside* the lock until that slot. Callers are served in arrival
order, no thread holds the lock while sleeping, and a burst of ``burst`` requests may go out at
once after a quiet period. Clock and sleep are injectable so tests never sleep for real.

A burst must not push a second past the server's limit: a plain bucket of rate ``r`` and
capacity ``b`` lets ``r + b - 1`` requests into one second after a quiet period (49 reads at
40/s with a burst of 10), while Softr counts requests per second. So each of the session's
buckets also holds at most ``floor(rate)`` requests in any window of one second plus a small
``margin``, twice over:

* when slots are reserved, no slot starts less than a window after the ``floor(rate)``-th
  slot before it (this keeps the schedule, and the order of waiting threads, honest);
* when a request is let go, it goes only if fewer than ``floor(rate)`` earlier requests are
  still in flight or were *counted* less than a window ago (:meth:`RateLimiter.slot`).

Softr counts a request when it arrives, somewhere between our send and its answer. A request
counts here from when it is sent plus whatever its round trip took beyond the fastest round
trip seen lately: ``max(sent, answered - fastest)``. The server's count of a request is never
later than that unless it travelled out slower than the fastest request and back faster, so
the promise holds on the *server's* clock whatever the latency, and the budget stays full at
any latency: at 250 ms every round trip is about 250 ms and a request counts from its send
(counting a request until its answer came would cap a scan at ``40 / (1 + latency)`` requests
per second, 32/s at 250 ms). The ``margin`` (50 ms by default) added to the window absorbs
what is left, and a 429 that still slips through pauses the buckets and is retried. A thread
that woke late (a GC pause, a busy CPU) counts from its real send, never earlier.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from softr_orm import errors
from softr_orm.constants import READ_RATE_LIMIT, WRITE_RATE_LIMIT

__all__ = ["RateLimiter", "RateLimits", "Ticket", "TokenBucket", "limiter_for"]

Bucket = Literal["read", "write"]

# Float noise below this is not worth a sleep() call (and would make fake-clock tests flaky).
_EPSILON = 1e-9
# How often to look again when a window is full of requests still in flight.
_POLL = 0.01
# How many recent round trips the fastest one is taken from.
_ROUND_TRIPS = 64


class Ticket:
    """A request let go by a bucket at ``sent``, in flight until :meth:`TokenBucket.release`
    sets ``end``."""

    __slots__ = ("end", "sent")

    def __init__(self, sent: float) -> None:
        self.sent = sent
        self.end = math.inf


def _counted(ticket: Ticket, fastest: float) -> float:
    """When the server counted the request of ``ticket`` at the latest (inf: in flight)."""
    return max(ticket.sent, ticket.end - fastest)


@dataclass(frozen=True)
class RateLimits:
    """Requests per second for each bucket, and how many may go out at once.

    Attributes:
        read: sustained reads per second (GET, and POST searches sent with ``kind="read"``).
        write: sustained writes per second (other POSTs, PUT, PATCH, DELETE, the Users API).
        burst: how many requests a bucket lets through back to back after a quiet period
            (never so many that one second holds more than the rate). The default, 10, is
            what the read rate allows in a round trip of 250 ms: when a scan's pages had to
            wait (for the first page's answer, or for the window of the first 40 to pass),
            the pages held back leave together rather than one every 25 ms (with 5, a scan
            of 50 pages at 250 ms ran at 87% of 40 req/s; with 10, 94%).
        margin: seconds added to the one-second window in which at most ``floor(rate)``
            requests are sent, so that requests whose network delays differ by up to this
            much still never share one of the server's seconds (see the module docstring).
    """

    read: float = READ_RATE_LIMIT
    write: float = WRITE_RATE_LIMIT
    burst: int = 10
    margin: float = 0.05

    def __post_init__(self) -> None:
        if not self.read > 0 or not self.write > 0:
            raise ValueError(f"rates must be positive, got read={self.read}, write={self.write}")
        if self.burst < 1:
            raise ValueError(f"burst must be at least 1, got {self.burst}")
        if not 0 <= self.margin < 1:
            raise ValueError(f"margin must be in [0, 1) seconds, got {self.margin}")


class TokenBucket:
    """A thread-safe token bucket of ``rate`` tokens per second holding at most ``capacity``.

    Args:
        rate: tokens added per second (the sustained request rate).
        capacity: the most tokens the bucket holds, i.e. the burst size.
        clock: a monotonic clock in seconds (``time.monotonic``).
        sleep: called with the seconds to wait (``time.sleep``).
        window_limit: if given, no ``window`` seconds hold more than this many requests,
            counted from their reserved slots and, for requests taken with :meth:`take`, from
            when they were let go (on top of the rate; see the module docstring).
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
        # Start times of the last ``window_limit`` reservations (they never decrease), and the
        # times the requests let go within the last ``window`` were sent (in order).
        self._window = float(window)
        self._window_limit = window_limit
        self._recent: deque[float] | None = (
            None if window_limit is None else deque(maxlen=window_limit)
        )
        self._active: list[Ticket] = []
        # The last round trips (answer time - send time) of requests taken with take().
        self._round_trips: deque[float] = deque(maxlen=_ROUND_TRIPS)

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
        return self.take()[0]

    def take(self) -> tuple[float, Ticket | None]:
        """Wait for a token and for room in the window; returns (seconds waited, ticket).

        The request counts in the window from now, when the caller sends it. No ticket is
        issued without a ``window_limit``.
        """
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
        limit = self._window_limit
        if limit is None:
            return wait, None
        while True:
            with self._lock:
                now = self._clock()
                # A request counts from the latest moment the server may have counted it:
                # its answer time less the fastest round trip seen (see the module docstring).
                fastest = min(self._round_trips, default=0.0)
                cutoff = now - self._window
                active = [t for t in self._active if _counted(t, fastest) > cutoff]
                self._active = active
                if len(active) < limit:
                    ticket = Ticket(now)
                    active.append(ticket)
                    return wait, ticket
                # Room comes once enough of them were counted a full window ago.
                counted = sorted(_counted(t, fastest) for t in active)
                free_at = counted[len(active) - limit] + self._window
                extra = _POLL if free_at == math.inf else max(free_at - now, _EPSILON)
            self._sleep(extra)
            wait += extra
            if self._clock() <= now:  # a clock that stands still (tests): do not spin
                with self._lock:
                    ticket = Ticket(now)
                    self._active.append(ticket)
                return wait, ticket

    def release(self, ticket: Ticket | None) -> None:
        """Mark the request of ``ticket`` answered (or failed) now."""
        if ticket is None:
            return
        with self._lock:
            if ticket.end == math.inf:
                ticket.end = self._clock()
                self._round_trips.append(ticket.end - ticket.sent)

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
                    window=1.0 + limits.margin,
                )

    @property
    def enabled(self) -> bool:
        """Whether requests are spaced at all."""
        return bool(self.buckets)

    def _bucket(self, bucket: Bucket) -> TokenBucket | None:
        found = self.buckets.get(bucket)
        if found is None and bucket not in ("read", "write"):
            raise ValueError(f"unknown bucket {bucket!r}; expected 'read' or 'write'")
        return found

    def acquire(self, bucket: Bucket) -> float:
        """Wait for a token of ``bucket`` ("read" or "write"); returns the seconds waited."""
        found = self._bucket(bucket)
        return 0.0 if found is None else found.acquire()

    @contextmanager
    def slot(self, bucket: Bucket) -> Iterator[float]:
        """Wait for a token of ``bucket`` and count the request as sent now; the ``with``
        block sends it. Yields the seconds waited."""
        found = self._bucket(bucket)
        if found is None:
            yield 0.0
            return
        wait, ticket = found.take()
        try:
            yield wait
        finally:
            found.release(ticket)

    def pause(self, seconds: float) -> None:
        """Pause both buckets, e.g. for the delay a 429 asked for: the limit is per token."""
        for bucket in self.buckets.values():
            bucket.pause(seconds)


#: The URL schemes of a shared (Redis) rate limit.
SHARED_SCHEMES = ("redis://", "rediss://", "unix://")


def limiter_for(
    rate_limit: bool | RateLimits | str,
    *,
    credential: str,
    service: str,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> RateLimiter:
    """The limiter a session's ``rate_limit`` argument asks for.

    Args:
        rate_limit: ``True`` (the default :class:`RateLimits`), ``False`` (none), a
            :class:`RateLimits`, or a Redis URL for a budget shared by every process using
            that URL and key (:mod:`softr_orm.http.redis_limiter`, needs redis-py).
        credential: the key, only to name its shared budget by a hash.
        service: the service's name, part of that hash.

    Raises:
        ConfigurationError: any other value, or a URL without redis-py installed.
    """
    if isinstance(rate_limit, str):
        if not rate_limit.startswith(SHARED_SCHEMES):
            raise errors.ConfigurationError(
                "rate_limit must be True, False, a RateLimits or a Redis URL "
                f"({', '.join(SHARED_SCHEMES)}...), got a string that is none of them"
            )
        try:
            from softr_orm.http.redis_limiter import SharedRateLimiter, budget_digest
        except ImportError:
            raise errors.ConfigurationError(
                "rate_limit with a Redis URL needs redis-py: pip install 'softr-orm[redis]'"
            ) from None
        digest = budget_digest(service, credential)
        return SharedRateLimiter(rate_limit, digest, RateLimits(), clock=clock, sleep=sleep)
    if rate_limit is True:
        limits: RateLimits | None = RateLimits()
    elif rate_limit is False:
        limits = None
    elif isinstance(rate_limit, RateLimits):
        limits = rate_limit
    else:
        raise errors.ConfigurationError(
            f"rate_limit must be True, False, a RateLimits or a Redis URL, got {rate_limit!r}"
        )
    return RateLimiter(limits, clock=clock, sleep=sleep)
