"""Offset/limit paging over the records list and search endpoints.

Softr's paging facts are soft: the default page size is documented as both 10 and 20, the
maximum (200) may be silently clamped, and ``metadata`` is optional in places. So the loop
always sends ``limit``, trusts ``total`` when it is there, treats an empty or short page as the
end, and raises on a server that ignores ``offset`` instead of looping forever or ending short.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from softr_orm import constants
from softr_orm.backends.softr.resources import Record, RecordPage
from softr_orm.backends.softr.wire import UnexpectedResponse, read_list

__all__ = [
    "ListPage",
    "PageFetcher",
    "check_offset",
    "clamp_limit",
    "iter_pages",
    "iter_records",
    "list_all",
    "list_page",
]

#: ``fetch(offset, limit) -> RecordPage``: one request for one page.
PageFetcher = Callable[[int, int], RecordPage]


def clamp_limit(limit: int, what: str = "limit") -> int:
    """Clamp a page size to Softr's maximum of 200; refuse sizes below 1.

    Raises:
        ValueError: ``limit`` is below 1 (or not an integer).
    """
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise ValueError(f"{what} must be an integer, got {limit!r}")
    if limit < 1:
        raise ValueError(f"{what} must be at least 1, got {limit}")
    return min(limit, constants.MAX_PAGE_SIZE)


def check_offset(offset: int) -> int:
    """Refuse a negative or non-integer offset before it reaches the server."""
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError(f"offset must be a non-negative integer, got {offset!r}")
    return offset


def iter_pages(
    fetch: PageFetcher, *, offset: int = 0, page_size: int = constants.MAX_PAGE_SIZE
) -> Iterator[RecordPage]:
    """Yield pages from ``offset`` on until the records run out.

    Stops when ``offset`` reaches ``metadata.total``, when a page is empty, or when a page is
    shorter than the page size the server reported (or, without metadata, than we asked for).
    A scan never ends short silently: a page that repeats the previous one (a server ignoring
    ``offset``) and an empty or short page below the ``total`` that same page reports raise.

    Raises:
        UnexpectedResponse: a repeated page, or a ``total`` the pages cannot reach.
    """
    offset = check_offset(offset)
    limit = clamp_limit(page_size, "page_size")
    previous_ids: set[str] = set()
    while True:
        page = fetch(offset, limit)
        count = len(page.records)
        ids = {str(r.get("id")) for r in page.records}
        if ids and ids <= previous_ids:
            raise UnexpectedResponse(
                f"the page at offset {offset} repeats the previous page (the server ignores "
                "offset?); stopping here would miss records"
            )
        expected = page.limit if page.limit > 0 else limit
        ended = count == 0 or count < min(expected, limit)
        if ended and page.total is not None and offset + count < page.total:
            raise UnexpectedResponse(
                f"the page at offset {offset} holds {count} records, but the total of "
                f"{page.total} says more follow; the scan would end short"
            )
        if count == 0:
            return
        yield page
        previous_ids = ids
        offset += count
        if ended or (page.total is not None and offset >= page.total):
            return


def iter_records(
    fetch: PageFetcher, *, offset: int = 0, page_size: int = constants.MAX_PAGE_SIZE
) -> Iterator[Record]:
    """Every record of every page of :func:`iter_pages`; memory stays bounded by one page."""
    for page in iter_pages(fetch, offset=offset, page_size=page_size):
        yield from page.records


# --- schema lists (databases, tables, views) ----------------------------------------------

#: One answer of a schema list endpoint: its items and its ``metadata`` (``{}`` if none).
ListPage = tuple[list[Mapping[str, Any]], Mapping[str, Any]]

#: The page sizes Softr documents as defaults of its list endpoints (OpenAPI 10, overview 20).
_DEFAULT_PAGE_SIZES = frozenset({10, 20})


def list_page(body: Any, what: str) -> ListPage:
    """The items and metadata of one answer of a schema list endpoint."""
    meta = body.get("metadata") if isinstance(body, Mapping) else None
    return read_list(body, what), meta if isinstance(meta, Mapping) else {}


def _meta_int(meta: Mapping[str, Any], key: str) -> int | None:
    value = meta.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def list_all(
    fetch: Callable[[Mapping[str, int] | None], ListPage], what: str
) -> list[Mapping[str, Any]]:
    """Every item of a schema list endpoint (databases, tables, views), page by page.

    The OpenAPI file defines no paging for these lists, but the overview says every list
    endpoint pages (default 20). So the first request sends no paging parameters, and more
    pages are asked for (``offset``, ``limit=200``) while ``metadata.total`` says items are
    missing, or, without a total, while a page is exactly a documented default page size (10
    or 20) or the ``limit`` the server reported. A server that does not page answers the same
    items again, which ends the loop; with a ``total`` still unreached that raises instead.

    Raises:
        UnexpectedResponse: a ``total`` that the pages never reach.
    """
    items: list[Mapping[str, Any]] = []
    seen: set[object] = set()
    params: dict[str, int] | None = None
    while True:
        page, meta = fetch(params)
        fresh = [item for item in page if item.get("id") not in seen]
        seen.update(item.get("id") for item in fresh)
        items.extend(fresh)
        total = _meta_int(meta, "total")
        if total is not None and len(items) < total and not fresh:
            raise UnexpectedResponse(
                f"listing {what}: the server says there are {total}, its pages hold only "
                f"{len(items)}"
            )
        if total is not None:
            more = len(items) < total
        else:
            more = bool(fresh) and (
                len(page) in _DEFAULT_PAGE_SIZES or len(page) == _meta_int(meta, "limit")
            )
        if not more:
            return items
        params = {"offset": len(items), "limit": constants.MAX_PAGE_SIZE}
