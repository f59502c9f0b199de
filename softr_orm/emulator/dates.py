"""Deprecated alias of :mod:`softr_orm.emulator.store.dates`."""

from __future__ import annotations

from softr_orm.emulator._moved import warn_moved
from softr_orm.emulator.store.dates import (
    MICROS_PER_DAY,
    PREDEFINED_PREFIX,
    RELATIVE_PREFIX,
    from_micros,
    is_relative_token,
    iso_micros,
    ms_to_micros,
    parse_iso,
    resolve_date_token,
    to_micros,
    token_range_micros,
    value_micros,
)

__all__ = [
    "MICROS_PER_DAY",
    "PREDEFINED_PREFIX",
    "RELATIVE_PREFIX",
    "from_micros",
    "is_relative_token",
    "iso_micros",
    "ms_to_micros",
    "parse_iso",
    "resolve_date_token",
    "to_micros",
    "token_range_micros",
    "value_micros",
]

warn_moved(__name__, "softr_orm.emulator.store.dates")
