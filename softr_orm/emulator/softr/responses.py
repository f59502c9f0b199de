"""The answers of Softr's API: JSON envelopes, pages, 204s and error bodies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Response

from ..store.errors import StoreError
from ..store.jsoncodec import dumps
from .errors import HttpError, error_body, http_status

__all__ = ["error_response", "json_response", "no_content", "ok", "page_response"]


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
    """204 with no body and no ``Content-Type`` (deletes)."""
    response = Response(b"", status=204)
    del response.headers["Content-Type"]
    return response


def error_response(error: StoreError, trace_id: str) -> Response:
    """The documented error body with the status (and headers) the error calls for."""
    headers = error.headers if isinstance(error, HttpError) else None
    return json_response(error_body(error, trace_id), http_status(error), headers)
