"""The emulator's HTTP face: a werkzeug WSGI app speaking Softr's routes and envelopes.

Per request, in order: route match (404 / 405), admin routes (their own token, no faults, no
rate limit), fault injection (latency, 429, 503, dropped connections), the 64 MB body limit
(from ``Content-Length`` before reading anything), authentication (``Softr-Api-Key``; plus
``Softr-Domain`` for the Users API), the per-token rate limit, then the handler. Every API
request lands in the request log (token *id*, never the token).

Handlers live in :mod:`.routes_db` (Database API), :mod:`.routes_users` (Users API) and
:mod:`.admin` (``/_emulator/...``).
"""

from __future__ import annotations

import datetime
import secrets
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.routing.exceptions import RequestRedirect
from werkzeug.wrappers import Request, Response

from softr_orm.constants import API_KEY_HEADER, DEFAULT_PAGE_SIZE, DOMAIN_HEADER, MAX_BODY_BYTES
from softr_orm.constants import MAX_PAGE_SIZE as _MAX_PAGE

from .errors import ApiError, bad_request
from .faults import DropConnection, FaultInjector
from .ratelimit import RateLimiter
from .state import AppState, DatabaseState, TableState, TokenState
from .store import Store
from .wire import JSONDecodeError, dumps, format_instant, loads

__all__ = ["Call", "EmulatorApp", "create_app", "json_response", "page_response"]

_UNSET: Any = object()
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no", ""})

Handler = Callable[..., Response]


def json_response(
    payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON answer encoded with the emulator's exact-number codec."""
    response = Response(dumps(payload), status=status, content_type="application/json")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def ok(data: Any) -> Response:
    """``{"data": ..., "metadata": null}`` (single objects and whole lists)."""
    return json_response({"data": data, "metadata": None})


def page_response(data: list[Any], offset: int, limit: int, total: int) -> Response:
    """A page of records with ``metadata: {offset, limit, total}``."""
    return json_response(
        {"data": data, "metadata": {"offset": offset, "limit": limit, "total": total}}
    )


def no_content() -> Response:
    response = Response(b"", status=204)
    del response.headers["Content-Type"]
    return response


def error_response(error: ApiError, trace_id: str) -> Response:
    details = dict(error.details)
    details["traceId"] = trace_id
    body = {"message": error.message, "errorCode": error.code, "details": details}
    return json_response(body, error.status, error.headers)


def parse_int(raw: str | None, name: str, default: int) -> int:
    """A non-negative integer query parameter; anything else is 400 BAD_REQUEST."""
    if raw is None:
        return default
    text = raw.strip()
    if not text.isdigit() or not text.isascii():
        raise bad_request(f"'{name}' must be a non-negative integer, got {raw!r}", parameter=name)
    try:
        return int(text)
    except ValueError:  # more digits than Python converts (4300)
        raise bad_request(f"'{name}' is too large", parameter=name) from None


def clamp_limit(limit: int) -> int:
    return min(limit, _MAX_PAGE)


class Call:
    """One request being answered: the request, its token, and parsing helpers."""

    def __init__(self, app: EmulatorApp, request: Request, trace_id: str) -> None:
        self.app = app
        self.store = app.store
        self.request = request
        self.trace_id = trace_id
        self.token: TokenState | None = None
        self.softr_app: AppState | None = None
        self._body: Any = _UNSET

    # --- body -------------------------------------------------------------------------------

    def body_bytes(self) -> bytes:
        limit = self.app.max_body_bytes
        try:
            data = self.request.stream.read(limit + 1)
        except (OSError, ValueError, HTTPException) as exc:
            # A broken chunked encoding, or a body shorter than its Content-Length.
            raise bad_request(f"the request body could not be read: {exc}") from None
        if len(data) > limit:
            raise ApiError("PAYLOAD_TOO_LARGE", f"request body exceeds {limit} bytes")
        return data

    def json(self) -> Any:
        """The parsed JSON body, or None when there is none.

        Raises:
            ApiError: 400 BAD_REQUEST for malformed JSON or a non-JSON ``Content-Type``.
        """
        if self._body is _UNSET:
            data = self.body_bytes()
            if not data.strip():
                self._body = None
                return None
            mimetype = self.request.mimetype
            if mimetype and mimetype != "application/json" and not mimetype.endswith("+json"):
                raise bad_request(
                    f"Content-Type must be application/json, got {self.request.content_type!r}"
                )
            try:
                self._body = loads(data)
            except JSONDecodeError as exc:
                raise bad_request(f"malformed JSON body: {exc}") from None
        return self._body

    def json_object(self, *, required: bool) -> dict[str, Any]:
        body = self.json()
        if body is None:
            if required:
                raise bad_request("a JSON object body is required")
            return {}
        if not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object")
        return body

    # --- query parameters -------------------------------------------------------------------

    def flag(self, name: str) -> bool:
        raw = self.request.args.get(name)
        if raw is None:
            return False
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise bad_request(f"'{name}' must be true or false, got {raw!r}", parameter=name)

    def paging(self) -> tuple[int, int]:
        offset = parse_int(self.request.args.get("offset"), "offset", 0)
        limit = parse_int(self.request.args.get("limit"), "limit", DEFAULT_PAGE_SIZE)
        return offset, clamp_limit(limit)

    # --- resources with permission checks ---------------------------------------------------

    def database(self, database_id: str) -> DatabaseState:
        db = self.store.database(database_id)
        if self.token is None or db.workspace_id not in self.token.workspace_ids:
            raise ApiError("FORBIDDEN", f"this API key has no access to database '{database_id}'")
        return db

    def table(self, database_id: str, table_id: str) -> TableState:
        self.database(database_id)
        return self.store.table(database_id, table_id)


class EmulatorApp:
    """The WSGI application. ``create_app(store)`` builds one with defaults.

    Args:
        store: the data.
        rate_limit: enforce Softr's per-token limits (40 reads/s, 30 writes/s).
        faults: the fault injector (a quiet one by default).
        max_body_bytes: the body size limit (64 MB as in Softr).
        log_limit: how many request-log entries to keep.
    """

    def __init__(
        self,
        store: Store,
        *,
        rate_limit: bool = False,
        faults: FaultInjector | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        log_limit: int = 10_000,
    ) -> None:
        from . import admin, routes_db, routes_users

        self.store = store
        self.limiter = RateLimiter(enabled=rate_limit)
        self.faults = faults or FaultInjector()
        self.max_body_bytes = max_body_bytes
        self.request_log: deque[dict[str, Any]] = deque(maxlen=log_limit)
        self._log_lock = threading.Lock()
        self.handlers: dict[str, Handler] = {}
        rules: list[Rule] = []
        for area, prefix, table in (
            ("db", "/api/v1", routes_db.ROUTES),
            ("users", "/v1/api", routes_users.ROUTES),
            ("admin", "/_emulator", admin.ROUTES),
        ):
            for path, methods, handler in table:
                endpoint = f"{area}:{handler.__name__}"
                self.handlers[endpoint] = handler
                rules.append(Rule(prefix + path, endpoint=endpoint, methods=list(methods)))
        self.url_map = Map(rules, strict_slashes=False, merge_slashes=False)

    # --- WSGI -------------------------------------------------------------------------------

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        """Answer one request (raises :class:`DropConnection` for a dropped-connection fault)."""
        trace_id = secrets.token_hex(8)
        started = time.perf_counter()
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except MethodNotAllowed as exc:
            allowed = ", ".join(sorted(exc.valid_methods or ()))
            error = ApiError(
                "BAD_REQUEST",
                f"{request.method} is not allowed here (allowed: {allowed})",
                status=405,
                headers={"Allow": allowed},
            )
            return error_response(error, trace_id)
        except (NotFound, RequestRedirect):
            error = ApiError("RESOURCE_NOT_FOUND", f"no route for {request.path}")
            return error_response(error, trace_id)
        area = str(endpoint).split(":", 1)[0]
        call = Call(self, request, trace_id)
        if area == "admin":
            return self._run(call, str(endpoint), args)
        entry: dict[str, Any] = {
            "time": format_instant(datetime.datetime.now(datetime.timezone.utc)),
            "method": request.method,
            "path": request.path,
            "status": None,
            "tokenId": None,
            "durationMs": 0.0,
            "fault": None,
            "applied": False,
            "dropped": None,
            "traceId": trace_id,
        }
        latency, fault, retry_after = self.faults.draw(request.method, request.path)
        if latency:
            time.sleep(latency)
        entry["fault"] = fault
        try:
            if fault == "429":
                response = error_response(
                    ApiError(
                        "TOO_MANY_REQUESTS",
                        "injected fault: too many requests",
                        headers={"Retry-After": retry_after},
                    ),
                    trace_id,
                )
            elif fault == "503":
                response = error_response(
                    ApiError("SERVICE_UNAVAILABLE", "injected fault: service unavailable"),
                    trace_id,
                )
            elif fault == "drop_before":
                self._drain(request)
                entry["dropped"] = "before"
                raise DropConnection("injected fault: connection dropped before applying")
            else:
                response = self._guarded(call, str(endpoint), args, area)
                entry["applied"] = 200 <= response.status_code < 300
                if fault == "drop_after":
                    entry["dropped"] = "after"
                    raise DropConnection("injected fault: connection dropped after applying")
            entry["status"] = response.status_code
            return response
        finally:
            entry["tokenId"] = call.token.id if call.token else self._token_id(request)
            entry["durationMs"] = round((time.perf_counter() - started) * 1000, 3)
            with self._log_lock:
                self.request_log.append(entry)

    @staticmethod
    def _drain(request: Request) -> None:
        # Reading the body first lets the socket close with a clean FIN (the client then sees
        # "remote end closed connection") rather than a reset caused by unread data.
        try:
            request.stream.read()
        except Exception:  # a broken stream is dropped anyway
            return

    def _guarded(self, call: Call, endpoint: str, args: Mapping[str, Any], area: str) -> Response:
        try:
            length = call.request.content_length
            if length is not None and length > self.max_body_bytes:
                raise ApiError(
                    "PAYLOAD_TOO_LARGE", f"request body exceeds {self.max_body_bytes} bytes"
                )
            self._authenticate(call, area, endpoint)
            if call.token is not None:
                kind = "read" if self._is_read(call.request) else "write"
                wait = self.limiter.check(call.token.id, kind)
                if wait is not None:
                    raise ApiError(
                        "TOO_MANY_REQUESTS",
                        f"rate limit exceeded ({self.limiter.limits[kind]} {kind}s per second)",
                        headers={"Retry-After": self.limiter.retry_after(wait)},
                    )
        except ApiError as error:
            return error_response(error, call.trace_id)
        return self._run(call, endpoint, args)

    def _token_id(self, request: Request) -> str | None:
        token = self.store.token_for_secret(request.headers.get(API_KEY_HEADER, "").strip())
        return None if token is None else token.id

    @staticmethod
    def _is_read(request: Request) -> bool:
        return request.method in ("GET", "HEAD") or (
            request.method == "POST" and request.path.endswith("/records/search")
        )

    def _authenticate(self, call: Call, area: str, endpoint: str) -> None:
        if endpoint == "users:validate_token":
            return
        key = call.request.headers.get(API_KEY_HEADER, "").strip()
        if not key:
            raise ApiError("UNAUTHORIZED", f"missing API key: send the {API_KEY_HEADER} header")
        token = self.store.token_for_secret(key)
        if token is None:
            raise ApiError("UNAUTHORIZED", "invalid API key")
        call.token = token
        if area != "users":
            return
        domain = call.request.headers.get(DOMAIN_HEADER, "").strip().lower()
        if not domain:
            raise ApiError("UNAUTHORIZED", f"missing {DOMAIN_HEADER} header")
        softr_app = self.store.apps.get(domain)
        if softr_app is None:
            raise ApiError("UNAUTHORIZED", f"no published app with domain '{domain}'")
        if softr_app.workspace_id not in token.workspace_ids:
            raise ApiError("FORBIDDEN", f"this API key has no access to app '{domain}'")
        call.softr_app = softr_app

    def _run(self, call: Call, endpoint: str, args: Mapping[str, Any]) -> Response:
        try:
            return self.handlers[endpoint](call, **args)
        except ApiError as error:
            return error_response(error, call.trace_id)
        except DropConnection:
            raise
        except Exception as exc:  # a bug: answer 500 in the documented error shape
            traceback.print_exc(file=sys.stderr)
            internal = ApiError("INTERNAL_SERVER_ERROR", f"emulator error: {exc}", status=500)
            return error_response(internal, call.trace_id)

    # --- request log ------------------------------------------------------------------------

    def log_entries(self) -> list[dict[str, Any]]:
        with self._log_lock:
            return [dict(entry) for entry in self.request_log]

    def clear_log(self) -> None:
        with self._log_lock:
            self.request_log.clear()


def create_app(
    data: str = ":memory:",
    *,
    rate_limit: bool = False,
    faults: FaultInjector | None = None,
    store: Store | None = None,
) -> EmulatorApp:
    """A ready WSGI app over a (new) store, e.g. to mount under another WSGI server.

    Dropped-connection faults need the emulator's own server (:class:`.server.Emulator`);
    everything else works under any WSGI server.
    """
    return EmulatorApp(store or Store(data), rate_limit=rate_limit, faults=faults)
