"""Binding models to the live schema: table and field names to ids.

Requests always carry table and field **ids**, while models are declared with readable names
(ids survive renames, names are what people remember). A :class:`Binding` is the result of
matching one model class against one table, for one session: it is fetched once per table
per session and kept in that session's state (never in a process-wide cache, so two tenants
with two sessions never see each other's schema), and refreshed once when the service answers
``UNKNOWN_FIELD``. Tables come from the session's backend (:mod:`softr_orm.backends.base`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from softr_orm.backends.defaults import bump_epoch
from softr_orm.errors import ConfigurationError, Forbidden, NotFound, SchemaError
from softr_orm.query.databases import database_overrides, effective_database

if TYPE_CHECKING:
    from softr_orm.backends.base import BackendSession, FieldDefinition, TableDefinition
    from softr_orm.fields import Field

__all__ = [
    "SCHEMA_RETRY_AFTER",
    "Binding",
    "bind",
    "check_model",
    "forget",
    "resolve_table",
    "session_database_map",
    "update_database_map",
]

#: Seconds a model's schema failure (a missing table or field) is answered from memory before
#: the schema is read again: a field put back is seen soon, without a request per query.
SCHEMA_RETRY_AFTER = 1.0

#: The clock of that back-off (replaceable in tests without touching ``time.monotonic``).
clock = time.monotonic


@dataclass(frozen=True)
class Binding:
    """One model matched against one live table through one session.

    Attributes:
        session: the session whose token read the schema.
        database_id, table_id: where the model's records live.
        table: the live table definition (fields, primary field, ...).
        ids: model attribute name -> field id.
        attnames: Softr field id -> model attribute name (for the fields the model declares).
        table_fields: model attribute name -> the live field definition.
        record_id_field: the id of a RECORD_ID field of the table, if it has one.
    """

    session: BackendSession
    database_id: str
    table_id: str
    table: TableDefinition
    ids: Mapping[str, str]
    attnames: Mapping[str, str]
    table_fields: Mapping[str, FieldDefinition]
    record_id_field: str | None
    primary_attname: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


_NO_BINDINGS: Mapping[str, Binding] = {}


class _SessionSchemaState:
    """What one session knows of the schema: tables by database, bindings by model."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tables: dict[tuple[str, str], TableDefinition] = {}
        self.table_lists: dict[str, list[TableDefinition]] = {}
        # model -> database id -> binding (a model may be pointed at another database for a
        # block, with override_database; each database keeps its own binding)
        self.bindings: WeakKeyDictionary[type, dict[str, Binding]] = WeakKeyDictionary()
        #: The same bindings keyed (model, database id) in a plain dict, read without the lock
        #: by :func:`bind` (the hot path of ``Model.from_record``). It keeps no model alive that
        #: ``bindings`` does not: each binding refers to its model already (``extra["model"]``).
        self.current: dict[tuple[type, str], Binding] = {}
        #: (model, database id) -> (clock() at its last schema failure, the failure's message)
        self.failures: dict[tuple[type, str], tuple[float, str]] = {}
        self._fetch_locks: dict[str, threading.Lock] = {}
        # declared database id -> the id to use through this session (map_databases)
        self.database_map: dict[str, str] = {}

    def fetch_lock(self, database_id: str) -> threading.Lock:
        """The lock that makes one thread at a time fetch this database's tables."""
        with self.lock:
            return self._fetch_locks.setdefault(database_id, threading.Lock())


def _state(session: BackendSession) -> _SessionSchemaState:
    return session.cache_for("softr_orm.query.binding", _SessionSchemaState)


def session_database_map(session: BackendSession) -> Mapping[str, str]:
    """The database map of ``session`` (see :func:`softr_orm.query.databases.map_databases`)."""
    return _state(session).database_map


def update_database_map(session: BackendSession, mapping: Mapping[str, str]) -> None:
    """Add ``mapping`` to the database map of ``session`` (bindings cached elsewhere are then
    stale: see :data:`softr_orm.backends.defaults.EPOCH`)."""
    state = _state(session)
    with state.lock:
        state.database_map.update(mapping)
    bump_epoch()


def resolve_table(session: BackendSession, database_id: str, table: str) -> TableDefinition:
    """The live table named ``table`` (an id, or else a name) in ``database_id``.

    An id costs one GET of that table; a name costs one listing of the database's tables,
    shared by every model of that database in this session.
    """
    state = _state(session)
    key = (database_id, table)
    with state.lock:
        cached = state.tables.get(key)
        if cached is not None:
            return cached
        tables = state.table_lists.get(database_id)
    if tables is None:
        # One listing per database per session, even when many threads meet the model at
        # once: the first fetches while the others wait for its answer.
        with state.fetch_lock(database_id):
            with state.lock:
                tables = state.table_lists.get(database_id)
            if tables is None:
                tables = list(session.backend.list_tables(database_id))
                with state.lock:
                    state.table_lists[database_id] = tables
    found = next((t for t in tables if t.id == table), None)
    if found is None:
        found = next((t for t in tables if t.name == table), None)
    if found is None:
        folded = table.casefold()
        matches = [t for t in tables if t.name.casefold() == folded]
        found = matches[0] if len(matches) == 1 else None
    if found is None:
        try:
            found = session.backend.get_table(database_id, table)
        except NotFound:
            names = ", ".join(sorted(t.name for t in tables)) or "(none)"
            raise SchemaError(
                f"database {database_id} has no table {table!r}; its tables are: {names}"
            ) from None
    with state.lock:
        state.tables[key] = found
    return found


def bind(model: type[Any], session: BackendSession) -> Binding:
    """The binding of ``model`` in ``session``, resolving it on first use.

    A schema failure (no such table or field) is never cached for good: for
    :data:`SCHEMA_RETRY_AFTER` seconds it is raised again without a request, then the schema
    is read afresh, so a field that is back is found.

    Raises:
        SchemaError: the live table lacks the model's table or one of its fields.
    """
    state = _state(session)
    declared = model._meta.database
    overrides = database_overrides()
    database_id = (
        (overrides.get(declared) if overrides else None)
        or state.database_map.get(declared, declared)
        or ""
    )
    # Read without the lock: one dict lookup, atomic under the GIL, and the hot path of
    # ``Model.from_record``. Writers still take the lock.
    key = (model, database_id)
    cached = state.current.get(key)
    if cached is not None:
        return cached
    with state.lock:
        cached = state.bindings.get(model, _NO_BINDINGS).get(database_id)
        failed = state.failures.get(key)
        if cached is not None:
            state.current[key] = cached
            return cached
    if failed is not None:
        when, message = failed
        if clock() - when < SCHEMA_RETRY_AFTER:
            raise SchemaError(message)
        forget(model, session)
    try:
        binding = _resolve(model, session)
    except SchemaError as error:
        with state.lock:
            state.failures[key] = (clock(), str(error))
        raise
    with state.lock:
        state.failures.pop(key, None)
        binding = state.bindings.setdefault(model, {}).setdefault(database_id, binding)
        state.current[key] = binding
        return binding


def forget(model: type[Any], session: BackendSession) -> None:
    """Drop what ``session`` knows about ``model``'s table, so the next use reads it again."""
    state = _state(session)
    database_id = effective_database(model._meta.database, session)
    with state.lock:
        state.bindings.get(model, {}).pop(database_id or "", None)
        state.current.pop((model, database_id or ""), None)
        if database_id is not None:
            state.table_lists.pop(database_id, None)
            for key in [k for k in state.tables if k[0] == database_id]:
                del state.tables[key]
        # Other models of the same table keep their binding until they meet UNKNOWN_FIELD too.
    bump_epoch()


def _resolve(model: type[Any], session: BackendSession) -> Binding:
    meta = model._meta
    database_id = effective_database(meta.database, session)
    if not database_id or not meta.table:
        raise ConfigurationError(
            f"{model.__name__}.Meta needs both `database` (a database id) and `table` "
            "(a table id or name)"
        )
    table = resolve_table(session, database_id, meta.table)
    index = _FieldIndex(table)
    ids: dict[str, str] = {}
    table_fields: dict[str, FieldDefinition] = {}
    fields: Mapping[str, Field[Any]] = meta.fields
    for attname, declared in fields.items():
        live = index.match(declared)
        if live is None:
            wanted = declared.field_id or declared.name or attname
            names = ", ".join(sorted(index.by_name)) or "(none)"
            raise SchemaError(
                f"{model.__name__}.{attname}: table {table.name!r} has no field {wanted!r}; "
                f"its fields are: {names}"
            )
        ids[attname] = live.id
        table_fields[attname] = live
    attnames = {fid: attname for attname, fid in ids.items()}
    record_id_field = next((f.id for f in table.fields if f.type == "RECORD_ID"), None)
    primary = attnames.get(table.primary_field_id) if table.primary_field_id else None
    return Binding(
        session=session,
        database_id=database_id,
        table_id=table.id,
        table=table,
        ids=ids,
        attnames=attnames,
        table_fields=table_fields,
        record_id_field=record_id_field,
        primary_attname=primary,
        extra={"model": model},
    )


class _FieldIndex:
    """A live table's fields by id, by exact name and by case-folded name."""

    def __init__(self, table: TableDefinition) -> None:
        self.by_id = {f.id: f for f in table.fields}
        self.by_name: dict[str, FieldDefinition] = {}
        self.folded: dict[str, list[FieldDefinition]] = {}
        for each in table.fields:
            self.by_name.setdefault(each.name, each)
            self.folded.setdefault(each.name.casefold(), []).append(each)

    def match(self, declared: Field[Any]) -> FieldDefinition | None:
        """The live field a declaration means: its pinned id, else its name (exactly, or
        case-insensitively when that is unambiguous)."""
        if declared.field_id:
            return self.by_id.get(declared.field_id)
        name = declared.name or declared.attname
        found = self.by_name.get(name)
        if found is not None:
            return found
        candidates = self.folded.get(name.casefold(), [])
        return candidates[0] if len(candidates) == 1 else None


def check_model(model: type[Any], session: BackendSession) -> list[str]:
    """Problems between ``model`` and its live table, read afresh through ``session``.

    Reported: fields the table lacks, declared types that differ from the live ones
    (including single vs multiple), writable declarations of read-only fields, and fields
    pinned by id whose Softr name has changed (renamed in Softr; the model still works).
    """
    meta = model._meta
    database_id = effective_database(meta.database, session)
    if not database_id or not meta.table:
        return [f"{model.__name__}: Meta needs both `database` (an id) and `table` (id or name)"]
    forget(model, session)
    try:
        table = resolve_table(session, database_id, meta.table)
    except SchemaError as error:
        return [f"{model.__name__}: {error}"]
    except (NotFound, Forbidden) as error:
        return [f"{model.__name__}: database {database_id} cannot be read: {error}"]
    index = _FieldIndex(table)
    problems: list[str] = []
    for attname, declared in meta.fields.items():
        live = index.match(declared)
        where = f"{model.__name__}.{attname}"
        if live is None:
            wanted = declared.field_id or declared.name or attname
            problem = f"{where}: the table {table.name!r} has no field {wanted!r}"
            namesake = index.by_name.get(declared.name or attname) if declared.field_id else None
            if namesake is not None:  # deleted and re-created, or pinned to the wrong id
                problem += f" (a field named {namesake.name!r} has id {namesake.id!r})"
            problems.append(problem)
            continue
        if declared.field_id and declared.name and live.name != declared.name:
            problems.append(
                f"{where}: field {live.id} was renamed in Softr from {declared.name!r} "
                f"to {live.name!r}"
            )
        problems.extend(declared.check_type(live))
    return problems
