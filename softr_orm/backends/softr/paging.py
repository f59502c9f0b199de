"""Offset/limit paging over the records list and search endpoints.

Softr's paging facts are soft: the default page size is documented as both 10 and 20, the
maximum (200) may be silently clamped, and ``metadata`` is optional in places. So the loop
always sends ``limit``, trusts ``total`` when it is there, treats an empty or short page as the
end, and gives up on a server that ignores ``offset`` instead of looping forever.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from softr_orm import constants
from softr_orm.backends.softr.resources import Record, RecordPage

__all__ = ["PageFetcher", "check_offset", "clamp_limit", "iter_pages", "iter_records"]

log = logging.getLogger(__name__)

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

    Stops when ``offset`` reaches ``metadata.total``, when a page is empty, when a page is
    shorter than the page size the server reported (or, without metadata, than we asked for),
    or when a page repeats the previous one exactly (a server ignoring ``offset``).
    """
    offset = check_offset(offset)
    limit = clamp_limit(page_size, "page_size")
    previous_ids: list[str] | None = None
    while True:
        page = fetch(offset, limit)
        count = len(page.records)
        if count == 0:
            return
        ids = [str(r.get("id")) for r in page.records]
        if previous_ids is not None and ids == previous_ids:
            log.warning("stopping pagination: offset %d returned the previous page again", offset)
            return
        yield page
        previous_ids = ids
        offset += count
        if page.total is not None and offset >= page.total:
            return
        expected = page.limit if page.limit > 0 else limit
        if count < min(expected, limit):
            return


def iter_records(
    fetch: PageFetcher, *, offset: int = 0, page_size: int = constants.MAX_PAGE_SIZE
) -> Iterator[Record]:
    """Every record of every page of :func:`iter_pages`; memory stays bounded by one page."""
    for page in iter_pages(fetch, offset=offset, page_size=page_size):
        yield from page.records
