"""Deprecated alias of :mod:`softr_orm.emulator.softr.ratelimit`."""

from __future__ import annotations

from softr_orm.emulator._moved import warn_moved
from softr_orm.emulator.softr.ratelimit import RateLimiter

__all__ = ["RateLimiter"]

warn_moved(__name__, "softr_orm.emulator.softr.ratelimit")
