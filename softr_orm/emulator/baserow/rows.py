"""R2-R5 and the batch endpoints R7-R9 (baserow-api.md §3.3-3.8).

Writes are converted by :mod:`.writing`, then validated again and applied by the store; a
store refusal (its rules are Softr's, sometimes stricter than Baserow's) answers
``ERROR_REQUEST_BODY_VALIDATION`` naming the field. Batches are all-or-nothing: every item
is converted and every id checked before the store writes anything, in one transaction.
"""

from __future__ import annotations

from typing import Any

from ..store.errors import StoreError
from ..store.state import RecordState, TableState
from .context import Call
from .errors import BaserowError, field_error, row_missing
from .ids import int_id
from .writing import body_error

__all__ = [
    "batch_create",
    "batch_delete",
    "batch_update",
    "create_row",
    "delete_row",
    "get_row",
    "update_row",
]

BATCH_LIMIT = 200


def _row(
    call: Call, table_id: int, row_id: int, *, as_text: bool = True
) -> tuple[TableState, RecordState]:
    """The row; 404 naming the id as Baserow does (a string from the URL for GET and
    DELETE, an integer for PATCH)."""
    _, table = call.table(table_id)
    rec = call.rows.get(table, call.store.records_of(table), row_id)
    if rec is None:
        raise row_missing([str(row_id) if as_text else row_id])
    return table, rec


def _store_refusal(
    call: Call, table: TableState, error: StoreError, index: int | None
) -> BaserowError:
    """A store refusal in Baserow's shape: the field named by ``details.fieldId``."""
    field_id = (error.details or {}).get("fieldId")
    definition = table.fields.get(field_id) if isinstance(field_id, str) else None
    if definition is None:
        return body_error(error.message)
    key = definition["name"] if call.by_name else f"field_{int_id(definition['id'])}"
    detail: dict[str, Any] = {key: field_error(error.message, "invalid")}
    if index is not None:
        detail = {"items": {str(index): detail}}
    return body_error(detail)


def get_row(call: Call, table_id: int, row_id: int) -> dict[str, Any]:
    table, rec = _row(call, table_id, row_id)
    if call.request.args.get("include") == "metadata":
        raise BaserowError(
            400, "ERROR_CANNOT_INCLUDE_ROW_METADATA", "The token cannot include row metadata."
        )
    return call.reader().row(table, rec, by_name=call.by_name)


def create_row(call: Call, table_id: int) -> dict[str, Any]:
    _, table = call.table(table_id)
    body = call.json_body()
    fields = call.writer().convert(table, body, by_name=call.by_name)
    try:
        rec = call.store.records.create(table, fields, user_id=call.token.user_id)
    except StoreError as error:
        raise _store_refusal(call, table, error, None) from None
    return call.reader().row(table, rec, by_name=call.by_name)


def update_row(call: Call, table_id: int, row_id: int) -> dict[str, Any]:
    body = call.json_body()
    _, table = call.table(table_id)
    fields = call.writer().convert(table, body, by_name=call.by_name)
    table, rec = _row(call, table_id, row_id, as_text=False)
    try:
        rec = call.store.records.update(table, rec.id, fields, user_id=call.token.user_id)
    except StoreError as error:
        raise _store_refusal(call, table, error, None) from None
    return call.reader().row(table, rec, by_name=call.by_name)


def delete_row(call: Call, table_id: int, row_id: int) -> None:
    table, rec = _row(call, table_id, row_id)
    call.store.records.delete(table, rec.id)


def _items(call: Call, *, missing_code: str = "invalid") -> list[Any]:
    """The batch's ``items`` (Baserow codes a missing list ``invalid`` for create and
    update, ``required`` for delete)."""
    body = call.json_body()
    if not isinstance(body, dict) or "items" not in body:
        raise body_error({"items": field_error("This field is required.", missing_code)})
    items = body["items"]
    if not isinstance(items, list):
        raise body_error(
            {
                "items": field_error(
                    f'Expected a list of items but got type "{type(items).__name__}".', "not_a_list"
                )
            }
        )
    if not items:
        raise body_error(
            {"items": field_error("Ensure this field has at least 1 elements.", "min_length")}
        )
    if len(items) > BATCH_LIMIT:
        raise body_error(
            {
                "items": field_error(
                    f"Ensure this field has no more than {BATCH_LIMIT} elements.", "max_length"
                )
            }
        )
    return items


def _convert_items(
    call: Call, table: TableState, items: list[Any], *, with_id: bool
) -> list[dict[str, Any]]:
    """Every item converted, or one error naming items by index (as strings)."""
    writer = call.writer()
    converted: list[dict[str, Any]] = []
    errors: dict[str, Any] = {}
    type_level: str | None = None
    for index, item in enumerate(items):
        if with_id and isinstance(item, dict):
            row_id = item.get("id")
            if row_id is None:
                errors[str(index)] = {"id": field_error("This field is required.", "invalid")}
                continue
            if isinstance(row_id, bool) or not isinstance(row_id, int):
                errors[str(index)] = {"id": field_error("A valid integer is required.", "invalid")}
                continue
        if not isinstance(item, dict):
            message = f"Invalid data. Expected a dictionary, but got {type(item).__name__}."
            errors[str(index)] = {"non_field_errors": field_error(message, "invalid")}
            continue
        try:
            converted.append(writer.convert(table, item, by_name=call.by_name))
        except BaserowError as error:
            if isinstance(error.detail, dict):
                errors[str(index)] = error.detail
            else:
                type_level = type_level or str(error.detail)
    if errors:
        raise body_error({"items": errors})
    if type_level is not None:
        raise body_error(type_level)
    return converted


def _check_in_store(
    call: Call, table: TableState, converted: list[dict[str, Any]], *, creating: bool
) -> None:
    """The store's own checks, item by item, so a refusal names its item's index."""
    for index, fields in enumerate(converted):
        try:
            call.store.records.check(table, fields, creating=creating)
        except StoreError as error:
            raise _store_refusal(call, table, error, index) from None


def batch_create(call: Call, table_id: int) -> dict[str, Any]:
    _, table = call.table(table_id)
    items = _items(call)
    converted = _convert_items(call, table, items, with_id=False)
    _check_in_store(call, table, converted, creating=True)
    try:
        created = call.store.records.create_many(table, converted, user_id=call.token.user_id)
    except StoreError as error:
        raise _store_refusal(call, table, error, None) from None
    reader = call.reader()
    return {"items": [reader.row(table, rec, by_name=call.by_name) for rec in created]}


def _existing(call: Call, table: TableState, row_ids: list[int]) -> list[RecordState]:
    seen: set[int] = set()
    repeated: set[int] = set()
    for row_id in row_ids:
        (repeated if row_id in seen else seen).add(row_id)
    duplicates = sorted(repeated)
    if duplicates:
        raise BaserowError(
            400, "ERROR_ROW_IDS_NOT_UNIQUE", f"The provided row ids {duplicates} are not unique."
        )
    records = call.store.records_of(table)
    found = [call.rows.get(table, records, i) for i in row_ids]
    missing = sorted(i for i, rec in zip(row_ids, found, strict=False) if rec is None)
    if missing:
        raise row_missing(missing)
    return [rec for rec in found if rec is not None]


def batch_update(call: Call, table_id: int) -> dict[str, Any]:
    _, table = call.table(table_id)
    items = _items(call)
    converted = _convert_items(call, table, items, with_id=True)
    _check_in_store(call, table, converted, creating=False)
    records = _existing(call, table, [item["id"] for item in items])
    try:
        updated = call.store.records.update_many(
            table,
            [(rec.id, f) for rec, f in zip(records, converted, strict=False)],
            user_id=call.token.user_id,
        )
    except StoreError as error:
        raise _store_refusal(call, table, error, None) from None
    reader = call.reader()
    return {"items": [reader.row(table, rec, by_name=call.by_name) for rec in updated]}


def batch_delete(call: Call, table_id: int) -> None:
    _, table = call.table(table_id)
    items = _items(call, missing_code="required")
    bad = {
        str(i): field_error("A valid integer is required.", "invalid")
        for i, v in enumerate(items)
        if isinstance(v, bool) or not isinstance(v, int)
    }
    if bad:
        raise body_error({"items": bad})
    records = _existing(call, table, items)
    call.store.records.delete_many(table, [rec.id for rec in records])
