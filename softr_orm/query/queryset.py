"""Lazy, chainable queries: ``Model.objects.filter(...).order_by(...)[:20]``.

A :class:`QuerySet` is a value: every chained call returns a new one, and nothing is sent until
the results are needed (iteration, ``len``, ``bool``, ``list``, slicing with a step, or a
terminal method such as ``count()``). Lookups are checked against the model's fields when
``filter()`` is called, so a typo fails at once, before any request. The condition tree is
compiled by the session's backend (:mod:`softr_orm.backends.base`); paging, the concurrent
full scan, prefetching and bulk writes live in :mod:`softr_orm.query.fetching` and
:mod:`softr_orm.query.bulk`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from softr_orm.backends.base import CompiledQuery, Ordering
from softr_orm.errors import FieldError, NotFound, QueryError
from softr_orm.fields import LinkedRecord
from softr_orm.query.binding import Binding, bind
from softr_orm.query.conditions import (
    PSEUDO_FIELD_TYPES,
    Node,
    Q,
    record_ids,
    resolve,
)
from softr_orm.query.fetching import Fetcher, _progress_bar, prefetch_links
from softr_orm.query.protocols import meta_of

if TYPE_CHECKING:
    from softr_orm.backends.base import BackendSession
    from softr_orm.query.bulk import BulkResult
    from softr_orm.query.protocols import QueryableModel

__all__ = ["Q", "QuerySet"]

M = TypeVar("M", bound="QueryableModel")

#: How many records ``repr()`` shows (it fetches one more, to know whether to say "...").
REPR_OUTPUT_SIZE = 20
DEFAULT_ORDER: tuple[str, ...] = ("created_at",)


class QuerySet(Generic[M]):
    """A lazy query over one model's table. See the module docstring."""

    def __init__(self, model: type[M], session: BackendSession | None = None) -> None:
        self.model = model
        self._session = session
        self._where: Q = Q()
        self._ordering: tuple[str, ...] = ()
        self._low = 0
        self._high: int | None = None
        self._prefetch: tuple[str, ...] = ()
        self._view: str | None = None
        self._progress = False
        self._result_cache: list[M] | None = None
        # Set on a QuerySet made by a stepped slice: it holds results, not a query.
        self._frozen = False

    # --- cloning -----------------------------------------------------------------------

    def _clone(self) -> QuerySet[M]:
        clone: QuerySet[M] = QuerySet(self.model, self._session)
        clone._where = self._where
        clone._ordering = self._ordering
        clone._low = self._low
        clone._high = self._high
        clone._prefetch = self._prefetch
        clone._view = self._view
        clone._progress = self._progress
        return clone

    # --- pickle and copy: never the session ------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        """Pickling evaluates the query (as Django's does) and leaves the session behind: the
        unpickled QuerySet holds its results and, refined further, uses the model's session."""
        self._fetch_all()
        state = dict(self.__dict__)
        state["_session"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __deepcopy__(self, memo: dict[int, Any]) -> QuerySet[M]:
        """The same query, not fetched (as Django's): the session is shared, never copied."""
        clone = self._clone()
        clone._frozen = self._frozen
        if self._frozen:  # a stepped slice holds records, not a query
            clone._result_cache = copy.deepcopy(self._result_cache, memo)
        memo[id(self)] = clone
        return clone

    def _check_not_sliced(self, what: str) -> None:
        if self._low or self._high is not None or self._frozen:
            raise QueryError(f"cannot {what} a query once it has been sliced")

    def all(self) -> QuerySet[M]:
        """A copy of this query (its results are fetched anew)."""
        return self._clone()

    def filter(self, *args: Q, **kwargs: Any) -> QuerySet[M]:
        """Records matching all the given lookups (``score__gte=10``) and ``Q`` objects."""
        return self._add(Q(*args, **kwargs))

    def exclude(self, *args: Q, **kwargs: Any) -> QuerySet[M]:
        """Records *not* matching: the exact complement, empty values included."""
        return self._add(~Q(*args, **kwargs))

    def _add(self, q: Q) -> QuerySet[M]:
        self._check_not_sliced("filter")
        # Resolve once now, with attribute names as keys, so unknown fields, unsupported
        # lookups and bad values fail here, before any request.
        self._resolve(q, lambda field: str(field.attname))
        clone = self._clone()
        clone._where = self._where & q if self._where else q
        return clone

    def order_by(self, *keys: str) -> QuerySet[M]:
        """Sort by field names, ``-name`` for descending; ``created_at``/``updated_at`` work."""
        self._check_not_sliced("reorder")
        for key in keys:
            self._sort_field(key.removeprefix("-"))
        clone = self._clone()
        clone._ordering = tuple(keys)
        return clone

    def using(self, session: BackendSession) -> QuerySet[M]:
        """The same query through another session (another token or tenant)."""
        clone = self._clone()
        clone._session = session
        return clone

    def view(self, view_id: str) -> QuerySet[M]:
        """Records of a saved Softr view, in the view's order (the list endpoint's ``viewId``).

        Softr cannot combine a view with a search, so a view query takes no filter or order.
        """
        clone = self._clone()
        clone._view = view_id
        return clone

    def prefetch(self, *names: str) -> QuerySet[M]:
        """Load these linked-record fields for all results in batches, not one by one."""
        fields = meta_of(self.model).fields
        for name in names:
            if not isinstance(fields.get(name), LinkedRecord):
                links = [a for a, f in fields.items() if isinstance(f, LinkedRecord)]
                raise FieldError(self.model.__name__, name, links)
        clone = self._clone()
        clone._prefetch = tuple(dict.fromkeys(self._prefetch + names))
        return clone

    def progress(self, enabled: bool = True) -> QuerySet[M]:
        """Show a progress bar (tqdm, if installed) on long scans and bulk writes."""
        clone = self._clone()
        clone._progress = enabled
        return clone

    # --- resolution --------------------------------------------------------------------

    def _resolve(self, q: Q, key: Callable[[Any], str]) -> Node:
        return resolve(q, self.model.__name__, meta_of(self.model).fields, key)

    def _sort_field(self, name: str) -> str | None:
        """The field's attname, or None for a pseudo-field; FieldError when unknown."""
        fields = meta_of(self.model).fields
        if name in fields:
            return name
        if name in PSEUDO_FIELD_TYPES:
            return None
        raise FieldError(self.model.__name__, name, [*fields, *PSEUDO_FIELD_TYPES])

    def _get_session(self) -> BackendSession:
        return meta_of(self.model).get_session(self._session)

    def _binding(self) -> Binding:
        return bind(self.model, self._get_session())

    def _ordering_keys(self, binding: Binding, reverse: bool = False) -> Ordering:
        keys = self._ordering or meta_of(self.model).ordering or DEFAULT_ORDER
        ordering: list[tuple[str, bool]] = []
        for key in keys:
            descending = key.startswith("-")
            name = key.removeprefix("-")
            attname = self._sort_field(name)
            field_key = binding.ids[attname] if attname is not None else name
            ordering.append((field_key, descending != reverse))
        return ordering

    def _compile(self, binding: Binding, reverse: bool = False) -> CompiledQuery:
        """This query in the backend's terms. A view query sends the view's own order
        unless one was asked for (the backend says whether it can combine the two)."""
        tree = self._resolve(self._where, lambda field: binding.ids[field.attname])
        ordering: Ordering = ()
        if self._view is None or self._ordering:
            ordering = self._ordering_keys(binding, reverse)
        return binding.session.backend.compile(
            binding.database_id, binding.table, tree, ordering, view_id=self._view
        )

    def _pure_id_query(self) -> list[str] | None:
        if not self._where or self._view:
            return None
        tree = self._resolve(self._where, lambda field: str(field.attname))
        return record_ids(tree)

    def _id_listing(self) -> list[str] | None:
        """The ids of a pure id query to list by GET, or None when it must be searched:
        an explicit ``order_by()`` needs the server's sorting (GETs come in id order)."""
        return None if self._ordering else self._pure_id_query()

    # --- evaluation --------------------------------------------------------------------

    def _fetcher(self, reverse: bool = False) -> Fetcher[M]:
        binding = self._binding()
        return Fetcher(self.model, binding, self._compile(binding, reverse), self._progress)

    def _fetch_all(self) -> list[M]:
        if self._result_cache is None:
            ids = self._id_listing()
            if ids is not None:
                results = list(self.in_bulk(ids).values())
                results = results[self._low : self._high]
            else:
                fetcher = self._fetcher()
                results = fetcher.fetch(self._low, self._high)
            self._do_prefetch(results)
            self._result_cache = results
        return self._result_cache

    def _do_prefetch(self, results: Sequence[M]) -> None:
        if not self._prefetch or not results:
            return
        prefetch_links(self.model, results, self._prefetch, self._get_session())

    def __iter__(self) -> Iterator[M]:
        return iter(self._fetch_all())

    def __len__(self) -> int:
        return len(self._fetch_all())

    def __bool__(self) -> bool:
        return bool(self._fetch_all())

    @overload
    def __getitem__(self, key: int) -> M: ...
    @overload
    def __getitem__(self, key: slice) -> QuerySet[M]: ...
    def __getitem__(self, key: int | slice) -> M | QuerySet[M]:
        """``qs[5]`` fetches one record; ``qs[10:30]`` is a lazy query with offset/limit.

        A slice with a step (``qs[::2]``) is evaluated at once, as in Django; the result is
        still a QuerySet (holding those records) that cannot be refined further.
        """
        if isinstance(key, int):
            if key < 0:
                raise ValueError("negative indexing is not supported")
            if self._result_cache is not None:
                return self._result_cache[key]
            found = list(self[key : key + 1])
            if not found:
                raise IndexError("QuerySet index out of range")
            return found[0]
        if not isinstance(key, slice):
            raise TypeError(f"QuerySet indices must be integers or slices, not {type(key)}")
        start, stop, step = key.start, key.stop, key.step
        if (start is not None and start < 0) or (stop is not None and stop < 0):
            raise ValueError("negative indexing is not supported")
        clone = self._clone()
        if self._result_cache is not None:
            clone._result_cache = self._result_cache[key]
            clone._frozen = True
            return clone
        low = self._low + (start or 0)
        high = self._high
        if stop is not None:
            high = min(self._low + stop, high) if high is not None else self._low + stop
        clone._low = min(low, high) if high is not None else low
        clone._high = high
        if step is not None:
            stepped: QuerySet[M] = clone._clone()
            stepped._result_cache = list(clone)[::step]
            stepped._frozen = True
            return stepped
        return clone

    def __repr__(self) -> str:
        data = list(self[: REPR_OUTPUT_SIZE + 1])
        items: list[Any] = list(data[:REPR_OUTPUT_SIZE])
        if len(data) > REPR_OUTPUT_SIZE:
            items.append("...(remaining elements truncated)...")
        return f"<QuerySet {items!r}>"

    # --- terminal methods --------------------------------------------------------------

    def iterator(self, page_size: int = 200, progress: bool | None = None) -> Iterator[M]:
        """Stream the results page by page, several pages in flight; memory stays bounded by
        the pages in flight (not the table), and the records are those ``all()`` gives.

        ``progress=True`` (default: as set by :meth:`progress`) shows a tqdm bar, if tqdm is
        installed, counting records as they arrive (with a total only for a bounded slice).
        """
        if self._frozen and self._result_cache is not None:
            # A slice of evaluated results (or a stepped slice) holds records, not a query.
            yield from self._result_cache
            return
        ids = self._id_listing()
        if ids is not None:
            yield from list(self.in_bulk(ids).values())[self._low : self._high]
            return
        fetcher = self._fetcher()
        enabled = self._progress if progress is None else progress
        total = None if self._high is None else self._high - self._low
        bar = _progress_bar(total, enabled, self.model.__name__)
        try:
            for page in fetcher.stream(self._low, self._high, page_size=page_size):
                self._do_prefetch(page)
                if bar is not None:
                    bar.update(len(page))
                yield from page
        finally:
            if bar is not None:
                bar.close()

    def count(self) -> int:
        """The number of matching records: one request (``limit=1``, ``metadata.total``)."""
        if self._result_cache is not None:
            return len(self._result_cache)
        ids = self._pure_id_query()
        if ids is not None:
            return len(self._fetch_all())
        total = self._fetcher().count()
        total = max(0, total - self._low)
        return min(total, self._high - self._low) if self._high is not None else total

    def exists(self) -> bool:
        """Whether any record matches (fetches at most one)."""
        if self._result_cache is not None:
            return bool(self._result_cache)
        return bool(list(self[:1]))

    def get(self, *args: Q, **kwargs: Any) -> M:
        """The one record matching; ``get(id=...)`` is a single GET.

        Raises:
            Model.DoesNotExist: nothing matched.
            Model.MultipleObjectsReturned: more than one matched (at most 2 are fetched).
        """
        qs = self.filter(*args, **kwargs) if (args or kwargs) else self
        ids = qs._pure_id_query()
        if ids is not None and len(ids) == 1 and not qs._low and qs._high is None:
            return qs._get_by_id(ids[0])
        found = list(qs[:2])
        name = self.model.__name__
        if not found:
            raise self.model.DoesNotExist(f"{name} matching query does not exist")
        if len(found) > 1:
            raise self.model.MultipleObjectsReturned(f"get() returned more than one {name}")
        return found[0]

    def _get_by_id(self, record_id: str) -> M:
        binding = self._binding()
        try:
            record = binding.session.backend.get_record(
                binding.database_id, binding.table_id, record_id
            )
        except NotFound:
            raise self.model.DoesNotExist(
                f"{self.model.__name__} {record_id!r} does not exist"
            ) from None
        instance = self.model._from_api(record, binding)
        self._do_prefetch([instance])
        return instance

    def first(self) -> M | None:
        """The first record in order (by creation time when unordered), or None."""
        found = list(self[:1])
        return found[0] if found else None

    def last(self) -> M | None:
        """The last record in order, or None: one request with the order reversed."""
        if self._low or self._high is not None:
            found = list(self)
            return found[-1] if found else None
        if self._view is not None:
            raise QueryError("last() is not supported on a view query; use list(qs)[-1]")
        found = self._fetcher(reverse=True).fetch(0, 1)
        self._do_prefetch(found)
        return found[0] if found else None

    def in_bulk(self, ids: Iterable[str]) -> dict[str, M]:
        """Records by id, as ``{id: instance}`` (missing ids are left out)."""
        from softr_orm.query.related import fetch_by_ids

        wanted = list(dict.fromkeys(ids))
        found = fetch_by_ids(self.model, self._get_session(), wanted)
        return {i: found[i] for i in wanted if i in found}

    def values(self, *names: str) -> list[dict[str, Any]]:
        """Each record as a dict of field values (``id`` included when no names are given)."""
        wanted = self._value_names(names)
        rows = []
        source: QuerySet[M] = self
        if self._prefetch and self._result_cache is None:
            # Values show links as ids: loading the linked records would be a wasted request.
            source = self._clone()
            source._prefetch = ()
        for instance in source:
            data = instance.to_dict()
            rows.append({name: data[name] for name in wanted})
        return rows

    def values_list(self, *names: str, flat: bool = False) -> list[Any]:
        """Each record as a tuple of values, or the values themselves with ``flat=True``."""
        if flat and len(names) != 1:
            raise QueryError("values_list(flat=True) takes exactly one field name")
        wanted = self._value_names(names)
        rows = [tuple(row[n] for n in wanted) for row in self.values(*wanted)]
        return [row[0] for row in rows] if flat else rows

    def _value_names(self, names: Sequence[str]) -> list[str]:
        fields = meta_of(self.model).fields
        for name in names:
            if name not in fields and name != "id":
                raise FieldError(self.model.__name__, name, [*fields, "id"])
        return list(names) if names else ["id", *fields]

    def update(self, **values: Any) -> BulkResult:
        """Set these fields on every matching record: one PATCH each, concurrently within
        the write rate limit. Returns which records succeeded and which failed."""
        from softr_orm.query.bulk import bulk_update

        return bulk_update(self, values)

    def delete(self) -> BulkResult:
        """Delete every matching record: one DELETE each, concurrently within the write limit."""
        from softr_orm.query.bulk import bulk_delete

        return bulk_delete(self)

    def explain(self) -> list[dict[str, Any]]:
        """The exact search body (or bodies) this query sends, without sending it.

        For a bounded slice every page's body is listed; for an open scan, the first page's
        (later pages differ only in ``paging.offset``). Resolving names to ids may need one
        schema request (cached on the session).
        """
        ids = self._id_listing()
        if ids is not None:
            return [{"get": [*ids]}]
        return self._fetcher().bodies(self._low, self._high)
