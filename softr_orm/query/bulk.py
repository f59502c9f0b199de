"""Bulk writes: ``QuerySet.update()`` and ``QuerySet.delete()``.

Softr has no batch endpoint, so a bulk write is one PATCH or DELETE per record, sent
concurrently (the backend's ``write_concurrency``) and paced by the session's write token
bucket. The set of records is fixed first (:func:`matched_ids`), then written, so records
deleted or inserted elsewhere meanwhile never make a record skipped or written twice.

Each write follows the rule of :mod:`softr_orm.query.outcome` (ordered per record, never
re-sent blindly, outcome proven by reading back). A partial failure never goes unnoticed: the
result lists every record that succeeded, every one that failed (refused, or never sent) and
every one whose outcome is unknown (it may have been applied), each with its exception;
``raise_for_failures()`` turns anything but success into an exception when that is wanted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from softr_orm.backends.base import batch_backend
from softr_orm.errors import AmbiguousWriteError, BulkError, FieldError, NotFound, ReadOnlyField
from softr_orm.query import outcome
from softr_orm.query.protocols import meta_of

if TYPE_CHECKING:
    from softr_orm.query.binding import Binding
    from softr_orm.query.queryset import QuerySet

__all__ = [
    "BULK_CONCURRENCY",
    "BulkError",
    "BulkResult",
    "bulk_delete",
    "bulk_update",
    "clean_values",
    "matched_ids",
    "progress_bar",
    "run_each",
    "run_ids",
    "write_forms",
]

T = TypeVar("T")
R = TypeVar("R")

#: Requests in flight at once; the write token bucket sets the actual rate.
BULK_CONCURRENCY = 8


class BulkResult(int):
    """The outcome of a bulk write, record by record, in three values.

    It is also an ``int``, the number of records written, so ``n = qs.update(score=0)``
    reads as it does in Django; nothing about the failures is lost for that.

    Attributes:
        succeeded: ids written (or deleted), in the query's order.
        failed: id -> the exception that stopped that record: the service refused it, or it
            was never sent. Nothing was applied.
        unknown: id -> the :class:`~softr_orm.errors.AmbiguousWriteError` of a write that may
            or may not have been applied (its outcome could not be proven).
    """

    succeeded: list[str]
    failed: dict[str, Exception]
    unknown: dict[str, Exception]

    def __new__(
        cls,
        succeeded: list[str] | None = None,
        failed: dict[str, Exception] | None = None,
        unknown: dict[str, Exception] | None = None,
    ) -> BulkResult:
        done = list(succeeded or [])
        result = super().__new__(cls, len(done))
        result.succeeded = done
        result.failed = dict(failed or {})
        result.unknown = dict(unknown or {})
        return result

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {len(self.succeeded)} succeeded, {len(self.failed)} failed, "
            f"{len(self.unknown)} unknown>"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (BulkResult, (self.succeeded, self.failed, self.unknown))

    @property
    def total(self) -> int:
        return len(self.succeeded) + len(self.failed) + len(self.unknown)

    @property
    def ok(self) -> bool:
        """True only when every record succeeded (none failed, none unknown)."""
        return not self.failed and not self.unknown

    def __len__(self) -> int:
        """The number of records written."""
        return len(self.succeeded)

    def raise_for_failures(self) -> BulkResult:
        """Return self when every record succeeded; otherwise raise :class:`BulkError`."""
        if not self.ok:
            raise BulkError(self)
        return self


def progress_bar(enabled: bool, total: int, desc: str) -> Any:
    """A ``tqdm`` bar when asked for and installed (the ``progress`` extra), else None."""
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, unit="rec")


def run_each(
    items: list[T],
    action: Callable[[T], R],
    concurrency: int,
    bar: Any = None,
) -> list[R | Exception]:
    """``action(item)`` for every item on a thread pool, in order: a result or its exception.

    Never raises for one item, so that no outcome is lost.
    """

    def attempt(item: T) -> R | Exception:
        try:
            return action(item)
        except Exception as error:
            return error
        finally:
            if bar is not None:
                bar.update(1)

    if not items:
        return []
    workers = max(1, min(concurrency, len(items)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="softr-bulk") as pool:
        return list(pool.map(attempt, items))


def run_ids(
    ids: list[str],
    action: Callable[[str], None],
    progress: bool,
    desc: str,
    concurrency: int = BULK_CONCURRENCY,
) -> BulkResult:
    if not ids:
        return BulkResult()
    bar = progress_bar(progress, len(ids), desc)
    outcomes = run_each(ids, action, concurrency, bar)
    if bar is not None:
        bar.close()
    succeeded: list[str] = []
    failed: dict[str, Exception] = {}
    unknown: dict[str, Exception] = {}
    for record_id, result in zip(ids, outcomes, strict=True):
        if isinstance(result, AmbiguousWriteError):
            unknown[record_id] = result
        elif isinstance(result, Exception):
            failed[record_id] = result
        else:
            succeeded.append(record_id)
    return BulkResult(succeeded, failed, unknown)


def _run_batches(
    ids: list[str], action: Callable[[list[str]], None], size: int, progress: bool, desc: str
) -> BulkResult:
    """:func:`run_ids` for a backend with batch writes: one all-or-nothing request per
    ``size`` ids, so a refused batch fails each of its records (and writes none of them), and
    a batch whose outcome is unknown leaves each of its records unknown."""
    chunks = [ids[start : start + size] for start in range(0, len(ids), size)]
    numbers = [str(n) for n in range(len(chunks))]
    outcomes = run_ids(numbers, lambda n: action(chunks[int(n)]), progress, desc, 1)
    succeeded = [i for n in outcomes.succeeded for i in chunks[int(n)]]
    failed = {i: error for n, error in outcomes.failed.items() for i in chunks[int(n)]}
    unknown = {i: error for n, error in outcomes.unknown.items() for i in chunks[int(n)]}
    return BulkResult(succeeded, failed, unknown)


#: Records re-read at the start of each next page, to notice records removed meanwhile.
_OVERLAP = 20


def matched_ids(qs: QuerySet[Any]) -> list[str]:
    """The ids ``qs`` matches, fixed before any write, each once.

    Pages are read in creation order (new records come last; none moves forward) and each page
    after the first starts ``_OVERLAP`` records early. When the first record of a page is not
    one already seen, records before it were removed meanwhile (deleted elsewhere, or no
    longer matching) and the page is read again from further back, so a removal never makes a
    record that matched throughout skipped. Duplicates are dropped, so an insert never makes a
    record counted twice. A sliced or view query keeps its own order and plain paging.
    """
    if qs._low or qs._high is not None or qs._view is not None:
        return [i.id for i in qs.iterator() if i.id is not None]
    fetcher = qs.order_by("created_at")._fetcher()
    if fetcher.nothing:
        return []
    size = fetcher.page_size
    overlap = min(_OVERLAP, size // 4)
    seen: set[str] = set()
    ids: list[str] = []
    offset = 0
    while True:
        page = fetcher.page(offset, size)
        page_ids = [r["id"] for r in page.records if r.get("id")]
        if offset and page_ids and page_ids[0] not in seen:
            offset = max(0, offset - size)  # more vanished than the overlap: step back
            continue
        for record_id in page_ids:
            if record_id not in seen:
                seen.add(record_id)
                ids.append(record_id)
        if len(page.records) < size:
            return ids
        offset += len(page.records) - overlap


def clean_values(model: type[Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Values given by field name, cleaned by their fields: checked locally, before any request.

    Raises:
        FieldError: a name the model does not have.
        ReadOnlyField: a read-only field.
        InvalidValue: a value the field refuses.
    """
    fields = meta_of(model).fields
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        field_obj = fields.get(name)
        if field_obj is None:
            raise FieldError(model.__name__, name, fields)
        if field_obj.read_only:
            raise ReadOnlyField(model.__name__, name, value)
        cleaned[name] = field_obj.clean(value)
    return cleaned


def write_forms(model: type[Any], binding: Binding, cleaned: Mapping[str, Any]) -> dict[str, Any]:
    """``{attname: write form}`` for :func:`clean_values`'s output, checked against the live
    fields (choices, rating maximum, maxLength) once here rather than once per record."""
    fields = meta_of(model).fields
    forms: dict[str, Any] = {}
    for name, value in cleaned.items():
        live = binding.table_fields.get(name)
        if live is not None:
            value = fields[name].check_live_value(value, live)
        forms[name] = fields[name].to_api(value)
    return forms


def bulk_update(qs: QuerySet[Any], values: Mapping[str, Any]) -> BulkResult:
    """PATCH ``values`` onto every record ``qs`` matches. Values are checked before any request."""
    model = qs.model
    cleaned = clean_values(model, values)
    binding = qs._binding()
    body = {binding.ids[name]: form for name, form in write_forms(model, binding, cleaned).items()}
    backend = binding.session.backend
    ids = matched_ids(qs)
    if not body:
        return BulkResult(succeeded=ids)

    batches = batch_backend(backend)
    if batches is not None:

        def patch_many(chunk: list[str]) -> None:
            rows = [(record_id, body) for record_id in chunk]
            batches.update_records(binding.database_id, binding.table_id, rows)

        desc = f"update {model.__name__}"
        return _run_batches(ids, patch_many, batches.max_batch_size, qs._progress, desc)

    def patch(record_id: str) -> None:
        outcome.update_record(model, binding, record_id, body)

    return run_ids(ids, patch, qs._progress, f"update {model.__name__}", backend.write_concurrency)


def bulk_delete(qs: QuerySet[Any]) -> BulkResult:
    """DELETE every record ``qs`` matches; one already gone counts as deleted."""
    binding = qs._binding()
    backend = binding.session.backend
    ids = matched_ids(qs)

    def delete(record_id: str) -> None:
        # A record deleted meanwhile is the outcome the caller asked for.
        outcome.delete_record(binding, record_id, missing_ok=True)

    batches = batch_backend(backend)
    if batches is not None:

        def delete_many(chunk: list[str]) -> None:
            try:
                batches.delete_records(binding.database_id, binding.table_id, chunk)
            except NotFound:  # one was deleted meanwhile: the rest one at a time
                for record_id in chunk:
                    delete(record_id)

        desc = f"delete {qs.model.__name__}"
        return _run_batches(ids, delete_many, batches.max_batch_size, qs._progress, desc)

    return run_ids(
        ids, delete, qs._progress, f"delete {qs.model.__name__}", backend.write_concurrency
    )
