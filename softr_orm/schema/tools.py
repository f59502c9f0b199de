"""Schema tools: generate models from a live database, check models against it, create tables.

* :func:`inspect_database` (``softr-orm inspect DATABASE_ID``): Python source with one model per
  table, written by :mod:`softr_orm.schema.codegen`.
* :func:`check_models` (``softr-orm check MODULE``): :meth:`Model.check_schema` for every model
  of a module, as a :class:`CheckReport`.
* :func:`create_table_for` (also ``softr_orm.query.binding.create_table_for``): the reverse of
  inspect, a new Softr table with the fields a model declares.

It sits above the models layer (:mod:`softr_orm.models`) and uses the binding of
:mod:`softr_orm.query.binding` to read live tables. Baserow databases are handled too
(:mod:`softr_orm.schema.baserow`). Longer than 500 lines: the three tools share their helpers
(table selection, field specs, link targets) and read best together.
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
from softr_orm.backends.baserow.schema import BaserowTable
from softr_orm.backends.baserow.session import BaserowSession
from softr_orm.backends.softr.session import Session
from softr_orm.constants import FIELD_TYPES
from softr_orm.errors import (
    APIError,
    ConfigurationError,
    Forbidden,
    NotFound,
    SchemaError,
    TransportError,
)
from softr_orm.fields import Field, LinkedRecord, Raw
from softr_orm.models.base import Model
from softr_orm.query.binding import _state, forget, resolve_table
from softr_orm.schema import codegen
from softr_orm.schema.baserow import create_on_baserow

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
_TableT = TypeVar("_TableT", bound="Table | BaserowTable")

#: Read-only types :func:`create_table_for` cannot define from a model alone: a formula needs
#: its expression, a lookup or rollup the link and source field it reads. Add them in Softr
#: (or with ``table.add_field``) after the table exists.
NOT_CREATED_TYPES: frozenset[str] = frozenset({"FORMULA", "LOOKUP", "ROLLUP"})

#: From this many tables on, ``inspect`` shows a progress bar (when stderr is a terminal).
PROGRESS_THRESHOLD = 5


# --- inspect -----------------------------------------------------------------------------


def softr_session(session: BackendSession, what: str) -> Session:
    """``session`` when it is Softr's; these tools speak Softr's schema endpoints.

    Raises:
        ConfigurationError: another backend's session.
    """
    if not isinstance(session, Session):
        raise ConfigurationError(
            f"{what} needs a softr_orm.Session; {type(session).__name__} is not one"
        )
    return session


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


# --- create ------------------------------------------------------------------------------


def _field_type(declared: Field[Any]) -> str | None:
    if isinstance(declared, Raw):
        return declared.type_name if declared.type_name in FIELD_TYPES else None
    return declared.softr_type or None


def _link_target(
    declared: LinkedRecord[Any], model: type[Model], session: BackendSession, database_id: str
) -> str | None:
    """The table id a link points to; None for a link to the model itself (added later)."""
    try:
        target = declared.related_model()
    except ConfigurationError as error:
        raise SchemaError(
            f"{model.__name__}.{declared.attname}: the linked model is unknown ({error})"
        ) from None
    if target is model:
        return None
    meta = target._meta
    if meta.database is None or meta.table is None:
        raise SchemaError(
            f"{model.__name__}.{declared.attname}: the linked model {target.__name__} has no "
            "Meta.database / Meta.table; create its table first"
        )
    if meta.database != database_id:
        raise SchemaError(
            f"{model.__name__}.{declared.attname}: {target.__name__} lives in database "
            f"{meta.database}, and links cannot cross databases ({database_id})"
        )
    return resolve_table(session, meta.database, meta.table).id


def _spec(declared: Field[Any], name: str, softr_type: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name, "type": softr_type}
    options: dict[str, Any] = {}
    if softr_type == "SELECT":
        # A model declares no choices: let writes add them, as Softr's UI does by default.
        options = {"choices": [], "allowToAddNewChoice": True}
    elif softr_type == "RATING":
        limit = getattr(declared, "declared_max", None)
        if limit:
            options = {"max": limit}
    if options:
        spec["options"] = options
    if softr_type in ("SELECT", "USER", "LINKED_RECORD", "ATTACHMENT") and declared.multiple:
        spec["allowMultipleEntries"] = True
    if declared.required and not declared.read_only:
        spec["required"] = True
    if declared.help_text:
        spec["description"] = declared.help_text
    return spec


def create_table_for(
    model: type[Model],
    session: BackendSession | None = None,
    database_id: str | None = None,
    *,
    primary: str | None = None,
    description: str | None = None,
) -> Table | BaserowTable:
    """Create a Softr table with the fields ``model`` declares, and return it.

    The table is named ``Meta.table`` (else the class name) in ``database_id`` (else
    ``Meta.database``). A model without ``Meta.database`` / ``Meta.table`` gets them filled
    in from the new table, and the session's schema cache is refreshed, so the model binds to
    the new table on its next use.

    What is sent per field: its name and type; ``allowMultipleEntries`` for multiple selects,
    users, links and attachments; ``required`` and ``description`` (from ``help_text``);
    the declared ``max`` of a Rating; for a Select, no choices and ``allowToAddNewChoice``
    (fields carry no choice list); for a link, ``linkedTableId`` from the target model's
    table (which must exist already, in the same database; a link to the model itself is
    added once the table exists). Formula, Lookup and Rollup fields are **not** created
    (:data:`NOT_CREATED_TYPES`: the model does not know their expression or source); nor
    are ``Raw`` fields without a known ``type_name``. Both are logged as warnings, and
    ``check_schema()`` reports them as missing until they are added in Softr.

    Args:
        primary: the attribute of the primary (label) field; default the first
            SingleLineText field. It is sent as ``primaryFieldName`` (softr-api.md §2.2).
        description: the table's description.

    Raises:
        ConfigurationError: no database id (argument or ``Meta.database``).
        SchemaError: the table exists already, or a link target cannot be resolved.
    """
    meta = model._meta_or_fail()
    given = meta.get_session(session)
    baserow = given.backend if isinstance(given, BaserowSession) else None
    session = given if baserow is not None else softr_session(given, "create_table_for")
    database_id = database_id or meta.database
    if not database_id:
        raise ConfigurationError(
            f"create_table_for({model.__name__}): pass database_id or set Meta.database"
        )
    name = meta.table or model.__name__
    existing: Sequence[Any] = (
        baserow.list_tables(database_id)
        if baserow is not None
        else softr_session(session, "create_table_for").api.list_tables(database_id)
    )
    clash = next((t for t in existing if name in (t.id, t.name)), None)
    if clash is not None:
        raise SchemaError(
            f"database {database_id} already has a table {clash.name!r} ({clash.id}) for "
            f"{model.__name__}"
        )
    if primary is not None and primary not in meta.fields:
        raise SchemaError(f"{model.__name__} has no field {primary!r} to make primary")
    specs: list[dict[str, Any]] = []
    later: list[dict[str, Any]] = []
    skipped: list[str] = []
    primary_name: str | None = None
    for attname, declared in meta.fields.items():
        field_name = declared.name or attname
        softr_type = _field_type(declared)
        if softr_type is None or softr_type in NOT_CREATED_TYPES:
            skipped.append(f"{attname} ({softr_type or 'unknown type'})")
            continue
        spec = _spec(declared, field_name, softr_type)
        is_primary = attname == primary or (
            primary is None and primary_name is None and softr_type == "SINGLE_LINE_TEXT"
        )
        if is_primary:
            primary_name = field_name
            if spec == {"name": field_name, "type": "SINGLE_LINE_TEXT"}:
                # primaryFieldName alone creates it (a text field, softr-api.md §2.2); sent
                # twice, a Softr that reads it as "add a primary field" would see a clash.
                continue
        if isinstance(declared, LinkedRecord):
            target = _link_target(declared, model, session, database_id)
            if target is None:
                later.append(spec)
                continue
            spec["options"] = {"linkedTableId": target}
        specs.append(spec)
    if baserow is not None:
        created = create_on_baserow(baserow, database_id, name, specs, later, primary_name)
        return _created(model, session, database_id, created, skipped)
    api = softr_session(session, "create_table_for").api
    table = api.create_table(
        database_id,
        name,
        fields=specs,
        description=description,
        primary_field_name=primary_name,
    )
    for spec in later:  # links of the model to itself
        options: dict[str, Any] = {"linkedTableId": table.id}
        if spec.get("allowMultipleEntries"):
            options["allowMultipleEntries"] = True  # add-field has no top-level key for it
        api.add_field(database_id, table.id, spec["name"], spec["type"], options=options)
    if later:
        table = api.get_table(database_id, table.id)
    return _created(model, session, database_id, table, skipped)


def _created(
    model: type[Model],
    session: BackendSession,
    database_id: str,
    table: _TableT,
    skipped: list[str],
) -> _TableT:
    """Log what was skipped and point the model at its new table."""
    meta = model._meta_or_fail()
    if skipped:
        logger.warning(
            "create_table_for(%s): not created (define them in Softr): %s",
            model.__name__,
            ", ".join(skipped),
        )
    if meta.database is None:
        meta.database = database_id
    if meta.table is None:
        meta.table = table.id
    forget(model, session)
    state = _state(session)
    with state.lock:
        state.table_lists.pop(database_id, None)
    return table
