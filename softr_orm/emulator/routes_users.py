"""Deprecated alias of :mod:`softr_orm.emulator.softr.routes_users`."""

from __future__ import annotations

from softr_orm.emulator._moved import warn_moved
from softr_orm.emulator.softr.routes_users import ROUTES

__all__ = ["ROUTES"]

warn_moved(__name__, "softr_orm.emulator.softr.routes_users")
