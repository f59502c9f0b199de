"""The one exception the emulator's store and HTTP face raise to answer with an API error."""

from __future__ import annotations

from typing import Any

from softr_orm.constants import ERROR_CODES

__all__ = ["ApiError", "bad_request", "not_found", "validation_error"]


class ApiError(Exception):
    """An error answer: HTTP status, Softr ``errorCode``, message and free-form details.

    The store raises it too, so that a validation failure deep in a write becomes exactly the
    documented error body without any translation layer.
    """

    def __init__(
        self,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = dict(details or {})
        self.status = status if status is not None else ERROR_CODES.get(code, 400)
        self.headers = dict(headers or {})


def bad_request(message: str, **details: Any) -> ApiError:
    """400 BAD_REQUEST: the request itself is malformed."""
    return ApiError("BAD_REQUEST", message, details)


def validation_error(message: str, field_id: str | None = None, **details: Any) -> ApiError:
    """400 VALIDATION_ERROR naming the field (``details.fieldId``) when there is one."""
    if field_id is not None:
        details["fieldId"] = field_id
    return ApiError("VALIDATION_ERROR", message, details)


def not_found(kind: str, ident: str) -> ApiError:
    """404 RESOURCE_NOT_FOUND for a database, table, field, view, record or user."""
    return ApiError("RESOURCE_NOT_FOUND", f"{kind} '{ident}' not found")
