from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from http.cookiejar import DefaultCookiePolicy
from types import TracebackType
from typing import Any, Literal, TypeVar, cast

import requests
from requests.cookies import RequestsCookieJar

from softr_orm import errors
from softr_orm._version import __version__
from softr_orm.http import jsonutil
from softr_orm.http.answers import read_answer, scrub_body
from softr_orm.http.deadline import (
    DEADLINE_MARGIN,
    DEFAULT_MAX_RESPONSE_BYTES,
    DeadlineAdapter,
    check_max_response_bytes,
    send_within,
)
from softr_orm.http.deadline import now as deadline_clock
from softr_orm.http.ratelimit import RateLimits, limiter_for
from softr_orm.http.retry import (
    RETRYABLE_STATUSES,
    Decision,
    Delivery,
    Kind,
    RetryBudget,
    RetryPolicy,
    classify_exception,
)
from softr_orm.http.util import (
    DEFAULT_CONNECT_TIMEOUT,
    HeaderAuth,
    NoAuth,
    NoRedirectSession,
    RequestEvent,
    Secret,
    check_base_url,
    check_header_value,
    check_key_destination,
    default_kind,
    encode_path,
    encode_query,
    listener_body_of,
    parse_allowed_hosts,
    parse_timeout,
    redact,
    scrub_exception,
)

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_READ_TIMEOUT",
    "HttpSession",
    "RateLimits",
    "RequestEvent",
    "RetryPolicy",
    "check_base_url",
]

T = TypeVar("T")
_log = logging.getLogger("softr_orm.session")

DEFAULT_READ_TIMEOUT = 30.0


class _Omitted:
    def __repr__(self) -> str:
        return "<omitted>"


_OMITTED: Any = _Omitted()


class HttpSession:
    """Connection, authentication and request policy for one credential of one service.

    Subclasses (one per backend) say where requests go (``roots``: API name -> root URL), how
    the credential is sent (``auth_header`` and its ``auth_scheme`` prefix) and how an error
    answer becomes an exception (:meth:`error_for_response`).

    Args:
        credential: the token or API key (surrounding whitespace is stripped).
        roots: root URL per API name; the first is the default of :meth:`request`.
        auth_header: the header that carries the credential.
        auth_scheme: a prefix such as ``"Token"`` (``Authorization: Token <key>``), or None.
        timeout: read timeout in seconds (connect timeout ``min(10, timeout)``), or a
            ``(connect, read)`` tuple. The default is 10 s to connect, 30 s to read. Each
            attempt must have its whole answer within connect + read timeout (plus
            :data:`~softr_orm.http.deadline.DEADLINE_MARGIN`), and a call ends within the
            retry policy's ``total_timeout``.
        max_retries: retries of a failed attempt (see :mod:`softr_orm.http.retry`); ignored
            when ``retry_policy`` is given.
        rate_limit: ``True`` for the default :class:`RateLimits`, a :class:`RateLimits`,
            ``False`` to not limit on the client side, or a Redis URL
            (``"redis://host:6379/0"``) for one budget shared by every process using it
            with this credential (see :mod:`softr_orm.http.redis_limiter`).
        max_response_bytes: answers larger than this (after decompression) raise
            :class:`~softr_orm.errors.ResponseTooLarge` without being read whole.
        allowed_hosts: hosts besides the service's own (:attr:`trusted_host_suffixes`) and
            loopback that may receive the credential without an
            :class:`~softr_orm.errors.UntrustedHostWarning`.
        pool_size: connections kept per host; size it to the number of threads sharing this.
        retry_policy: all retry knobs at once (backoff, caps, total time, jitter source).
        clock, sleep: monotonic clock and sleep used for rate limiting and retry waits
            (inject fakes in tests).
        service: the service's name in messages ("Softr", "Baserow").

    Raises:
        ConfigurationError: a missing credential, an ``http://`` URL to a non-loopback host,
            a bad timeout.
    """

    #: Shown in errors about pickling; subclasses name themselves.
    _public_name = "softr_orm.HttpSession"

    def __init__(
        self,
        credential: Secret,
        *,
        roots: Mapping[str, str],
        auth_header: str,
        auth_scheme: str | None = None,
        timeout: float | tuple[float, float] = DEFAULT_READ_TIMEOUT,
        max_retries: int = 5,
        rate_limit: bool | RateLimits | str = True,
        pool_size: int = 32,
        retry_policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        service: str = "the server",
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        allowed_hosts: Sequence[str] | None = None,
    ) -> None:
        self._api_key = credential
        self._auth = HeaderAuth(credential, auth_header, auth_scheme)
        self._auth_header = auth_header
        self.service = service
        if not roots:
            raise errors.ConfigurationError("a session needs at least one root URL")
        self._roots = {name: check_base_url(url, f"{name} URL") for name, url in roots.items()}
        self.allowed_hosts = parse_allowed_hosts(allowed_hosts)
        for url in self._roots.values():
            self._check_destination(url, 3)  # the user's Session(...), through a subclass
        self._default_api = next(iter(self._roots))
        self.timeout = parse_timeout(timeout)
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self.max_retries = self.retry_policy.max_retries
        self.rate_limiter = limiter_for(
            rate_limit, credential=credential.reveal(), service=service, clock=clock, sleep=sleep
        )
        if pool_size < 1:
            raise errors.ConfigurationError(f"pool_size must be at least 1, got {pool_size}")
        self.pool_size = pool_size
        self.max_response_bytes = check_max_response_bytes(max_response_bytes)
        self._clock = clock
        self._sleep = sleep
        self._http = self._build_http(pool_size, auth_header)
        self._count_lock = threading.Lock()
        self._request_count = 0
        self._cache: dict[str, Any] = {}
        self._cache_locks: dict[str, threading.RLock] = {}
        self._cache_lock = threading.Lock()
        self._listeners: tuple[Callable[[RequestEvent], None], ...] = ()
        self._listeners_lock = threading.Lock()

    @staticmethod
    def _build_http(pool_size: int, auth_header: str) -> requests.Session:
        http = NoRedirectSession()
        http.headers.update(
            {"Accept": "application/json", "User-Agent": f"softr-orm/{__version__}"}
        )
        http.auth = NoAuth(auth_header)
        # The APIs are stateless: refuse cookies rather than share a jar across threads.
        http.cookies = RequestsCookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
        adapter = DeadlineAdapter(pool_connections=8, pool_maxsize=pool_size, max_retries=0)
        http.mount("https://", adapter)
        http.mount("http://", adapter)
        return http

    # --- safety ---------------------------------------------------------------------------

    @property
    def roots(self) -> Mapping[str, str]:
        """The root URL of each API this session speaks to."""
        return dict(self._roots)

    def __repr__(self) -> str:
        # getattr: a half-built session (an __init__ that raised) shows up in tracebacks
        # rendered with their locals, and its repr must not fail there.
        roots = getattr(self, "_roots", {})
        url = next(iter(roots.values()), None)
        return f"<{type(self).__name__} base_url={url!r} key='***'>"

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError(
            f"{self._public_name} cannot be pickled or copied: it holds a credential and live "
            "connections. Build a new session where you need one (e.g. with from_env())."
        )

    def _redact(self, text: str) -> str:
        return redact(text, self._api_key)

    #: The service's own hosts: suffixes, and exact names (which a subclass may set per
    #: instance before ``__init__``); the key going elsewhere is warned about once.
    trusted_host_suffixes: tuple[str, ...] = ()
    trusted_hosts: tuple[str, ...] = ()

    def _check_destination(self, url: str, depth: int) -> None:
        suffixes, exact = self.trusted_host_suffixes, self.trusted_hosts
        check_key_destination(url, suffixes, self.allowed_hosts, self.service, depth + 1, exact)

    # --- counters, per-session state, lifecycle ---------------------------------------------

    @property
    def request_count(self) -> int:
        """HTTP attempts that got an answer or may have reached the server (thread-safe)."""
        with self._count_lock:
            return self._request_count

    def reset_request_count(self) -> None:
        """Set :attr:`request_count` back to 0 (handy in tests)."""
        with self._count_lock:
            self._request_count = 0

    def _count(self) -> None:
        with self._count_lock:
            self._request_count += 1

    def cache_for(self, key: str, factory: Callable[[], T]) -> T:
        """Get-or-create per-session state (schema caches, ...); ``factory`` runs at most once.

        Each key has its own lock, so a slow factory blocks only callers of the same key.
        """
        try:
            return cast(T, self._cache[key])
        except KeyError:
            pass
        with self._cache_lock:
            lock = self._cache_locks.setdefault(key, threading.RLock())
        with lock:
            if key not in self._cache:
                self._cache[key] = factory()
            return cast(T, self._cache[key])

    def close(self) -> None:
        """Close pooled connections. A later request simply opens new ones."""
        self._http.close()

    def __enter__(self: T) -> T:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- requests -----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: Sequence[str],
        *,
        api: str | None = None,
        params: Mapping[str, str | int | bool | None] | None = None,
        json: Any = _OMITTED,
        headers: Mapping[str, str] | None = None,
        base_url: str | None = None,
        auth: bool = True,
        kind: Kind | None = None,
        expect: Callable[[Any], Any] | None = None,
        decode: Callable[[bytes], Any] | None = None,
    ) -> Any:
        """Send one API call, with rate limiting and retries, and decode the answer.

        Args:
            method: HTTP method.
            path: raw path segments below the API root; each is percent-encoded.
            api: which of :attr:`roots` to use (default: the first).
            params: query parameters; bools become ``true``/``false``, ``None`` is dropped.
            json: the body, encoded with :func:`softr_orm.http.jsonutil.dumps`; omit for no body.
            headers: extra headers (e.g. Softr's ``Softr-Domain``).
            base_url: another root for this call (e.g. an app domain), checked like the others.
            auth: send the API key (False only for endpoints that must not get it).
            kind: "read", "write" (an update or delete) or "create"; by default GET is
                a read, POST a create, and PUT/PATCH/DELETE writes. Searches pass "read".
            expect, decode: how a 2xx body is read (see :func:`.answers.read_answer`).

        Returns:
            The decoded JSON body, or None for 204 / an empty body.

        Raises:
            APIError: a subclass per error code (``RedirectRefused`` for any 3xx;
                ``UnexpectedResponse`` for a 2xx answer that ``expect`` refuses).
            AmbiguousWriteError: a write (any kind but "read") failed after it may have
                reached the server; it is never sent again blindly.
            TransportError: no answer, once the retries allowed are spent.
        """
        verb = method.upper()
        call_kind: Kind = default_kind(verb) if kind is None else kind
        if call_kind not in ("read", "write", "create"):
            raise ValueError(f"kind must be 'read', 'write' or 'create', not {kind!r}")
        api = self._default_api if api is None else api
        root = self._roots.get(api)
        if root is None:
            raise ValueError(f"api must be one of {', '.join(self._roots)}, not {api!r}")
        if base_url is not None:
            root = check_base_url(base_url, "base_url")
            if auth:
                self._check_destination(root, 2)
        rel_path = encode_path(path) + ("/" if self.trailing_slash else "")
        url = root + rel_path
        query = encode_query(params)
        if query:
            url += "?" + query
        body = None if json is _OMITTED else jsonutil.dumps(json)
        listener_body = body if body is None else listener_body_of(json, body)
        send_headers = {
            name: check_header_value(name, value) for name, value in (headers or {}).items()
        }
        if body is not None:
            send_headers["Content-Type"] = "application/json"
        bucket = self.bucket_for(call_kind, api)
        budget = RetryBudget(self.retry_policy, self._clock)
        call_deadline = deadline_clock() + self.retry_policy.total_timeout
        while True:
            attempt = budget.retries + 1
            # The slot ends with the answer: the limiter learns the round trip, which tells
            # it how late the server may have counted the request.
            with self.rate_limiter.slot(bucket):
                started = time.perf_counter()
                result = self._send_once(verb, url, body, send_headers, auth, call_deadline)
                elapsed_ms = (time.perf_counter() - started) * 1000.0
            answered = isinstance(result, requests.Response)
            self._report(
                RequestEvent(
                    method=verb,
                    path=rel_path,
                    api=api,
                    body=listener_body,
                    status=getattr(result, "status_code", None),
                    error=None if answered else type(result).__name__,
                    attempt=attempt,
                    elapsed_ms=elapsed_ms,
                )
            )
            if isinstance(result, requests.Response):
                self._count()
                status = result.status_code
                if 200 <= status < 300:
                    text_ok = api in self.text_apis
                    where = (self.service, verb, rel_path)
                    return read_answer(result, where, self._redact, text_ok, expect, decode)
                if verb == "DELETE" and status == 404 and budget.maybe_applied:
                    _log.debug("%s %s: 404 after a retry; already deleted", verb, rel_path)
                    return None
                retry_after = None
                if status in RETRYABLE_STATUSES:
                    retry_after = self.retry_policy.retry_after(result.headers.get("Retry-After"))
                if self.retry_policy.decide_status(status) is Decision.RETRY:
                    delay = budget.next_delay(retry_after)
                    if delay is not None:
                        if status == 429:
                            self.rate_limiter.pause(delay)
                        self._wait(verb, rel_path, delay, budget.retries)
                        continue
                raise self.error_for_response(
                    status,
                    scrub_body(result, self._redact),
                    method=verb,
                    path=rel_path,
                    retry_after=retry_after,
                )
            delivery = classify_exception(result)
            if delivery is Delivery.MAYBE_SENT:
                self._count()
            decision = self.retry_policy.decide_exception(call_kind, delivery)
            if decision is Decision.RETRY:
                delay = budget.next_delay()
                if delay is not None:
                    budget.maybe_applied = budget.maybe_applied or delivery is Delivery.MAYBE_SENT
                    self._wait(verb, rel_path, delay, budget.retries)
                    continue
            raise self._transport_error(result, decision, verb, rel_path, attempt) from result

    def _send_once(
        self,
        verb: str,
        url: str,
        body: bytes | None,
        headers: dict[str, str],
        auth: bool,
        call_deadline: float,
    ) -> requests.Response | requests.RequestException:
        """One attempt, its whole answer read within the attempt's deadline. Exceptions are
        returned, not raised, so retries start outside any ``except`` block (no accidental
        exception context between attempts)."""
        connect, read = self.timeout
        deadline = min(deadline_clock() + connect + read + DEADLINE_MARGIN, call_deadline)
        request = requests.Request(verb, url, data=body, headers=headers, auth=self._auth)
        if not auth:
            request.auth = None
        try:
            prepared = self._http.prepare_request(request)
        except requests.RequestException as exc:
            return exc
        # requests "requotes" URLs (e.g. decoding %7E); keep our exact encoding.
        prepared.url = url
        limit = self.max_response_bytes
        response = send_within(self._http, prepared, self.timeout, deadline, limit)
        if isinstance(response, requests.RequestException):
            return response
        # The key was needed on the wire only. The response keeps the prepared request, and an
        # error raised from request() keeps the response in its traceback's frame locals: give
        # the response a scrubbed copy (the sent request itself is left as it was).
        sent = response.request
        if sent is not None and self._auth_header in sent.headers:
            scrubbed = sent.copy()
            scrubbed.headers[self._auth_header] = "***"
            response.request = scrubbed
        return response

    def add_listener(self, listener: Callable[[RequestEvent], None]) -> None:
        """Call ``listener`` with a :class:`RequestEvent` after every HTTP attempt.

        For tools and tests that want to see what was sent (the demo prints a PATCH body).
        Events never carry headers, so never the key. Listeners run in the requesting thread;
        an exception in one propagates to the caller.
        """
        with self._listeners_lock:
            self._listeners = (*self._listeners, listener)

    def remove_listener(self, listener: Callable[[RequestEvent], None]) -> None:
        """Stop calling ``listener`` (no error if it was not added)."""
        with self._listeners_lock:
            self._listeners = tuple(item for item in self._listeners if item != listener)

    def _report(self, event: RequestEvent) -> None:
        _log.debug(
            "%s %s -> %s in %.1f ms (attempt %d)",
            event.method,
            event.path,
            event.status if event.error is None else event.error,
            event.elapsed_ms,
            event.attempt,
        )
        for listener in self._listeners:
            listener(event)

    def _wait(self, verb: str, path: str, delay: float, retry: int) -> None:
        _log.debug(
            "%s %s: retry %d of %d in %.3f s",
            verb,
            path,
            retry,
            self.retry_policy.max_retries,
            delay,
        )
        if delay > 0:
            self._sleep(delay)

    def _transport_error(
        self,
        exc: requests.RequestException,
        decision: Decision,
        verb: str,
        path: str,
        attempts: int,
    ) -> errors.TransportError:
        scrub_exception(exc, self._api_key, self._auth_header)
        detail = self._redact(f"{type(exc).__name__}: {exc}")
        if decision is Decision.AMBIGUOUS:
            return errors.AmbiguousWriteError(
                f"the request failed after it may have reached {self.service} ({detail}); the "
                "write may or may not have happened. It was not sent again: a repeat could "
                "duplicate a record, or be overtaken by this attempt landing late. Check "
                "(read the record, or search for a unique value) before trying again",
                method=verb,
                path=path,
            )
        tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
        return errors.TransportError(
            f"no answer from {self.service} after {tries} ({detail})", method=verb, path=path
        )

    # --- what a backend's session says about its service ------------------------------------

    #: APIs whose answers may be plain text rather than JSON (kept as text, not refused).
    text_apis: frozenset[str] = frozenset()
    #: Whether every path ends with "/" (Baserow's do, and it never redirects to them).
    trailing_slash: bool = False

    def bucket_for(self, kind: Kind, api: str) -> Literal["read", "write"]:
        """The rate-limit bucket of a call: reads of the default API are reads, the rest
        writes. Backends whose services count differently override this."""
        return "read" if kind == "read" and api == self._default_api else "write"

    def error_for_response(
        self,
        status: int,
        body: str,
        *,
        method: str,
        path: str,
        retry_after: float | None,
    ) -> errors.APIError:
        """The exception for an error answer (``body`` is already redacted). The default
        reads no error format: a backend maps its service's codes to the error classes."""
        return errors.error_for_response(
            status, body, method=method, path=path, retry_after=retry_after
        )
