"""Record writes: create, update, delete, with links kept in both directions.

Every write is validated completely before anything changes (an invalid value anywhere in the
body changes nothing, not even a new SELECT choice), then applied to memory and SQLite in one
transaction under the store lock.

Links: when a LINKED_RECORD field has an inverse (``options.inverseLinkFieldId``), changing one
side changes the other. If the inverse side holds a single link, linking a record there first
unlinks it from its previous partner (so a contact moved to another company leaves the old
company's list). Deleting a record removes it from every link field pointing at its table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .catalog import Catalog
from .errors import StoreError, bad_request, not_found, validation_error
from .schema import new_choice
from .state import RecordState, TableState
from .timestamps import format_instant
from .values import validate_value

__all__ = ["Records"]

_Changed = dict[tuple[str, str], tuple[TableState, RecordState]]


def _taken(table: TableState, records: dict[str, RecordState]) -> Mapping[str, object]:
    """Ids a new record must not take: the table's records and its damaged rows."""
    return records if not table.damaged else {**records, **table.damaged}


class _WriteContext:
    """Implements :class:`values.WriteContext` for one write, collecting new choices."""

    def __init__(self, store: Catalog, table: TableState) -> None:
        self.store = store
        self.table = table
        self.workspace_id = store.database(table.database_id).workspace_id
        #: field id -> choices to append once the whole write validated.
        self.new_choices: dict[str, list[dict[str, Any]]] = {}

    def choice_for_label(self, field: dict[str, Any], label: str) -> str | None:
        options = field.get("options") or {}
        for choice in list(options.get("choices") or []) + self.new_choices.get(field["id"], []):
            if choice["label"] == label:
                return str(choice["id"])
        if not options.get("allowToAddNewChoice"):
            return None
        scratch: dict[str, Any] = {
            "choices": list(options.get("choices") or []) + self.new_choices.get(field["id"], [])
        }
        choice = new_choice(scratch, label, self.store.ids)
        self.new_choices.setdefault(field["id"], []).append(choice)
        return str(choice["id"])

    def record_exists(self, table_id: str, record_id: str) -> bool:
        target = self.store.database(self.table.database_id).tables.get(table_id)
        return target is not None and record_id in self.store.records_of(target)

    def resolve_user(self, ref: str, by_email: bool) -> str | None:
        for user in self.store.members(self.workspace_id):
            if (user.email.lower() == ref.lower()) if by_email else (user.id == ref):
                return user.id
        return None

    def new_attachment_id(self) -> str:
        return "att" + self.store.ids.alnum(11)


class Records:
    """Record writes on a store's :class:`Catalog` (taking its lock)."""

    def __init__(self, store: Catalog) -> None:
        self.store = store

    def all(self, table: TableState) -> dict[str, RecordState]:
        """The table's records in creation order (loaded from SQLite on first use)."""
        return self.store.records_of(table)

    def get(self, table: TableState, record_id: str) -> RecordState:
        rec = self.all(table).get(record_id)
        if rec is None:
            if record_id in table.damaged:
                raise self.store.damaged_record(table, record_id)
            raise not_found("Record", record_id)
        return rec

    # --- validation -------------------------------------------------------------------------

    @staticmethod
    def _field(table: TableState, key: str, by_name: bool) -> dict[str, Any]:
        """The field a ``fields`` key names: an id, or with ``by_name`` a name (names first)."""
        definition = (table.field_by_name(key) if by_name else None) or table.fields.get(key)
        if definition is None:
            how = "field names or ids" if by_name else "field ids, or names with fieldNames=true"
            raise StoreError(
                "UNKNOWN_FIELD",
                f"Unknown field '{key}' in table '{table.name}' (write with {how})",
                {"fieldId": key},
            )
        return definition

    def _validate(
        self,
        table: TableState,
        fields: Any,
        ctx: _WriteContext,
        *,
        creating: bool,
        by_name: bool = False,
    ) -> dict[str, Any]:
        if not isinstance(fields, Mapping):
            raise bad_request("'fields' must be an object keyed by field id")
        changes: dict[str, Any] = {}
        for key, value in fields.items():
            definition = None if by_name else table.fields.get(key)  # the common case, inline
            if definition is None:
                definition = self._field(table, key, by_name)
            field_id = definition["id"]
            if field_id in changes:
                raise bad_request(
                    f"Field '{definition['name']}' ({field_id}) is given twice (by name and id)",
                    fieldId=field_id,
                )
            stored = validate_value(definition, value, ctx)
            if stored is None and definition.get("required"):
                raise validation_error(
                    f"Field '{definition['name']}' ({field_id}) is required", field_id
                )
            changes[field_id] = stored
        if creating:
            for definition in table.fields.values():
                if definition.get("required") and changes.get(definition["id"]) is None:
                    raise validation_error(
                        f"Field '{definition['name']}' ({definition['id']}) is required",
                        definition["id"],
                    )
        return changes

    # --- writes -----------------------------------------------------------------------------

    def create(
        self,
        table: TableState,
        fields: Any,
        *,
        user_id: str | None,
        at: dt.datetime | None = None,
        by_name: bool = False,
    ) -> RecordState:
        """Create one record from a ``fields`` object keyed by field id (or, with ``by_name``,
        by field name or id, as ``?fieldNames=true`` writes)."""
        return self.create_many(table, [fields], user_id=user_id, at=at, by_name=by_name)[0]

    def create_many(
        self,
        table: TableState,
        items: Iterable[Any],
        *,
        user_id: str | None,
        at: dt.datetime | None = None,
        by_name: bool = False,
    ) -> list[RecordState]:
        """Create several records in one transaction (the emulator's bulk helper)."""
        store = self.store
        with store.lock:
            records = self.all(table)
            ctx = _WriteContext(store, table)
            validated = [
                self._validate(table, fields, ctx, creating=True, by_name=by_name)
                for fields in items
            ]
            now = format_instant(at) if at is not None else store.now()
            changed: _Changed = {}
            created: list[RecordState] = []
            with store.persist.transaction():
                self._commit_choices(table, ctx)
                for changes in validated:
                    table.next_seq += 1
                    table.autonumber += 1
                    rec = RecordState(
                        id=store.unique_id(store.ids.record_id, _taken(table, records)),
                        seq=table.next_seq,
                        values={},
                        created_at=now,
                        updated_at=now,
                        created_by=user_id,
                        updated_by=user_id,
                        autonumber=table.autonumber,
                    )
                    if records and rec.created_at < next(reversed(records.values())).created_at:
                        table.created_sorted = False  # a clock set back
                    records[rec.id] = rec
                    changed[(table.id, rec.id)] = (table, rec)
                    self._apply(table, rec, changes, changed, now=now, user_id=user_id)
                    created.append(rec)
                self._save(changed)
                store.persist.save_table_counters(table)
            return created

    def update(
        self,
        table: TableState,
        record_id: str,
        fields: Any,
        *,
        user_id: str | None,
        by_name: bool = False,
    ) -> RecordState:
        """PATCH semantics: only the given fields change; null (or "" / []) clears."""
        store = self.store
        with store.lock:
            rec = self.get(table, record_id)
            ctx = _WriteContext(store, table)
            changes = self._validate(table, fields, ctx, creating=False, by_name=by_name)
            now = store.now()
            changed: _Changed = {(table.id, rec.id): (table, rec)}
            with store.persist.transaction():
                self._commit_choices(table, ctx)
                rec.updated_at = now
                rec.updated_by = user_id
                self._apply(table, rec, changes, changed, now=now, user_id=user_id)
                self._save(changed)
            return rec

    def delete(self, table: TableState, record_id: str) -> None:
        store = self.store
        with store.lock:
            self.all(table)
            if record_id in table.damaged:  # the way to get rid of a row nobody can read
                with store.persist.transaction():
                    store.persist.delete_record(table.id, record_id)
                    store.note_records(table.id, [record_id])
                del table.damaged[record_id]
                store.damaged[:] = [
                    entry
                    for entry in store.damaged
                    if (entry["tableId"], entry["recordId"]) != (table.id, record_id)
                ]
                return
            rec = self.get(table, record_id)
            records = self.all(table)
            db = store.database(table.database_id)
            changed: _Changed = {}
            now = store.now()
            with store.persist.transaction():
                del records[rec.id]
                store.persist.delete_record(table.id, rec.id)
                store.note_records(table.id, [rec.id])
                for other in db.tables.values():
                    for definition in other.fields.values():
                        options = definition["options"]
                        if (
                            definition["type"] != "LINKED_RECORD"
                            or options.get("linkedTableId") != table.id
                        ):
                            continue
                        other_records = self.all(other)
                        inverse = table.fields.get(options.get("inverseLinkFieldId") or "")
                        if inverse is not None and (
                            inverse["options"].get("inverseLinkFieldId") == definition["id"]
                        ):
                            candidates: Iterable[RecordState] = [
                                other_records[i]
                                for i in rec.values.get(inverse["id"], [])
                                if i in other_records
                            ]
                        else:
                            candidates = list(other_records.values())
                        for holder in candidates:
                            if self._unlink(holder, definition["id"], rec.id):
                                holder.updated_at = now
                                changed[(other.id, holder.id)] = (other, holder)
                self._save(changed)

    def check(self, table: TableState, fields: Any, *, creating: bool) -> None:
        """Validate a write without applying it (raises what the write would raise): lets a
        face name the refused item of a batch."""
        with self.store.lock:
            self._validate(table, fields, _WriteContext(self.store, table), creating=creating)

    def update_many(
        self, table: TableState, changes: Sequence[tuple[str, Any]], *, user_id: str | None
    ) -> list[RecordState]:
        """Update several records all-or-nothing (the Baserow face's batch update): every
        record and every value is checked before the first one is written."""
        store = self.store
        with store.lock:
            for record_id, fields in changes:
                self.get(table, record_id)
                self._validate(table, fields, _WriteContext(store, table), creating=False)
            with store.persist.transaction():
                return [self.update(table, rid, f, user_id=user_id) for rid, f in changes]

    def delete_many(self, table: TableState, record_ids: Sequence[str]) -> None:
        """Delete several records all-or-nothing: all must exist, else nothing is deleted."""
        store = self.store
        with store.lock:
            for record_id in record_ids:
                self.get(table, record_id)
            with store.persist.transaction():
                for record_id in record_ids:
                    self.delete(table, record_id)

    # --- helpers ----------------------------------------------------------------------------

    def _commit_choices(self, table: TableState, ctx: _WriteContext) -> None:
        if not ctx.new_choices:
            return
        for field_id, choices in ctx.new_choices.items():
            table.fields[field_id]["options"].setdefault("choices", []).extend(choices)
        self.store.persist.save_table(table)
        self.store.note_schema()

    def _apply(
        self,
        table: TableState,
        rec: RecordState,
        changes: Mapping[str, Any],
        changed: _Changed,
        *,
        now: str,
        user_id: str | None,
    ) -> None:
        for field_id, stored in changes.items():
            definition = table.fields[field_id]
            if definition["type"] == "LINKED_RECORD":
                self._set_links(table, rec, definition, stored or [], changed, now, user_id)
            elif stored is None:
                rec.values.pop(field_id, None)
            else:
                rec.values[field_id] = stored

    @staticmethod
    def _unlink(holder: RecordState, field_id: str, target_id: str) -> bool:
        links = holder.values.get(field_id)
        if not links or target_id not in links:
            return False
        remaining = [link for link in links if link != target_id]
        if remaining:
            holder.values[field_id] = remaining
        else:
            del holder.values[field_id]
        return True

    def _set_links(
        self,
        table: TableState,
        rec: RecordState,
        definition: dict[str, Any],
        new_ids: list[str],
        changed: _Changed,
        now: str,
        user_id: str | None,
    ) -> None:
        field_id = definition["id"]
        old_ids: list[str] = list(rec.values.get(field_id, []))
        if new_ids:
            rec.values[field_id] = list(new_ids)
        else:
            rec.values.pop(field_id, None)
        options = definition["options"]
        target = self.store.database(table.database_id).tables.get(options.get("linkedTableId", ""))
        inverse = target.fields.get(options.get("inverseLinkFieldId") or "") if target else None
        if (
            target is None
            or inverse is None
            or (inverse["options"].get("inverseLinkFieldId") != field_id)
        ):
            return
        target_records = self.all(target)
        own_records = self.all(table)

        def touch(t: TableState, holder: RecordState) -> None:
            holder.updated_at = now
            holder.updated_by = user_id
            changed[(t.id, holder.id)] = (t, holder)

        for removed in (i for i in old_ids if i not in new_ids):
            partner = target_records.get(removed)
            if partner is not None and self._unlink(partner, inverse["id"], rec.id):
                touch(target, partner)
        for added in (i for i in new_ids if i not in old_ids):
            partner = target_records.get(added)
            if partner is None:
                continue
            current: list[str] = list(partner.values.get(inverse["id"], []))
            if rec.id in current:
                continue
            if not inverse.get("allowMultipleEntries") and current:
                for previous_id in current:
                    previous = own_records.get(previous_id)
                    if (
                        previous is not None
                        and previous is not rec
                        and self._unlink(previous, field_id, partner.id)
                    ):
                        touch(table, previous)
                current = []
            partner.values[inverse["id"]] = [*current, rec.id]
            touch(target, partner)

    def _save(self, changed: _Changed) -> None:
        by_table: dict[str, list[RecordState]] = {}
        for (table_id, _), (table, rec) in changed.items():
            if table.records is not None and rec.id in table.records:
                by_table.setdefault(table_id, []).append(rec)
        for table_id, recs in by_table.items():
            self.store.persist.save_records(table_id, recs)
            self.store.note_records(table_id, (rec.id for rec in recs))
