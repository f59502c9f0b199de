"""Deprecated alias of :mod:`softr_orm.emulator.softr`."""

from __future__ import annotations

from softr_orm.emulator._moved import warn_moved
from softr_orm.emulator.softr.app import EmulatorApp, create_app
from softr_orm.emulator.softr.call import Call, clamp_limit, parse_int
from softr_orm.emulator.softr.responses import (
    error_response,
    json_response,
    no_content,
    ok,
    page_response,
)

__all__ = [
    "Call",
    "EmulatorApp",
    "clamp_limit",
    "create_app",
    "error_response",
    "json_response",
    "no_content",
    "ok",
    "page_response",
    "parse_int",
]

warn_moved(__name__, "softr_orm.emulator.softr")
