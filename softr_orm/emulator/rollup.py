"""Deprecated alias of :mod:`softr_orm.emulator.store.rollup`."""

from __future__ import annotations

from softr_orm.emulator._moved import warn_moved
from softr_orm.emulator.store.rollup import rollup

__all__ = ["rollup"]

warn_moved(__name__, "softr_orm.emulator.store.rollup")
