"""Old module paths, importable for one release after the package was layered (0.1 -> 0.2).

``import softr_orm.api`` (or ``session``, ``model``, ...) still works: a finder on
``sys.meta_path`` answers for the old names and hands back the module that now does the job,
so the old name and the new one are one object (attributes, private helpers and monkeypatching
behave as before). A :class:`DeprecationWarning` names the new path, at the importer's line.
No files are left at the old paths, so the tree shows only the layers.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType
from typing import Final

__all__ = ["MOVED", "install"]

#: Old module -> the module that holds its code now.
MOVED: Final[dict[str, str]] = {
    "softr_orm.api": "softr_orm.backends.softr.endpoints",
    "softr_orm.resources": "softr_orm.backends.softr.resources",
    "softr_orm.wire": "softr_orm.backends.softr.wire",
    "softr_orm.pagination": "softr_orm.backends.softr.paging",
    "softr_orm.users": "softr_orm.backends.softr.users",
    "softr_orm.compiler": "softr_orm.backends.softr.compiler",
    "softr_orm.nodes": "softr_orm.backends.tree",
    "softr_orm.session": "softr_orm.backends.softr.session",
    "softr_orm.retry": "softr_orm.http.retry",
    "softr_orm.ratelimit": "softr_orm.http.ratelimit",
    "softr_orm.jsonutil": "softr_orm.http.jsonutil",
    "softr_orm.values": "softr_orm.fields.values",
    "softr_orm.q": "softr_orm.query.q",
    "softr_orm.conditions": "softr_orm.query.conditions",
    "softr_orm.fetching": "softr_orm.query.fetching",
    "softr_orm.related": "softr_orm.query.related",
    "softr_orm.bulk": "softr_orm.query.bulk",
    "softr_orm.model": "softr_orm.models.base",
    "softr_orm.manager": "softr_orm.models.manager",
    "softr_orm.options": "softr_orm.models.options",
    "softr_orm.codegen": "softr_orm.schema.codegen",
    "softr_orm.schema_tools": "softr_orm.schema.tools",
    "softr_orm.schema_cli": "softr_orm.cli.schema",
    "softr_orm.shell": "softr_orm.cli.shell",
    "softr_orm.demo": "softr_orm.cli.demo",
    # The emulator's flat modules, before it was split into its store and its HTTP faces.
    "softr_orm.emulator.admin": "softr_orm.emulator.softr.admin",
    "softr_orm.emulator.app": "softr_orm.emulator.softr",
    "softr_orm.emulator.appusers": "softr_orm.emulator.store.appusers",
    "softr_orm.emulator.computed": "softr_orm.emulator.store.reader",
    "softr_orm.emulator.dates": "softr_orm.emulator.store.dates",
    "softr_orm.emulator.errors": "softr_orm.emulator.store.errors",
    "softr_orm.emulator.faults": "softr_orm.emulator.softr.faults",
    "softr_orm.emulator.fieldops": "softr_orm.emulator.store.fieldops",
    "softr_orm.emulator.filters": "softr_orm.emulator.store.search",
    "softr_orm.emulator.formula": "softr_orm.emulator.store.formula",
    "softr_orm.emulator.operands": "softr_orm.emulator.store.search.kinds",
    "softr_orm.emulator.persist": "softr_orm.emulator.store.persist",
    "softr_orm.emulator.query": "softr_orm.emulator.store.select",
    "softr_orm.emulator.ratelimit": "softr_orm.emulator.softr.ratelimit",
    "softr_orm.emulator.records": "softr_orm.emulator.store.records",
    "softr_orm.emulator.rollup": "softr_orm.emulator.store.rollup",
    "softr_orm.emulator.routes_db": "softr_orm.emulator.softr.routes_db",
    "softr_orm.emulator.routes_users": "softr_orm.emulator.softr.routes_users",
    "softr_orm.emulator.schema": "softr_orm.emulator.store.schema",
    "softr_orm.emulator.sorting": "softr_orm.emulator.store.search.sorting",
    "softr_orm.emulator.state": "softr_orm.emulator.store.state",
    "softr_orm.emulator.values": "softr_orm.emulator.store.values",
    "softr_orm.emulator.wire": "softr_orm.emulator.store",
}


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, new: str) -> None:
        self.new = new

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(
            f"{spec.name} moved to {self.new} in softr-orm 0.2; the old path will be removed "
            "in a later release (public names are importable from softr_orm itself)",
            DeprecationWarning,
            # 2 is the importing line: warnings skip the import machinery's own frames.
            stacklevel=2,
        )
        # The module that does the job now; the import system files it under the old name
        # too, without touching its own name, spec or file.
        return importlib.import_module(self.new)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module was imported (and executed) under its new name."""


class _MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        new = MOVED.get(fullname)
        if new is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(new))


_FINDER = _MovedFinder()


def install() -> None:
    """Answer for the old paths (idempotent; called when :mod:`softr_orm` is imported)."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.append(_FINDER)
