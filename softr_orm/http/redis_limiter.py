"""One rate budget for a fleet: the read and write buckets of an API key, kept in Redis.

Softr limits each key, but a web app runs several worker processes, often on several hosts,
all with one key. :class:`SharedRateLimiter` keeps the buckets of :mod:`.ratelimit` in Redis
so that every process using the same Redis URL and key draws from one read budget and one
write budget (``Session(api_key, rate_limit="redis://host:6379/0")``).

Why a server-side script rather than a rate-limiting library: ``limits`` and
``pyrate-limiter`` answer "may I go now?" (a hit or a refusal, at best with the time the
window resets). A blocking caller must then poll, and pollers are served by luck, not in
order: under a full budget some thread may lose every round and wait unboundedly, and a herd
of pollers hammers Redis. The buckets here *reserve*: one atomic Lua script (:data:`_RESERVE`)
books the next free slot of the key's schedule and answers how long to wait for it, so
callers are served in the order they asked, across all processes, with one Redis round trip
per request, and then sleep without touching Redis. The schedule is the one of
:class:`~softr_orm.http.ratelimit.TokenBucket` (GCRA with a burst, plus at most
``floor(rate)`` slots in any window of one second plus ``margin``), on Redis's clock
(``TIME``), so the hosts' clocks need not agree. A request counts from its slot, i.e. from
when it is sent.

A 429 seen by any process pauses the whole fleet: :meth:`SharedRateLimiter.pause` books a
shared "not before" time that every reservation of the key respects.

Redis failing must never fail a request: when Redis is unreachable or slower than
``redis_timeout``, requests go through the per-process buckets (a warning is logged when that
starts, :attr:`SharedRateLimiter.fallbacks` counts the requests), and Redis is tried again
every ``recheck`` seconds; the shared budget is used again as soon as it answers.

Keys are ``softr_orm:rl:{<digest>}:...``: ``digest`` is a SHA-256 of the service's name and the
API key, never the key itself, so several keys (and services) can share one Redis; the braces
keep one key's entries in one Redis Cluster slot.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from softr_orm import errors
from softr_orm.http.ratelimit import Bucket, RateLimiter, RateLimits

__all__ = ["SharedRateLimiter", "budget_digest", "safe_url"]

_log = logging.getLogger("softr_orm.ratelimit")

# KEYS: the bucket's schedule (theoretical arrival time), its recent slot starts, the key's
# shared "not before" time. ARGV: interval, tolerance, window limit, window, max wait, ttl (ms).
# Answers {1, wait, start} with the slot booked, or {0, wait} when the wait would exceed max
# wait (nothing booked). Times are seconds on Redis's clock, kept as text to keep microseconds.
# The window check takes the earliest of the last ``limit`` sends, not the ``limit``-th last
# slot, as a late send moves its entry (_LATE).
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
local max_wait = tonumber(ARGV[5])
local ttl = tonumber(ARGV[6])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
local paused = tonumber(redis.call('GET', KEYS[3])) or now
local start = math.max(now, tat - tolerance, paused)
if redis.call('LLEN', KEYS[2]) >= limit then
  local oldest = math.huge
  for _, sent in ipairs(redis.call('LRANGE', KEYS[2], -limit, -1)) do
    oldest = math.min(oldest, tonumber(sent))
  end
  start = math.max(start, oldest + window)
end
local wait = start - now
if wait > max_wait then
  return {0, string.format('%.6f', wait)}
end
local booked = string.format('%.6f', start)
redis.call('RPUSH', KEYS[2], booked)
redis.call('LTRIM', KEYS[2], -limit, -1)
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('SET', KEYS[1], string.format('%.6f', math.max(tat, start) + interval), 'PX', ttl)
return {1, string.format('%.6f', wait), booked}
"""

# KEYS: a bucket's recent slot starts. ARGV: a booked start, how many seconds late it was sent.
# A thread that woke late sent its request later than its slot: the window counts it from then.
_LATE = """
local entries = redis.call('LRANGE', KEYS[1], 0, -1)
for i, sent in ipairs(entries) do
  if sent == ARGV[1] then
    redis.call('LSET', KEYS[1], i - 1, string.format('%.6f', tonumber(sent) + tonumber(ARGV[2])))
    return 1
  end
end
return 0
"""
# A send later than this after its slot is recorded in Redis (below, not worth a round trip).
_LATE_ENOUGH = 0.005

# KEYS: the key's "not before" time, then each bucket's schedule. ARGV: seconds, ttl (ms),
# then each bucket's tolerance. Nothing goes out before now + seconds, and afterwards the
# buckets resume at their rate without a burst.
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local ttl = tonumber(ARGV[2])
local untl = now + tonumber(ARGV[1])
local paused = tonumber(redis.call('GET', KEYS[1])) or now
untl = math.max(untl, paused)
redis.call('SET', KEYS[1], string.format('%.6f', untl), 'PX', ttl)
for i = 2, #KEYS do
  local tat = tonumber(redis.call('GET', KEYS[i])) or now
  local next_tat = math.max(tat, untl + tonumber(ARGV[i + 1]))
  redis.call('SET', KEYS[i], string.format('%.6f', next_tat), 'PX', ttl)
end
return string.format('%.6f', untl - now)
"""


def budget_digest(service: str, credential: str) -> str:
    """The name of one key's budget in Redis: a SHA-256 of the service and the key."""
    return hashlib.sha256(f"softr_orm:{service}:{credential}".encode()).hexdigest()[:32]


def safe_url(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, parts.query, ""))


class SharedRateLimiter(RateLimiter):
    """The read and write buckets of one API key, shared through Redis by every process.

    The per-process buckets inherited from :class:`RateLimiter` stand in while Redis fails.

    Args:
        url: a redis-py URL (``redis://host:6379/0``, ``rediss://`` for TLS, ``unix://``).
        digest: the budget's name (:func:`budget_digest`), never the key itself.
        limits: the key's rates (the whole fleet's, not one process's share).
        clock, sleep: the local clock and sleep (waits are measured on Redis's clock and
            slept locally).
        max_wait: the longest a request waits for a shared slot; beyond it, it is refused
            with :class:`~softr_orm.errors.RateLimited` without being sent.
        redis_timeout: seconds a Redis call may take before the per-process buckets are used.
        recheck: seconds between attempts to use Redis again after it failed.
        client: a ready redis-py client (tests; ``url`` is then only shown in messages).

    Raises:
        ConfigurationError: a URL redis-py cannot parse, or bad numbers.
    """

    def __init__(
        self,
        url: str,
        digest: str,
        limits: RateLimits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = 60.0,
        redis_timeout: float = 0.25,
        recheck: float = 1.0,
        client: redis.Redis | None = None,
    ) -> None:
        super().__init__(limits, clock=clock, sleep=sleep)
        self._clock = clock
        self._sleep = sleep
        for name, value in (
            ("max_wait", max_wait),
            ("redis_timeout", redis_timeout),
            ("recheck", recheck),
        ):
            if not value > 0:
                raise errors.ConfigurationError(f"{name} must be positive, got {value!r}")
        self.url = safe_url(url)
        if client is None:
            try:
                client = redis.Redis.from_url(
                    url,
                    socket_timeout=redis_timeout,
                    socket_connect_timeout=redis_timeout,
                    # No retries inside redis-py (its default is 10, with backoff): a failing
                    # Redis must cost one timeout, then the per-process buckets take over.
                    retry=Retry(NoBackoff(), 0),
                )
            except ValueError:  # its message may quote the URL, password and all
                raise errors.ConfigurationError(
                    f"rate_limit: redis-py cannot use {self.url!r} as a Redis URL"
                ) from None
        self._redis = client
        self._reserve = client.register_script(_RESERVE)
        self._pause = client.register_script(_PAUSE)
        self._late = client.register_script(_LATE)
        self.max_wait = float(max_wait)
        self.recheck = float(recheck)
        prefix = f"softr_orm:rl:{{{digest}}}"
        self._pause_key = f"{prefix}:pause"
        self._keys: dict[Bucket, tuple[str, str]] = {
            name: (f"{prefix}:{name}:tat", f"{prefix}:{name}:recent") for name in self.buckets
        }
        self._state_lock = threading.Lock()
        self._down_until = -math.inf
        self._down = False
        #: Requests let go by the per-process buckets because Redis failed (a metric).
        self.fallbacks = 0
        #: Redis calls that failed or timed out.
        self.redis_errors = 0

    def __repr__(self) -> str:
        return f"<SharedRateLimiter {self.url} {self.limits}>"

    @property
    def shared(self) -> bool:
        """Whether the shared budget is in use (False while Redis is failing)."""
        with self._state_lock:
            return not self._down

    # --- Redis, or the fallback when it fails ------------------------------------------

    def _redis_usable(self) -> bool:
        with self._state_lock:
            return self._clock() >= self._down_until

    def _failed(self, exc: Exception) -> None:
        with self._state_lock:
            self.redis_errors += 1
            self._down_until = self._clock() + self.recheck
            first = not self._down
            self._down = True
        if first:
            _log.warning(
                "the shared rate limit at %s failed (%s); using this process's own buckets "
                "until it answers again",
                self.url,
                type(exc).__name__,
            )

    def _recovered(self) -> None:
        with self._state_lock:
            was_down = self._down
            self._down = False
            self._down_until = -math.inf
        if was_down:
            _log.info("the shared rate limit at %s answers again; using it", self.url)

    def _call(self, work: Callable[[], Any]) -> Any | None:
        """``work()`` against Redis, or None when Redis is down or fails now."""
        if not self._redis_usable():
            return None
        try:
            result = work()
        except (redis.RedisError, OSError) as exc:
            self._failed(exc)
            return None
        self._recovered()
        return result

    # --- the limiter's interface ---------------------------------------------------------

    def _reserve_shared(self, bucket: Bucket) -> tuple[float, str] | None:
        """Book a shared slot of ``bucket``: the seconds to wait for it and its start (as
        Redis keeps it), or None if Redis failed."""
        limits = self.limits
        assert limits is not None
        rate = limits.read if bucket == "read" else limits.write
        interval = 1.0 / rate
        window = 1.0 + limits.margin
        tat_key, recent_key = self._keys[bucket]
        args = (
            repr(interval),
            repr((limits.burst - 1) * interval),
            max(1, math.floor(rate)),
            repr(window),
            repr(self.max_wait),
            int((self.max_wait + window + 60) * 1000),
        )
        answer = self._call(
            lambda: self._reserve(keys=[tat_key, recent_key, self._pause_key], args=args)
        )
        if answer is None:
            return None
        booked, wait = int(answer[0]), float(answer[1])
        if not booked:
            raise errors.RateLimited(
                f"not sent: the shared {bucket} budget at {self.url} is booked {wait:.1f} s "
                f"ahead, more than max_wait={self.max_wait:g} s",
                status=429,
            )
        return max(wait, 0.0), answer[2].decode()

    def acquire(self, bucket: Bucket) -> float:
        """Wait for a shared slot of ``bucket`` (or a local one while Redis fails)."""
        with self.slot(bucket) as waited:
            return waited

    @contextmanager
    def slot(self, bucket: Bucket) -> Iterator[float]:
        """Wait for a shared slot of ``bucket``; the request counts from now, its send.

        While Redis fails, the per-process buckets are used instead. Yields the seconds
        waited.
        """
        if self._bucket(bucket) is None:
            yield 0.0
            return
        booked = self._reserve_shared(bucket)
        if booked is None:
            with self._state_lock:
                self.fallbacks += 1
            with super().slot(bucket) as waited:
                yield waited
            return
        wait, start = booked
        due = self._clock() + wait
        if wait > 0:
            self._sleep(wait)
        late = self._clock() - due
        if late > _LATE_ENOUGH:
            recent = self._keys[bucket][1]
            self._call(lambda: self._late(keys=[recent], args=[start, repr(late)]))
        yield wait

    def pause(self, seconds: float) -> None:
        """Pause the whole fleet for ``seconds`` (after a 429): a shared "not before" time,
        and the same pause of this process's own buckets in case Redis fails meanwhile."""
        super().pause(seconds)
        limits = self.limits
        if not seconds > 0 or limits is None:
            return
        tolerances = [
            repr((limits.burst - 1) / (limits.read if name == "read" else limits.write))
            for name in self._keys
        ]
        keys = [self._pause_key, *(tat for tat, _ in self._keys.values())]
        ttl = int((seconds + 120) * 1000)
        self._call(lambda: self._pause(keys=keys, args=[repr(float(seconds)), ttl, *tolerances]))
