"""Deprecated alias of :mod:`softr_orm.emulator.store.search.kinds`."""

from __future__ import annotations

from softr_orm.emulator._moved import warn_moved
from softr_orm.emulator.store.search.kinds import FieldInfo, FilterError

__all__ = ["FieldInfo", "FilterError"]

warn_moved(__name__, "softr_orm.emulator.store.search.kinds")
