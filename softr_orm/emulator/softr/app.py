"""Softr's HTTP face: the WSGI app (:class:`EmulatorApp`) speaking Softr's routes and envelopes.

Per request, in order: route match (404 / 405), admin routes (their own token, no faults, no
rate limit), fault injection (latency, 429, 503, dropped connections), the 64 MB body limit
(from ``Content-Length`` before reading anything), authentication (``Softr-Api-Key``; plus
``Softr-Domain`` for the Users API), the per-token rate limit, then the handler. Every API
request lands in the request log (token *id*, never the token).

Handlers live in :mod:`.routes_db` (Database API), :mod:`.routes_users` (Users API) and
:mod:`.admin` (``/_emulator/...``); each receives a :class:`~.call.Call`.
"""

from __future__ import annotations

import datetime
import secrets
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.routing.exceptions import RequestRedirect
from werkzeug.wrappers import Request, Response

from softr_orm.constants import API_KEY_HEADER, DOMAIN_HEADER, MAX_BODY_BYTES

from ..store import Store
from ..store.errors import StoreError
from ..store.timestamps import format_instant
from . import admin, routes_db, routes_users
from .call import Call
from .controls import Controls
from .errors import HttpError
from .faults import DropConnection, FaultInjector
from .ratelimit import RateLimiter
from .requestlog import RequestLog
from .responses import error_response

__all__ = ["EmulatorApp", "create_app"]

Handler = Callable[..., Response]


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
        self.store = store
        self.controls = Controls(
            limiter=RateLimiter(enabled=rate_limit),
            faults=faults or FaultInjector(),
            log=RequestLog(log_limit),
            max_body_bytes=max_body_bytes,
        )
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

    # --- switches (shared with every request through ``controls``) --------------------------

    @property
    def limiter(self) -> RateLimiter:
        return self.controls.limiter

    @property
    def faults(self) -> FaultInjector:
        return self.controls.faults

    @property
    def max_body_bytes(self) -> int:
        return self.controls.max_body_bytes

    @max_body_bytes.setter
    def max_body_bytes(self, value: int) -> None:
        self.controls.max_body_bytes = value

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
            error = HttpError(
                "BAD_REQUEST",
                f"{request.method} is not allowed here (allowed: {allowed})",
                status=405,
                headers={"Allow": allowed},
            )
            return error_response(error, trace_id)
        except (NotFound, RequestRedirect):
            error = HttpError("RESOURCE_NOT_FOUND", f"no route for {request.path}")
            return error_response(error, trace_id)
        area = str(endpoint).split(":", 1)[0]
        call = Call(self.store, self.controls, request, trace_id)
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
                    HttpError(
                        "TOO_MANY_REQUESTS",
                        "injected fault: too many requests",
                        headers={"Retry-After": retry_after},
                    ),
                    trace_id,
                )
            elif fault == "503":
                response = error_response(
                    HttpError("SERVICE_UNAVAILABLE", "injected fault: service unavailable"),
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
            self.controls.log.append(entry)

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
            if length is not None and length > self.controls.max_body_bytes:
                raise HttpError(
                    "PAYLOAD_TOO_LARGE",
                    f"request body exceeds {self.controls.max_body_bytes} bytes",
                )
            self._authenticate(call, area, endpoint)
            if call.token is not None:
                kind = "read" if self._is_read(call.request) else "write"
                wait = self.limiter.check(call.token.id, kind)
                if wait is not None:
                    raise HttpError(
                        "TOO_MANY_REQUESTS",
                        f"rate limit exceeded ({self.limiter.limits[kind]} {kind}s per second)",
                        headers={"Retry-After": self.limiter.retry_after(wait)},
                    )
        except StoreError as error:
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
            raise HttpError("UNAUTHORIZED", f"missing API key: send the {API_KEY_HEADER} header")
        token = self.store.token_for_secret(key)
        if token is None:
            raise HttpError("UNAUTHORIZED", "invalid API key")
        call.token = token
        if area != "users":
            return
        domain = call.request.headers.get(DOMAIN_HEADER, "").strip().lower()
        if not domain:
            raise HttpError("UNAUTHORIZED", f"missing {DOMAIN_HEADER} header")
        softr_app = self.store.apps.get(domain)
        if softr_app is None:
            raise HttpError("UNAUTHORIZED", f"no published app with domain '{domain}'")
        if softr_app.workspace_id not in token.workspace_ids:
            raise HttpError("FORBIDDEN", f"this API key has no access to app '{domain}'")
        call.softr_app = softr_app

    def _run(self, call: Call, endpoint: str, args: Mapping[str, Any]) -> Response:
        try:
            return self.handlers[endpoint](call, **args)
        except StoreError as error:
            return error_response(error, call.trace_id)
        except DropConnection:
            raise
        except Exception as exc:  # a bug: answer 500 in the documented error shape
            traceback.print_exc(file=sys.stderr)
            internal = HttpError("INTERNAL_SERVER_ERROR", f"emulator error: {exc}", status=500)
            return error_response(internal, call.trace_id)

    # --- request log ------------------------------------------------------------------------

    def log_entries(self) -> list[dict[str, Any]]:
        return self.controls.log.entries()

    def clear_log(self) -> None:
        self.controls.log.clear()


def create_app(
    data: str = ":memory:",
    *,
    rate_limit: bool = False,
    faults: FaultInjector | None = None,
    store: Store | None = None,
) -> EmulatorApp:
    """A ready WSGI app over a (new) store, e.g. to mount under another WSGI server.

    Dropped-connection faults need the emulator's own server (``softr_orm.emulator.Emulator``);
    everything else works under any WSGI server.
    """
    return EmulatorApp(store or Store(data), rate_limit=rate_limit, faults=faults)
