"""Selecting records: filter, sort and page a table for list, view and search requests.

Filters and sorts are compiled by :mod:`.search` (validation included); records are offered to
them as lazy read-format mappings, so a condition on one field never formats the others.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .catalog import Catalog
from .reader import STORED_AS_READ, Reader
from .search import FieldInfo, compile_filter, compile_sorting
from .state import RecordState, TableState

__all__ = ["RecordView", "field_infos", "select_records"]

#: Deepest AND/OR nesting a search may use (Softr documents none for REST).
MAX_FILTER_DEPTH = 16


class _Getters(dict[str, Callable[[RecordState], Any]]):
    """Per-request value readers by field id (or pseudo-field), built on first use.

    Plain stored types read the stored value directly and SELECT reads the choice object,
    skipping :class:`Reader`'s general path: a search over 10,000 records calls these tens of
    thousands of times. Everything else goes through the reader (which caches computed values).
    """

    def __init__(self, reader: Reader, table: TableState) -> None:
        super().__init__()
        self.reader = reader
        self.table = table

    def __missing__(self, key: str) -> Callable[[RecordState], Any]:
        getter = self._build(key)
        self[key] = getter
        return getter

    def _build(self, key: str) -> Callable[[RecordState], Any]:
        field = self.table.fields.get(key)
        if field is None:
            if key == "created_at":
                return lambda rec: rec.created_at
            if key == "updated_at":
                return lambda rec: rec.updated_at
            return lambda rec: None
        type_ = field["type"]
        if type_ in STORED_AS_READ:
            return lambda rec: rec.values.get(key)
        if type_ == "CHECKBOX":
            return lambda rec: bool(rec.values.get(key))
        if type_ == "SELECT":
            choices = {c["id"]: c for c in (field.get("options") or {}).get("choices") or []}
            if field.get("allowMultipleEntries"):
                return lambda rec: [choices[c] for c in rec.values.get(key) or () if c in choices]
            return lambda rec: choices.get(rec.values.get(key))
        reader, table = self.reader, self.table
        return lambda rec: reader.value(table, rec, field)


class RecordView(Mapping[str, Any]):
    """One record as the filter evaluator and sorter see it: field id -> read value (computed
    on demand), plus the ``created_at`` / ``updated_at`` pseudo-fields.

    The filter pass re-points one view at each record in turn (``rec`` is settable) rather
    than allocating 10,000 of them.
    """

    __slots__ = ("getters", "rec")

    def __init__(self, getters: _Getters, rec: RecordState) -> None:
        self.getters = getters
        self.rec = rec

    def get(self, key: str, default: Any = None) -> Any:
        value = self.getters[key](self.rec)
        return default if value is None else value

    def __getitem__(self, key: str) -> Any:
        if key not in self.getters.table.fields and key not in ("created_at", "updated_at"):
            raise KeyError(key)
        return self.getters[key](self.rec)

    def __iter__(self) -> Iterator[str]:
        yield from self.getters.table.fields
        yield "created_at"
        yield "updated_at"

    def __len__(self) -> int:
        return len(self.getters.table.fields) + 2


def field_infos(table: TableState) -> dict[str, FieldInfo]:
    """What the filter compiler needs to know about each field of a table."""
    return {
        field_id: FieldInfo(
            id=field_id,
            name=definition["name"],
            type=definition["type"],
            multiple=bool(definition.get("allowMultipleEntries")),
            options=definition.get("options") or {},
        )
        for field_id, definition in table.fields.items()
    }


def select_records(
    store: Catalog,
    reader: Reader,
    table: TableState,
    filter_obj: Any,
    sorting: Any,
    *,
    offset: int,
    limit: int,
) -> tuple[list[RecordState], int]:
    """The page of records matching ``filter_obj`` in ``sorting`` order, and the match count.

    Without sorting, records come in creation order.

    Raises:
        FilterError: the filter or sorting is invalid (BAD_REQUEST, UNKNOWN_FIELD or
            VALIDATION_ERROR, as the filter compiler decided).
    """
    infos = field_infos(table)
    predicate = compile_filter(filter_obj, infos, now=store.now_dt(), max_depth=MAX_FILTER_DEPTH)
    sorter = compile_sorting(sorting, infos) if sorting else None
    records = store.records_of(table)
    if filter_obj is None and sorter is None:
        matched = list(records.values())
        return matched[offset : offset + limit], len(matched)
    getters = _Getters(reader, table)
    if filter_obj is None:
        selected = list(records.values())
    else:
        probe = RecordView(getters, _NO_RECORD)
        selected = []
        for rec in records.values():
            probe.rec = rec
            if predicate(probe):
                selected.append(rec)
    if sorter is not None and not _already_in_creation_order(sorting, selected):
        ordered = sorter([RecordView(getters, rec) for rec in selected])
        selected = [view.rec for view in ordered if isinstance(view, RecordView)]
    return selected[offset : offset + limit], len(selected)


def _already_in_creation_order(sorting: Any, records: list[RecordState]) -> bool:
    """Whether ``sorting`` is ``created_at`` ascending and the records already stand so.

    That is the order every full scan of softr_orm asks for, page after page. Records are
    kept in creation order, so one linear check of the timestamps (uniform ISO strings, so
    they compare as text) usually spares a full sort of the table for every page; a clock
    set back with ``set_now`` can break the order, and then the records are sorted as usual.
    """
    if not (isinstance(sorting, list) and len(sorting) == 1 and isinstance(sorting[0], dict)):
        return False
    entry = sorting[0]
    if entry.get("sortingField") != "created_at" or entry.get("sortType", "ASC") != "ASC":
        return False
    stamps = [rec.created_at for rec in records]
    return all(a <= b for a, b in itertools.pairwise(stamps))


_NO_RECORD = RecordState(
    id="",
    seq=0,
    values={},
    created_at="",
    updated_at="",
    created_by=None,
    updated_by=None,
    autonumber=0,
)
