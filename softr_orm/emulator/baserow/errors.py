"""Baserow's error bodies (baserow-api.md §7.1): ``{"error": "ERROR_...", "detail": ...}``."""

from __future__ import annotations

from typing import Any

__all__ = ["BaserowError", "field_error", "row_missing"]


class BaserowError(Exception):
    """An answer in Baserow's error shape. ``code`` None gives a bare ``{"detail"}`` (DRF's
    own errors: missing credentials, 405, malformed JSON)."""

    def __init__(self, status: int, code: str | None, detail: Any = "") -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail

    def body(self) -> dict[str, Any]:
        if self.code is None:
            return {"detail": self.detail}
        return {"error": self.code, "detail": self.detail}


def field_error(message: str, code: str) -> list[dict[str, str]]:
    """One DRF error leaf list, as ``detail`` nests them."""
    return [{"error": message, "code": code}]


def row_missing(ids: list[Any]) -> BaserowError:
    """404 ``ERROR_ROW_DOES_NOT_EXIST``; the detail embeds the ids as Python repr, as Baserow."""
    return BaserowError(404, "ERROR_ROW_DOES_NOT_EXIST", f"The rows {ids} do not exist.")
