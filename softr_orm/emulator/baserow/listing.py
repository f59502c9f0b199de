"""R1, list rows: ``filters``, ``order_by``, ``include``/``exclude``, ``page``/``size``
(baserow-api.md §3.2, §3.10, §5, §6.1), in Baserow's order of checks (Appendix A).
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from ..store.state import RecordState, TableState
from .context import Call
from .errors import BaserowError
from .fields import baserow_type, computed_result, visible_fields
from .filters import compile_filters, rendered_date
from .ids import int_id
from .legacy import legacy_filters
from .reading import RowReader

__all__ = ["list_rows"]

DEFAULT_SIZE = 100
MAX_SIZE = 200
_UNSORTABLE = frozenset({"file", "password"})


def _collate(text: str) -> tuple[str, str]:
    """An approximation of ICU's ``en-x-icu`` order: accents and case matter only to break
    ties (``a`` < ``A`` < ``b``), not byte order."""
    base = "".join(
        c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)
    ).casefold()
    return base, text.swapcase()


def _sort_value(value: Any, type_: str) -> Any:
    """A comparable key for one read value (None stays None: nulls sort first ascending)."""
    if value is None or value == [] or (value == "" and type_ not in ("text", "long_text")):
        return None
    if type_ in ("number", "rating", "duration", "autonumber", "rollup", "count"):
        try:
            return Decimal(str(value))
        except ArithmeticError:
            return None
    if type_ == "boolean":
        return bool(value)
    if isinstance(value, dict):
        return _collate(str(value.get("value", value.get("name", ""))))
    if isinstance(value, list):
        return _collate(
            ", ".join(str(v.get("value", "")) if isinstance(v, dict) else str(v) for v in value)
        )
    return _collate(str(value))


def _order_by(call: Call, table: TableState, raw: str) -> list[tuple[dict[str, Any], bool]]:
    """``[(field, descending)]``; 400 for an unknown or unsortable field."""
    items = [item for item in raw.split(",") if item.strip()]
    fields = list(visible_fields(table))
    out: list[tuple[dict[str, Any], bool]] = []
    for item in items:
        descending = item.startswith("-")
        ref = item.lstrip("-+").strip()
        found: dict[str, Any] | None = None
        if call.by_name:
            found = next((f for f in fields if f["name"] == ref), None)
        else:
            digits = "".join(c for c in ref if c.isdigit())
            if digits:
                found = next((f for f in fields if int_id(f["id"]) == int(digits)), None)
        if found is None:
            raise BaserowError(
                400,
                "ERROR_ORDER_BY_FIELD_NOT_FOUND",
                f"The field {item} was not found in the table.",
            )
        type_ = baserow_type(found) or ""
        if type_ in _UNSORTABLE:
            raise BaserowError(
                400,
                "ERROR_ORDER_BY_FIELD_NOT_POSSIBLE",
                f"It is not possible to order by {ref} using sort type default because the "
                f"field type {type_} does not support it.",
            )
        out.append((found, descending))
    return out


def _field_set(call: Call, table: TableState) -> list[dict[str, Any]] | None:
    """The fields ``include``/``exclude`` keep (None: all of them)."""
    fields = list(visible_fields(table))

    def pick(raw: str) -> list[dict[str, Any]]:
        refs = [r.strip() for r in raw.split(",") if r.strip()]
        if call.by_name:
            return [f for f in fields if f["name"] in refs]
        numbers = {int(d) for d in ("".join(c for c in r if c.isdigit()) for r in refs) if d}
        return [f for f in fields if int_id(f["id"]) in numbers]

    chosen = fields
    if "include" in call.request.args:
        chosen = pick(call.request.args["include"])
    if "exclude" in call.request.args:
        dropped = {f["id"] for f in pick(call.request.args["exclude"])}
        chosen = [f for f in chosen if f["id"] not in dropped]
    return chosen or None  # none left: Baserow falls back to every field (§3.10)


def _page_url(url: str, page: int | None) -> str:
    """DRF's ``replace_query_param`` / ``remove_query_param`` (keys sorted)."""
    scheme, netloc, path, query, fragment = urlsplit(url)
    params = parse_qs(query, keep_blank_values=True)
    if page is None:
        params.pop("page", None)
    else:
        params["page"] = [str(page)]
    return urlunsplit(
        (scheme, netloc, path, urlencode(sorted(params.items()), doseq=True), fragment)
    )


def _size(call: Call) -> int:
    raw = call.request.args.get("size")
    if raw is None:
        return DEFAULT_SIZE
    try:
        size = int(raw)
    except ValueError:
        return DEFAULT_SIZE
    if size <= 0:
        return DEFAULT_SIZE
    if size > MAX_SIZE:
        raise BaserowError(400, "ERROR_PAGE_SIZE_LIMIT", f"The page size is limited to {MAX_SIZE}.")
    return size


#: The types ``search`` looks into (those with a ``contains``; baserow-api.md §6.2).
_SEARCHED = frozenset(
    {"text", "long_text", "url", "email", "phone_number", "number", "autonumber", "date"}
    | {"created_on", "last_modified", "single_select", "multiple_select", "formula"}
)


def _with_search(call: Call, table: TableState, predicate: Any) -> Any:
    """``search`` in ``compat`` mode, AND-ed with the filters: the row id equals the term, or
    some searchable field contains it (case-insensitive). ``full-text-with-count`` is served
    the same way (Baserow falls back to it too when full text is not set up)."""
    mode = call.request.args.get("search_mode")
    if mode is not None and mode not in ("compat", "full-text-with-count"):
        raise BaserowError(
            400,
            "ERROR_QUERY_PARAMETER_VALIDATION",
            {
                "search_mode": [
                    {"error": f'"{mode}" is not a valid choice.', "code": "invalid_choice"}
                ]
            },
        )
    term = call.request.args.get("search", "").strip()
    if not term:
        return predicate
    needle = term.casefold()
    row_id = int(term) if term.isdigit() and not term.startswith("0") else None
    searched = [f for f in visible_fields(table) if baserow_type(f) in _SEARCHED]

    def found(read: Any, rec: RecordState) -> bool:
        if row_id is not None and rec.seq == row_id:
            return True
        for definition in searched:
            value = read(definition)
            if baserow_type(definition) in ("date", "created_on", "last_modified"):
                value = rendered_date(value)
            items = value if isinstance(value, list) else [value]
            for item in items:
                text = item.get("value") if isinstance(item, dict) else item
                if text is not None and needle in str(text).casefold():
                    return True
        return False

    def combined(read: Any) -> bool:
        return (predicate is None or predicate(read)) and found(read, read.rec)

    return combined


def list_rows(call: Call, table_id: int) -> dict[str, Any]:
    """The answer of R1 (under the store's lock)."""
    args = call.request.args
    _, table = call.table(table_id)
    if "view_id" in args:
        raise BaserowError(404, "ERROR_VIEW_DOES_NOT_EXIST", "The requested view does not exist.")
    reader = call.reader()
    shown = _field_set(call, table)
    predicate = None
    raw_filters = args.get("filters")
    if raw_filters:
        predicate = compile_filters(raw_filters, lambda ref: call.field_for(table, ref))
    else:
        predicate = legacy_filters(args, table, by_name=call.by_name)
    predicate = _with_search(call, table, predicate)
    ordering = _order_by(call, table, args.get("order_by", ""))
    size = _size(call)
    records = list(call.store.records_of(table).values())
    if predicate is not None or ordering:
        records = _select(reader, table, records, predicate, ordering)
    count = len(records)
    pages = max(1, -(-count // size))
    raw_page = args.get("page", "1")
    if raw_page == "last":
        page = pages
    else:
        try:
            page = max(1, int(raw_page))
        except ValueError:
            page = 1
    chunk = records[(page - 1) * size : page * size]
    rows = []
    for rec in chunk:
        row = reader.row(table, rec, by_name=call.by_name)
        if shown is not None and len(shown) != sum(1 for _ in visible_fields(table)):
            keep = {"id", "order"} | {
                f["name"] if call.by_name else f"field_{int_id(f['id'])}" for f in shown
            }
            row = {k: v for k, v in row.items() if k in keep}
        rows.append(row)
    url = call.request.url
    return {
        "count": count,
        "next": _page_url(url, page + 1) if page < pages else None,
        "previous": (_page_url(url, page - 1 if page > 2 else None) if page > 1 else None),
        "results": rows,
    }


class _Readings:
    """The row under test as filters see it: ``readings(field)`` is the field's read value
    (computed once per row and field); ``rec`` is the record itself."""

    def __init__(self, reader: RowReader, table: TableState) -> None:
        self.reader = reader
        self.table = table
        self.rec: RecordState | None = None
        self.cache: dict[tuple[str, str], Any] = {}

    def __call__(self, definition: dict[str, Any]) -> Any:
        assert self.rec is not None
        key = (self.rec.id, definition["id"])
        if key not in self.cache:
            self.cache[key] = self.reader.value(self.table, self.rec, definition)
        return self.cache[key]


def _select(
    reader: RowReader,
    table: TableState,
    records: list[RecordState],
    predicate: Any,
    ordering: list[tuple[dict[str, Any], bool]],
) -> list[RecordState]:
    read = _Readings(reader, table)
    selected: list[RecordState] = []
    for rec in records:
        read.rec = rec
        if predicate is None or predicate(read):
            selected.append(rec)
    if not ordering:
        return selected
    # Stable sorts from the last key to the first; nulls first ascending, last descending;
    # ties keep Baserow's final order: ``order``, then ``id`` (both the creation order here).
    for definition, descending in reversed(ordering):
        type_ = baserow_type(definition) or ""
        database = reader.store.databases.get(table.database_id)
        if type_ == "formula" and database is not None:
            result = computed_result(table, database, definition).type
            type_ = result if result in ("number", "boolean") else type_  # "10" after "9"

        def key(
            rec: RecordState, definition: dict[str, Any] = definition, type_: str = type_
        ) -> Any:
            read.rec = rec
            value = _sort_value(read(definition), type_)
            return (value is not None, value) if value is not None else (False, 0)

        selected.sort(key=key, reverse=descending)
    return selected
