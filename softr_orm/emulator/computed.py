"""Deprecated alias of :mod:`softr_orm.emulator.store.reader`."""

from __future__ import annotations

from softr_orm.emulator._moved import warn_moved
from softr_orm.emulator.store.reader import STORED_AS_READ, Reader

__all__ = ["STORED_AS_READ", "Reader"]

warn_moved(__name__, "softr_orm.emulator.store.reader")
