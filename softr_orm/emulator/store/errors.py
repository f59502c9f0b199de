"""The one exception the store raises when it refuses a request: :class:`StoreError`.

Its ``code`` is one of Softr's ``errorCode`` values (``BAD_REQUEST``, ``VALIDATION_ERROR``,
``UNKNOWN_FIELD``, ``UNAUTHORIZED``, ``FORBIDDEN``, ``RESOURCE_NOT_FOUND``,
``CONSTRAINT_VIOLATION``, ``SERVICE_UNAVAILABLE``...): the store's data model is Softr's, so its
vocabulary for "what went wrong" is Softr's too. The store knows no HTTP status: an HTTP face
maps each code to its own status and error body (the Softr face in
:mod:`softr_orm.emulator.softr.errors`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["StorageError", "StoreError", "bad_request", "not_found", "validation_error"]


class StoreError(Exception):
    """A refusal: a Softr ``errorCode``, a message for humans and free-form JSON details."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = dict(details or {})


def bad_request(message: str, **details: Any) -> StoreError:
    """BAD_REQUEST: the request itself is malformed."""
    return StoreError("BAD_REQUEST", message, details)


def validation_error(message: str, field_id: str | None = None, **details: Any) -> StoreError:
    """VALIDATION_ERROR naming the field (``details.fieldId``) when there is one."""
    if field_id is not None:
        details["fieldId"] = field_id
    return StoreError("VALIDATION_ERROR", message, details)


def not_found(kind: str, ident: str) -> StoreError:
    """RESOURCE_NOT_FOUND for a database, table, field, view, record or user."""
    return StoreError("RESOURCE_NOT_FOUND", f"{kind} '{ident}' not found")


class StorageError(StoreError):
    """The data file refused a change (disk full, I/O error...): nothing was changed.

    The store rolls the change back in memory too (it reloads from the file), so what it
    answers afterwards is what the file holds. ``SERVICE_UNAVAILABLE``: retrying later, once
    there is room again, is safe.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(
            "SERVICE_UNAVAILABLE",
            f"the emulator could not write its data file ({reason}); nothing was changed",
            {"reason": "storage"},
        )
