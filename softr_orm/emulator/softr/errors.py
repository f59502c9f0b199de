"""Errors as Softr's HTTP API answers them: status codes and the documented error body.

The store refuses with :class:`~softr_orm.emulator.store.errors.StoreError`, whose ``code`` is
already a Softr ``errorCode``; this module adds what only HTTP has: the status (from the
documented code table, softr-api.md §6.1), headers such as ``Retry-After``, and
:class:`HttpError` for refusals that happen before the store is reached (405, 429, 500).
"""

from __future__ import annotations

from typing import Any

from softr_orm.constants import ERROR_CODES

from ..store.errors import StoreError

__all__ = ["HttpError", "error_body", "http_status"]


class HttpError(StoreError):
    """A refusal of the HTTP face itself, with an explicit status and extra headers."""

    def __init__(
        self,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(code, message, details)
        self.status = status if status is not None else ERROR_CODES.get(code, 400)
        self.headers = dict(headers or {})


#: Codes Softr does not document but the emulator answers: its own failures (a bug, a record
#: it cannot read from a damaged data file).
_UNDOCUMENTED = {"INTERNAL_SERVER_ERROR": 500}


def http_status(error: StoreError) -> int:
    """The status of an error answer: an :class:`HttpError`'s own, else the code's."""
    if isinstance(error, HttpError):
        return error.status
    return ERROR_CODES.get(error.code) or _UNDOCUMENTED.get(error.code, 400)


def error_body(error: StoreError, trace_id: str) -> dict[str, Any]:
    """``{"message", "errorCode", "details": {..., "traceId"}}`` as Softr documents it."""
    details = dict(error.details)
    details["traceId"] = trace_id
    return {"message": error.message, "errorCode": error.code, "details": details}
