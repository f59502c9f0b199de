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
ROLLUP              store, typed as Baserow types them: :mod:`.computed`); a ROLLUP counting
                    its linked records (``COUNTALL``) is a ``count``
RECORD_ID           not shown (Baserow has no such type; the row id is ``id``)
=================== =========================================================================
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..store.state import DatabaseState, TableState
from .computed import (
    INVALID,
    Result,
    field_result,
    formula_result,
    lookup_result,
    rollup_function,
)
from .ids import int_id

__all__ = [
    "BASEROW_TYPES",
    "READ_ONLY",
    "baserow_type",
    "computed_result",
    "decimal_places",
    "field_object",
    "linked_field",
    "lookup_item_result",
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
    if type_ == "ROLLUP" and (definition.get("options") or {}).get("function") == "COUNTALL":
        return "count"
    return BASEROW_TYPES.get(type_)


_MAX_DEPTH = 16


def linked_field(
    table: TableState, database: DatabaseState, options: dict[str, Any], key: str
) -> tuple[dict[str, Any] | None, TableState | None, dict[str, Any] | None]:
    """(the link field, the linked table, its field ``options[key]``) of a lookup or rollup."""
    link = table.fields.get(options.get("linkedRecordFieldId") or "")
    if link is None:
        return None, None, None
    target = database.tables.get((link.get("options") or {}).get("linkedTableId") or "")
    if target is None:
        return link, None, None
    return link, target, target.fields.get(options.get(key) or "")


def computed_result(
    table: TableState, database: DatabaseState, definition: dict[str, Any], depth: int = 0
) -> Result:
    """The Baserow result type of a formula, rollup or count field of ``table``."""
    type_ = baserow_type(definition)
    options = definition.get("options") or {}
    if depth > _MAX_DEPTH:
        return INVALID
    if type_ == "count":
        return Result("number", 0)
    if type_ == "formula":

        def resolve(name: str) -> Result | None:
            found = next((f for f in table.fields.values() if f["name"] == name), None)
            if found is None:
                return None
            if baserow_type(found) in ("formula", "rollup", "count"):
                return computed_result(table, database, found, depth + 1)
            return field_result(baserow_type(found) or "", decimal_places(found))

        return formula_result(str(options.get("formula") or ""), resolve)
    if type_ == "rollup":
        _, _, source = linked_field(table, database, options, "rollupFieldId")
        function = rollup_function(options.get("function"))
        if source is not None and baserow_type(source) == "number" and function == "sum":
            return Result("number", decimal_places(source))
    return INVALID


def lookup_item_result(
    table: TableState, database: DatabaseState, definition: dict[str, Any]
) -> Result:
    """The type of a lookup's items (``array_formula_type``); ``invalid`` if not typed."""
    _, _, source = linked_field(table, database, definition.get("options") or {}, "lookupFieldId")
    if source is None:
        return INVALID
    return lookup_result(baserow_type(source) or "", decimal_places(source)) or INVALID


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


def _formula_family(result: Result, *, array_of: Result | None = None) -> dict[str, Any]:
    """The options every formula-typed field (formula, lookup, rollup, count) shows."""
    shown = array_of if array_of is not None else result
    return {
        "formula_type": result.type,
        "array_formula_type": array_of.type if array_of is not None else None,
        "number_decimal_places": shown.places if shown.type == "number" else None,
        "nullable": result.nullable,
        "error": result.error if result.error is not None else shown.error,
        "number_prefix": "",
        "number_suffix": "",
        "number_separator": "",
        "date_format": None,
        "date_include_time": None,
        "date_time_format": None,
        "date_show_tzinfo": None,
        "date_force_timezone": None,
        "duration_format": None,
    }


def _computed_options(
    table: TableState,
    database: DatabaseState,
    definition: dict[str, Any],
    type_: str,
    collaborators: list[dict[str, Any]],
) -> dict[str, Any]:
    options = definition.get("options") or {}
    if type_ == "formula":
        result = computed_result(table, database, definition)
        return {
            **_formula_family(result),
            "formula": options.get("formula", ""),
            "select_options": [],
            "available_collaborators": [],
        }
    if type_ == "lookup":
        link, _, source = linked_field(table, database, options, "lookupFieldId")
        items = lookup_item_result(table, database, definition)
        return {
            **_formula_family(Result("array", None, True), array_of=items),
            "select_options": [],
            "available_collaborators": collaborators,
            "through_field_id": int_id(link["id"]) if link else None,
            "through_field_name": link["name"] if link else None,
            "target_field_id": int_id(source["id"]) if source else None,
            "target_field_name": source["name"] if source else None,
        }
    link, _, source = linked_field(table, database, options, "rollupFieldId")
    out = {
        **_formula_family(computed_result(table, database, definition)),
        "through_field_id": int_id(link["id"]) if link else None,
    }
    if type_ == "rollup":
        out["target_field_id"] = int_id(source["id"]) if source else None
        out["rollup_function"] = rollup_function(options.get("function"))
    return out


def _type_options(
    table: TableState,
    database: DatabaseState,
    definition: dict[str, Any],
    type_: str,
    collaborators: list[dict[str, Any]],
) -> dict[str, Any]:
    options = definition.get("options") or {}
    if type_ in ("formula", "lookup", "rollup", "count"):
        return _computed_options(table, database, definition, type_, collaborators)
    if type_ == "multiple_collaborators":
        return {"available_collaborators": collaborators, "notify_user_when_added": True}
    if type_ in ("created_by", "last_modified_by"):
        return {"available_collaborators": collaborators}
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
    return {}


def field_object(
    table: TableState,
    database: DatabaseState,
    definition: dict[str, Any],
    order: int,
    collaborators: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One field as F1 lists it (baserow-api.md §4.1); ``collaborators`` are the workspace's
    members as ``{"id", "name"}`` (for ``available_collaborators``)."""
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
        **_type_options(table, database, definition, type_, collaborators or []),
    }
