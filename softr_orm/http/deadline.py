"""A deadline on the whole answer of each attempt, and a cap on the size of an answer.

``requests``' timeouts bound each socket operation, not the answer: a server that drips one
byte per second, or streams an endless body, holds the caller forever without tripping a
read timeout. So every attempt gets a deadline (by default connect + read timeout plus a
small margin, never past the retry policy's ``total_timeout``), watched by one shared thread
that shuts the attempt's socket down when the deadline passes; the blocked read then fails
and the attempt ends as a read timeout. Bodies are read in chunks and refused, without being
read whole, once they pass a size limit (decompressed size: a gzip bomb is caught early).

Nothing here knows a service or an endpoint.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from softr_orm import errors

__all__ = [
    "DEADLINE_MARGIN",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "Attempt",
    "DeadlineAdapter",
    "check_max_response_bytes",
    "read_body",
    "send_within",
]

#: Seconds an attempt may run past connect + read timeout before it is cut.
DEADLINE_MARGIN = 0.5

#: The default limit on an answer's (decompressed) size: Softr's own request limit.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024

_CHUNK = 64 * 1024
_current = threading.local()

#: The clock of deadlines, bound at import: a test that fakes ``time.monotonic`` must not
#: put the shared watchdog to sleep for hours.
now = time.monotonic

#: The longest the watchdog sleeps before it looks at its deadlines again.
_MAX_WAIT = 1.0


class Attempt:
    """One HTTP attempt with its deadline (``time.monotonic`` seconds)."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self._done = False
        self._connection: _Tracked | None = None
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Attempt:
        _current.attempt = self
        _WATCHDOG.arm(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        _current.attempt = None
        with self._lock:
            self._done = True
            self._connection = None
            self._sock = None

    @property
    def remaining(self) -> float:
        return self.deadline - now()

    def bind(self, connection: _Tracked, sock: socket.socket | None) -> None:
        """Note the connection and socket this attempt's request went out on (the socket is
        kept apart: ``http.client`` hands it to the response and forgets it)."""
        with self._lock:
            self._connection = connection
            self._sock = sock
            expired = self.expired
        if expired:
            self.expire()

    def expire(self) -> None:
        """Called by the watchdog at the deadline: cut the connection this attempt uses."""
        with self._lock:
            if self._done:
                return
            self.expired = True
            connection = self._connection
            # The connection may have gone back to the pool and serve another attempt now.
            if connection is None or connection._attempt is not self:
                return
            sock = self._sock
        if sock is not None:
            # socket.socket's own shutdown: an SSLSocket's would drop its SSL object under
            # the reading thread's feet.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def timeout_error(self) -> requests.exceptions.ReadTimeout:
        return requests.exceptions.ReadTimeout(
            "the answer did not complete before the attempt's deadline"
        )


class _Watchdog:
    """One daemon thread for every session: expires attempts whose deadline passed."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Attempt]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, attempt: Attempt) -> None:
        with self._cond:
            heapq.heappush(self._heap, (attempt.deadline, next(self._seq), attempt))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="softr-orm-deadlines", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is attempt:
                self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                deadline, _, attempt = self._heap[0]
                wait = deadline - now()
                if wait > 0:
                    self._cond.wait(min(wait, _MAX_WAIT))
                    continue
                heapq.heappop(self._heap)
            attempt.expire()


_WATCHDOG = _Watchdog()


class _Tracked:
    """Mixin of the connection classes: binds each request to the calling thread's attempt."""

    _attempt: Attempt | None = None

    def request(self, *args: Any, **kwargs: Any) -> None:
        attempt: Attempt | None = getattr(_current, "attempt", None)
        self._attempt = attempt
        if attempt is not None:
            attempt.bind(self, None)
        super().request(*args, **kwargs)  # type: ignore[misc]
        if attempt is not None:
            attempt.bind(self, getattr(self, "sock", None))


class _HTTPConnection(_Tracked, HTTPConnection):
    pass


class _HTTPSConnection(_Tracked, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose connections can be cut when their attempt's deadline passes.

    It also keeps ``requests``' environment settings (proxies, CA bundle) per origin: they are
    read from the environment once, not on every request (requests recomputes them, about
    70 us a call).
    """

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
        self.environment: dict[str, dict[str, Any]] = {}

    def environment_for(self, http: requests.Session, url: str) -> dict[str, Any]:
        """The environment settings for ``url``'s origin (``stream`` on), read once."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        settings = self.environment.get(origin)
        if settings is None:
            merged = http.merge_environment_settings(origin, {}, True, None, None)
            settings = self.environment[origin] = dict(merged)
        return settings


def send_within(
    http: requests.Session,
    prepared: requests.PreparedRequest,
    timeout: tuple[float, float],
    deadline: float,
    max_bytes: int,
) -> requests.Response | requests.RequestException:
    """Send one prepared request and read its whole answer before ``deadline``.

    Returns:
        The response with its body read, or the transport exception (a ``ReadTimeout`` when
        the deadline cut the attempt).

    Raises:
        ResponseTooLarge: the answer passes ``max_bytes``.
    """
    adapter = http.get_adapter(prepared.url or "")
    settings = (
        adapter.environment_for(http, prepared.url or "")
        if isinstance(adapter, DeadlineAdapter)
        else http.merge_environment_settings(prepared.url, {}, True, None, None)
    )
    with Attempt(deadline) as attempt:
        try:
            response = http.send(prepared, timeout=timeout, allow_redirects=False, **settings)
            read_body(response, attempt, max_bytes)
        except requests.RequestException as exc:
            return attempt.timeout_error() if attempt.expired else exc
        if attempt.expired:
            # Cut while the headers were read: http.client takes the end of the stream for
            # the end of the headers, and what looks like an empty answer is not one.
            response.close()
            return attempt.timeout_error()
    return response


def check_max_response_bytes(limit: object) -> int:
    """A valid ``max_response_bytes`` (a positive int), or ConfigurationError."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise errors.ConfigurationError(f"max_response_bytes must be a positive int, got {limit!r}")
    return limit


def read_body(response: requests.Response, attempt: Attempt, limit: int) -> None:
    """Read the body of a streamed response into ``response.content``, within the deadline
    and the size limit.

    Raises:
        ResponseTooLarge: the declared or the decompressed size passes ``limit`` (the
            connection is closed; the rest is never read).
        requests.ReadTimeout: the deadline passed while reading.
        requests.RequestException: the transport failed while reading.
    """
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        response.close()
        raise _too_large(response, limit, f"it declares {int(declared)} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > limit:
                response.close()
                raise _too_large(response, limit, "its body is longer")
            chunks.append(chunk)
            if attempt.remaining <= 0:
                response.close()
                raise attempt.timeout_error()
    except requests.RequestException:
        response.close()
        if attempt.expired:
            raise attempt.timeout_error() from None
        raise
    response._content = b"".join(chunks)


def _too_large(response: requests.Response, limit: int, why: str) -> errors.ResponseTooLarge:
    request = response.request
    path = urlsplit(request.url or "").path if request is not None else None
    return errors.ResponseTooLarge(
        f"the answer is larger than the limit of {limit} bytes ({why}); it was not read. "
        "Raise max_response_bytes if such answers are expected",
        status=response.status_code,
        method=request.method if request is not None else None,
        path=path,
        body="",
    )
