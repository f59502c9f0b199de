"""Deprecated alias of :mod:`softr_orm.emulator.store.state`."""

from __future__ import annotations

from softr_orm.emulator._moved import warn_moved
from softr_orm.emulator.store.state import (
    AppState,
    DatabaseState,
    RecordState,
    TableState,
    TokenState,
    UserState,
    ViewState,
    WorkspaceState,
)

__all__ = [
    "AppState",
    "DatabaseState",
    "RecordState",
    "TableState",
    "TokenState",
    "UserState",
    "ViewState",
    "WorkspaceState",
]

warn_moved(__name__, "softr_orm.emulator.store.state")
