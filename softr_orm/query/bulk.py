"""Bulk writes: ``QuerySet.update()`` and ``QuerySet.delete()``.

Softr has no batch endpoint, so a bulk write is one PATCH or DELETE per record, sent
concurrently (the backend's ``write_concurrency``) and paced by the session's write token
bucket. A partial failure never goes
unnoticed: the result lists every record that succeeded and every one that failed, with its
exception, and ``raise_for_failures()`` turns failures into an exception when that is wanted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from softr_orm.errors import BulkError, FieldError, ReadOnlyField
from softr_orm.query.protocols import meta_of

if TYPE_CHECKING:
    from softr_orm.query.queryset import QuerySet

__all__ = ["BULK_CONCURRENCY", "BulkError", "BulkResult", "bulk_delete", "bulk_update"]

#: Requests in flight at once; the write token bucket sets the actual rate.
BULK_CONCURRENCY = 8


class BulkResult(int):
    """The outcome of a bulk write, record by record.

    It is also an ``int``, the number of records written, so ``n = qs.update(score=0)``
    reads as it does in Django; nothing about the failures is lost for that.

    Attributes:
        succeeded: ids written (or deleted), in the query's order.
        failed: id -> the exception that stopped that record.
    """

    succeeded: list[str]
    failed: dict[str, Exception]

    def __new__(
        cls,
        succeeded: list[str] | None = None,
        failed: dict[str, Exception] | None = None,
    ) -> BulkResult:
        done = list(succeeded or [])
        result = super().__new__(cls, len(done))
        result.succeeded = done
        result.failed = dict(failed or {})
        return result

    def __repr__(self) -> str:
        return f"<BulkResult {len(self.succeeded)} succeeded, {len(self.failed)} failed>"

    def __reduce__(self) -> tuple[Any, ...]:
        return (BulkResult, (self.succeeded, self.failed))

    @property
    def total(self) -> int:
        return len(self.succeeded) + len(self.failed)

    @property
    def ok(self) -> bool:
        return not self.failed

    def __len__(self) -> int:
        """The number of records written."""
        return len(self.succeeded)

    def raise_for_failures(self) -> BulkResult:
        """Return self when every record succeeded; otherwise raise :class:`BulkError`."""
        if self.failed:
            raise BulkError(self)
        return self


def _run(
    ids: list[str],
    action: Callable[[str], None],
    progress: bool,
    desc: str,
    concurrency: int = BULK_CONCURRENCY,
) -> BulkResult:
    if not ids:
        return BulkResult()
    bar = None
    if progress:
        try:
            from tqdm import tqdm

            bar = tqdm(total=len(ids), desc=desc, unit="rec")
        except ImportError:
            bar = None

    def attempt(record_id: str) -> Exception | None:
        try:
            action(record_id)
        except Exception as error:
            return error
        finally:
            if bar is not None:
                bar.update(1)
        return None

    workers = max(1, min(concurrency, len(ids)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="softr-bulk") as pool:
        outcomes = list(pool.map(attempt, ids))
    if bar is not None:
        bar.close()
    succeeded = [i for i, error in zip(ids, outcomes, strict=True) if error is None]
    failed = {i: error for i, error in zip(ids, outcomes, strict=True) if error is not None}
    return BulkResult(succeeded, failed)


def _matched_ids(qs: QuerySet[Any]) -> list[str]:
    return [i.id for i in qs.iterator() if i.id is not None]


def bulk_update(qs: QuerySet[Any], values: Mapping[str, Any]) -> BulkResult:
    """PATCH ``values`` onto every record ``qs`` matches. Values are checked before any request."""
    model = qs.model
    fields = meta_of(model).fields
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        field_obj = fields.get(name)
        if field_obj is None:
            raise FieldError(model.__name__, name, fields)
        if field_obj.read_only:
            raise ReadOnlyField(model.__name__, name, value)
        cleaned[name] = field_obj.clean(value)
    binding = qs._binding()
    for name, value in cleaned.items():
        # As save() does: the live options (choices, rating maximum, maxLength) are checked
        # once here, rather than failing once per record on the server.
        live = binding.table_fields.get(name)
        if live is not None:
            cleaned[name] = fields[name].check_live_value(value, live)
    body = {binding.ids[name]: fields[name].to_api(value) for name, value in cleaned.items()}
    backend = binding.session.backend
    ids = _matched_ids(qs)
    if not body:
        return BulkResult(succeeded=ids)

    def patch(record_id: str) -> None:
        backend.update_record(binding.database_id, binding.table_id, record_id, body)

    return _run(ids, patch, qs._progress, f"update {model.__name__}", backend.write_concurrency)


def bulk_delete(qs: QuerySet[Any]) -> BulkResult:
    """DELETE every record ``qs`` matches; one already gone counts as deleted."""
    binding = qs._binding()
    backend = binding.session.backend
    ids = _matched_ids(qs)

    def delete(record_id: str) -> None:
        # A record deleted meanwhile is the outcome the caller asked for.
        backend.delete_record(binding.database_id, binding.table_id, record_id, missing_ok=True)

    return _run(ids, delete, qs._progress, f"delete {qs.model.__name__}", backend.write_concurrency)
