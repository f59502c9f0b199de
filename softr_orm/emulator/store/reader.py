"""Reading records: stored values -> read shapes, and the computed field types.

Computed fields (CREATED_AT, UPDATED_AT, CREATED_BY, UPDATED_BY, AUTONUMBER, RECORD_ID, LOOKUP,
ROLLUP, FORMULA) are computed when read, from the current state, so they are right after any
write, including writes to linked records. A :class:`Reader` lives for one request and caches
what it computed; it must be used with the store lock held.

Two shapes per value:

* the *read* shape, what the API answers for a field (SELECT ``{"id","label","color"}``, links
  ``[{"id","label"}]``, users ``{"id","email","fullName"}``, ...);
* the *plain* shape, what formulas and rollups work on (SELECT label, link labels, user full
  name, attachment file names, numbers and strings as they are).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from .catalog import Catalog
from .formula import bounded_result, evaluate_formula
from .rollup import rollup
from .state import RecordState, TableState

__all__ = ["STORED_AS_READ", "Reader"]

_MISSING = object()

#: Types whose stored form is their read form.
STORED_AS_READ = frozenset(
    {
        "SINGLE_LINE_TEXT",
        "LONG_TEXT",
        "EMAIL",
        "PHONE",
        "URL",
        "NUMBER",
        "CURRENCY",
        "PERCENT",
        "RATING",
        "DURATION",
        "DATE",
        "DATETIME",
    }
)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, list) and not value)


def _flatten(values: list[Any]) -> list[Any]:
    flat: list[Any] = []
    for value in values:
        if isinstance(value, list):
            flat.extend(v for v in value if v is not None)
        elif value is not None:
            flat.append(value)
    return flat


class Reader:
    """Read-side view of the store for one request (not thread-safe; hold the store lock)."""

    def __init__(self, store: Catalog) -> None:
        self.store = store
        self._read_cache: dict[tuple[str, str, str], Any] = {}
        self._plain_cache: dict[tuple[str, str, str], Any] = {}
        self._in_progress: set[tuple[str, str, str]] = set()
        self._choices: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    # --- helpers ----------------------------------------------------------------------------

    def _choice_map(self, table: TableState, field: dict[str, Any]) -> dict[str, dict[str, Any]]:
        key = (table.id, field["id"])
        found = self._choices.get(key)
        if found is None:
            found = {c["id"]: c for c in (field.get("options") or {}).get("choices") or []}
            self._choices[key] = found
        return found

    def _linked(
        self, table: TableState, field: dict[str, Any], rec: RecordState
    ) -> tuple[TableState | None, list[RecordState]]:
        """The target table and the existing records a link field of ``rec`` points at."""
        ids = rec.values.get(field["id"])
        target = self.store.database(table.database_id).tables.get(
            (field.get("options") or {}).get("linkedTableId", "")
        )
        if target is None:
            return None, []
        if not ids:
            return target, []
        records = self.store.records_of(target)
        return target, [records[i] for i in ids if i in records]

    def _user(self, user_id: str | None) -> dict[str, Any] | None:
        user = self.store.users.get(user_id or "")
        return None if user is None else user.as_api()

    def label(self, table: TableState, rec: RecordState) -> str:
        """The record's label: its primary field's value as text ("" when empty)."""
        primary = table.fields.get(table.primary_field_id)
        if primary is None:
            return ""
        value = self.plain(table, rec, primary)
        if value is None:
            return ""
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def _guarded(
        self,
        cache: dict[tuple[str, str, str], Any],
        key: tuple[str, str, str],
        compute: Any,
    ) -> Any:
        found = cache.get(key, _MISSING)
        if found is not _MISSING:
            return found
        if key in self._in_progress:  # a cycle (formula or lookup chain): no value
            return None
        self._in_progress.add(key)
        try:
            value = compute()
        finally:
            self._in_progress.discard(key)
        cache[key] = value
        return value

    # --- read shape -------------------------------------------------------------------------

    def value(self, table: TableState, rec: RecordState, field: dict[str, Any]) -> Any:
        """The API read shape of one field of one record (None when empty)."""
        type_ = field["type"]
        field_id = field["id"]
        if type_ in STORED_AS_READ:
            return rec.values.get(field_id)
        if type_ == "RECORD_ID":
            return rec.id
        if type_ == "CREATED_AT":
            return rec.created_at
        if type_ == "UPDATED_AT":
            return rec.updated_at
        if type_ == "AUTONUMBER":
            return rec.autonumber
        if type_ == "CREATED_BY":
            return self._user(rec.created_by)
        if type_ == "UPDATED_BY":
            return self._user(rec.updated_by)
        if type_ in ("LOOKUP", "ROLLUP", "FORMULA", "LINKED_RECORD"):
            key = (table.id, rec.id, field_id)
            return self._guarded(self._read_cache, key, lambda: self._computed(table, rec, field))
        stored = rec.values.get(field_id)
        if type_ == "CHECKBOX":
            return bool(stored)
        if stored is None:
            return None
        if type_ == "SELECT":
            choices = self._choice_map(table, field)
            if isinstance(stored, list):
                return [dict(choices[c]) for c in stored if c in choices]
            choice = choices.get(stored)
            return None if choice is None else dict(choice)
        if type_ == "USER":
            if isinstance(stored, list):
                return [u for u in (self._user(i) for i in stored) if u is not None]
            return self._user(stored)
        if type_ == "ATTACHMENT":
            return [dict(item) for item in stored]
        return stored

    def _computed(self, table: TableState, rec: RecordState, field: dict[str, Any]) -> Any:
        type_ = field["type"]
        options = field.get("options") or {}
        if type_ == "LINKED_RECORD":
            target, linked = self._linked(table, field, rec)
            if target is None:
                return None
            return [{"id": other.id, "label": self.label(target, other)} for other in linked]
        if type_ == "FORMULA":
            return self._formula(table, rec, field)
        link = table.fields.get(options.get("linkedRecordFieldId", ""))
        if link is None or link["type"] != "LINKED_RECORD":
            return None
        target, linked = self._linked(table, link, rec)
        if target is None:
            return None
        if type_ == "LOOKUP":
            source = target.fields.get(options.get("lookupFieldId", ""))
            if source is None:
                return None
            return _flatten([self.value(target, other, source) for other in linked])
        return self._rollup(target, linked, options)

    def _rollup(
        self, target: TableState, linked: list[RecordState], options: Mapping[str, Any]
    ) -> Any:
        source_id = options.get("rollupFieldId")
        if source_id is None:
            values: list[Any] = [other.id for other in linked]
        else:
            source = target.fields.get(source_id)
            if source is None:
                return None
            values = [self.plain(target, other, source) for other in linked]
        try:
            result = rollup(str(options.get("function", "")), values)
        except (ValueError, TypeError, ArithmeticError):
            return None
        if isinstance(result, (int, float, Decimal)) and not isinstance(result, bool):
            return bounded_result(result)  # a sum beyond a double's range: no Softr number
        return result

    def _formula(self, table: TableState, rec: RecordState, field: dict[str, Any]) -> Any:
        formula = (field.get("options") or {}).get("formula")
        if not isinstance(formula, str):
            return None
        names = _NamedValues(self, table, rec, exclude=field["id"])
        try:
            return evaluate_formula(formula, names)
        except Exception:  # an evaluator failure must never break a read
            return None

    # --- plain shape ------------------------------------------------------------------------

    def plain(self, table: TableState, rec: RecordState, field: dict[str, Any]) -> Any:
        """The value formulas and rollups see (labels rather than objects)."""
        type_ = field["type"]
        if type_ in ("LOOKUP", "LINKED_RECORD", "SELECT", "USER", "CREATED_BY", "UPDATED_BY"):
            key = (table.id, rec.id, field["id"])
            return self._guarded(self._plain_cache, key, lambda: self._plain_of(table, rec, field))
        value = self.value(table, rec, field)
        if type_ == "ATTACHMENT" and value is not None:
            return [item.get("filename") for item in value]
        return value

    def _plain_of(self, table: TableState, rec: RecordState, field: dict[str, Any]) -> Any:
        type_ = field["type"]
        if type_ == "LINKED_RECORD":
            target, linked = self._linked(table, field, rec)
            if target is None:
                return None
            return [self.label(target, other) for other in linked] or None
        if type_ == "LOOKUP":
            options = field.get("options") or {}
            link = table.fields.get(options.get("linkedRecordFieldId", ""))
            if link is None or link["type"] != "LINKED_RECORD":
                return None
            target, linked = self._linked(table, link, rec)
            source = None if target is None else target.fields.get(options.get("lookupFieldId", ""))
            if target is None or source is None:
                return None
            return _flatten([self.plain(target, other, source) for other in linked])
        value = self.value(table, rec, field)
        if value is None:
            return None
        if isinstance(value, list):
            return [item.get("label", item.get("fullName")) for item in value]
        if isinstance(value, dict):
            return value.get("label", value.get("fullName"))
        return value

    # --- whole records ----------------------------------------------------------------------

    def fields_of(self, table: TableState, rec: RecordState, *, by_name: bool) -> dict[str, Any]:
        """The record's ``fields`` object: empty values are left out (CHECKBOX always shown)."""
        out: dict[str, Any] = {}
        stored = rec.values
        for field in table.fields.values():
            if field["type"] in STORED_AS_READ:  # the common case, inlined
                value = stored.get(field["id"])
                if value is None or value == "":
                    continue
            else:
                value = self.value(table, rec, field)
                if _is_empty(value):
                    continue
            out[field["name"] if by_name else field["id"]] = value
        return out


class _NamedValues(Mapping[str, Any]):
    """Plain values of one record keyed by field name, computed on first access."""

    def __init__(self, reader: Reader, table: TableState, rec: RecordState, exclude: str) -> None:
        self._reader = reader
        self._table = table
        self._rec = rec
        self._by_name = {f["name"]: f for f in table.fields.values() if f["id"] != exclude}

    def __getitem__(self, name: str) -> Any:
        field = self._by_name[name]
        return self._reader.plain(self._table, self._rec, field)

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)
