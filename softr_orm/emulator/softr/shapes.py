"""Softr's JSON objects for what the store holds: Database, Table, TableView, Record.

The field definitions the store keeps are already Softr's ``TableField`` objects; values of
fields come from the store's :class:`~softr_orm.emulator.store.reader.Reader` in their read
shape. What this module adds is the objects around them, as softr-api.md §2 documents them.
"""

from __future__ import annotations

import copy
from typing import Any

from ..store.reader import Reader
from ..store.state import DatabaseState, RecordState, TableState, ViewState

__all__ = ["database_api", "record_api", "table_api", "view_api"]


def database_api(db: DatabaseState) -> dict[str, Any]:
    """The ``Database`` object."""
    return {
        "id": db.id,
        "name": db.name,
        "description": db.description,
        "workspaceId": db.workspace_id,
        "tablesCount": len(db.tables),
        "createdAt": db.created_at,
        "updatedAt": db.updated_at,
    }


def table_api(table: TableState) -> dict[str, Any]:
    """The ``Table`` object (a deep copy: callers may keep or change it)."""
    return {
        "id": table.id,
        "name": table.name,
        "description": table.description,
        "primaryFieldId": table.primary_field_id,
        "defaultViewId": table.default_view_id,
        "fields": [copy.deepcopy(definition) for definition in table.fields.values()],
        "createdAt": table.created_at,
        "updatedAt": table.updated_at,
    }


def view_api(view: ViewState) -> dict[str, Any]:
    """The ``TableView`` object."""
    return {
        "id": view.id,
        "tableId": view.table_id,
        "name": view.name,
        "description": view.description,
        "createdAt": view.created_at,
        "updatedAt": view.updated_at,
    }


def record_api(
    reader: Reader, table: TableState, rec: RecordState, *, by_name: bool = False
) -> dict[str, Any]:
    """The ``Record`` object; ``fields`` keyed by field id (or name with ``fieldNames``)."""
    return {
        "id": rec.id,
        "tableId": table.id,
        "fields": reader.fields_of(table, rec, by_name=by_name),
        "createdAt": rec.created_at,
        "updatedAt": rec.updated_at,
    }
