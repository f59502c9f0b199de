"""One request being answered (:class:`Call`): its token, its body and query parameters.

Handlers receive a :class:`Call`; it parses the JSON body (with the size limit), reads boolean
and paging parameters, and looks resources up with the token's permission checks.
"""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request

from softr_orm.constants import DEFAULT_PAGE_SIZE
from softr_orm.constants import MAX_PAGE_SIZE as _MAX_PAGE

from ..store import Store
from ..store.errors import bad_request
from ..store.jsoncodec import JSONDecodeError, loads
from ..store.state import AppState, DatabaseState, TableState, TokenState
from .controls import Controls
from .errors import HttpError

__all__ = ["Call", "clamp_limit", "parse_int"]

_UNSET: Any = object()
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no", ""})


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

    def __init__(self, store: Store, controls: Controls, request: Request, trace_id: str) -> None:
        self.store = store
        self.controls = controls
        self.request = request
        self.trace_id = trace_id
        self.token: TokenState | None = None
        self.softr_app: AppState | None = None
        self._body: Any = _UNSET

    # --- body -------------------------------------------------------------------------------

    def body_bytes(self) -> bytes:
        limit = self.controls.max_body_bytes
        try:
            data = self.request.stream.read(limit + 1)
        except (OSError, ValueError, HTTPException) as exc:
            # A broken chunked encoding, or a body shorter than its Content-Length.
            raise bad_request(f"the request body could not be read: {exc}") from None
        if len(data) > limit:
            raise HttpError("PAYLOAD_TOO_LARGE", f"request body exceeds {limit} bytes")
        return data

    def json(self) -> Any:
        """The parsed JSON body, or None when there is none.

        The body is read as JSON whatever its ``Content-Type`` says: Softr's own curl examples
        send JSON without one, and curl then labels it a form (docs/emulator.md).

        Raises:
            StoreError: 400 BAD_REQUEST for a body that is not JSON.
        """
        if self._body is _UNSET:
            data = self.body_bytes()
            if not data.strip():
                self._body = None
                return None
            try:
                self._body = loads(data)
            except JSONDecodeError as exc:
                declared = self.request.mimetype
                said = "" if declared in ("", "application/json") else f" (sent as {declared})"
                raise bad_request(f"malformed JSON body{said}: {exc}") from None
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
            raise HttpError("FORBIDDEN", f"this API key has no access to database '{database_id}'")
        return db

    def table(self, database_id: str, table_id: str) -> TableState:
        self.database(database_id)
        return self.store.table(database_id, table_id)
