"""Deprecated alias of :mod:`softr_orm.emulator.store.fieldops`."""

from __future__ import annotations

from softr_orm.emulator._moved import warn_moved
from softr_orm.emulator.store.fieldops import FieldOps

__all__ = ["FieldOps"]

warn_moved(__name__, "softr_orm.emulator.store.fieldops")
