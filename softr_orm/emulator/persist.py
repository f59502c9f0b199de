"""Deprecated alias of :mod:`softr_orm.emulator.store.persist`."""

from __future__ import annotations

from softr_orm.emulator._moved import warn_moved
from softr_orm.emulator.store.persist import SCHEMA_VERSION, Persistence

__all__ = ["SCHEMA_VERSION", "Persistence"]

warn_moved(__name__, "softr_orm.emulator.store.persist")
