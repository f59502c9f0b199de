"""Fetching pages of records: single pages, concurrent full scans, streaming, prefetch.

Pages are at most the backend's ``max_page_size`` records (200 for Softr). A scan reads the
first page, learns the total from it, and then keeps several pages in flight (the session's
rate limiter, not the number in flight, bounds the request rate), yielding them in order. A
query whose last scan was large does not wait for the total: it asks for its first pages at
once (:data:`SPECULATIVE_PAGES`), the same requests the scan would send after the first page.
``all()`` and ``.iterator()`` run the same scan: ``all()`` keeps every record, ``.iterator()``
holds only the pages in flight and the ids of the last few pages (to drop a record seen twice,
when an insert shifted the pages), so its memory does not grow with the table.

A scan asks for typed pages where the backend offers them (``backends.base.TypedReads``):
records decoded into structs made for the model's fields, which the binding's generated code
builds into instances (``Model._builder``); single pages (writes, bulk) stay plain dicts.

Scans are sorted (by creation time unless the query says otherwise) so that pages are stable.
Offset paging still shifts when records are deleted during a scan: a record moves to a lower
offset, past a page boundary already read, and would be skipped. Every page reports the total
at the time it was served; when a page's total is lower than its predecessor's, records were
deleted between the two reads, and the window just before the page's offset (as wide as the
deletes seen since) is read again, so every record that existed throughout the scan is
returned. A scan never ends short silently: a page that repeats the one before (a server that
ignores ``offset``) or a total that cannot be reached raises
:class:`~softr_orm.errors.UnexpectedResponse`.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from softr_orm.backends.base import typed_reads
from softr_orm.errors import UnexpectedResponse
from softr_orm.fields import FIELD_CLASSES, LinkedRecord
from softr_orm.query.protocols import meta_of
from softr_orm.query.related import fetch_by_ids

if TYPE_CHECKING:
    from softr_orm.backends.base import BackendSession, CompiledQuery, RecordPage
    from softr_orm.query.binding import Binding
    from softr_orm.query.protocols import QueryableModel

__all__ = ["RECENT_PAGES", "SCAN_CONCURRENCY", "SPECULATIVE_PAGES", "Fetcher", "prefetch_links"]

M = TypeVar("M", bound="QueryableModel")

#: Pages in flight at once in a scan (``all()`` and ``.iterator()``). The session's read rate
#: limit, not this number, bounds the request rate; this only needs to be large enough to keep
#: the budget busy at real latencies (40 req/s x 0.4 s round trips = 16).
SCAN_CONCURRENCY = 16

#: Pages an open scan may request beside its first, before the first has told the total. The
#: first page must otherwise come back alone, one whole round trip in which the rate budget
#: lies idle: at 250 ms latency that held a 50-page scan to about 72% of 40 req/s. The session's
#: rate limiter paces these requests as any others (ten leave at once, the default burst, the
#: rest one every 25 ms), so asking for up to ``SCAN_CONCURRENCY - 1`` fills the first round trip
#: at real latencies. They cost budget only when the result is smaller than guessed, so a scan
#: only speculates on a query whose last scan (same service, table and request, any session of
#: the process) was large, and only as many pages as that scan had: a small result, or a query
#: never scanned before, costs no extra request; a result that shrank since costs at most this
#: many.
SPECULATIVE_PAGES = SCAN_CONCURRENCY - 1

#: How many of the latest pages' ids a scan remembers to drop duplicates. An insert during a
#: scan shifts records by one position per insert between two reads of adjacent pages, so a
#: duplicate is always near; remembering every id would grow with the table.
RECENT_PAGES = 4

#: Reads of the window below a page boundary after deletes (see ``Fetcher._shifted``): it is
#: widened or read again while deletes go on, and taken as it is at the last attempt.
_WINDOW_ATTEMPTS = 8

#: The total of the last scan of each query shape (see SPECULATIVE_PAGES), the oldest
#: forgotten first beyond _SIZES_KEPT entries; a plain dict (insertion ordered) under a lock.
_SIZES: dict[tuple[Any, ...], int] = {}
_SIZES_KEPT = 256
_SIZES_LOCK = threading.Lock()


def _remember_size(key: tuple[Any, ...], total: int) -> None:
    with _SIZES_LOCK:
        _SIZES.pop(key, None)
        _SIZES[key] = total
        while len(_SIZES) > _SIZES_KEPT:
            del _SIZES[next(iter(_SIZES))]


def _progress_bar(total: int | None, enabled: bool, desc: str) -> Any:
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm is an optional extra
        return None
    return tqdm(total=total, desc=desc, unit="rec")


def _read_otherwise(model: type[Any], live: Mapping[str, Any]) -> list[str]:
    """Ids of the live fields that ``model`` reads with another reader than their type's own
    (a Number over a CURRENCY column, a DateTime or a text over a DATE, a user's
    ``to_python``): a backend's typed values are chosen for the type's reader, so these
    must reach the model as plain JSON (``TypedReads.typed_query``'s ``plain``)."""
    declared: Mapping[str, Any] = meta_of(model).fields
    out = []
    for attname, field in live.items():
        own = FIELD_CLASSES.get(field.type)
        mine = declared.get(attname)
        if own is None or mine is None or type(mine).to_python is not own.to_python:
            out.append(field.id)
    return out


class _Recent:
    """The ids of the last few pages: drops a record already yielded nearby.

    One dict maps each remembered id to the page that yielded it, so a check is one lookup;
    when a page falls out of memory its ids are forgotten (unless a later page has them).
    """

    def __init__(self, pages: int = RECENT_PAGES) -> None:
        self.limit = pages
        self.pages: deque[list[Any]] = deque()
        self.page_of: dict[Any, int] = {}
        self.count = 0
        self.yielded = 0

    def seen(self, record_id: Any) -> bool:
        """Whether ``record_id`` was yielded within the remembered pages."""
        return record_id in self.page_of

    def fresh(self, records: Sequence[Any], extend_last: bool = False) -> list[Any]:
        """The records not seen recently, remembered from now on (as a page of their own,
        or with the last page when ``extend_last``)."""
        if not extend_last or not self.pages:
            self.count += 1
            self.pages.append([])
            if len(self.pages) > self.limit:
                old = self.pages.popleft()
                gone = self.count - self.limit - 1
                page_of = self.page_of
                for rid in old:
                    if page_of.get(rid) == gone:
                        del page_of[rid]
        ids = self.pages[-1]
        number = self.count - 1
        page_of = self.page_of
        out = []
        for record in records:
            rid = record.get("id")
            if rid is None or rid in page_of:
                continue
            page_of[rid] = number
            ids.append(rid)
            out.append(record)
        self.yielded += len(out)
        return out


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
        # Scans read typed pages where the backend offers them (backends.base.TypedReads):
        # decoded into structs for the model's fields, and read by the generated code without
        # a dict lookup per value. Single pages (``page``: writes, bulk) stay plain dicts.
        self.scan_query = query
        self.wire: Mapping[str, str] | None = None
        typed = typed_reads(self.backend)
        if typed is not None and not self.nothing:
            table_fields = binding.table_fields
            fields = [table_fields[a] for a in binding.ids if a in table_fields]
            answer = typed.typed_query(query, fields, _read_otherwise(model, table_fields))
            if answer is not None:
                self.scan_query, self.wire = answer

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

    def scan_page(self, offset: int, limit: int) -> RecordPage:
        """A page of a scan: typed records where the backend offers them (see ``__init__``)."""
        return self.backend.search(self.scan_query, offset, limit)

    def count(self) -> int:
        return 0 if self.nothing else self.backend.count(self.query)

    def _hydrate(self, records: Sequence[Any]) -> list[M]:
        if not records:
            return []
        # A typed build takes plain dicts too (a page that did not fit the types).
        wire = None if records[0].__class__ is dict else self.wire
        if wire is None and self.scan_query is not self.query:
            # The typed decoding refused this page: the rest of the scan asks for plain pages,
            # as a table whose values do not fit would otherwise be decoded twice per page.
            self.scan_query = self.query
        build = self.model._builder(self.binding, wire)
        return [build(record) for record in records]

    # --- many pages --------------------------------------------------------------------

    def fetch(self, low: int, high: int | None) -> list[M]:
        """All records in ``[low, high)``: first page, then the rest concurrently."""
        results: list[M] = []
        bar: Any = None

        def planned(count: int) -> None:
            nonlocal bar
            bar = _progress_bar(count, self.progress, self.model.__name__)
            if bar is not None:
                bar.update(len(results))

        for batch in self.scan(low, high, self.page_size, planned=planned):
            results.extend(batch)
            if bar is not None:
                bar.update(len(batch))
        if bar is not None:
            bar.close()
        return results

    def stream(self, low: int, high: int | None, page_size: int | None = None) -> Iterator[list[M]]:
        """Pages of instances, in order, with up to :data:`SCAN_CONCURRENCY` pages in flight.

        Memory is bounded by the pages in flight and the ids of the last few pages.
        """
        page_size = max(1, min(page_size or self.page_size, self.page_size))
        return self.scan(low, high, page_size)

    def scan(
        self,
        low: int,
        high: int | None,
        page_size: int,
        *,
        in_flight: int | None = None,
        planned: Callable[[int], None] | None = None,
        speculate: int = SPECULATIVE_PAGES,
    ) -> Iterator[list[M]]:
        """Instances of ``[low, high)`` page by page, in order (see the module docstring).

        Args:
            page_size: records per request.
            in_flight: pages requested at once (default :data:`SCAN_CONCURRENCY`).
            planned: called once with the number of records the scan expects, when the first
                page has told the total.
            speculate: pages after the first that an open scan (``high`` is None) asks for
                together with the first, before the total is known (at most
                ``in_flight - 1``); those at or past the total are not used.

        Raises:
            UnexpectedResponse: a page repeats the one before, or the scan ends short of the
                total the server stated (and no delete explains it).
        """
        if self.nothing or (high is not None and high <= low):
            return
        recent = _Recent(max(RECENT_PAGES, (in_flight or SCAN_CONCURRENCY) + 2))
        first_limit = page_size if high is None else min(page_size, high - low)
        concurrency = in_flight or SCAN_CONCURRENCY
        pool: ThreadPoolExecutor | None = None
        pending: deque[tuple[int, Future[RecordPage]]] = deque()
        try:
            key = self._shape(page_size) if high is None else None
            guess = 0
            if key is not None and speculate > 0 and concurrency > 1:
                known = _SIZES.get(key, 0)
                guess = min(speculate, concurrency - 1, max(0, -(-(known - low) // page_size) - 1))
            if guess:
                # Ask for the pages after the first at once (see SPECULATIVE_PAGES); they are
                # whole pages, exactly what the scan would ask for them once the total is known.
                # The first page is submitted first, so that it takes the rate limiter's first
                # slot: the rest of the scan waits for its answer, and sent behind the others it
                # left the budget idle for a round trip (a sixth of a 50-page scan at 250 ms).
                pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="softr-scan")
                asked = pool.submit(self.scan_page, low, first_limit)
                for n in range(1, guess + 1):
                    offset = low + n * page_size
                    pending.append((offset, pool.submit(self.scan_page, offset, page_size)))
                first = asked.result()
            else:
                first = self.scan_page(low, first_limit)
            if key is not None and first.total is not None:
                _remember_size(key, first.total)
            yield self._hydrate(recent.fresh(first.records))
            if len(first.records) < first_limit:
                return
            if first.total is None:
                # No total to plan with: carry on one page at a time (speculative pages, which
                # could not be checked against a total, are not used).
                yield from self._sequential(low + first_limit, high, page_size, first, recent)
                return
            end = first.total if high is None else min(first.total, high)
            if planned is not None:
                planned(end - low)
            # Speculative pages at or past the end are dropped: the scan would not have asked
            # for them (records created since the first page come with the last page, below).
            while pending and pending[-1][0] >= end:
                pending.pop()[1].cancel()
            start = pending[-1][0] + page_size if pending else low + first_limit
            offsets = deque(range(start, end, page_size))
            if not offsets and not pending:
                return
            yield from self._rest(
                low, end, high, page_size, concurrency, first, offsets, pending, pool, recent
            )
        finally:
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)

    def _shape(self, page_size: int) -> tuple[Any, ...] | None:
        """What identifies this scan's query for :data:`SPECULATIVE_PAGES`: the service, the
        table and the first page's request (None when it cannot be told apart)."""
        binding = self.binding
        try:
            body = repr(sorted(self.backend.explain(self.query, 0, page_size).items()))
        except Exception:  # a backend that cannot explain: no speculation
            return None
        return (self.backend.name, binding.database_id, binding.table_id, body)

    def _rest(
        self,
        low: int,
        end: int,
        high: int | None,
        page_size: int,
        concurrency: int,
        first: RecordPage,
        offsets: deque[int],
        pending: deque[tuple[int, Future[RecordPage]]],
        pool: ThreadPoolExecutor | None,
        recent: _Recent,
    ) -> Iterator[list[M]]:
        """The pages after the first (``pending`` ones already asked for, then ``offsets``),
        in order, keeping up to ``concurrency`` in flight; see :meth:`scan`."""
        # An open scan asks for whole pages to the end: records created meanwhile (sorted
        # last) come along with the last page rather than being cut off at the first total.
        cap = end if high is not None else end + page_size
        workers = max(1, min(concurrency, len(offsets) + len(pending)))
        own = pool is None
        if pool is None:
            pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="softr-scan")
        try:
            while offsets and len(pending) < workers:
                offset = offsets.popleft()
                limit = min(page_size, cap - offset)
                pending.append((offset, pool.submit(self.scan_page, offset, limit)))
            previous = first
            changed = False
            while pending:
                offset, future = pending.popleft()
                page = future.result()
                if offsets:
                    later = offsets.popleft()
                    limit = min(page_size, cap - later)
                    pending.append((later, pool.submit(self.scan_page, later, limit)))
                _check_not_repeated(previous, page, offset)
                if page.total is not None and previous.total is not None:
                    changed = changed or page.total != first.total
                    if page.total < previous.total:
                        shifted = self._shifted(
                            low, offset, page, previous.total, recent, self.page_size
                        )
                        yield self._hydrate(recent.fresh(shifted, extend_last=True))
                yield self._hydrate(recent.fresh(page.records))
                previous = page
        finally:
            if own:
                pool.shutdown(wait=False, cancel_futures=True)
        if not changed and recent.yielded < end - low:
            raise UnexpectedResponse(
                f"the scan read {recent.yielded} records of the {end - low} the server "
                "stated, with no record deleted meanwhile: the server's paging is not "
                "consistent (does it ignore offset?)",
                status=200,
            )

    def _shifted(
        self,
        low: int,
        boundary: int,
        page: RecordPage,
        before_total: int,
        recent: _Recent,
        size: int,
    ) -> list[Any]:
        """Records that deletes moved from the page at ``boundary`` to before it, unread.

        Such a record lies, in sort order, after every record yielded so far (the page before
        ``boundary``, whose total was ``before_total``, included) and before those of the
        page at it, and deletes only ever move records to lower offsets. So the window below
        ``boundary`` is read again, as wide as the records deleted since the earlier page,
        and wider while it holds no record yielded recently (all of them may have been
        deleted); what lies between the last such record and the first of this page is what
        the scan missed.
        """
        after = {r.get("id") for r in page.records}
        latest = page.total if page.total is not None else before_total
        width = 0
        for attempt in range(_WINDOW_ATTEMPTS):
            width = max(width * 2, before_total - latest, 1)
            start = max(low, boundary - width)
            window: list[Any] = []
            totals = set()
            for offset in range(start, boundary + 1, size):
                part = self.page(offset, min(size, boundary + 1 - offset))
                window.extend(part.records)
                totals.add(part.total)
                if part.total is not None:
                    latest = min(latest, part.total)
            last_try = attempt == _WINDOW_ATTEMPTS - 1
            if len(totals) > 1 and not last_try:
                continue  # the window itself shifted between its pages: read it again
            ids = [r.get("id") for r in window]
            left = next((i for i in range(len(ids) - 1, -1, -1) if recent.seen(ids[i])), None)
            if left is None and start > low and not last_try:
                continue  # deletes since moved the earlier page further down
            first = 0 if left is None else left + 1
            right = next((i for i in range(first, len(ids)) if ids[i] in after), len(ids))
            return window[first:right]
        return []  # not reached: the last attempt returns

    def _sequential(
        self, offset: int, high: int | None, page_size: int, previous: RecordPage, recent: _Recent
    ) -> Iterator[list[M]]:
        """Page after page, for a server that states no total."""
        while high is None or offset < high:
            limit = page_size if high is None else min(page_size, high - offset)
            page = self.scan_page(offset, limit)
            _check_not_repeated(previous, page, offset)
            yield self._hydrate(recent.fresh(page.records))
            if len(page.records) < limit or not page.records:
                return
            offset += len(page.records)
            if page.total is not None and offset >= page.total:
                return
            previous = page


def _check_not_repeated(previous: RecordPage, page: RecordPage, offset: int) -> None:
    """Raise when a full page lists exactly the records of the page before it."""
    if not page.records or len(page.records) != len(previous.records):
        return
    if [r.get("id") for r in page.records] == [r.get("id") for r in previous.records]:
        raise UnexpectedResponse(
            f"the page at offset {offset} repeats the page before it: the server seems to "
            "ignore offset, and the scan would end short",
            status=200,
        )


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
