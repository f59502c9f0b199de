"""Fetching pages of records: single pages, concurrent full scans, streaming, prefetch.

Pages are at most the backend's ``max_page_size`` records (200 for Softr). A full scan reads
the first page, learns the total from it, and then fetches the remaining pages concurrently;
the session's read token bucket keeps the whole scan within the service's rate limit, and the
pages are yielded in order. Scans are sorted (by creation time unless the query says
otherwise) so that pages are stable, and a record seen twice (an insert shifted the pages) is
dropped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from softr_orm.fields import LinkedRecord
from softr_orm.query.protocols import meta_of
from softr_orm.query.related import fetch_by_ids

if TYPE_CHECKING:
    from softr_orm.backends.base import BackendSession, CompiledQuery, RecordPage
    from softr_orm.query.binding import Binding
    from softr_orm.query.protocols import QueryableModel

__all__ = ["SCAN_CONCURRENCY", "Fetcher", "prefetch_links"]

M = TypeVar("M", bound="QueryableModel")

#: Pages fetched at once in a full scan. The read token bucket, not this number, bounds the
#: request rate; this only needs to be large enough to keep the bucket busy at real latencies.
SCAN_CONCURRENCY = 16


def _progress_bar(total: int | None, enabled: bool, desc: str) -> Any:
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm is an optional extra
        return None
    return tqdm(total=total, desc=desc, unit="rec")


class Fetcher(Generic[M]):
    """Fetches the records of one compiled query, through the binding's backend."""

    def __init__(
        self,
        model: type[M],
        binding: Binding,
        query: CompiledQuery,
        progress: bool = False,
    ) -> None:
        self.model = model
        self.binding = binding
        self.backend = binding.session.backend
        self.query = query
        self.progress = progress
        self.nothing = query.matches_nothing
        self.page_size = self.backend.max_page_size

    # --- single pages ----------------------------------------------------------------

    def bodies(self, low: int, high: int | None) -> list[dict[str, Any]]:
        """The request of each page of ``[low, high)`` (the first page's for an open scan)."""
        if self.nothing:
            return []
        size = self.page_size
        if high is None:
            return [self.backend.explain(self.query, low, size)]
        return [
            self.backend.explain(self.query, offset, min(size, high - offset))
            for offset in range(low, high, size)
        ] or [self.backend.explain(self.query, low, 1)]

    def page(self, offset: int, limit: int) -> RecordPage:
        return self.backend.search(self.query, offset, limit)

    def count(self) -> int:
        return 0 if self.nothing else self.backend.count(self.query)

    def _hydrate(self, page: RecordPage, seen: set[str]) -> list[M]:
        out = []
        binding = self.binding
        from_api = self.model._from_api
        for record in page.records:
            rid = record.get("id")
            if rid is None or rid in seen:
                continue
            seen.add(rid)
            out.append(from_api(record, binding))
        return out

    # --- many pages --------------------------------------------------------------------

    def fetch(self, low: int, high: int | None) -> list[M]:
        """All records in ``[low, high)``: first page, then the rest concurrently."""
        if self.nothing or (high is not None and high <= low):
            return []
        seen: set[str] = set()
        first_limit = self.page_size if high is None else min(self.page_size, high - low)
        first = self.page(low, first_limit)
        results = self._hydrate(first, seen)
        if len(first.records) < first_limit or first.total is None:
            if first.total is None and len(first.records) == first_limit:
                # No total to plan with: carry on one page at a time.
                for page in self._pages(low + first_limit, high, self.page_size):
                    results.extend(self._hydrate(page, seen))
            return results
        end = first.total if high is None else min(first.total, high)
        offsets = list(range(low + first_limit, end, self.page_size))
        if not offsets:
            return results
        bar = _progress_bar(end - low, self.progress, self.model.__name__)
        if bar is not None:
            bar.update(len(results))
        workers = min(SCAN_CONCURRENCY, len(offsets))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="softr-scan") as pool:
            futures = [
                pool.submit(self.page, offset, min(self.page_size, end - offset))
                for offset in offsets
            ]
            for future in futures:
                page = future.result()
                results.extend(self._hydrate(page, seen))
                if bar is not None:
                    bar.update(len(page.records))
        if bar is not None:
            bar.close()
        return results

    def _pages(self, low: int, high: int | None, page_size: int) -> Iterator[RecordPage]:
        offset = low
        while high is None or offset < high:
            limit = page_size if high is None else min(page_size, high - offset)
            page = self.page(offset, limit)
            yield page
            if len(page.records) < limit or not page.records:
                return
            offset += len(page.records)
            if page.total is not None and offset >= page.total:
                return

    def stream(self, low: int, high: int | None, page_size: int | None = None) -> Iterator[list[M]]:
        """Pages of instances, one at a time, with the next page fetched in the background.

        At most two pages are held at once: the one being consumed and the one in flight.
        """
        if self.nothing:
            return
        page_size = max(1, min(page_size or self.page_size, self.page_size))
        seen: set[str] = set()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="softr-stream") as pool:
            offset = low
            limit = page_size if high is None else min(page_size, high - offset)
            if limit <= 0:
                return
            pending: Future[RecordPage] | None = pool.submit(self.page, offset, limit)
            while pending is not None:
                page = pending.result()
                pending = None
                fetched = len(page.records)
                offset += fetched
                more = fetched == limit and fetched > 0
                if page.total is not None and offset >= page.total:
                    more = False
                if high is not None and offset >= high:
                    more = False
                if more:
                    limit = page_size if high is None else min(page_size, high - offset)
                    pending = pool.submit(self.page, offset, limit)
                # Ids seen are kept to drop duplicates; they are small compared with records.
                yield self._hydrate(page, seen)


def prefetch_links(
    model: type[QueryableModel],
    results: Sequence[QueryableModel],
    names: Sequence[str],
    session: BackendSession,
) -> None:
    """Load the linked records of ``names`` for all ``results``: 1 + ceil(links/200) requests
    per field at most, instead of one per parent."""
    for name in names:
        field = meta_of(model).fields[name]
        if not isinstance(field, LinkedRecord):
            continue
        related = field.related_model()
        ids: list[str] = []
        for instance in results:
            raw = instance._raw_value(name)
            ids.extend(i for i in (field.to_python(raw) or []) if isinstance(i, str))
        found = fetch_by_ids(related, session, ids) if ids else {}
        for instance in results:
            instance._prefetched = {**(instance._prefetched or {}), name: found}
