"""Adding, changing and deleting fields, with the checks that span tables.

A LINKED_RECORD field created with ``options.inverseLinkFieldId`` naming an existing link field
of the target table (one that points back here) is *paired* with it: both fields then carry each
other's id, and existing links are copied over so both directions agree from the start.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .catalog import Catalog
from .errors import bad_request, not_found
from .formula import supported_formula
from .schema import apply_field_update, build_field, formula_references
from .state import TableState

__all__ = ["FieldOps"]


class FieldOps:
    """Field-level operations on a store's :class:`Catalog` (taking its lock)."""

    def __init__(self, store: Catalog) -> None:
        self.store = store

    def get(self, table: TableState, field_id: str) -> dict[str, Any]:
        definition = table.fields.get(field_id)
        if definition is None:
            raise not_found("Field", field_id)
        return definition

    # --- add --------------------------------------------------------------------------------

    def add(
        self,
        table: TableState,
        body: Mapping[str, Any],
        *,
        save: bool = True,
        field_id: str | None = None,
    ) -> dict[str, Any]:
        """Add a field to ``table`` and return its definition (``field_id`` pins its id).

        Raises:
            ApiError: BAD_REQUEST for malformed or inconsistent definitions.
        """
        store = self.store
        with store.lock:
            now = store.now()
            if field_id is not None and field_id in table.fields:
                raise bad_request(f"table '{table.name}' already has a field '{field_id}'")
            field_id = field_id or store.unique_id(store.ids.field_id, table.fields)
            definition = build_field(body, field_id=field_id, now=now, ids=store.ids)
            if table.field_by_name(definition["name"]) is not None:
                raise bad_request(
                    f"table '{table.name}' already has a field named '{definition['name']}'"
                )
            pair = self._check_references(table, definition)
            with store.persist.transaction():
                table.fields[field_id] = definition
                if not table.primary_field_id:
                    table.primary_field_id = field_id
                if pair is not None:
                    self._pair(table, definition, pair)
                table.updated_at = now
                if save:
                    store.persist.save_table(table)
            return definition

    def _check_references(
        self, table: TableState, definition: dict[str, Any]
    ) -> tuple[TableState, dict[str, Any]] | None:
        """Validate cross-table options; return the (table, field) to pair a link with."""
        type_ = definition["type"]
        options = definition["options"]
        if type_ == "LINKED_RECORD":
            target = self.store.database(table.database_id).tables.get(options["linkedTableId"])
            if target is None:
                raise bad_request(
                    f"'options.linkedTableId' {options['linkedTableId']!r} is not a table of"
                    " this database"
                )
            inverse_id = options.get("inverseLinkFieldId")
            if inverse_id is None:
                options["inverseLinkFieldId"] = None
                return None
            inverse = target.fields.get(inverse_id) if isinstance(inverse_id, str) else None
            if inverse is None or inverse["type"] != "LINKED_RECORD":
                raise bad_request(
                    f"'options.inverseLinkFieldId' {inverse_id!r} is not a link field of"
                    f" table '{target.name}'"
                )
            if inverse["options"].get("linkedTableId") != table.id:
                raise bad_request(
                    f"field '{inverse['name']}' does not link to table '{table.name}'"
                )
            current = inverse["options"].get("inverseLinkFieldId")
            if current and current in table.fields:
                raise bad_request(f"field '{inverse['name']}' already has an inverse link field")
            return target, inverse
        if type_ in ("LOOKUP", "ROLLUP"):
            link = table.fields.get(options["linkedRecordFieldId"])
            if link is None or link["type"] != "LINKED_RECORD":
                raise bad_request(
                    f"'options.linkedRecordFieldId' {options['linkedRecordFieldId']!r} is not a"
                    " link field of this table"
                )
            target = self.store.find_table(link["options"].get("linkedTableId", ""))
            source_key = "lookupFieldId" if type_ == "LOOKUP" else "rollupFieldId"
            source_id = options.get(source_key)
            if source_id is not None and (target is None or source_id not in target.fields):
                raise bad_request(
                    f"'options.{source_key}' {source_id!r} is not a field of the linked table"
                )
            options["isValid"] = True
        if type_ == "FORMULA":
            self.refresh_formula(table, definition)
        return None

    def refresh_formula(self, table: TableState, definition: dict[str, Any]) -> None:
        """Recompute a formula's ``referencedFieldIds`` / ``isValid`` from field names."""
        options = definition["options"]
        names = formula_references(options.get("formula", ""))
        referenced = [table.field_by_name(name) for name in names]
        options["referencedFieldIds"] = [ref["id"] for ref in referenced if ref is not None]
        options["isValid"] = all(ref is not None for ref in referenced) and supported_formula(
            options.get("formula", "")
        )

    def _pair(
        self, table: TableState, definition: dict[str, Any], pair: tuple[TableState, dict[str, Any]]
    ) -> None:
        target, inverse = pair
        inverse["options"]["inverseLinkFieldId"] = definition["id"]
        records = self.store.records_of(table)
        changed: dict[str, Any] = {}
        for other in self.store.records_of(target).values():
            for record_id in other.values.get(inverse["id"], []):
                rec = records.get(record_id)
                if rec is None:
                    continue
                links = rec.values.setdefault(definition["id"], [])
                if other.id not in links:
                    links.append(other.id)
                    changed[rec.id] = rec
        if not definition["allowMultipleEntries"] and any(
            len(rec.values[definition["id"]]) > 1 for rec in changed.values()
        ):
            for rec in changed.values():
                del rec.values[definition["id"]]
            inverse["options"]["inverseLinkFieldId"] = None
            raise bad_request(
                f"existing links of '{inverse['name']}' need allowMultipleEntries on the inverse"
            )
        self.store.persist.save_records(table.id, changed.values())
        if target is not table:
            self.store.persist.save_table(target)

    # --- update -----------------------------------------------------------------------------

    def update(self, table: TableState, field_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        store = self.store
        with store.lock:
            current = self.get(table, field_id)
            updated = apply_field_update(current, body, now=store.now(), ids=store.ids)
            clash = table.field_by_name(updated["name"])
            if clash is not None and clash["id"] != field_id:
                raise bad_request(
                    f"table '{table.name}' already has a field named '{updated['name']}'"
                )
            if updated["type"] == "LINKED_RECORD":
                old, new = current["options"], updated["options"]
                if new.get("linkedTableId") != old.get("linkedTableId"):
                    raise bad_request("the linked table of a link field cannot be changed")
                new["inverseLinkFieldId"] = old.get("inverseLinkFieldId")
            if (
                current["allowMultipleEntries"]
                and not updated["allowMultipleEntries"]
                and any(
                    isinstance(rec.values.get(field_id), list) and len(rec.values[field_id]) > 1
                    for rec in store.records_of(table).values()
                )
            ):
                raise bad_request(
                    f"records hold several values in '{current['name']}'; it must stay multiple"
                )
            if updated["type"] in ("LOOKUP", "ROLLUP"):
                self._check_references(table, updated)
            with store.persist.transaction():
                table.fields[field_id] = updated
                if updated["type"] == "SELECT" or (
                    current["allowMultipleEntries"] != updated["allowMultipleEntries"]
                ):
                    self._reshape_values(table, updated)
                for definition in table.fields.values():
                    if definition["type"] == "FORMULA":
                        self.refresh_formula(table, definition)
                table.updated_at = updated["updatedAt"]
                store.persist.save_table(table)
            return updated

    def _reshape_values(self, table: TableState, definition: dict[str, Any]) -> None:
        """Keep stored values in the field's shape after a choice or multiplicity change."""
        field_id = definition["id"]
        multiple = definition["allowMultipleEntries"]
        valid = {c["id"] for c in definition["options"].get("choices", [])}
        changed = []
        for rec in self.store.records_of(table).values():
            value = rec.values.get(field_id)
            if value is None:
                continue
            items = value if isinstance(value, list) else [value]
            if definition["type"] == "SELECT":
                items = [item for item in items if item in valid]
            new: Any = (
                items
                if multiple or definition["type"] == "LINKED_RECORD"
                else (items[0] if items else None)
            )
            if new != value:
                if new is None or new == []:
                    del rec.values[field_id]
                else:
                    rec.values[field_id] = new
                changed.append(rec)
        self.store.persist.save_records(table.id, changed)

    # --- delete -----------------------------------------------------------------------------

    def delete(self, table: TableState, field_id: str) -> None:
        store = self.store
        with store.lock:
            self.get(table, field_id)
            if field_id == table.primary_field_id:
                raise bad_request("the primary field of a table cannot be deleted")
            db = store.database(table.database_id)
            with store.persist.transaction():
                del table.fields[field_id]
                changed = []
                for rec in store.records_of(table).values():
                    if rec.values.pop(field_id, None) is not None:
                        changed.append(rec)
                store.persist.save_records(table.id, changed)
                for other in db.tables.values():
                    touched = False
                    for candidate in other.fields.values():
                        options = candidate["options"]
                        if (
                            candidate["type"] == "LINKED_RECORD"
                            and options.get("inverseLinkFieldId") == field_id
                            and options.get("linkedTableId") == table.id
                        ):
                            options["inverseLinkFieldId"] = None
                            touched = True
                        if candidate["type"] in ("LOOKUP", "ROLLUP") and field_id in (
                            options.get("linkedRecordFieldId"),
                            options.get("lookupFieldId"),
                            options.get("rollupFieldId"),
                        ):
                            options["isValid"] = False
                            touched = True
                        if other is table and candidate["type"] == "FORMULA":
                            self.refresh_formula(table, candidate)
                            touched = True
                    if touched or other is table:
                        store.persist.save_table(other)
