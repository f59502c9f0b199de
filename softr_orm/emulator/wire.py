"""Deprecated alias of :mod:`softr_orm.emulator.store`."""

from __future__ import annotations

from softr_orm.emulator._moved import warn_moved
from softr_orm.emulator.store.ids import IdFactory
from softr_orm.emulator.store.jsoncodec import JSONDecodeError, dumps, loads
from softr_orm.emulator.store.timestamps import format_instant, parse_instant

__all__ = ["IdFactory", "JSONDecodeError", "dumps", "format_instant", "loads", "parse_instant"]

warn_moved(__name__, "softr_orm.emulator.store")
