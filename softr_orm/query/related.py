"""Loading many records by id at once, for linked records and ``prefetch()``.

Softr has no "get many" endpoint. When the backend can search by record id (Softr: the related
table has a RECORD_ID field), one search with ``id__in`` fetches up to a page of records per
request; otherwise the records are fetched with concurrent GETs, still within the session's
read rate limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from softr_orm.backends.tree import RECORD_ID_KEY, Condition
from softr_orm.errors import NotFound
from softr_orm.query.binding import bind

if TYPE_CHECKING:
    from softr_orm.backends.base import BackendSession, Record
    from softr_orm.query.protocols import QueryableModel

M = TypeVar("M", bound="QueryableModel")

__all__ = ["GET_CONCURRENCY", "fetch_by_ids"]

#: Parallel GETs when the related table has no RECORD_ID field to search on.
GET_CONCURRENCY = 8


def fetch_by_ids(model: type[M], session: BackendSession, ids: Iterable[str]) -> dict[str, M]:
    """The records of ``model`` with these ids, as instances keyed by id.

    Ids that no longer exist are simply absent from the result (a link can outlive its
    target for a moment). Costs ``ceil(len(ids) / 200)`` searches, or one GET per id when the
    table has no RECORD_ID field.
    """
    unique = list(dict.fromkeys(i for i in ids if i))
    if not unique:
        return {}
    binding = bind(model, session)
    backend = session.backend
    found: dict[str, M] = {}
    if backend.can_search_by_id(binding.table):
        size = backend.max_page_size
        for start in range(0, len(unique), size):
            batch = unique[start : start + size]
            condition = Condition(RECORD_ID_KEY, "in", batch, "RECORD_ID")
            query = backend.compile(binding.database_id, binding.table, condition, ())
            page = backend.search(query, 0, size)
            for record in page.records:
                instance = model._from_api(record, binding)
                if instance.id is not None:
                    found[instance.id] = instance
        return found

    def get_one(record_id: str) -> Record | None:
        try:
            return backend.get_record(binding.database_id, binding.table_id, record_id)
        except NotFound:
            return None

    workers = min(GET_CONCURRENCY, len(unique))
    if workers == 1:
        records: list[Any] = [get_one(unique[0])]
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="softr-get") as pool:
            records = list(pool.map(get_one, unique))
    for record in records:
        if record is not None:
            instance = model._from_api(record, binding)
            if instance.id is not None:
                found[instance.id] = instance
    return found
