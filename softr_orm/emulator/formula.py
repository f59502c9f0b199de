"""Deprecated alias of :mod:`softr_orm.emulator.store.formula`."""

from __future__ import annotations

from softr_orm.emulator._moved import warn_moved
from softr_orm.emulator.store.formula import evaluate_formula, supported_formula

__all__ = ["evaluate_formula", "supported_formula"]

warn_moved(__name__, "softr_orm.emulator.store.formula")
