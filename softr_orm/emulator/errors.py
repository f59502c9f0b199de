"""Deprecated alias of :mod:`softr_orm.emulator.store.errors`."""

from __future__ import annotations

from softr_orm.emulator._moved import warn_moved
from softr_orm.emulator.store.errors import StoreError as ApiError
from softr_orm.emulator.store.errors import bad_request, not_found, validation_error

__all__ = ["ApiError", "bad_request", "not_found", "validation_error"]

warn_moved(__name__, "softr_orm.emulator.store.errors")
