"""Deprecated alias of :mod:`softr_orm.emulator.softr.admin`."""

from __future__ import annotations

from softr_orm.emulator._moved import warn_moved
from softr_orm.emulator.softr.admin import ROUTES

__all__ = ["ROUTES"]

warn_moved(__name__, "softr_orm.emulator.softr.admin")
