"""``Emulator.create_tables_for(*models)``: the database and tables that model classes declare.

A user's app declares its models with fixed ids (``Meta.database``, ``Meta.table``, fields
pinned with ``field_id=``). To test that app against the emulator, the emulator must hold
tables with exactly those ids, so that the models bind without a single change. This module
builds them in the store.

The emulator imports no client code (it must catch the client's mistakes, not repeat them), so
models are read by **duck typing** only: ``model._meta.database``, ``model._meta.table``,
``model._meta.fields`` (attribute name -> field), and on each field ``name``, ``attname``,
``field_id``, ``softr_type`` (or a ``Raw`` field's ``type_name``), ``multiple``, ``required``,
``choices`` and ``declared_max`` when present, and ``related_model()`` for links.

What is created, per model (see docs/emulator.md, "Tables for models"):

* the database ``Meta.database`` when missing (named ``"Models"``, in the default workspace);
* the table: ``Meta.table`` is taken as a table id when it looks like one (14 letters and
  digits, Softr's shape), and the table is then named after the class; otherwise it is the
  table's name and the id is drawn;
* one field per declared field, with its pinned id when it has one: its type, ``multiple``,
  ``required``, a Rating's ``max``, a Select's declared choices (without declared choices new
  labels are allowed, as the client's ``create_table_for`` does); a Formula gets an empty
  formula (it reads as empty); Lookup and Rollup fields are skipped (a model does not say what
  they look up);
* a ``RECORD_ID`` field ("Record ID") unless the model declares one, so that the client can
  search by record id (one search per prefetch instead of one GET per id);
* links last, pointing at the linked model's table (linked models not passed are created
  too); two links between the same pair of tables, one each way, are paired as inverses.

Tables that exist already (by pinned id, else by name) are kept; fields they lack are added.

Baserow models (``Meta.database = 12``, ``Meta.table = 345``, ``field_id="field_678"``) get
the same, seen through the Baserow face with those integer ids: the store pins the database's
and table's sequence numbers and stores the field as ``~678``; no RECORD_ID field (Baserow has
none: the row id is ``id``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .baserow.ids import str_id
from .store import Store
from .store.errors import StoreError
from .store.state import DatabaseState, TableState

__all__ = ["baserow_number", "create_tables_for", "looks_like_table_id"]

_TABLE_ID = re.compile(r"[A-Za-z0-9]{14}")
_BASEROW_FIELD = re.compile(r"field_([1-9][0-9]{0,15})")
#: Types whose definition a model cannot supply (what do they look up or roll up?).
_SKIPPED = frozenset({"LOOKUP", "ROLLUP"})
_MULTI = frozenset({"SELECT", "USER", "LINKED_RECORD", "ATTACHMENT"})
DATABASE_NAME = "Models"
RECORD_ID_NAME = "Record ID"


def looks_like_table_id(value: str) -> bool:
    """Whether ``Meta.table`` is an id (Softr's: 14 letters and digits) rather than a name."""
    return _TABLE_ID.fullmatch(value) is not None


def baserow_number(value: Any) -> int | None:
    """A Baserow id (``12`` or ``"12"``) declared in ``Meta``, else None."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit() and not value.startswith("0"):
        return int(value)
    return None


def _pinned_field_id(field: Any) -> str | None:
    """The store id for a declared ``field_id``: Baserow's ``field_123`` becomes ``~123``
    (what the Baserow face shows as 123); a Softr id is kept."""
    field_id = getattr(field, "field_id", None)
    if not isinstance(field_id, str) or not field_id:
        return None
    match = _BASEROW_FIELD.fullmatch(field_id)
    return str_id(int(match.group(1))) if match else field_id


def _meta(model: Any) -> Any:
    meta = getattr(model, "_meta", None)
    if meta is None or not hasattr(meta, "fields"):
        raise TypeError(f"{model!r} is not a model class (it has no _meta.fields)")
    return meta


def _field_type(field: Any) -> str | None:
    softr_type = getattr(field, "softr_type", "") or getattr(field, "type_name", None)
    return softr_type if isinstance(softr_type, str) and softr_type else None


def _field_name(field: Any, attname: str) -> str:
    name = getattr(field, "name", None) or getattr(field, "attname", None) or attname
    return str(name)


def _spec(field: Any, name: str, softr_type: str) -> dict[str, Any]:
    """The add-field body for one declared (non-link) field."""
    spec: dict[str, Any] = {"name": name, "type": softr_type}
    if softr_type == "SELECT":
        declared = getattr(field, "choices", None)
        labels = [c for c in declared if isinstance(c, str)] if isinstance(declared, list) else []
        spec["options"] = {
            "choices": [{"label": label} for label in labels],
            "allowToAddNewChoice": not labels,
        }
    elif softr_type == "RATING":
        limit = getattr(field, "declared_max", None)
        if isinstance(limit, int) and not isinstance(limit, bool) and 1 <= limit <= 10:
            spec["options"] = {"max": limit}
    elif softr_type == "FORMULA":
        spec["options"] = {"formula": ""}
    if softr_type in _MULTI and getattr(field, "multiple", False) is True:
        spec["allowMultipleEntries"] = True
    if getattr(field, "required", False) is True and not getattr(field, "read_only", False):
        spec["required"] = True
    return spec


def _closure(models: Iterable[Any]) -> list[Any]:
    """The models given, then every model their links reach (each once, in order)."""
    found: list[Any] = []
    pending = list(models)
    while pending:
        model = pending.pop(0)
        if model in found:
            continue
        found.append(model)
        for field in _meta(model).fields.values():
            if _field_type(field) == "LINKED_RECORD":
                pending.append(field.related_model())
    return found


class _Builder:
    def __init__(self, store: Store, workspace_id: str) -> None:
        self.store = store
        self.workspace_id = workspace_id
        self.tables: dict[Any, TableState] = {}

    def database_id(self, model: Any) -> str:
        database_id = _meta(model).database
        number = baserow_number(database_id)
        if number is not None:
            return self._baserow_database(number).id
        if not isinstance(database_id, str) or not database_id:
            raise ValueError(f"{model.__name__}.Meta needs a database id to create its table")
        if database_id not in self.store.databases:
            self.store.create_database(
                {"workspaceId": self.workspace_id, "name": DATABASE_NAME}, database_id=database_id
            )
        return database_id

    def _baserow_database(self, number: int) -> DatabaseState:
        """The database the Baserow face shows with id ``number`` (created when missing)."""
        for db in self.store.databases.values():
            if db.seq == number:
                return db
        body = {"workspaceId": self.workspace_id, "name": DATABASE_NAME}
        return self.store.create_database(body, seq=number)

    def table(self, model: Any) -> TableState:
        """The model's table, created with its plain fields (links come later)."""
        meta = _meta(model)
        database_id = self.database_id(model)
        declared = meta.table or model.__name__
        baserow = baserow_number(meta.database) is not None
        table_seq = baserow_number(declared) if baserow else None
        if table_seq is not None:
            declared = model.__name__
        if not isinstance(declared, str):
            raise ValueError(f"{model.__name__}.Meta.table must be a str")
        table_id = declared if looks_like_table_id(declared) and not baserow else None
        name = model.__name__ if table_id else declared
        tables = self.store.database(database_id).tables
        existing = tables.get(table_id) if table_id else None
        if table_seq is not None:
            existing = next((t for t in tables.values() if t.seq == table_seq), None)
        elif table_id is None:
            existing = next((t for t in tables.values() if t.name == name), None)
        elif existing is None and self.store.find_table(table_id) is not None:
            raise StoreError(
                "CONSTRAINT_VIOLATION", f"table '{table_id}' exists in another database"
            )
        specs: list[dict[str, Any]] = []
        pinned: dict[str, str] = {}
        for attname, field in meta.fields.items():
            softr_type = _field_type(field)
            if softr_type is None or softr_type in _SKIPPED or softr_type == "LINKED_RECORD":
                continue
            spec = _spec(field, _field_name(field, attname), softr_type)
            specs.append(spec)
            field_id = _pinned_field_id(field)
            if field_id is not None:
                pinned[spec["name"]] = field_id
        if (
            not baserow
            and not any(s["type"] == "RECORD_ID" for s in specs)
            and not any(s["name"] == RECORD_ID_NAME for s in specs)
        ):
            specs.append({"name": RECORD_ID_NAME, "type": "RECORD_ID"})
        if existing is not None:
            for spec in specs:
                self._add_missing(existing, spec, pinned.get(spec["name"]))
            return existing
        # The primary field: the first short text, else the first field (Softr's rule).
        primary = next((s for s in specs if s["type"] == "SINGLE_LINE_TEXT"), None)
        if primary is not None:
            specs.remove(primary)
            specs.insert(0, primary)
        elif specs and specs[0]["type"] == "RECORD_ID":
            specs.insert(0, {"name": "Name", "type": "SINGLE_LINE_TEXT"})
        body = {"name": name, "fields": specs}
        return self.store.create_table(
            database_id, body, table_id=table_id, field_ids=pinned, seq=table_seq
        )

    def _add_missing(self, table: TableState, spec: dict[str, Any], field_id: str | None) -> None:
        if field_id is not None and field_id in table.fields:
            return
        namesake = table.field_by_name(spec["name"])
        if namesake is not None:
            if field_id is None:
                return
            raise StoreError(
                "CONSTRAINT_VIOLATION",
                f"table '{table.name}' has a field '{spec['name']}' with id '{namesake['id']}',"
                f" but the model pins id '{field_id}'",
            )
        if spec["type"] == "RECORD_ID" and any(
            f["type"] == "RECORD_ID" for f in table.fields.values()
        ):
            return
        self.store.fields.add(table, spec, field_id=field_id)

    def links(self, model: Any) -> None:
        table = self.tables[model]
        for attname, field in _meta(model).fields.items():
            if _field_type(field) != "LINKED_RECORD":
                continue
            target = self.tables[field.related_model()]
            spec = _spec(field, _field_name(field, attname), "LINKED_RECORD")
            spec["options"] = {"linkedTableId": target.id}
            inverse = self._inverse(table, target)
            if inverse is not None:
                spec["options"]["inverseLinkFieldId"] = inverse
            self._add_missing(table, spec, _pinned_field_id(field))

    @staticmethod
    def _inverse(table: TableState, target: TableState) -> str | None:
        """The one link field of ``target`` pointing at ``table`` that has no partner yet."""
        if target is table:
            return None
        candidates = [
            f["id"]
            for f in target.fields.values()
            if f["type"] == "LINKED_RECORD"
            and f["options"].get("linkedTableId") == table.id
            and not f["options"].get("inverseLinkFieldId")
        ]
        return candidates[0] if len(candidates) == 1 else None


def create_tables_for(store: Store, models: Iterable[Any], workspace_id: str) -> list[TableState]:
    """Create (or complete) the tables of ``models`` and of the models they link to.

    Returns the tables of every model handled, in order (the models given first).

    Raises:
        ValueError: a model without ``Meta.database``.
        StoreError: a declared definition the store refuses (e.g. a pinned id taken).
    """
    builder = _Builder(store, workspace_id)
    ordered = _closure(models)
    with store.lock:
        for model in ordered:
            builder.tables[model] = builder.table(model)
        for model in ordered:
            builder.links(model)
    return [builder.tables[model] for model in ordered]
