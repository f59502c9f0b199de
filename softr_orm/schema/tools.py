"""Schema tools: generate models from a live database, check models against it, create tables.

* :func:`inspect_database` (``softr-orm inspect DATABASE_ID``): Python source with one model per
  table, written by :mod:`softr_orm.schema.codegen`.
* :func:`check_models` (``softr-orm check MODULE``): :meth:`Model.check_schema` for every model
  of a module, as a :class:`CheckReport`.
* :func:`create_table_for` (defined in :mod:`softr_orm.schema.create`, found here too): the
  reverse of inspect, a new Softr table with the fields a model declares.

It sits above the models layer (:mod:`softr_orm.models`) and uses the binding of
:mod:`softr_orm.query.binding` to read live tables. Baserow databases are handled too
(:mod:`softr_orm.schema.baserow`).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TextIO, TypeVar, cast

from softr_orm.backends.base import BackendSession
from softr_orm.backends.baserow.session import BaserowSession
from softr_orm.errors import (
    APIError,
    ConfigurationError,
    Forbidden,
    NotFound,
    SchemaError,
    TransportError,
)
from softr_orm.models.base import Model
from softr_orm.query.snapshot import write_snapshot
from softr_orm.schema import codegen
from softr_orm.schema.create import NOT_CREATED_TYPES, create_table_for, softr_session

if TYPE_CHECKING:
    from softr_orm.backends.softr.resources import Table, View

__all__ = [
    "NOT_CREATED_TYPES",
    "CheckReport",
    "ModelCheck",
    "check_models",
    "create_table_for",
    "find_models",
    "import_models",
    "inspect_database",
    "load_module",
    "softr_session",
]

logger = logging.getLogger("softr_orm.schema")

_T = TypeVar("_T")

#: From this many tables on, ``inspect`` shows a progress bar (when stderr is a terminal).
PROGRESS_THRESHOLD = 5


# --- inspect -----------------------------------------------------------------------------


def _progress(items: Sequence[_T], enabled: bool, stream: TextIO) -> Iterable[_T]:
    """``items`` wrapped in a tqdm bar on ``stream`` when asked and tqdm is installed."""
    if not enabled:
        return items
    try:
        from tqdm import tqdm
    except ImportError:  # the optional "progress" extra
        return items
    bar: Iterable[_T] = tqdm(items, file=stream, desc="tables", unit="table", leave=False)
    return bar


def _select(tables: Sequence[Table], wanted: Iterable[str]) -> list[str]:
    ids: list[str] = []
    for name in wanted:
        found = [t for t in tables if t.id == name] or [t for t in tables if t.name == name]
        if not found:
            found = [t for t in tables if t.name.casefold() == name.casefold()]
        if len(found) != 1:
            names = ", ".join(sorted(t.name for t in tables)) or "(none)"
            what = "several tables" if found else "no table"
            raise SchemaError(f"the database has {what} named {name!r}; its tables are: {names}")
        ids.append(found[0].id)
    return ids


def inspect_database(
    session: BackendSession,
    database_id: str,
    *,
    tables: Iterable[str] | None = None,
    views: bool = True,
    progress: bool | None = None,
    command: str | None = None,
    stream: TextIO | None = None,
    snapshot: str | Path | None = None,
) -> str:
    """Python source of a module with one model per table of ``database_id``.

    Two requests read the database (its name) and its tables with their fields; with
    ``views`` one more request per selected table lists its saved views (shown in the class
    docstrings).

    Args:
        tables: names or ids of the tables to generate (default: all). Links to other tables
            still name their classes (as strings), so modules generated separately agree.
        progress: show a tqdm bar on ``stream`` while listing views; ``None`` shows it for
            :data:`PROGRESS_THRESHOLD` tables or more when ``stream`` is a terminal.
        command: the command line to quote in the module docstring.
        stream: where the progress bar goes (default ``sys.stderr``).
        snapshot: also write a schema snapshot of the database's tables to this file (or
            directory), for ``Model.from_record`` without requests; see
            :mod:`softr_orm.query.snapshot`. It costs no extra request.

    Raises:
        SchemaError: a table in ``tables`` does not exist (or its name is ambiguous).
    """
    stream = sys.stderr if stream is None else stream
    if isinstance(session, BaserowSession):
        # Baserow: the tables through the seam (JWT or the token's listing); no views.
        listed_tables = cast("list[Table]", session.backend.list_tables(database_id))
        return codegen.generate_module(
            listed_tables,
            database_id=database_id,
            database_name=None,
            only=None if tables is None else _select(listed_tables, tables),
            views={},
            command=command,
        )
    api = softr_session(session, "inspect_database").api
    database_name: str | None
    try:
        database_name = api.get_database(database_id).name
    except (NotFound, Forbidden):
        raise  # a wrong id or no access: listing the tables would fail the same way
    except APIError:
        database_name = None  # only the docstring needs it
    listed = api.list_tables(database_id)
    only = None if tables is None else _select(listed, tables)
    selected = [t for t in listed if only is None or t.id in only]
    if snapshot is not None:
        write_snapshot(snapshot, database_id, listed)
    found_views: dict[str, Sequence[View]] = {}
    if views:
        if progress is None:
            progress = len(selected) >= PROGRESS_THRESHOLD and stream.isatty()
        for table in _progress(selected, progress, stream):
            try:
                found_views[table.id] = api.list_views(database_id, table.id)
            except APIError as error:  # views are a nicety: never fail the inspection
                logger.warning("could not list the views of %s: %s", table.name, error)
    return codegen.generate_module(
        listed,
        database_id=database_id,
        database_name=database_name,
        only=only,
        views=found_views,
        command=command,
    )


# --- check -------------------------------------------------------------------------------


@dataclass
class ModelCheck:
    """The outcome of checking one model.

    Attributes:
        model: the model class.
        problems: what differs from the live table (empty when they agree).
        error: why the model could not be checked at all (auth, network...), or None.
    """

    model: type[Model]
    problems: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.error is None


@dataclass
class CheckReport:
    """The outcome of checking several models (``softr-orm check``)."""

    checks: list[ModelCheck] = field(default_factory=list)
    skipped: list[type[Model]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every model matches its live table."""
        return all(c.ok for c in self.checks)

    @property
    def problems(self) -> list[str]:
        """Every problem, flat (each names ``Model.attribute``)."""
        return [p for c in self.checks for p in c.problems]

    @property
    def errors(self) -> list[str]:
        return [f"{c.model.__name__}: {c.error}" for c in self.checks if c.error]

    def render(self) -> str:
        """A human-readable report, one line per model and one per problem."""
        lines: list[str] = []
        for check in self.checks:
            meta = check.model._meta
            where = f"table {meta.table!r} of database {meta.database}"
            if check.error:
                lines.append(f"{check.model.__name__} ({where}): could not check: {check.error}")
            elif check.problems:
                count = len(check.problems)
                lines.append(
                    f"{check.model.__name__} ({where}): {count} problem{'s' * (count != 1)}"
                )
                lines.extend(f"  - {p}" for p in check.problems)
            else:
                lines.append(f"{check.model.__name__} ({where}): ok")
        for model in self.skipped:
            lines.append(f"{model.__name__}: skipped (no Meta.database / Meta.table)")
        total = len(self.problems)
        models = len(self.checks)
        summary = f"{models} model{'s' * (models != 1)} checked: "
        if self.errors:
            summary += f"{len(self.errors)} could not be checked, "
        summary += f"{total} problem{'s' * (total != 1)}" if total else "no problems"
        lines.append(summary + ".")
        return "\n".join(lines)


def find_models(module: ModuleType) -> list[type[Model]]:
    """The concrete Model subclasses *defined* in ``module`` (not imported), in order."""
    found: list[type[Model]] = []
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, Model)
            and value is not Model
            and value.__module__ == module.__name__
            and "_meta" in value.__dict__
            and not value._meta.abstract
        ):
            found.append(value)
    return found


def import_models(targets: Iterable[str | type]) -> list[type[Model]]:
    """The models named by ``targets``, in order and without repeats.

    A target is a module (a dotted name or a ``.py`` path: every model defined there), a
    ``module.ClassName`` path, or a model class itself. Django's ``SOFTR["MODELS"]``, Flask's
    ``SOFTR_MODELS`` and ``flask softr check`` all name models this way.

    Raises:
        ImportError: a target that imports nothing.
        TypeError: a target that is a class but not a model.
    """
    found: dict[type[Model], None] = {}
    for target in targets:
        obj: Any = target if isinstance(target, type) else _import_target(target)
        if isinstance(obj, type):
            if not issubclass(obj, Model):
                raise TypeError(f"{target!r} is not a softr_orm Model")
            found[obj] = None
        else:
            found.update(dict.fromkeys(find_models(obj)))
    return list(found)


def _import_target(path: str) -> Any:
    try:
        return load_module(path)
    except ImportError as error:
        module_name, _, name = path.rpartition(".")
        if module_name:
            try:
                return getattr(importlib.import_module(module_name), name)
            except (ImportError, AttributeError):
                pass
        raise ImportError(f"cannot import {path!r}") from error


def check_models(
    models: Iterable[type[Model]], session: BackendSession | None = None
) -> CheckReport:
    """Run :meth:`Model.check_schema` for each model; models without a table are skipped.

    Errors that stop one model from being checked (a bad key, Softr unreachable, no session
    configured) are recorded in its :class:`ModelCheck` instead of raised.
    """
    report = CheckReport()
    for model in models:
        meta = model._meta
        if meta.database is None and meta.table is None:
            report.skipped.append(model)  # an abstract base for other models
            continue
        check = ModelCheck(model)
        try:
            check.problems = model.check_schema(session)
        except (APIError, TransportError, ConfigurationError) as error:
            check.error = str(error)
        report.checks.append(check)
    return report


def load_module(target: str) -> ModuleType:
    """Import ``target``: a dotted module name, or the path of a ``.py`` file.

    A dotted name is looked up from the current directory too (as ``python -m`` would).
    A file is imported under its stem, with its directory on ``sys.path`` (so that it can
    import its neighbours).
    """
    path = Path(target)
    if target.endswith(".py") or os.sep in target or path.is_file():
        path = path.resolve()
        if not path.is_file():
            raise ImportError(f"no such file: {target}")
        folder = str(path.parent)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        name = path.stem
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {target}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses, pickling and typing look modules up here
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        return module
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    return importlib.import_module(target)
