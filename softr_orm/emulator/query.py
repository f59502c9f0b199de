"""Deprecated alias of :mod:`softr_orm.emulator.store.select`."""

from __future__ import annotations

from softr_orm.emulator._moved import warn_moved
from softr_orm.emulator.store.select import (
    MAX_FILTER_DEPTH,
    field_infos,
    select_records,
)

__all__ = ["MAX_FILTER_DEPTH", "field_infos", "select_records"]

warn_moved(__name__, "softr_orm.emulator.store.select")
