"""The store's field definitions (Softr's types) as Baserow field objects (baserow-api.md §4.1).

The store holds one data model, Softr's; this face shows each field as the Baserow type that
holds the same values. The mapping, and what each option becomes:

=================== =========================================================================
store type          Baserow type (options)
=================== =========================================================================
SINGLE_LINE_TEXT    ``text``; LONG_TEXT ``long_text``; EMAIL ``email``; URL ``url``;
                    PHONE ``phone_number``
NUMBER, CURRENCY,   ``number`` (``number_decimal_places`` = ``precision``, ``number_negative``
PERCENT             unless ``min`` >= 0, ``number_suffix`` "%" for PERCENT, prefix "$" for USD)
RATING              ``rating`` (``max_value`` = ``max``)
CHECKBOX            ``boolean``
DATE / DATETIME     ``date`` (``date_include_time`` false / true, ``date_format`` "ISO")
DURATION            ``duration`` (``duration_format`` "h:mm:ss")
SELECT              ``single_select`` / ``multiple_select`` (``select_options``)
LINKED_RECORD       ``link_row`` (``link_row_table_id``, ``link_row_related_field_id``,
                    ``link_row_multiple_relationships``)
ATTACHMENT          ``file``
USER                ``multiple_collaborators``
CREATED_AT /        ``created_on`` / ``last_modified`` (with time)
UPDATED_AT
CREATED_BY /        ``created_by`` / ``last_modified_by``
UPDATED_BY
AUTONUMBER          ``autonumber``
FORMULA, LOOKUP,    ``formula`` / ``lookup`` / ``rollup`` (read-only; values as computed by the
ROLLUP              store)
RECORD_ID           not shown (Baserow has no such type; the row id is ``id``)
=================== =========================================================================
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..store.state import DatabaseState, TableState
from .ids import int_id

__all__ = [
    "BASEROW_TYPES",
    "READ_ONLY",
    "baserow_type",
    "decimal_places",
    "field_object",
    "number_options",
    "option_id",
    "visible_fields",
]

BASEROW_TYPES: dict[str, str] = {
    "SINGLE_LINE_TEXT": "text",
    "LONG_TEXT": "long_text",
    "EMAIL": "email",
    "URL": "url",
    "PHONE": "phone_number",
    "NUMBER": "number",
    "CURRENCY": "number",
    "PERCENT": "number",
    "RATING": "rating",
    "CHECKBOX": "boolean",
    "DATE": "date",
    "DATETIME": "date",
    "DURATION": "duration",
    "SELECT": "single_select",
    "LINKED_RECORD": "link_row",
    "ATTACHMENT": "file",
    "USER": "multiple_collaborators",
    "CREATED_AT": "created_on",
    "UPDATED_AT": "last_modified",
    "CREATED_BY": "created_by",
    "UPDATED_BY": "last_modified_by",
    "AUTONUMBER": "autonumber",
    "FORMULA": "formula",
    "LOOKUP": "lookup",
    "ROLLUP": "rollup",
}

#: Baserow's read-only types (baserow-api.md §4.3).
READ_ONLY = frozenset(
    {
        "formula",
        "count",
        "rollup",
        "lookup",
        "created_on",
        "last_modified",
        "created_by",
        "last_modified_by",
        "uuid",
        "autonumber",
    }
)


def baserow_type(definition: dict[str, Any]) -> str | None:
    """The Baserow type a store field shows as (None: not shown)."""
    type_ = definition["type"]
    if type_ == "SELECT" and definition.get("allowMultipleEntries"):
        return "multiple_select"
    return BASEROW_TYPES.get(type_)


def visible_fields(table: TableState) -> Iterator[dict[str, Any]]:
    """The table's fields this face shows: the primary first, then in creation order."""
    primary = table.fields.get(table.primary_field_id)
    if primary is not None and baserow_type(primary) is not None:
        yield primary
    for definition in table.fields.values():
        if definition is not primary and baserow_type(definition) is not None:
            yield definition


def option_id(choice_id: str) -> int:
    """A select option's integer id."""
    return int_id(choice_id)


def decimal_places(definition: dict[str, Any]) -> int:
    precision = (definition.get("options") or {}).get("precision")
    return precision if isinstance(precision, int) and 0 <= precision <= 10 else 0


def number_options(definition: dict[str, Any]) -> dict[str, Any]:
    options = definition.get("options") or {}
    minimum = options.get("min")
    negative = not (isinstance(minimum, (int, float)) and minimum >= 0)
    prefix = "$" if definition["type"] == "CURRENCY" and options.get("isoCode") == "USD" else ""
    return {
        "number_decimal_places": decimal_places(definition),
        "number_negative": negative,
        "number_prefix": prefix,
        "number_suffix": "%" if definition["type"] == "PERCENT" else "",
        "number_separator": "",
        "number_default": None,
    }


def _select_options(definition: dict[str, Any]) -> list[dict[str, Any]]:
    choices = (definition.get("options") or {}).get("choices") or []
    return [
        {"id": option_id(c["id"]), "value": c["label"], "color": c.get("color") or "blue"}
        for c in choices
    ]


def _type_options(
    table: TableState, database: DatabaseState, definition: dict[str, Any], type_: str
) -> dict[str, Any]:
    options = definition.get("options") or {}
    if type_ == "text":
        return {"text_default": ""}
    if type_ == "long_text":
        return {"long_text_enable_rich_text": None}
    if type_ == "number":
        return number_options(definition)
    if type_ == "rating":
        return {"max_value": options.get("max", 5), "color": "dark-orange", "style": "star"}
    if type_ == "boolean":
        return {"boolean_default": False}
    if type_ in ("date", "created_on", "last_modified"):
        return {
            "date_format": "ISO",
            "date_include_time": definition["type"] != "DATE",
            "date_time_format": "24",
            "date_show_tzinfo": False,
            "date_force_timezone": None,
        }
    if type_ == "duration":
        return {"duration_format": "h:mm:ss"}
    if type_ == "single_select":
        return {"select_options": _select_options(definition), "single_select_default": None}
    if type_ == "multiple_select":
        return {"select_options": _select_options(definition), "multiple_select_default": None}
    if type_ == "link_row":
        target = database.tables.get(options.get("linkedTableId", ""))
        inverse = options.get("inverseLinkFieldId")
        target_id = target.seq if target is not None else None
        related = int_id(inverse) if inverse else None
        primary = None if target is None else target.fields.get(target.primary_field_id)
        return {
            "link_row_table_id": target_id,
            "link_row_related_field_id": related,
            "link_row_table": target_id,
            "link_row_related_field": related,
            "link_row_limit_selection_view_id": None,
            "link_row_table_primary_field": (
                field_object(target, database, primary, 0)
                if target is not None and primary is not None
                else None
            ),
            "link_row_multiple_relationships": bool(definition.get("allowMultipleEntries")),
        }
    if type_ == "formula":
        return {"formula": options.get("formula", ""), "formula_type": "text", "error": None}
    return {}


def field_object(
    table: TableState, database: DatabaseState, definition: dict[str, Any], order: int
) -> dict[str, Any]:
    """One field as F1 lists it (baserow-api.md §4.1)."""
    type_ = baserow_type(definition) or "text"
    return {
        "id": int_id(definition["id"]),
        "table_id": table.seq,
        "name": definition["name"],
        "order": order,
        "type": type_,
        "primary": definition["id"] == table.primary_field_id,
        "read_only": type_ in READ_ONLY,
        "immutable_type": False,
        "immutable_properties": False,
        "description": definition.get("description"),
        "database_id": database.seq,
        "workspace_id": int_id(database.workspace_id),
        "db_index": False,
        "field_constraints": [],
        **_type_options(table, database, definition, type_),
    }
