"""Deprecated alias of :mod:`softr_orm.emulator.softr.faults`."""

from __future__ import annotations

from softr_orm.emulator._moved import warn_moved
from softr_orm.emulator.softr.faults import (
    FAULT_KINDS,
    DropConnection,
    FaultConfig,
    FaultInjector,
)

__all__ = ["FAULT_KINDS", "DropConnection", "FaultConfig", "FaultInjector"]

warn_moved(__name__, "softr_orm.emulator.softr.faults")
