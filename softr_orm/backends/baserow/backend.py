"""Baserow as a :class:`~softr_orm.backends.base.Backend` (and a batch-writing one).

The ORM's calls in Baserow's terms (baserow-api.md §2-§3):

* tables by id cost one ``GET /database/fields/table/{id}/`` (a database token may do that);
  by name they need the database's table list: the token's ``all-tables`` listing, or with a
  JWT ``GET /database/tables/database/{id}/``;
* a query is a ``filters`` tree plus ``order_by``, paged by ``page``/``size`` (at most 200):
  the ORM's offset/limit pages are turned into the one Baserow page that holds them when
  there is one, else into the few pages that cover them;
* ``count()`` is one request with ``size=1``, read from ``count``;
* writes of many rows go through the batch endpoints, 200 rows a request, all-or-nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from softr_orm.backends.base import CompiledQuery, Ordering, Record, RecordPage
from softr_orm.backends.baserow import compiler
from softr_orm.backends.baserow.ordering import compile_order_by
from softr_orm.backends.baserow.schema import BaserowField, BaserowTable
from softr_orm.backends.baserow.typed_pages import BaserowPage, page_decoder
from softr_orm.backends.baserow.values import Reader, Writer, row_id
from softr_orm.backends.tree import FALSE, TRUE, Node
from softr_orm.errors import ConfigurationError, NotFound, QueryError

if TYPE_CHECKING:
    from softr_orm.backends.base import FieldDefinition, TableDefinition
    from softr_orm.backends.baserow.session import BaserowSession

__all__ = ["BATCH_SIZE", "PAGE_SIZE", "BaserowBackend", "BaserowQuery"]

#: Rows per list page and per batch request (Baserow's defaults, §3.2 and §3.8).
PAGE_SIZE = 200
BATCH_SIZE = 200


@dataclass(frozen=True)
class BaserowQuery:
    """A compiled query: the table, the ``filters`` JSON (None: all rows; FALSE: none),
    ``order_by`` and a view."""

    table: BaserowTable
    filters: str | None = None
    order_by: str | None = None
    view_id: str | None = None
    nothing: bool = False
    #: A typed decoder of its pages (see ``BaserowBackend.typed_query``), or None.
    decode: Callable[[bytes], Any] | None = field(default=None, compare=False, repr=False)

    @property
    def matches_nothing(self) -> bool:
        return self.nothing

    def params(self, page: int, size: int) -> dict[str, str | int | bool | None]:
        """The list endpoint's query parameters for one page."""
        return {
            "page": page,
            "size": size,
            "filters": self.filters,
            "order_by": self.order_by,
            "view_id": self.view_id,
        }


def _own(query: CompiledQuery) -> BaserowQuery:
    if not isinstance(query, BaserowQuery):
        raise TypeError(f"not a query compiled by the Baserow backend: {query!r}")
    return query


def page_plan(offset: int, limit: int, max_size: int = PAGE_SIZE) -> tuple[int, int] | None:
    """The ``(page, size)`` of one Baserow page holding rows ``[offset, offset+limit)``
    exactly at its start, or None when no page size up to ``max_size`` does.

    The ORM pages by offset; Baserow by 1-based page number. A scan asks for
    ``(0, 200), (200, 200), ...``, which map one to one; a slice such as ``[30:50]`` maps to
    page 2 of size 20 (rows 20-39 would not do: the page must start at ``offset``).
    """
    for size in range(max(limit, 1), max_size + 1):
        if offset % size == 0:
            return offset // size + 1, size
    return None


class BaserowBackend:
    """The :class:`~softr_orm.backends.base.Backend` of one :class:`BaserowSession`.

    Also offers batch writes (:meth:`create_records`, :meth:`update_records`,
    :meth:`delete_records`, ``max_batch_size`` rows per request).
    """

    name = "Baserow"
    max_page_size = PAGE_SIZE
    max_batch_size = BATCH_SIZE
    write_concurrency = 4

    def __init__(self, session: BaserowSession) -> None:
        self.session = session
        self._lock = threading.Lock()
        self._readers: dict[str, tuple[BaserowTable, Reader, Writer]] = {}
        self.write_concurrency = session.max_concurrency or 4

    def __repr__(self) -> str:
        return f"<BaserowBackend {self.session!r}>"

    # --- schema ------------------------------------------------------------------------

    def _fields(self, table_id: str) -> list[Any]:
        answer = self.session.request("GET", ["database", "fields", "table", table_id])
        return answer if isinstance(answer, list) else []

    def _tables_of(self, database_id: str) -> list[Mapping[str, Any]]:
        """``[{"id", "name", ...}]`` of a database: by JWT when the session can sign in, else
        what the token can see (``all-tables``, Baserow >= 1.34)."""
        if self.session.has_login:
            answer = self.session.schema_request(
                "GET", ["database", "tables", "database", database_id]
            )
        else:
            answer = self.session.request("GET", ["database", "tables", "all-tables"])
            answer = [t for t in answer or [] if str(t.get("database_id")) == str(database_id)]
        return [t for t in answer or [] if isinstance(t, Mapping)]

    def list_tables(self, database_id: str) -> list[BaserowTable]:
        tables = []
        for t in self._tables_of(str(database_id)):
            try:
                fields = self._fields(str(t["id"]))
            except NotFound:
                continue  # deleted between the listing and this read: it is no longer there
            table = BaserowTable.build(t["id"], str(t.get("name") or ""), database_id, fields)
            tables.append(self._remember(table))
        return tables

    def get_table(self, database_id: str, table_id: str) -> BaserowTable:
        table_id = str(table_id)
        if not table_id.isdigit():
            raise NotFound(
                f"no Baserow table with id {table_id!r} (ids are numbers)",
                status=404,
                error_code="ERROR_TABLE_DOES_NOT_EXIST",
            )
        name = ""
        try:
            listed = self._tables_of(str(database_id))
        except Exception:  # names are a nicety: a token on an old Baserow cannot list
            listed = []
        for t in listed:
            if str(t.get("id")) == table_id:
                name = str(t.get("name") or "")
        return self._remember(
            BaserowTable.build(table_id, name, database_id, self._fields(table_id))
        )

    def create_table(
        self, database_id: str, name: str, fields: Sequence[Mapping[str, Any]] = ()
    ) -> BaserowTable:
        """Create a table (JWT): its primary field is a text field called ``name`` of the
        first spec when that spec is ``{"type": "text"}``, else "Name"; the other specs are
        Baserow field objects (``{"name", "type", ...options}``, baserow-api.md §8.3).
        Baserow's sample rows and fields are not kept."""
        specs = list(fields)
        primary = "Name"
        if specs and specs[0].get("type") == "text":
            primary = str(specs.pop(0)["name"])
        answer = self.session.schema_request(
            "POST",
            ["database", "tables", "database", str(database_id)],
            json={"name": name, "data": [[primary]], "first_row_header": True},
        )
        table_id = str(answer["id"])
        try:
            for spec in specs:
                self.add_field(table_id, spec)
        except Exception:
            self.delete_table(table_id)  # no half-made table left behind
            raise
        return self.get_table(database_id, table_id)

    def add_field(self, table_id: str, spec: Mapping[str, Any]) -> dict[str, Any]:
        """Create a field (JWT) from a Baserow field object; returns Baserow's answer."""
        answer = self.session.schema_request(
            "POST", ["database", "fields", "table", str(table_id)], json=dict(spec)
        )
        return dict(answer)

    def delete_table(self, table_id: str) -> None:
        """Delete a table (JWT); it goes to Baserow's trash."""
        self.session.schema_request("DELETE", ["database", "tables", str(table_id)])

    def _remember(self, table: BaserowTable) -> BaserowTable:
        reader = Reader(table)
        writer = Writer(table, upload=self._upload)
        with self._lock:
            self._readers[table.id] = (table, reader, writer)
        return table

    def _table(self, table_id: str) -> tuple[BaserowTable, Reader, Writer]:
        with self._lock:
            known = self._readers.get(str(table_id))
        if known is not None:
            return known
        self._remember(BaserowTable.build(table_id, "", "", self._fields(str(table_id))))
        with self._lock:
            return self._readers[str(table_id)]

    def _upload(self, url: str) -> str:
        answer = self.session.request("POST", ["user-files", "upload-via-url"], json={"url": url})
        name = answer.get("name") if isinstance(answer, Mapping) else None
        if not isinstance(name, str):
            raise QueryError(f"Baserow did not store the file at {url}")
        return name

    # --- records -----------------------------------------------------------------------

    def _rows(self, table_id: str, *rest: str) -> list[str]:
        return ["database", "rows", "table", str(table_id), *rest]

    def _body(self, table_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        return self._table(table_id)[2].body(fields)

    def _id(self, record_id: Any) -> str:
        try:
            return str(row_id(record_id))
        except ValueError as error:
            raise NotFound(str(error), status=404, error_code="ERROR_ROW_DOES_NOT_EXIST") from None

    def get_record(self, database_id: str, table_id: str, record_id: str) -> Record:
        row = self.session.request("GET", self._rows(table_id, self._id(record_id)))
        return self._table(table_id)[1].record(row)

    def create_record(self, database_id: str, table_id: str, fields: Mapping[str, Any]) -> Record:
        row = self.session.request("POST", self._rows(table_id), json=self._body(table_id, fields))
        return self._table(table_id)[1].record(row)

    def update_record(
        self, database_id: str, table_id: str, record_id: str, fields: Mapping[str, Any]
    ) -> Record:
        row = self.session.request(
            "PATCH",
            self._rows(table_id, self._id(record_id)),
            json=self._body(table_id, fields),
        )
        return self._table(table_id)[1].record(row)

    def delete_record(
        self, database_id: str, table_id: str, record_id: str, *, missing_ok: bool = False
    ) -> None:
        try:
            self.session.request("DELETE", self._rows(table_id, self._id(record_id)))
        except NotFound:
            if not missing_ok:
                raise

    # --- batch writes ------------------------------------------------------------------

    def create_records(
        self, database_id: str, table_id: str, rows: Sequence[Mapping[str, Any]]
    ) -> list[Record]:
        """Create up to :attr:`max_batch_size` records in one request (all or nothing)."""
        self._check_batch(rows)
        items = [self._body(table_id, fields) for fields in rows]
        answer = self.session.request("POST", self._rows(table_id, "batch"), json={"items": items})
        return self._table(table_id)[1].records(answer.get("items") or [])

    def update_records(
        self,
        database_id: str,
        table_id: str,
        rows: Sequence[tuple[str, Mapping[str, Any]]],
    ) -> list[Record]:
        """Change up to :attr:`max_batch_size` records in one request (all or nothing);
        ``rows`` are ``(record id, {field id: write form})`` pairs."""
        self._check_batch(rows)
        items = [
            {"id": int(self._id(record_id)), **self._body(table_id, fields)}
            for record_id, fields in rows
        ]
        answer = self.session.request("PATCH", self._rows(table_id, "batch"), json={"items": items})
        return self._table(table_id)[1].records(answer.get("items") or [])

    def delete_records(self, database_id: str, table_id: str, record_ids: Sequence[str]) -> None:
        """Delete up to :attr:`max_batch_size` records in one request (all or nothing)."""
        self._check_batch(record_ids)
        items = [int(self._id(record_id)) for record_id in record_ids]
        self.session.request(
            "POST", self._rows(table_id, "batch-delete"), json={"items": items}, kind="write"
        )

    def _check_batch(self, items: Sequence[Any]) -> None:
        if not 1 <= len(items) <= self.max_batch_size:
            raise ValueError(
                f"a Baserow batch holds 1 to {self.max_batch_size} rows, got {len(items)}"
            )

    # --- queries -----------------------------------------------------------------------

    def can_search_by_id(self, table: TableDefinition) -> bool:
        return False  # the filter tree cannot name the row id (baserow-api.md §5.5)

    def compile(
        self,
        database_id: str,
        table: TableDefinition,
        condition: Node,
        ordering: Ordering,
        *,
        view_id: str | None = None,
    ) -> BaserowQuery:
        if not isinstance(table, BaserowTable):
            raise ConfigurationError(f"not a Baserow table: {table!r}")
        if condition == FALSE:
            return BaserowQuery(table, nothing=True)
        compiled = compiler.compile_filters(condition, table) if condition != TRUE else None
        order_by = compile_order_by(ordering, table)
        if compiled is FALSE:
            return BaserowQuery(table, nothing=True)
        filters = compiler.encode_filters(compiled) if isinstance(compiled, dict) else None
        return BaserowQuery(table, filters, order_by, view_id)

    def explain(self, query: CompiledQuery, offset: int, limit: int) -> dict[str, Any]:
        query = _own(query)
        plan = page_plan(offset, limit) or (offset // PAGE_SIZE + 1, PAGE_SIZE)
        params = {k: v for k, v in query.params(*plan).items() if v is not None}
        return {
            "method": "GET",
            "path": f"/database/rows/table/{query.table.id}/",
            "params": params,
        }

    def _page(self, query: BaserowQuery, page: int, size: int) -> tuple[list[Record], int | None]:
        answer = self.session.request(
            "GET", self._rows(query.table.id), params=query.params(page, size), decode=query.decode
        )
        if isinstance(answer, BaserowPage):  # typed rows are records as they are
            rows: list[Any] = getattr(answer, "results")  # noqa: B009 (each subclass has it)
            return rows, answer.count if isinstance(answer.count, int) else None
        rows = answer.get("results") or [] if isinstance(answer, Mapping) else []
        total = answer.get("count") if isinstance(answer, Mapping) else None
        reader = self._table(query.table.id)[1]
        return reader.records(rows), total if isinstance(total, int) else None

    def typed_query(
        self,
        query: CompiledQuery,
        fields: Sequence[FieldDefinition],
        plain: Collection[str] = (),
    ) -> tuple[BaserowQuery, Mapping[str, str]] | None:
        """``query`` with its rows decoded into structs for ``fields`` (see
        :mod:`softr_orm.backends.baserow.typed_pages`; ``plain``: ids of fields to decode as
        plain JSON), or None when they cannot be typed."""
        own = [f for f in fields if isinstance(f, BaserowField)]
        typed = page_decoder(own, plain) if len(own) == len(fields) else None
        if typed is None:
            return None
        decode, attrs = typed
        return replace(_own(query), decode=decode), attrs

    def search(self, query: CompiledQuery, offset: int, limit: int) -> RecordPage:
        query = _own(query)
        limit = max(1, min(limit, PAGE_SIZE))
        if query.matches_nothing:
            return RecordPage([], offset, limit, 0)
        plan = page_plan(offset, limit)
        if plan is not None:
            records, total = self._page(query, *plan)
            return RecordPage(records[:limit], offset, limit, total)
        # No page starts at `offset`: read the 200-row pages that cover the range.
        records = []
        total = None
        first = offset // PAGE_SIZE
        last = (offset + limit - 1) // PAGE_SIZE
        for index in range(first, last + 1):
            rows, total = self._page(query, index + 1, PAGE_SIZE)
            start = max(offset - index * PAGE_SIZE, 0)
            records.extend(rows[start:])
            if len(rows) < PAGE_SIZE:
                break
        return RecordPage(records[:limit], offset, limit, total)

    def count(self, query: CompiledQuery) -> int:
        query = _own(query)
        if query.matches_nothing:
            return 0
        _, total = self._page(query, 1, 1)
        if total is None:
            raise QueryError("Baserow's answer holds no count")
        return total
