"""The legacy flat filters of list rows: ``filter__{field}__{type}={value}`` combined by
``filter_type`` (baserow-api.md §5.1), used only when no ``filters`` tree is given.

Keys parse greedily (``filter__(.+)__(.+)$``); the field is ``field_{id}`` or, with
``user_field_names``, an exact name (a key naming no field falls back to the id form, and is
then silently ignored when it does not parse, as in Baserow). An unknown numeric id is 400
``ERROR_FILTER_FIELD_NOT_FOUND``. ``filter__field_id__in=1,2`` selects rows by id. Every
repeated key is its own condition; ``filter_type=OR`` (any case) ORs them, anything else ANDs.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.datastructures import MultiDict

from ..store.state import TableState
from .errors import BaserowError
from .fields import baserow_type, visible_fields
from .filters import Predicate, checked_leaf
from .ids import int_id

__all__ = ["legacy_filters"]

_KEY = re.compile(r"filter__(.+)__(.+)$")
_FIELD_ID = re.compile(r"field_(\d+)$")


def _row_ids(value: str) -> Predicate:
    wanted = {int(p) for p in (part.strip() for part in value.split(",")) if p.isdigit()}

    def test(row: Any) -> bool:  # the row under test carries its record (listing._Readings)
        return row.rec is not None and row.rec.seq in wanted

    return test


def legacy_filters(
    args: MultiDict[str, str], table: TableState, *, by_name: bool
) -> Predicate | None:
    """The predicate of the flat filter parameters (None: no condition)."""
    fields = list(visible_fields(table))
    parts: list[Predicate] = []
    for key, values in args.lists():
        match = _KEY.match(key)
        if match is None:
            continue
        ref, type_ = match.group(1), match.group(2)
        for raw in values:
            value = raw.replace("\x00", "").strip()
            if ref == "field_id" and type_ == "in":
                parts.append(_row_ids(value))
                continue
            definition = next((f for f in fields if f["name"] == ref), None) if by_name else None
            if definition is None:
                number = _FIELD_ID.match(ref)
                if number is None:
                    continue  # not a field: ignored, as Baserow does
                definition = next(
                    (f for f in fields if int_id(f["id"]) == int(number.group(1))), None
                )
                if definition is None:
                    raise BaserowError(
                        400,
                        "ERROR_FILTER_FIELD_NOT_FOUND",
                        f"The field {number.group(1)} was not found in the table.",
                    )
            leaf = checked_leaf(definition, baserow_type(definition) or "", type_, value)
            if leaf is not None:
                parts.append(leaf)
    if not parts:
        return None
    if args.get("filter_type", "AND").strip().lower() == "or":
        return lambda row: any(p(row) for p in parts)
    return lambda row: all(p(row) for p in parts)
