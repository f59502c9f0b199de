"""When to retry a request, and how long to wait first.

The rules, in one place so they can be tested without HTTP:

* Only 429 (rate limited) and 503 (temporary outage) answers are retried; every other error
  answer is final. Softr did not apply a request it answered 429/503 to, so this holds for
  every kind of request, record creation included.
* A transport failure is classified by whether the request may have reached Softr
  (:class:`Delivery`). Reads are retried either way. Every write (a create, and PUT, PATCH,
  DELETE too) is retried only when the request surely never left this machine (refused
  connection, DNS failure, connect timeout). Otherwise the caller gets
  :class:`~softr_orm.errors.AmbiguousWriteError`: repeating a create could duplicate a record,
  and repeating an update is not safe either, because the first attempt may still be on its
  way and land *after* a later, acknowledged write, overwriting it. Proving what happened
  (waiting :attr:`RetryPolicy.settle_delay`, reading back) is the ORM's job, which knows what
  was written.
* Waits honour ``Retry-After`` (seconds or an HTTP date, capped) or else back off
  exponentially with "full jitter" (a uniform random wait below an exponentially growing
  ceiling), which spreads out many clients retrying together.
* Retries are bounded both in number and in total time.
"""

from __future__ import annotations

import enum
import random
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Literal

import requests
import urllib3.exceptions

__all__ = [
    "DROP_SETTLE_DELAY",
    "RETRYABLE_STATUSES",
    "Decision",
    "Delivery",
    "Kind",
    "RetryBudget",
    "RetryPolicy",
    "classify_exception",
    "exception_chain",
    "parse_retry_after",
    "timed_out",
]

Kind = Literal["read", "write", "create"]

#: The default settle delay after a connection closed without an answer (see RetryPolicy).
DROP_SETTLE_DELAY = 1.0

#: The only error statuses that are ever retried.
RETRYABLE_STATUSES = frozenset({429, 503})


class Delivery(enum.Enum):
    """What a transport failure tells us about whether Softr saw the request."""

    #: Surely never reached the server (no connection was made): safe to send again.
    NOT_SENT = "not_sent"
    #: May have reached the server (timeout while waiting, connection dropped after sending).
    MAYBE_SENT = "maybe_sent"
    #: Retrying cannot help (malformed URL, certificate rejected): raise at once.
    PERMANENT = "permanent"


class Decision(enum.Enum):
    """What to do after a failed attempt."""

    RETRY = "retry"
    RAISE = "raise"
    #: Raise :class:`~softr_orm.errors.AmbiguousWriteError`: the write may have happened.
    AMBIGUOUS = "ambiguous"


def exception_chain(exc: BaseException, *, context: bool = False) -> Iterator[BaseException]:
    """Every exception reachable from ``exc`` through causes, wrapped args and urllib3 reasons.

    ``context=True`` follows ``__context__`` too (to scrub everything a traceback shows). For
    classifying a failure it stays off: an exception raised while another was being handled
    (say, a retry made inside an ``except`` block after a refused connection) must not inherit
    the earlier failure's classification.
    """
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked: list[object] = [current.__cause__, *current.args]
        if context:
            linked.append(current.__context__)
        linked.append(getattr(current, "reason", None))
        todo.extend(item for item in linked if isinstance(item, BaseException))


def classify_exception(exc: BaseException) -> Delivery:
    """Decide from a ``requests`` exception whether the request may have reached Softr.

    ``requests`` wraps urllib3's errors, so the chain (``args``, ``__cause__``,
    ``MaxRetryError.reason``) is searched for the telling one. Only a failure
    to *open* the connection proves nothing was sent: urllib3's ``NewConnectionError`` (refused
    connection, unreachable host, and its subclass ``NameResolutionError``) and
    ``ConnectTimeoutError``. Read timeouts, resets, ``RemoteDisconnected``, protocol errors and
    truncated bodies happen after the request was (or may have been) written.
    """
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema)):
        return Delivery.PERMANENT
    if isinstance(exc, (requests.exceptions.MissingSchema, requests.exceptions.InvalidHeader)):
        return Delivery.PERMANENT
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return Delivery.NOT_SENT
    chain = list(exception_chain(exc))
    if any(isinstance(item, urllib3.exceptions.ConnectTimeoutError) for item in chain):
        # NewConnectionError and NameResolutionError subclass ConnectTimeoutError.
        return Delivery.NOT_SENT
    if any(isinstance(item, ssl.SSLCertVerificationError) for item in chain):
        # Certificate checks happen in the handshake, before any request byte, and a
        # rejected certificate will not become valid by retrying.
        return Delivery.PERMANENT
    return Delivery.MAYBE_SENT


def timed_out(exc: BaseException) -> bool:
    """Whether a failure was the client giving up on an answer (a read timeout), rather than
    the connection being closed: only then may the server still be working on the request."""
    return any(
        isinstance(
            item,
            (requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError, TimeoutError),
        )
        for item in exception_chain(exc)
    )


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date).

    Args:
        value: the header value, or None when absent.
        now: the current wall-clock time (``time.time()``), for HTTP dates.

    Returns:
        Non-negative seconds, or None when the header is absent or unreadable.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 and seconds == seconds and seconds != float("inf") else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT; be lenient with sloppy servers
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


@dataclass(frozen=True)
class RetryPolicy:
    """The knobs of the retry rules (see the module docstring for the rules themselves).

    Attributes:
        max_retries: retries after the first attempt (0 disables retrying).
        backoff_base: ceiling of the first backoff wait, in seconds; doubles on each retry.
        backoff_cap: the largest backoff ceiling, in seconds.
        retry_after_cap: the longest ``Retry-After`` we wait, in seconds.
        total_timeout: no retry starts if waiting for it would end later than this many seconds
            after the call began.
        jitter: returns a float in [0, 1); ``random.random`` (inject a constant for tests).
        wall_clock: ``time.time``, to turn an HTTP-date ``Retry-After`` into seconds.
        settle_delay: after a write of unknown outcome, how long the ORM waits before it reads
            the record back to learn the outcome (and before it writes that record again).
            It must be longer than an abandoned attempt can take to land. None means: after
            a read timeout, the session's read timeout (an attempt is assumed to land within
            two read timeouts of being sent, or never); after a connection closed without an
            answer (the server, or a proxy, ended the exchange), ``DROP_SETTLE_DELAY`` (1 s)
            or the read timeout if shorter.
    """

    max_retries: int = 5
    backoff_base: float = 0.25
    backoff_cap: float = 8.0
    retry_after_cap: float = 30.0
    total_timeout: float = 60.0
    jitter: Callable[[], float] = field(default=random.random, repr=False, compare=False)
    wall_clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)
    settle_delay: float | None = None

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.backoff_base < 0 or self.backoff_cap < 0 or self.retry_after_cap < 0:
            raise ValueError("backoff_base, backoff_cap and retry_after_cap must be >= 0")
        if self.total_timeout < 0:
            raise ValueError(f"total_timeout must be >= 0, got {self.total_timeout}")
        if self.settle_delay is not None and not self.settle_delay >= 0:
            raise ValueError(f"settle_delay must be >= 0, got {self.settle_delay}")

    def decide_status(self, status: int) -> Decision:
        """Retry 429 and 503 (for every kind: Softr did not apply the request); raise others."""
        return Decision.RETRY if status in RETRYABLE_STATUSES else Decision.RAISE

    def decide_exception(self, kind: Kind, delivery: Delivery) -> Decision:
        """Retry transport failures of reads, and of writes that surely were never sent.

        A write that may have reached the server is never sent again blindly, idempotent or
        not: a late first attempt could overwrite a later write (see the module docstring).
        """
        if delivery is Delivery.PERMANENT:
            return Decision.RAISE
        if delivery is Delivery.NOT_SENT or kind == "read":
            return Decision.RETRY
        return Decision.AMBIGUOUS

    def retry_after(self, header: str | None) -> float | None:
        """The server's ``Retry-After`` in seconds (uncapped), or None."""
        return parse_retry_after(header, now=self.wall_clock())

    def backoff(self, retry_number: int) -> float:
        """Full-jitter wait before retry ``retry_number`` (0 for the first retry)."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2.0 ** min(retry_number, 62)))
        return self.jitter() * ceiling

    def delay(self, retry_number: int, retry_after: float | None = None) -> float:
        """The wait before retry ``retry_number``: capped ``Retry-After``, else backoff."""
        if retry_after is not None:
            return min(retry_after, self.retry_after_cap)
        return self.backoff(retry_number)


class RetryBudget:
    """The retry state of one call: how many retries were made, since when, and whether an
    earlier attempt may have reached the server (which makes a later DELETE 404 a success).

    Args:
        policy: the rules.
        clock: a monotonic clock in seconds, the same one the session sleeps against.
    """

    def __init__(self, policy: RetryPolicy, clock: Callable[[], float] = time.monotonic):
        self.policy = policy
        self._clock = clock
        self.started = clock()
        self.retries = 0
        self.maybe_applied = False

    @property
    def elapsed(self) -> float:
        """Seconds since the call began."""
        return self._clock() - self.started

    def next_delay(self, retry_after: float | None = None) -> float | None:
        """Book one more retry and return how long to wait first, or None when spent.

        A retry is refused when ``max_retries`` have been made, or when its wait would end past
        ``total_timeout`` after the start of the call.
        """
        if self.retries >= self.policy.max_retries:
            return None
        delay = self.policy.delay(self.retries, retry_after)
        if self.elapsed + delay > self.policy.total_timeout:
            return None
        self.retries += 1
        return delay
