"""Deprecated alias of :mod:`softr_orm.emulator.store.appusers`."""

from __future__ import annotations

from softr_orm.emulator._moved import warn_moved
from softr_orm.emulator.store.appusers import JWT_LIFETIME_SECONDS, AppUsers

__all__ = ["JWT_LIFETIME_SECONDS", "AppUsers"]

warn_moved(__name__, "softr_orm.emulator.store.appusers")
