"""Loading many records by id at once, for linked records and ``prefetch()``.

Softr has no "get many" endpoint. When the related table has a RECORD_ID field, one search
with ``IS_ONE_OF`` fetches up to 200 records per request; otherwise the records are fetched
with concurrent GETs, still within the session's read rate limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from softr_orm import compiler
from softr_orm.conditions import Condition
from softr_orm.constants import MAX_PAGE_SIZE
from softr_orm.errors import NotFound
from softr_orm.schema import bind

if TYPE_CHECKING:
    from softr_orm.model import Model
    from softr_orm.resources import Record
    from softr_orm.session import Session

M = TypeVar("M", bound="Model")

__all__ = ["GET_CONCURRENCY", "fetch_by_ids"]

#: Parallel GETs when the related table has no RECORD_ID field to search on.
GET_CONCURRENCY = 8


def fetch_by_ids(model: type[M], session: Session, ids: Iterable[str]) -> dict[str, M]:
    """The records of ``model`` with these ids, as instances keyed by id.

    Ids that no longer exist are simply absent from the result (a link can outlive its
    target for a moment). Costs ``ceil(len(ids) / 200)`` searches, or one GET per id when the
    table has no RECORD_ID field.
    """
    unique = list(dict.fromkeys(i for i in ids if i))
    if not unique:
        return {}
    binding = bind(model, session)
    api = session.api
    found: dict[str, M] = {}
    if binding.record_id_field is not None:
        for start in range(0, len(unique), MAX_PAGE_SIZE):
            batch = unique[start : start + MAX_PAGE_SIZE]
            condition = Condition(binding.record_id_field, "in", batch, "RECORD_ID")
            filter_value = compiler.compile_filter(condition)
            assert isinstance(filter_value, dict)  # a non-empty id list always compiles
            body = compiler.build_search_body(
                filter_value,
                [],
                offset=0,
                limit=MAX_PAGE_SIZE,
            )
            page = api.search_records(binding.database_id, binding.table_id, body)
            for record in page.records:
                instance = model._from_api(record, binding)
                if instance.id is not None:
                    found[instance.id] = instance
        return found

    def get_one(record_id: str) -> Record | None:
        try:
            return api.get_record(binding.database_id, binding.table_id, record_id)
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
