"""The schema endpoints a JWT reaches (baserow-api.md §8): T2 list a database's tables, T3
create a table, T4 delete one, F2 create a field.

Baserow's field objects become the store's Softr-typed definitions (the inverse of
:mod:`.fields`); types the store cannot hold (``uuid``, and the computed types whose
expressions are Baserow's language: ``formula``, ``lookup``, ``rollup``, ``count``...) are
refused with 400 ``ERROR_REQUEST_BODY_VALIDATION`` naming ``type``.
"""

from __future__ import annotations

from typing import Any

from ..store.errors import StoreError
from ..store.state import DatabaseState, TableState
from .context import Call
from .errors import BaserowError, field_error
from .fields import field_object, visible_fields

__all__ = ["create_field", "create_table", "delete_table", "list_database_tables"]

#: Every field type Baserow 1.35 knows (a type outside it is an ``invalid_choice``).
BASEROW_FIELD_TYPES = frozenset(
    {
        "text",
        "long_text",
        "url",
        "email",
        "number",
        "rating",
        "boolean",
        "date",
        "last_modified",
        "last_modified_by",
        "created_on",
        "created_by",
        "duration",
        "link_row",
        "file",
        "single_select",
        "multiple_select",
        "phone_number",
        "formula",
        "count",
        "rollup",
        "lookup",
        "multiple_collaborators",
        "uuid",
        "autonumber",
        "password",
        "ai",
    }
)

_PLAIN = {
    "text": "SINGLE_LINE_TEXT",
    "long_text": "LONG_TEXT",
    "email": "EMAIL",
    "url": "URL",
    "phone_number": "PHONE",
    "boolean": "CHECKBOX",
    "duration": "DURATION",
    "file": "ATTACHMENT",
    "multiple_collaborators": "USER",
    "created_on": "CREATED_AT",
    "last_modified": "UPDATED_AT",
    "created_by": "CREATED_BY",
    "last_modified_by": "UPDATED_BY",
    "autonumber": "AUTONUMBER",
}

_NO_APPLICATION = (
    404,
    "ERROR_APPLICATION_DOES_NOT_EXIST",
    "The requested application does not exist.",
)
_NOT_IN_WORKSPACE = (400, "ERROR_USER_NOT_IN_GROUP", "The user doesn't belong to the workspace.")


def _validation(detail: Any) -> BaserowError:
    return BaserowError(400, "ERROR_REQUEST_BODY_VALIDATION", detail)


def _database(call: Call, database_id: int) -> DatabaseState:
    for db in call.store.databases.values():
        if db.seq == database_id:
            if db.workspace_id not in call.token.workspace_ids:
                raise BaserowError(*_NOT_IN_WORKSPACE)
            return db
    raise BaserowError(*_NO_APPLICATION)


def _table_object(db: DatabaseState, table: TableState) -> dict[str, Any]:
    order = list(db.tables.values()).index(table) + 1
    return {
        "id": table.seq,
        "name": table.name,
        "order": order,
        "database_id": db.seq,
        "data_sync": None,
    }


def list_database_tables(call: Call, database_id: int) -> list[dict[str, Any]]:
    db = _database(call, database_id)
    return [_table_object(db, table) for table in db.tables.values()]


def _name(body: Any, limit: int) -> str:
    name = body.get("name") if isinstance(body, dict) else None
    if name is None:
        raise _validation({"name": field_error("This field is required.", "required")})
    if not isinstance(name, str) or not name.strip():
        raise _validation({"name": field_error("This field may not be blank.", "blank")})
    if len(name) > limit:
        message = f"Ensure this field has no more than {limit} characters."
        raise _validation({"name": field_error(message, "max_length")})
    return name.strip()


def _refused(error: StoreError) -> BaserowError:
    return _validation(error.message)


def create_table(call: Call, database_id: int) -> dict[str, Any]:
    """T3: ``{"name", "data"?, "first_row_header"?}``. With ``data``, text fields named by the
    first row (``first_row_header``) or ``Field 1``..., the first the primary, the other rows
    imported; without, Baserow's sample table (Name, Notes, Active and two empty rows)."""
    body = call.json_body()
    name = _name(body, 255)
    db = _database(call, database_id)
    data = body.get("data")
    if data is None:
        fields = [
            {"name": "Name", "type": "SINGLE_LINE_TEXT"},
            {"name": "Notes", "type": "LONG_TEXT"},
            {"name": "Active", "type": "CHECKBOX"},
        ]
        rows: list[list[Any]] = [[], []]
    else:
        if not isinstance(data, list) or not data or not all(isinstance(r, list) for r in data):
            raise _validation({"data": field_error("Expected a list of lists.", "invalid")})
        width = max(len(r) for r in data)
        if width == 0:
            raise _validation({"data": field_error("The data must contain a column.", "invalid")})
        header = body.get("first_row_header", True) is not False
        names = (
            [str(v) if v not in (None, "") else f"Field {i + 1}" for i, v in enumerate(data[0])]
            if header
            else []
        )
        names += [f"Field {i + 1}" for i in range(len(names), width)]
        fields = [{"name": n, "type": "SINGLE_LINE_TEXT"} for n in names]
        rows = data[1:] if header else data
    try:
        table = call.store.create_table(db.id, {"name": name, "fields": fields})
        ids = [f["id"] for f in visible_fields(table)]
        items = [
            {ids[i]: str(v) for i, v in enumerate(row) if v not in (None, "") and i < len(ids)}
            for row in rows
        ]
        if items:
            call.store.records.create_many(table, items, user_id=call.token.user_id)
    except StoreError as error:
        raise _refused(error) from None
    return _table_object(db, table)


def delete_table(call: Call, table_id: int) -> None:
    """T4: the table and its rows go (Baserow moves them to its trash)."""
    db, table = call.table(table_id)
    call.store.delete_table(db.id, table.id, force=True)


def _number(body: dict[str, Any]) -> dict[str, Any]:
    places = body.get("number_decimal_places", 0)
    if not isinstance(places, int) or isinstance(places, bool) or not 0 <= places <= 10:
        message = f'"{places}" is not a valid choice.'
        raise _validation({"number_decimal_places": field_error(message, "invalid_choice")})
    options: dict[str, Any] = {"precision": places}
    if body.get("number_suffix") == "%":
        return {"type": "PERCENT", "options": options}
    if not body.get("number_negative", False):
        options["min"] = 0
    if body.get("number_prefix") == "$":
        return {"type": "CURRENCY", "options": {**options, "isoCode": "USD"}}
    return {"type": "NUMBER", "options": options}


def _store_field(call: Call, db: DatabaseState, body: dict[str, Any]) -> dict[str, Any]:
    """The store's definition (without its name) for a Baserow field object."""
    type_ = body.get("type")
    if type_ is None:
        raise _validation({"type": field_error("This field is required.", "required")})
    if not isinstance(type_, str) or type_ not in BASEROW_FIELD_TYPES:
        message = f'"{type_}" is not a valid choice.'
        raise _validation({"type": field_error(message, "invalid_choice")})
    if type_ in _PLAIN:
        return {"type": _PLAIN[type_]}
    if type_ == "number":
        return _number(body)
    if type_ == "rating":
        return {"type": "RATING", "options": {"max": body.get("max_value", 5)}}
    if type_ == "date":
        return {"type": "DATETIME" if body.get("date_include_time") else "DATE"}
    if type_ in ("single_select", "multiple_select"):
        options = body.get("select_options") or []
        if not isinstance(options, list):
            message = f'Expected a list of items but got type "{type(options).__name__}".'
            raise _validation({"select_options": field_error(message, "not_a_list")})
        choices = [
            {"label": str(o.get("value", "")), "color": str(o.get("color") or "blue")}
            for o in options
            if isinstance(o, dict)
        ]
        return {
            "type": "SELECT",
            "allowMultipleEntries": type_ == "multiple_select",
            "options": {"choices": choices},
        }
    if type_ == "link_row":
        target_id = body.get("link_row_table_id", body.get("link_row_table"))
        target = next(
            (t for t in db.tables.values() if isinstance(target_id, int) and t.seq == target_id),
            None,
        )
        if target is None:
            raise BaserowError(
                404, "ERROR_TABLE_DOES_NOT_EXIST", "The requested table does not exist."
            )
        return {
            "type": "LINKED_RECORD",
            "allowMultipleEntries": body.get("link_row_multiple_relationships", True) is not False,
            "options": {"linkedTableId": target.id},
        }
    message = f'The emulator\'s Baserow face cannot create "{type_}" fields.'
    raise _validation({"type": field_error(message, "invalid_choice")})


def create_field(call: Call, table_id: int) -> dict[str, Any]:
    """F2: a field from a Baserow field object; the answer is the field as F1 lists it, with
    ``related_fields`` (always empty: no related field is made in a linked table)."""
    body = call.json_body()
    if not isinstance(body, dict):
        body = {}
    db, table = call.table(table_id)
    name = _name(body, 255)
    definition = {**_store_field(call, db, body), "name": name}
    if body.get("description"):
        definition["description"] = str(body["description"])
    if table.field_by_name(name) is not None:
        raise BaserowError(
            400,
            "ERROR_FIELD_WITH_SAME_NAME_ALREADY_EXISTS",
            "You cannot have two fields with the same name in the same table, please choose a "
            "unique name for each field.",
        )
    try:
        created = call.store.fields.add(table, definition)
    except StoreError as error:
        raise _refused(error) from None
    shown = list(visible_fields(table))
    order = next(i for i, d in enumerate(shown) if d["id"] == created["id"])
    return {**field_object(table, db, created, order), "related_fields": []}
