"""The HTTP layer: one :class:`Session` per API key, shared by every model and thread using it.

A session owns the connection pool, the timeouts, the client-side rate limits and the retry
rules, and turns error answers into :mod:`softr_orm.errors` exceptions. Everything above it
(:mod:`softr_orm.api`, models, querysets) calls :meth:`Session.request` and never sees
``requests``.

The API key is guarded on purpose: it is kept in a wrapper whose ``repr`` is ``'***'``, added to
each request by an auth hook (so the ``requests.Session`` never stores it), never logged,
scrubbed from errors, and a session refuses to be pickled. Redirects are never followed, so the
key cannot be replayed to a host named in a ``Location`` header.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from http.cookiejar import DefaultCookiePolicy
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import requests
from requests.adapters import HTTPAdapter
from requests.cookies import RequestsCookieJar

from softr_orm import errors, jsonutil
from softr_orm._httputil import (
    DEFAULT_CONNECT_TIMEOUT,
    KeyAuth,
    NoAuth,
    NoRedirectSession,
    RequestEvent,
    Secret,
    check_base_url,
    clean_key,
    default_kind,
    encode_path,
    encode_query,
    key_from_env,
    parse_timeout,
    redact,
    scrub_exception,
)
from softr_orm.constants import API_KEY_HEADER, DATABASE_API_URL, USERS_API_URL
from softr_orm.ratelimit import RateLimiter, RateLimits
from softr_orm.retry import (
    RETRYABLE_STATUSES,
    Decision,
    Delivery,
    Kind,
    RetryBudget,
    RetryPolicy,
    classify_exception,
)

if TYPE_CHECKING:
    from softr_orm.api import Database, SoftrAPI, Table
    from softr_orm.users import Users

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "RateLimits",
    "RequestEvent",
    "RetryPolicy",
    "Session",
    "check_base_url",
    "configure",
    "default_session",
]

T = TypeVar("T")
_log = logging.getLogger("softr_orm.session")

DEFAULT_READ_TIMEOUT = 30.0
_NO_PICKLE = (
    "softr_orm.Session cannot be pickled or copied: it holds an API key and live connections. "
    "Build a new Session where you need one (e.g. Session.from_env())."
)


class _Omitted:
    def __repr__(self) -> str:
        return "<omitted>"


_OMITTED: Any = _Omitted()


def _user_agent() -> str:
    import softr_orm  # the package is fully imported by the time a Session is built

    return f"softr-orm/{getattr(softr_orm, '__version__', '0')}"


# --- the session ------------------------------------------------------------------------------


class Session:
    """Connection, authentication and request policy for one Softr API key.

    Args:
        api_key: the Personal Access Token (surrounding whitespace is stripped).
        base_url: Database API root, default ``https://tables-api.softr.io/api/v1``.
        users_base_url: Users API root, default ``https://studio-api.softr.io/v1/api``.
        timeout: read timeout in seconds (connect timeout ``min(10, timeout)``), or a
            ``(connect, read)`` tuple. The default is 10 s to connect, 30 s to read.
        max_retries: retries of a failed attempt (see :mod:`softr_orm.retry`); ignored when
            ``retry_policy`` is given.
        rate_limit: ``True`` for the default :class:`RateLimits` (40 reads/s, 30 writes/s, burst
            5), a :class:`RateLimits`, or ``False`` to not limit on the client side.
        pool_size: connections kept per host; size it to the number of threads sharing this.
        retry_policy: all retry knobs at once (backoff, caps, total time, jitter source).
        clock, sleep: monotonic clock and sleep used for rate limiting and retry waits
            (inject fakes in tests).
        max_filter_depth: the deepest AND/OR nesting a query may compile to. Softr's own SDK
            stops at 2 (softr-api.md §3.3); raise it only if your Softr accepts deeper filters.
        sort_key: the search body's key for sorting: ``"sorting"`` as Softr's guide and n8n
            node send it, or ``"sort"`` as its OpenAPI file names it (softr-api.md §8.2).

    Raises:
        ConfigurationError: a missing key, an ``http://`` URL to a non-loopback host, a bad
            timeout.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        users_base_url: str | None = None,
        timeout: float | tuple[float, float] = DEFAULT_READ_TIMEOUT,
        max_retries: int = 5,
        rate_limit: bool | RateLimits = True,
        pool_size: int = 32,
        retry_policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_filter_depth: int = 2,
        sort_key: str = "sorting",
    ) -> None:
        self._api_key = Secret(clean_key(api_key))
        if max_filter_depth < 0:
            raise errors.ConfigurationError(
                f"max_filter_depth must be >= 0, got {max_filter_depth}"
            )
        if sort_key not in ("sorting", "sort"):
            raise errors.ConfigurationError(
                f"sort_key must be 'sorting' or 'sort', got {sort_key!r}"
            )
        self.max_filter_depth = max_filter_depth
        self.sort_key = sort_key
        self._auth = KeyAuth(self._api_key)
        self.base_url = check_base_url(
            DATABASE_API_URL if base_url is None else base_url, "base_url"
        )
        self.users_base_url = check_base_url(
            USERS_API_URL if users_base_url is None else users_base_url, "users_base_url"
        )
        self.timeout = parse_timeout(timeout)
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self.max_retries = self.retry_policy.max_retries
        if rate_limit is True:
            limits: RateLimits | None = RateLimits()
        elif rate_limit is False:
            limits = None
        elif isinstance(rate_limit, RateLimits):
            limits = rate_limit
        else:
            raise errors.ConfigurationError(
                f"rate_limit must be True, False or a RateLimits, got {rate_limit!r}"
            )
        self.rate_limiter = RateLimiter(limits, clock=clock, sleep=sleep)
        if pool_size < 1:
            raise errors.ConfigurationError(f"pool_size must be at least 1, got {pool_size}")
        self.pool_size = pool_size
        self._clock = clock
        self._sleep = sleep
        self._http = self._build_http(pool_size)
        self._count_lock = threading.Lock()
        self._request_count = 0
        self._cache: dict[str, Any] = {}
        self._cache_locks: dict[str, threading.RLock] = {}
        self._cache_lock = threading.Lock()
        self._listeners: tuple[Callable[[RequestEvent], None], ...] = ()
        self._listeners_lock = threading.Lock()

    @staticmethod
    def _build_http(pool_size: int) -> requests.Session:
        http = NoRedirectSession()
        http.headers.update({"Accept": "application/json", "User-Agent": _user_agent()})
        http.auth = NoAuth()
        # Softr's API is stateless: refuse cookies rather than share a jar across threads.
        http.cookies = RequestsCookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
        adapter = HTTPAdapter(pool_connections=8, pool_maxsize=pool_size, max_retries=0)
        http.mount("https://", adapter)
        http.mount("http://", adapter)
        return http

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> Session:
        """Build a session from environment variables; explicit ``kwargs`` win over them.

        Reads ``SOFTR_API_KEY`` or ``SOFTR_API_KEY_FILE`` (a file whose stripped contents are
        the key; if both are set they must hold the same key), ``SOFTR_BASE_URL`` and
        ``SOFTR_USERS_BASE_URL``. Empty variables count as unset.

        Raises:
            ConfigurationError: no key, an unreadable key file, or two different keys.
        """
        env = os.environ if environ is None else environ
        if "api_key" not in kwargs:
            kwargs["api_key"] = key_from_env(env)
        for name, variable in (
            ("base_url", "SOFTR_BASE_URL"),
            ("users_base_url", "SOFTR_USERS_BASE_URL"),
        ):
            value = (env.get(variable) or "").strip()
            if value and name not in kwargs:
                kwargs[name] = value
        return cls(**kwargs)

    # --- safety ---------------------------------------------------------------------------

    def __repr__(self) -> str:
        # getattr: a half-built session (an __init__ that raised) shows up in tracebacks
        # rendered with their locals, and its repr must not fail there.
        return f"<Session base_url={getattr(self, 'base_url', None)!r} key='***'>"

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError(_NO_PICKLE)

    def _redact(self, text: str) -> str:
        return redact(text, self._api_key)

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

    def __enter__(self) -> Session:
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
        api: Literal["database", "users"] = "database",
        params: Mapping[str, str | int | bool | None] | None = None,
        json: Any = _OMITTED,
        headers: Mapping[str, str] | None = None,
        base_url: str | None = None,
        auth: bool = True,
        kind: Kind | None = None,
    ) -> Any:
        """Send one API call, with rate limiting and retries, and decode the answer.

        Args:
            method: HTTP method.
            path: raw path segments below the API root; each is percent-encoded.
            api: which root URL to use ("database" or "users"; Users API calls count as writes).
            params: query parameters; bools become ``true``/``false``, ``None`` is dropped.
            json: the body, encoded with :func:`softr_orm.jsonutil.dumps`; omit for no body.
            headers: extra headers (e.g. ``Softr-Domain``).
            base_url: another root for this call (e.g. an app domain), checked like the others.
            auth: send the API key (False only for endpoints that must not get it).
            kind: "read", "write" (idempotent) or "create" (not idempotent); by default GET is
                a read, POST a create, and PUT/PATCH/DELETE writes. Searches pass "read".

        Returns:
            The decoded JSON body, or None for 204 / an empty body.

        Raises:
            APIError: a subclass per error code (``RedirectRefused`` for any 3xx).
            AmbiguousWriteError: a create failed after it may have reached Softr.
            TransportError: no answer, once the retries allowed are spent.
        """
        verb = method.upper()
        call_kind: Kind = default_kind(verb) if kind is None else kind
        if call_kind not in ("read", "write", "create"):
            raise ValueError(f"kind must be 'read', 'write' or 'create', not {kind!r}")
        if api == "database":
            root = self.base_url
        elif api == "users":
            root = self.users_base_url
        else:
            raise ValueError(f"api must be 'database' or 'users', not {api!r}")
        if base_url is not None:
            root = check_base_url(base_url, "base_url")
        rel_path = encode_path(path)
        url = root + rel_path
        query = encode_query(params)
        if query:
            url += "?" + query
        body = None if json is _OMITTED else jsonutil.dumps(json)
        send_headers: dict[str, str] = dict(headers or {})
        if body is not None:
            send_headers["Content-Type"] = "application/json"
        bucket: Literal["read", "write"] = (
            "read" if call_kind == "read" and api == "database" else "write"
        )
        budget = RetryBudget(self.retry_policy, self._clock)
        while True:
            attempt = budget.retries + 1
            # The slot is held until the answer is in: the limiter counts the request as
            # possibly arriving at Softr any time until then.
            with self.rate_limiter.slot(bucket):
                started = time.perf_counter()
                result = self._send_once(verb, url, body, send_headers, auth)
                elapsed_ms = (time.perf_counter() - started) * 1000.0
            answered = isinstance(result, requests.Response)
            self._report(
                RequestEvent(
                    method=verb,
                    path=rel_path,
                    api=api,
                    body=body,
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
                    return self._decode(result, api, verb, rel_path)
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
                raise errors.error_for_response(
                    status,
                    self._redact(result.content.decode("utf-8", "replace")),
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
        self, verb: str, url: str, body: bytes | None, headers: dict[str, str], auth: bool
    ) -> requests.Response | requests.RequestException:
        """One attempt. Exceptions are returned, not raised, so retries start outside any
        ``except`` block (no accidental exception context between attempts)."""
        try:
            prepared = self._http.prepare_request(
                requests.Request(
                    verb, url, data=body, headers=headers, auth=self._auth if auth else None
                )
            )
            # requests "requotes" URLs, turning %2E back into "."; keep our exact encoding.
            prepared.url = url
            settings = self._http.merge_environment_settings(url, {}, None, None, None)
            response = self._http.send(
                prepared, timeout=self.timeout, allow_redirects=False, **settings
            )
        except requests.RequestException as exc:
            return exc
        # The key was needed on the wire only. The response keeps the prepared request, and an
        # error raised from request() keeps the response in its traceback's frame locals: give
        # the response a scrubbed copy (the sent request itself is left as it was).
        sent = response.request
        if sent is not None and API_KEY_HEADER in sent.headers:
            scrubbed = sent.copy()
            scrubbed.headers[API_KEY_HEADER] = "***"
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

    def _decode(self, response: requests.Response, api: str, verb: str, path: str) -> Any:
        content = response.content
        if response.status_code == 204 or not content.strip():
            return None
        try:
            return jsonutil.loads(content)
        except ValueError:
            text = self._redact(content.decode("utf-8", "replace"))
            if api == "users":  # the Users API's answers are undocumented; some are plain text
                return text
            raise errors.APIError(
                "Softr answered with a body that is not JSON",
                status=response.status_code,
                method=verb,
                path=path,
                body=text[:2000],
            ) from None

    def _transport_error(
        self,
        exc: requests.RequestException,
        decision: Decision,
        verb: str,
        path: str,
        attempts: int,
    ) -> errors.TransportError:
        scrub_exception(exc, self._api_key)
        detail = self._redact(f"{type(exc).__name__}: {exc}")
        if decision is Decision.AMBIGUOUS:
            return errors.AmbiguousWriteError(
                f"the request failed after it may have reached Softr ({detail}); the write may "
                "or may not have happened. It was not retried, to avoid a duplicate: check "
                "(e.g. search for a unique value) before trying again",
                method=verb,
                path=path,
            )
        tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
        return errors.TransportError(
            f"no answer from Softr after {tries} ({detail})", method=verb, path=path
        )

    # --- conveniences (delegating to softr_orm.api / softr_orm.users) ------------------------

    @property
    def api(self) -> SoftrAPI:
        """The endpoint-level client for this session, built once (thread-safe)."""
        return self.cache_for("softr_orm.api:SoftrAPI", self._build_api)

    def _build_api(self) -> SoftrAPI:
        from softr_orm.api import SoftrAPI

        return SoftrAPI(self)

    def databases(self) -> list[Database]:
        """Every database the key can see."""
        return self.api.list_databases()

    def database(self, database_id: str) -> Database:
        """One database by id."""
        return self.api.get_database(database_id)

    def create_table(
        self, database_id: str, name: str, fields: Sequence[Any] = (), **kwargs: Any
    ) -> Table:
        """Create a table in a database (see :meth:`softr_orm.api.SoftrAPI.create_table`)."""
        return self.api.create_table(database_id, name, fields=fields, **kwargs)

    def users(self, domain: str) -> Users:
        """The Users Management API for the published app at ``domain``."""
        from softr_orm.users import Users

        return Users(self, domain)


# --- the default session ----------------------------------------------------------------------

_default: Session | None = None
_default_lock = threading.Lock()


def configure(session: Session | None) -> None:
    """Set the session models use when none is given (``None`` clears it)."""
    global _default
    if session is not None and not isinstance(session, Session):
        raise TypeError(f"configure() needs a softr_orm.Session, got {type(session).__name__}")
    with _default_lock:
        _default = session


def default_session() -> Session:
    """The session set by :func:`configure`.

    Raises:
        ConfigurationError: when none was configured.
    """
    with _default_lock:
        session = _default
    if session is None:
        raise errors.ConfigurationError(
            "no default softr_orm Session is configured: call "
            "softr_orm.configure(Session(api_key=...)) or softr_orm.configure(Session.from_env()) "
            "at startup, or pass a session explicitly (e.g. Model.objects.using(session))"
        )
    return session
