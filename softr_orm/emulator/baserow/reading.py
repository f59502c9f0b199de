"""Store values in Baserow's read shapes (baserow-api.md §4.4, §4.4a).

Numbers are decimal strings quantized to the field's places; dates ISO (date-only
``YYYY-MM-DD``, date-times UTC with ``Z``); selects ``{"id", "value", "color"}``; links
``[{"id", "value", "order"}]`` with the linked row's id and order; empty url/email/phone read
``""``, an empty rating ``0``, empty lists ``[]``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from ..store.catalog import Catalog
from ..store.reader import Reader
from ..store.state import RecordState, TableState
from .fields import (
    baserow_type,
    computed_result,
    decimal_places,
    lookup_item_result,
    option_id,
    visible_fields,
)
from .ids import int_id

__all__ = ["RowReader", "order_of"]

_EMPTY_STRING_TYPES = frozenset({"url", "email", "phone_number"})


def order_of(rec: RecordState) -> str:
    """A row's ``order``: its position as Baserow writes it (20 decimals)."""
    return f"{rec.seq}.00000000000000000000"


def _decimal_text(value: Any, places: int) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    quantum = Decimal(1).scaleb(-places)
    quantized = number.quantize(quantum)
    if not quantized:
        quantized = quantized.copy_abs()  # no "-0.00"
    # Fixed point: str() would write a zero with many places as "0E-10".
    return format(quantized, "f")


def _instant(text: Any) -> str | None:
    """The store's ``...T12:00:00.000Z`` as DRF writes a UTC datetime."""
    if not isinstance(text, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    moment = moment.astimezone(dt.timezone.utc)
    return moment.replace(tzinfo=None).isoformat() + "Z"


class RowReader:
    """Reads rows of one store through its :class:`Reader` (under the store's lock)."""

    def __init__(self, store: Catalog) -> None:
        self.store = store
        self.reader = Reader(store)

    def row(self, table: TableState, rec: RecordState, *, by_name: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"id": rec.seq, "order": order_of(rec)}
        for definition in visible_fields(table):
            key = definition["name"] if by_name else f"field_{int_id(definition['id'])}"
            out[key] = self.value(table, rec, definition)
        return out

    def label(self, table: TableState, rec: RecordState) -> str:
        return self.reader.label(table, rec)

    def _user(self, user_id: str | None) -> dict[str, Any] | None:
        user = self.store.users.get(user_id) if user_id else None
        if user is None:
            return None
        return {"id": int_id(user.id), "name": user.full_name}

    def _links(self, table: TableState, definition: dict[str, Any], rec: RecordState) -> Any:
        target = self.store.find_table((definition.get("options") or {}).get("linkedTableId", ""))
        if target is None:
            return []
        records = self.store.records_of(target)
        linked = [records.get(i) for i in rec.values.get(definition["id"]) or []]
        out = []
        # Baserow lists linked rows in the linked table's order, not in the order written.
        for other in sorted((r for r in linked if r is not None), key=lambda r: r.seq):
            if other is not None:
                out.append(
                    {
                        "id": other.seq,
                        "value": self.reader.label(target, other),
                        "order": order_of(other),
                    }
                )
        return out

    def value(self, table: TableState, rec: RecordState, definition: dict[str, Any]) -> Any:
        """The Baserow read form of one field of one record."""
        type_ = baserow_type(definition)
        source = definition["type"]
        if type_ == "link_row":
            return self._links(table, definition, rec)
        if type_ == "created_by":
            return self._user(rec.created_by)
        if type_ == "last_modified_by":
            return self._user(rec.updated_by)
        if type_ == "multiple_collaborators":
            stored = rec.values.get(definition["id"])
            ids = stored if isinstance(stored, list) else [stored] if stored else []
            return [u for u in (self._user(i) for i in ids) if u is not None]
        if type_ == "lookup":
            return self._lookup(table, rec, definition)
        if type_ in ("formula", "rollup", "count"):
            return self._computed(table, rec, definition)
        value = self.reader.value(table, rec, definition)
        if type_ in ("text", "long_text"):
            return value
        if type_ in _EMPTY_STRING_TYPES:
            return value if value is not None else ""
        if type_ == "number":
            return _decimal_text(value, decimal_places(definition))
        if type_ == "rating":
            return int(value) if value is not None else 0
        if type_ == "boolean":
            return bool(value)
        if type_ == "duration":
            return float(value) if value is not None else None
        if type_ == "date":
            return value if source == "DATE" else _instant(value)
        if type_ in ("created_on", "last_modified"):
            return _instant(value)
        if type_ == "autonumber":
            return value
        if type_ == "single_select":
            return _option(value) if isinstance(value, dict) else None
        if type_ == "multiple_select":
            return [_option(v) for v in value] if isinstance(value, list) else []
        if type_ == "file":
            return [_file(item) for item in value] if isinstance(value, list) else []
        return value

    def _database(self, table: TableState) -> Any:
        return self.store.databases.get(table.database_id)

    def _computed(self, table: TableState, rec: RecordState, definition: dict[str, Any]) -> Any:
        """A formula, rollup or count value, read as its Baserow result type reads (None for
        one the face cannot type: ``invalid``, as Baserow reads a formula in error)."""
        database = self._database(table)
        if database is None:
            return None
        result = computed_result(table, database, definition)
        value = self.reader.value(table, rec, definition)
        if result.type == "number":
            if isinstance(value, str):
                return None
            return _decimal_text(value, result.places or 0)
        if result.type == "boolean":
            return bool(value) if value is not None or not result.nullable else None
        if result.type == "text":
            return value if isinstance(value, str) or value is None else None
        return None

    def _lookup(self, table: TableState, rec: RecordState, definition: dict[str, Any]) -> Any:
        database = self._database(table)
        if database is None or lookup_item_result(table, database, definition).type == "invalid":
            return []
        options = definition.get("options") or {}
        link = table.fields.get(options.get("linkedRecordFieldId", ""))
        if link is None:
            return []
        target = self.store.find_table((link.get("options") or {}).get("linkedTableId", ""))
        source = None if target is None else target.fields.get(options.get("lookupFieldId", ""))
        if target is None or source is None:
            return []
        records = self.store.records_of(target)
        out = []
        for record_id in rec.values.get(link["id"]) or []:
            other = records.get(record_id)
            if other is not None:
                out.append({"id": other.seq, "value": self.value(target, other, source)})
        return out


def _option(choice: dict[str, Any]) -> dict[str, Any]:
    return {"id": option_id(choice["id"]), "value": choice["label"], "color": choice.get("color")}


def _file(item: dict[str, Any]) -> dict[str, Any]:
    mime = item.get("type") or "application/octet-stream"
    return {
        "url": item.get("url"),
        "thumbnails": None,
        "visible_name": item.get("filename"),
        "name": item.get("id") or item.get("filename"),
        "size": item.get("size"),
        "mime_type": mime,
        "is_image": mime.startswith("image/"),
        "image_width": None,
        "image_height": None,
        "uploaded_at": None,
    }
