"""Deprecated alias of :mod:`softr_orm.emulator.store.search.sorting`."""

from __future__ import annotations

from softr_orm.emulator._moved import warn_moved
from softr_orm.emulator.store.search.sorting import compile_sorting

__all__ = ["compile_sorting"]

warn_moved(__name__, "softr_orm.emulator.store.search.sorting")
