"""Deprecated alias of :mod:`softr_orm.emulator.store.values`."""

from __future__ import annotations

from softr_orm.emulator._moved import warn_moved
from softr_orm.emulator.store.values import WriteContext, is_empty, validate_value

__all__ = ["WriteContext", "is_empty", "validate_value"]

warn_moved(__name__, "softr_orm.emulator.store.values")
