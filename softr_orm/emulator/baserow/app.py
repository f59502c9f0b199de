"""Baserow's HTTP face: the WSGI app (:class:`BaserowApp`) over the emulator's store.

It speaks the part of Baserow's REST API that the ORM and users' tests need
(baserow-api.md): rows R1-R5 and the batch endpoints R7-R9, the fields of a table (F1), the
tables a token reaches (T1), the token check (K1), and with a JWT (:mod:`.auth`, signed in
by ``POST /api/user/token-auth/``) a database's tables (T2), creating (T3) and deleting (T4)
tables and creating fields (F2; :mod:`.tables`). Faces share nothing but the store:
this package imports the store only, never the Softr face.

Per request: route (404 ``URL_NOT_FOUND`` / ``URL_TRAILING_SLASH_MISSING``, 405), then
authentication (``Authorization: Token <key>``, the store's API tokens; or ``JWT <access>``
except on the token-only endpoints), then
the handler under the store's lock. Errors are Baserow's bodies (:mod:`.errors`).
"""

from __future__ import annotations

import re
import sys
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from ..store.core import Store
from ..store.jsoncodec import dumps
from ..store.state import TokenState
from . import listing, rows, schema, tables
from .auth import jwt_user, sign_in, user_scope
from .context import Call
from .errors import BaserowError
from .ids import RowIndex

__all__ = ["BaserowApp"]

Handler = Callable[..., Any]

#: (path pattern, {method: handler}); ``(?P<t>)`` table id, ``(?P<r>)`` row id,
#: ``(?P<d>)`` database id.
_ROUTES: list[tuple[re.Pattern[str], dict[str, Handler]]] = [
    (
        re.compile(r"/api/database/rows/table/(?P<t>\d+)/"),
        {"GET": listing.list_rows, "POST": rows.create_row},
    ),
    (
        re.compile(r"/api/database/rows/table/(?P<t>\d+)/batch/"),
        {"POST": rows.batch_create, "PATCH": rows.batch_update},
    ),
    (
        re.compile(r"/api/database/rows/table/(?P<t>\d+)/batch-delete/"),
        {"POST": rows.batch_delete},
    ),
    (
        re.compile(r"/api/database/rows/table/(?P<t>\d+)/(?P<r>\d+)/"),
        {"GET": rows.get_row, "PATCH": rows.update_row, "DELETE": rows.delete_row},
    ),
    (
        re.compile(r"/api/database/fields/table/(?P<t>\d+)/"),
        {"GET": schema.list_fields, "POST": tables.create_field},
    ),
    (re.compile(r"/api/database/tables/all-tables/"), {"GET": schema.all_tables}),
    (
        re.compile(r"/api/database/tables/database/(?P<d>\d+)/"),
        {"GET": tables.list_database_tables, "POST": tables.create_table},
    ),
    (re.compile(r"/api/database/tables/(?P<t>\d+)/"), {"DELETE": tables.delete_table}),
    (re.compile(r"/api/database/tokens/check/"), {"GET": schema.check_token}),
    (re.compile(r"/api/user/token-auth/"), {"POST": sign_in}),
]
#: Token-only endpoints: DRF answers their auth failures 403, not 401 (baserow-api.md §1.4).
_TOKEN_ONLY = {schema.all_tables, schema.check_token}
#: JWT-only endpoints: a database token is not a credential there (401, no credentials).
_JWT_ONLY = {tables.list_database_tables, tables.create_table, tables.delete_table}
#: Endpoints a database token authenticates on but may not use (401 no permission).
_TOKEN_REFUSED = {tables.create_field}
_NO_CREDENTIALS = "Authentication credentials were not provided."


def _json(status: int, body: Any) -> Response:
    return Response(dumps(body), status=status, mimetype="application/json")


class BaserowApp:
    """The WSGI application of the Baserow face, on ``store``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.rows = RowIndex()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        try:
            return self._dispatch(request)
        except BaserowError as error:
            return _json(error.status, error.body())
        except Exception:  # an emulator bug: say so, as a 500
            traceback.print_exc(file=sys.stderr)
            return _json(500, {"error": "ERROR_INTERNAL", "detail": "Internal emulator error."})

    def _route(self, request: Request) -> tuple[Handler, dict[str, int]]:
        path = request.path
        for pattern, methods in _ROUTES:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            handler = methods.get(request.method)
            if handler is None:
                raise BaserowError(405, None, f'Method "{request.method}" not allowed.')
            return handler, {k: int(v) for k, v in match.groupdict().items()}
        if not path.endswith("/") and any(p.fullmatch(path + "/") for p, _ in _ROUTES):
            raise BaserowError(
                404,
                "URL_TRAILING_SLASH_MISSING",
                f"A valid URL must end with a trailing slash. Please, redirect requests to {path}/",
            )
        raise BaserowError(404, "URL_NOT_FOUND", f"URL {path} not found.")

    def _authenticate(self, request: Request, handler: Handler) -> tuple[TokenState, bool]:
        """(what the request reaches, signed in with a JWT?)."""
        token_only = handler in _TOKEN_ONLY
        status = 403 if token_only else 401
        header = request.headers.get("Authorization", "")
        parts = header.split()
        if parts and parts[0].lower() == "jwt" and not token_only:
            with self.store.lock:
                return user_scope(self.store, jwt_user(self.store, parts)), True
        if not parts or parts[0].lower() != "token" or handler in _JWT_ONLY:
            raise BaserowError(status, None, _NO_CREDENTIALS)
        if len(parts) == 1:
            raise BaserowError(
                status, "ERROR_INVALID_TOKEN_HEADER", "Invalid token header. No token provided."
            )
        if len(parts) > 2:
            raise BaserowError(
                status,
                "ERROR_INVALID_TOKEN_HEADER",
                "Invalid token header. Token string should not contain spaces.",
            )
        token = self.store.token_for_secret(parts[1])
        if token is None:
            raise BaserowError(
                status, "ERROR_TOKEN_DOES_NOT_EXIST", "The provided token does not exist."
            )
        if handler in _TOKEN_REFUSED:
            raise BaserowError(
                401,
                "ERROR_NO_PERMISSION_TO_TABLE",
                "The token does not have permissions to the table.",
            )
        return token, False

    def _sign_in(self, request: Request) -> Response:
        call = Call(
            store=self.store, request=request, token=self.store.default_token, rows=self.rows
        )
        body = call.json_body()
        with self.store.lock:
            return _json(200, sign_in(self.store, body))

    def _dispatch(self, request: Request) -> Response:
        handler, args = self._route(request)
        if handler is sign_in:
            return self._sign_in(request)
        token, jwt = self._authenticate(request, handler)
        call = Call(store=self.store, request=request, token=token, rows=self.rows, jwt=jwt)
        keys = {"t": "table_id", "r": "row_id", "d": "database_id"}
        with self.store.lock:
            answer = handler(call, **{keys[k]: v for k, v in args.items()})
        if answer is None:
            return Response(status=204)
        return _json(200, answer)
