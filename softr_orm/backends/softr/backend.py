"""Softr as a :class:`~softr_orm.backends.base.Backend`: the ORM's calls in Softr's terms.

A thin layer over :class:`~softr_orm.backends.softr.endpoints.SoftrAPI` (one method per
endpoint) and :mod:`softr_orm.backends.softr.compiler` (condition tree -> search body). What
is Softr-specific in answering the ORM lives here:

* a query is a search body (``filter``, ``sorting``/``sort``, ``paging``), or a listing
  through a saved view (Softr cannot combine a view with a search);
* Softr's search cannot name the record id, so a condition on it is rekeyed to the table's
  RECORD_ID field when it has one (:func:`~softr_orm.backends.tree.substitute_record_id`);
* ``count()`` is one search with ``limit=1``, read from ``metadata.total``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from softr_orm.backends.base import CompiledQuery, Ordering, Record, RecordPage
from softr_orm.backends.softr import compiler, paging
from softr_orm.backends.softr.resources import Table
from softr_orm.backends.softr.typed_pages import page_decoder
from softr_orm.backends.tree import TRUE, Node, references_record_id, substitute_record_id
from softr_orm.constants import MAX_PAGE_SIZE
from softr_orm.errors import QueryError

if TYPE_CHECKING:
    from softr_orm.backends.base import FieldDefinition, TableDefinition
    from softr_orm.backends.softr.endpoints import SoftrAPI

__all__ = ["SoftrBackend", "SoftrQuery"]

#: Single-record writes in flight at once in bulk writes; the write bucket sets the rate.
WRITE_CONCURRENCY = 8


@dataclass(frozen=True)
class SoftrQuery:
    """A compiled query: where, the ``filter`` value and sort list, or a view to list.

    ``filter_value`` is :data:`~softr_orm.backends.tree.FALSE` when nothing can match, and
    None when everything does (no ``filter`` key is sent).
    """

    database_id: str
    table_id: str
    filter_value: Any = None
    sorting: tuple[Mapping[str, str], ...] = ()
    view_id: str | None = None
    sort_key: str = "sorting"
    #: A typed decoder of its pages (see ``SoftrBackend.typed_query``), or None.
    decode: Callable[[bytes], Any] | None = field(default=None, compare=False, repr=False)

    @property
    def matches_nothing(self) -> bool:
        return self.filter_value is compiler.FALSE


def _own(query: CompiledQuery) -> SoftrQuery:
    if not isinstance(query, SoftrQuery):
        raise TypeError(f"not a query compiled by the Softr backend: {query!r}")
    return query


def _record_id_field(table: TableDefinition) -> str | None:
    return next((f.id for f in table.fields if f.type == "RECORD_ID"), None)


class SoftrBackend:
    """The :class:`~softr_orm.backends.base.Backend` of one Softr session.

    Args:
        api: the endpoint client of the session.
        max_filter_depth: the deepest AND/OR nesting a filter may compile to (Softr's own SDK
            stops at 2; softr-api.md §3.3).
        sort_key: the search body's key for sorting, ``"sorting"`` or ``"sort"``
            (softr-api.md §8.2).
    """

    name = "Softr"
    max_page_size = MAX_PAGE_SIZE
    write_concurrency = WRITE_CONCURRENCY

    def __init__(self, api: SoftrAPI, *, max_filter_depth: int = 2, sort_key: str = "sorting"):
        self.api = api
        self.max_filter_depth = max_filter_depth
        self.sort_key = sort_key

    def __repr__(self) -> str:
        return f"<SoftrBackend {self.api!r}>"

    # --- schema ----------------------------------------------------------------------------

    def list_tables(self, database_id: str) -> list[Table]:
        return self.api.list_tables(database_id)

    def get_table(self, database_id: str, table_id: str) -> Table:
        return self.api.get_table(database_id, table_id)

    # --- records ---------------------------------------------------------------------------

    def get_record(self, database_id: str, table_id: str, record_id: str) -> Record:
        return self.api.get_record(database_id, table_id, record_id)

    def create_record(self, database_id: str, table_id: str, fields: Mapping[str, Any]) -> Record:
        return self.api.create_record(database_id, table_id, fields)

    def update_record(
        self, database_id: str, table_id: str, record_id: str, fields: Mapping[str, Any]
    ) -> Record:
        return self.api.update_record(database_id, table_id, record_id, fields)

    def delete_record(
        self, database_id: str, table_id: str, record_id: str, *, missing_ok: bool = False
    ) -> None:
        self.api.delete_record(database_id, table_id, record_id, missing_ok=missing_ok)

    # --- queries ---------------------------------------------------------------------------

    def can_search_by_id(self, table: TableDefinition) -> bool:
        return _record_id_field(table) is not None

    def compile(
        self,
        database_id: str,
        table: TableDefinition,
        condition: Node,
        ordering: Ordering,
        *,
        view_id: str | None = None,
    ) -> SoftrQuery:
        if view_id is not None:
            if condition != TRUE or ordering:
                raise QueryError("a view query cannot also filter or order (Softr has no way)")
            return SoftrQuery(database_id, table.id, view_id=view_id)
        if references_record_id(condition):
            record_id_field = _record_id_field(table)
            if record_id_field is None:
                raise QueryError(
                    f"table {table.name!r}: filtering by id inside a search needs a RECORD_ID "
                    "field in the table; use get(id=...) or in_bulk(ids) instead"
                )
            condition = substitute_record_id(condition, record_id_field)
        filter_value = compiler.compile_filter(condition, max_depth=self.max_filter_depth)
        sorting = tuple(compiler.compile_sorting(ordering))
        return SoftrQuery(database_id, table.id, filter_value, sorting, sort_key=self.sort_key)

    def explain(self, query: CompiledQuery, offset: int, limit: int) -> dict[str, Any]:
        query = _own(query)
        if query.view_id is not None:
            return {"viewId": query.view_id, "offset": offset, "limit": limit}
        return compiler.build_search_body(
            None if query.matches_nothing else query.filter_value,
            query.sorting,
            offset=offset,
            limit=limit,
            sort_key=query.sort_key,
        )

    def search(self, query: CompiledQuery, offset: int, limit: int) -> RecordPage:
        query = _own(query)
        if query.view_id is not None:
            return self.api.list_records(
                query.database_id,
                query.table_id,
                offset=offset,
                limit=limit,
                view_id=query.view_id,
                decode=query.decode,
            )
        return self.api.search_records(
            query.database_id,
            query.table_id,
            self.explain(query, offset, limit),
            decode=query.decode,
        )

    def typed_query(
        self,
        query: CompiledQuery,
        fields: Sequence[FieldDefinition],
        plain: Collection[str] = (),
    ) -> tuple[SoftrQuery, Mapping[str, str]] | None:
        """``query`` with its pages decoded into structs for ``fields`` (see
        :mod:`softr_orm.backends.softr.typed_pages`; ``plain``: ids of fields kept as plain
        JSON)."""
        decode, attrs = page_decoder(fields, plain)
        return replace(_own(query), decode=decode), attrs

    def count(self, query: CompiledQuery) -> int:
        query = _own(query)
        if query.matches_nothing:
            return 0
        first = self.search(query, 0, 1)
        if first.total is not None:
            return first.total
        # No total to read (a server that omits metadata): count the pages.
        pages = paging.iter_pages(lambda offset, limit: self.search(query, offset, limit))
        return sum(len(page) for page in pages)
