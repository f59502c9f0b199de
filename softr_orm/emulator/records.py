"""Deprecated alias of :mod:`softr_orm.emulator.store.records`."""

from __future__ import annotations

from softr_orm.emulator._moved import warn_moved
from softr_orm.emulator.store.records import Records

__all__ = ["Records"]

warn_moved(__name__, "softr_orm.emulator.store.records")
