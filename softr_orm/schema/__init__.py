"""Schema tools: inspect a live database into model code, check models against it, create
tables from models. ``softr-orm inspect`` / ``softr-orm check`` are their command line.

Before 0.2 ``softr_orm.schema`` held the model-to-table binding; it lives in
:mod:`softr_orm.query.binding` now, and its names are still found here (with a
:class:`DeprecationWarning`) for one release.
"""

from __future__ import annotations

import warnings
from typing import Any

from softr_orm.query.binding import check_model
from softr_orm.schema.tools import (
    CheckReport,
    ModelCheck,
    check_models,
    create_table_for,
    find_models,
    import_models,
    inspect_database,
    load_module,
)

__all__ = [
    "CheckReport",
    "ModelCheck",
    "check_model",
    "check_models",
    "create_table_for",
    "find_models",
    "import_models",
    "inspect_database",
    "load_module",
]

_MOVED_NAMES = ("Binding", "bind", "forget", "resolve_table")


def __getattr__(name: str) -> Any:
    if name in _MOVED_NAMES:
        warnings.warn(
            f"softr_orm.schema.{name} moved to softr_orm.query.binding.{name} in softr-orm 0.2",
            DeprecationWarning,
            stacklevel=2,
        )
        from softr_orm.query import binding

        return getattr(binding, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
