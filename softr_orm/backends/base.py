"""The seam between the ORM and a database service: what a backend must provide.

The ORM (:mod:`softr_orm.fields`, :mod:`softr_orm.query`, :mod:`softr_orm.models`) never names
a path, an envelope or an operator of any service. It holds a *connection* (a backend's session,
:class:`BackendSession`) and talks to its :class:`Backend` in four kinds of calls:

* schema: :meth:`Backend.list_tables` / :meth:`Backend.get_table` give :class:`TableDefinition`
  objects whose field types use the ORM's type names (Softr's 26 names, e.g. ``"NUMBER"``;
  a backend maps its own types onto them, and keeps types with no counterpart under names of
  their own);
* records: one record at a time by id (:meth:`Backend.get_record`, ``create_record``,
  ``update_record``, ``delete_record``), as :class:`Record` dicts whose ``fields`` are keyed by
  field id and hold values in the ORM's read shapes (see ``docs/fields.md``);
* queries: :meth:`Backend.compile` turns the backend-neutral condition tree
  (:mod:`softr_orm.backends.tree`) and an ordering into a :class:`CompiledQuery`, which
  :meth:`Backend.search` pages through by offset and limit and :meth:`Backend.count` counts;
* paging facts and budget: :attr:`Backend.max_page_size`, :attr:`Backend.write_concurrency`.

``docs/architecture.md`` says what a second backend implements. Everything here is a
:class:`~typing.Protocol`: a backend satisfies it structurally and imports nothing from above.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypedDict

from softr_orm.backends.tree import Node
from softr_orm.http.session import HttpSession

__all__ = [
    "Backend",
    "BackendSession",
    "BatchBackend",
    "CompiledQuery",
    "FieldDefinition",
    "Ordering",
    "Record",
    "RecordPage",
    "TableDefinition",
    "TypedReads",
    "batch_backend",
    "typed_reads",
]

#: ``[(field id or pseudo-field, descending), ...]``, most significant first.
Ordering = Sequence[tuple[str, bool]]


class Record(TypedDict, total=False):
    """One record as a backend hands it to the ORM.

    ``fields`` maps field ids to raw values in the ORM's read shapes; a field the service left
    out (an empty value) is simply absent. ``createdAt``/``updatedAt`` are ISO timestamps when
    the service reports them.
    """

    id: str
    tableId: str
    fields: dict[str, Any]
    createdAt: str
    updatedAt: str


@dataclass(slots=True)
class RecordPage:
    """One page of records plus the paging facts the service reported (or, failing that,
    those we asked for).

    ``total`` is ``None`` when the answer did not say: then only a short page tells that the
    end was reached.
    """

    records: list[Record]
    offset: int
    limit: int
    total: int | None = None

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    @property
    def next_offset(self) -> int:
        """The offset of the page after this one."""
        return self.offset + len(self.records)

    @property
    def has_more(self) -> bool:
        """Whether another page may follow (by ``total`` when known, else by a full page)."""
        if not self.records:
            return False
        if self.total is not None:
            return self.next_offset < self.total
        return len(self.records) >= self.limit


class FieldDefinition(Protocol):
    """A live field, as the fields layer checks declarations and values against it."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def options(self) -> dict[str, Any]: ...
    @property
    def allow_multiple_entries(self) -> bool: ...
    @property
    def readonly(self) -> bool: ...
    @property
    def required(self) -> bool: ...
    @property
    def is_read_only(self) -> bool: ...
    @property
    def is_valid(self) -> bool: ...
    @property
    def is_date_only(self) -> bool: ...
    @property
    def choice_labels(self) -> list[str]: ...


class TableDefinition(Protocol):
    """A live table with its complete list of fields."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def primary_field_id(self) -> str | None: ...
    @property
    def fields(self) -> Sequence[FieldDefinition]: ...


class CompiledQuery(Protocol):
    """A query in a backend's own terms, ready to be paged through.

    Only the backend that compiled it reads it; the ORM asks just this much of it.
    """

    @property
    def matches_nothing(self) -> bool:
        """True when the condition can match no record: then no request is ever sent."""
        ...


class Backend(Protocol):
    """What the ORM needs from a database service (see the module docstring)."""

    #: The service's name, for messages ("Softr", "Baserow").
    name: str
    #: The most records one :meth:`search` may return.
    max_page_size: int
    #: How many single-record writes make sense in flight at once (bulk writes); the session's
    #: rate limits, not this number, pace them.
    write_concurrency: int

    # --- schema ------------------------------------------------------------------------

    def list_tables(self, database_id: str) -> Sequence[TableDefinition]:
        """Every table of a database, each with its fields."""
        ...

    def get_table(self, database_id: str, table_id: str) -> TableDefinition:
        """One table by id. Raises ``NotFound`` when there is none."""
        ...

    # --- records -----------------------------------------------------------------------

    def get_record(self, database_id: str, table_id: str, record_id: str) -> Record:
        """One record. Raises ``NotFound`` when there is none."""
        ...

    def create_record(self, database_id: str, table_id: str, fields: Mapping[str, Any]) -> Record:
        """Create a record from ``{field id: write form}``; returns it as stored."""
        ...

    def update_record(
        self, database_id: str, table_id: str, record_id: str, fields: Mapping[str, Any]
    ) -> Record:
        """Change the given fields only; returns the whole record as stored."""
        ...

    def delete_record(
        self, database_id: str, table_id: str, record_id: str, *, missing_ok: bool = False
    ) -> None:
        """Delete a record; with ``missing_ok`` a record already gone is not an error."""
        ...

    # --- queries -----------------------------------------------------------------------

    def compile(
        self,
        database_id: str,
        table: TableDefinition,
        condition: Node,
        ordering: Ordering,
        *,
        view_id: str | None = None,
    ) -> CompiledQuery:
        """A query for the records of ``table`` matching ``condition`` (keyed by field id),
        in ``ordering``. Raises ``QueryError`` for what the service cannot express."""
        ...

    def search(self, query: CompiledQuery, offset: int, limit: int) -> RecordPage:
        """One page of a compiled query (``limit`` at most :attr:`max_page_size`)."""
        ...

    def count(self, query: CompiledQuery) -> int:
        """How many records a compiled query matches, in as few requests as the service
        allows."""
        ...

    def explain(self, query: CompiledQuery, offset: int, limit: int) -> dict[str, Any]:
        """The request :meth:`search` would send for this page, without sending it."""
        ...

    def can_search_by_id(self, table: TableDefinition) -> bool:
        """Whether a condition on the record id (``RECORD_ID_KEY``) can go into a search of
        this table; when it cannot, the ORM fetches such records one GET at a time."""
        ...


class BatchBackend(Backend, Protocol):
    """A backend that also writes many records per request (Baserow's batch endpoints).

    Optional: the ORM asks :func:`batch_backend` and falls back to one request per record
    when a backend (Softr) has no batches. Each call takes 1 to :attr:`max_batch_size`
    records and is all-or-nothing: it raises and writes nothing, or writes them all.
    """

    #: The most records one batch call takes.
    max_batch_size: int

    def create_records(
        self, database_id: str, table_id: str, rows: Sequence[Mapping[str, Any]]
    ) -> list[Record]:
        """Create records from ``{field id: write form}`` dicts; returns them in order."""
        ...

    def update_records(
        self, database_id: str, table_id: str, rows: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> list[Record]:
        """Change the given fields of ``(record id, fields)`` pairs; returns the records."""
        ...

    def delete_records(self, database_id: str, table_id: str, record_ids: Sequence[str]) -> None:
        """Delete records by id."""
        ...


def batch_backend(backend: Backend) -> BatchBackend | None:
    """``backend`` when it writes in batches (a positive ``max_batch_size``), else None."""
    size = getattr(backend, "max_batch_size", 0)
    if isinstance(size, int) and size > 0 and hasattr(backend, "create_records"):
        return backend  # type: ignore[return-value]
    return None


class TypedReads(Protocol):
    """A backend that can answer a query's pages as typed records (optional).

    Its records are structs made for the fields asked for (see
    :mod:`softr_orm.backends.typed`): read-only mappings like a record dict, whose ``fields``
    also hold each value in an attribute, so the ORM's generated code reads them without a
    dict lookup. A page that did not fit the types comes back as plain dicts instead.
    """

    def typed_query(
        self,
        query: CompiledQuery,
        fields: Sequence[FieldDefinition],
        plain: Collection[str] = (),
    ) -> tuple[CompiledQuery, Mapping[str, str]] | None:
        """``query`` answering typed records holding ``fields`` (others are left out), and
        field id -> the attribute of a record's ``fields`` that holds its value. The fields
        whose ids are in ``plain`` hold their values as plain JSON whatever their type (the
        caller reads them with another reader than the one of their type). None when these
        fields cannot be typed (then the plain query is used)."""
        ...


def typed_reads(backend: Backend) -> TypedReads | None:
    """``backend`` when it answers typed pages (:class:`TypedReads`), else None."""
    return backend if hasattr(backend, "typed_query") else None  # type: ignore[return-value]


class BackendSession(HttpSession):
    """What the ORM holds on to: a backend's session (``softr_orm.Session`` for Softr).

    The transport (:class:`~softr_orm.http.session.HttpSession`) plus the :class:`Backend` the
    ORM talks to. Per-session state (the schema the token sees) is kept with
    :meth:`~softr_orm.http.session.HttpSession.cache_for`, never in process-wide caches, so two
    tenants with two sessions never see each other's schema.
    """

    @property
    def backend(self) -> Backend:
        """The backend the ORM talks to through this session."""
        raise NotImplementedError(f"{type(self).__name__} does not name its backend")
