"""Deprecated alias of :mod:`softr_orm.emulator.store.schema`."""

from __future__ import annotations

from softr_orm.emulator._moved import warn_moved
from softr_orm.emulator.softr.shapes import table_api as table_as_api
from softr_orm.emulator.store.schema import (
    FIELD_NAME_MAX,
    apply_field_update,
    build_field,
    formula_references,
    new_choice,
)

__all__ = [
    "FIELD_NAME_MAX",
    "apply_field_update",
    "build_field",
    "formula_references",
    "new_choice",
    "table_as_api",
]

warn_moved(__name__, "softr_orm.emulator.store.schema")
