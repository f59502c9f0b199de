"""Deprecated alias of :mod:`softr_orm.emulator.store.search`."""

from __future__ import annotations

from softr_orm.emulator._moved import warn_moved
from softr_orm.emulator.store.search import (
    FieldInfo,
    FilterError,
    compile_filter,
    compile_sorting,
)

__all__ = ["FieldInfo", "FilterError", "compile_filter", "compile_sorting"]

warn_moved(__name__, "softr_orm.emulator.store.search")
