"""Selecting records: filter, sort and page a table for list, view and search requests.

A page should cost in proportion to the page, not to the table:

* A table's records are kept in creation order, and the store knows whether their
  ``created_at`` stamps are still in that order (``TableState.created_sorted``; only a clock
  set back with ``set_now`` breaks it). So an unfiltered page in creation order, or sorted by
  ``created_at`` ascending (the order of every softr-orm scan), is a slice of the records:
  nothing else is read, nothing is sorted, nothing is re-checked.
* Any other selection (a filter, another sort) is computed once and kept, per table, until the
  store changes (``Catalog.version``; any committed write moves it) or the day changes (relative
  date tokens). The following pages of the same search are then slices too.

Filters and sorts are compiled by :mod:`.search` (validation included), reading the store's
record objects directly: plain stored values straight from ``RecordState.values``, single
SELECT conditions by choice id (decided once per choice, not formatted per record), computed
values through the request's :class:`.reader.Reader` (only for the fields a condition names).
Only the page is formatted for the answer.
"""

from __future__ import annotations

import bisect
import itertools
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import Any

from .catalog import Catalog
from .reader import STORED_AS_READ, Reader
from .search import Access, FieldInfo, compile_filter, compile_sorting
from .search.matchers import always
from .state import RecordState, TableState

__all__ = ["MAX_FILTER_DEPTH", "field_infos", "select_records"]

#: Deepest AND/OR nesting a search may use (Softr documents none for REST).
MAX_FILTER_DEPTH = 16
#: Selections kept per table (each is a list of references to the table's records).
CACHED_SELECTIONS = 16

_CREATED_ASC = (("created_at", "ASC"),)
#: Types whose read value comes from the record alone (plus its table's own definition).
_PLAIN_TYPES = frozenset(
    {*STORED_AS_READ, "CHECKBOX", "SELECT", "ATTACHMENT", "CREATED_AT", "UPDATED_AT"}
    | {"AUTONUMBER", "RECORD_ID"}
)
_SEQ = attrgetter("seq")


@dataclass
class Kept:
    """A selection kept for later pages: valid at ``version``; ``predicate`` is set when later
    record writes can be applied to it (see :func:`_caught_up`)."""

    version: int
    records: list[RecordState]
    predicate: Callable[[Any], bool] | None


Getter = Callable[[RecordState], Any]


class _Getters:
    """Per-request value readers by field id (or pseudo-field), built on first use.

    Plain stored types read the stored value directly and SELECT reads the choice object,
    skipping :class:`Reader`'s general path: a search over 100,000 records calls these hundreds
    of thousands of times. Everything else goes through the reader (which caches computed
    values).
    """

    def __init__(self, reader: Reader, table: TableState) -> None:
        self.reader = reader
        self.table = table
        self._read: dict[str, Getter] = {}
        #: Every field (or pseudo-field) a compiled filter or sort reads.
        self.requested: set[str] = set()

    def read(self, key: str) -> Getter:
        self.requested.add(key)
        getter = self._read.get(key)
        if getter is None:
            getter = self._read[key] = self._build(key)
        return getter

    def stored(self, key: str) -> Getter | None:
        """The stored form of a SELECT field (choice ids), for conditions decided per choice."""
        self.requested.add(key)
        field = self.table.fields.get(key)
        if field is None or field["type"] != "SELECT":
            return None
        return lambda rec: rec.values.get(key)

    def _build(self, key: str) -> Getter:
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


def _frozen(value: Any) -> Any:
    """A hashable image of a JSON value that keeps types apart (``1``, ``True``, ``"1"``,
    ``Decimal("1.0")`` all differ), to key cached selections by the request body."""
    if isinstance(value, Mapping):
        return ("{", tuple(sorted((str(k), _frozen(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return ("[", tuple(_frozen(v) for v in value))
    if isinstance(value, Decimal):
        return ("d", str(value))
    return (type(value).__name__, value)


def _sort_plan(sorting: Any) -> tuple[tuple[Any, Any], ...] | None:
    """``((field, direction), ...)`` of a valid sorting, else None (let the compiler judge)."""
    if not isinstance(sorting, list):
        return None
    plan = []
    for entry in sorting:
        if not isinstance(entry, Mapping):
            return None
        plan.append((entry.get("sortingField"), entry.get("sortType", "ASC")))
    return tuple(plan)


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
    records = store.records_of(table)
    infos = field_infos(table)
    now = store.now_dt()
    getters = _Getters(reader, table)
    access = Access(read=getters.read, stored=getters.stored)
    # Compiling validates every request, and costs microseconds: it is never skipped.
    predicate = compile_filter(
        filter_obj, infos, now=now, max_depth=MAX_FILTER_DEPTH, access=access
    )
    sorter = compile_sorting(sorting, infos, access=access) if sorting else None
    in_creation_order = sorter is None or (
        _sort_plan(sorting) == _CREATED_ASC and table.created_sorted
    )
    if predicate is always and in_creation_order:
        return _page(records.values(), offset, limit), len(records)
    key = _selection_key(filter_obj, sorting, store.now_override or now.date())
    kept = table.selections.get(key) if key is not None else None
    if kept is not None and kept.version != store.version:
        kept = _caught_up(store, table, kept)
    if kept is None:
        selected = [rec for rec in records.values() if predicate(rec)]
        if not in_creation_order and sorter is not None:
            selected = sorter(selected)
        # Only a selection in creation order over the table's own plain values can follow
        # record writes (see _caught_up); any other is recomputed after a change.
        follows = in_creation_order and getters.requested <= _plain_keys(table)
        kept = Kept(store.version, selected, predicate if follows else None)
        if key is not None:
            if len(table.selections) >= CACHED_SELECTIONS:
                del table.selections[next(iter(table.selections))]
            table.selections[key] = kept
    return kept.records[offset : offset + limit], len(kept.records)


def _plain_keys(table: TableState) -> set[str]:
    """Fields (and pseudo-fields) whose read value depends on nothing but the record itself
    and the table's own definition: a write elsewhere cannot change it."""
    keys = {fid for fid, field in table.fields.items() if field["type"] in _PLAIN_TYPES}
    return keys | {"created_at", "updated_at"}


def _caught_up(store: Catalog, table: TableState, kept: Kept) -> Kept | None:
    """``kept`` brought up to the store's version without a full pass when only records of
    this table changed since: those records leave the selection and come back where they
    belong (creation order) if they still match. None when it must be recomputed."""
    changed = store.changes_since(kept.version, table.id)
    if changed is None or kept.predicate is None or not table.created_sorted:
        return None
    predicate = kept.predicate
    records = store.records_of(table)
    selected = [rec for rec in kept.records if rec.id not in changed] if changed else kept.records
    for record_id in changed:
        rec = records.get(record_id)
        if rec is not None and predicate(rec):
            bisect.insort(selected, rec, key=_SEQ)
    kept.version, kept.records = store.version, selected
    return kept


def _page(records: Iterable[RecordState], offset: int, limit: int) -> list[RecordState]:
    """``records[offset:offset + limit]`` without copying the records before ``offset``."""
    if offset > sys.maxsize or limit > sys.maxsize:
        return list(records)[offset : offset + limit]
    return list(itertools.islice(records, offset, offset + limit))


def _selection_key(filter_obj: Any, sorting: Any, day: Any) -> Any:
    """The cache key of a selection, or None when the body is too deep to key (not kept)."""
    try:
        return (_frozen(filter_obj), _frozen(sorting), day)
    except RecursionError:
        return None
