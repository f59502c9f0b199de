"""Speculative first pages: a scan of a query known to be large asks for the pages after the
first together with it, instead of waiting one lone round trip for the total.

What must hold: the records are exactly those of a scan without speculation (order, each once);
a query never scanned, or whose last scan was small, costs no extra request; a result that
shrank since its last scan costs at most ``SPECULATIVE_PAGES`` extra requests.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import responses

from softr_orm import Model, Session, fields
from softr_orm.query import fetching
from softr_orm.query.fetching import SPECULATIVE_PAGES

pytestmark = pytest.mark.integration

BASE = "http://127.0.0.1:9"
SEARCH = f"{BASE}/databases/db/tables/tSpec/records/search"


@pytest.fixture(autouse=True)
def _forget_sizes() -> Iterator[None]:
    """Each test starts with no query known, as a fresh process does."""
    fetching._SIZES.clear()
    yield
    fetching._SIZES.clear()


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


class Table:
    """A fake Softr table of ``size`` records whose searches are logged (offsets, and how many
    other searches arrived before the first page was answered)."""

    def __init__(self, rsps: responses.RequestsMock, size: int, delay: float = 0.0) -> None:
        self.size = size
        self.delay = delay
        self.lock = threading.Lock()
        self.offsets: list[int] = []
        self.alongside_first = 0
        table = {
            "id": "tSpec",
            "name": "Spec",
            "primaryFieldId": "fSeq",
            "fields": [{"id": "fSeq", "name": "Seq", "type": "NUMBER"}],
        }
        rsps.add(responses.GET, f"{BASE}/databases/db/tables", json={"data": [table]})
        rsps.add_callback(responses.POST, SEARCH, callback=self.answer)

        class Row(Model):
            seq = fields.Number("Seq")

            class Meta:
                database = "db"
                table = "Spec"

        self.model = Row

    def answer(self, request: Any) -> tuple[int, dict[str, str], str]:
        paging = json.loads(request.body)["paging"]
        offset, limit = paging["offset"], paging["limit"]
        with self.lock:
            self.offsets.append(offset)
        time.sleep(self.delay)
        with self.lock:
            if offset == 0:
                # the other searches that arrived before the first page was answered
                self.alongside_first = len(self.offsets) - 1
        count = max(0, min(limit, self.size - offset))
        body = {
            "data": [
                {"id": f"r{i:05d}", "fields": {"fSeq": i}} for i in range(offset, offset + count)
            ],
            "metadata": {"offset": offset, "limit": count, "total": self.size},
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    def scan(self, how: str) -> list[str]:
        session = Session("key", base_url=BASE, rate_limit=False)
        query = self.model.objects.using(session).all()
        items = list(query.iterator()) if how == "iterator" else list(query)
        session.close()
        return [item.id for item in items]

    def requests(self) -> int:
        with self.lock:
            count = len(self.offsets)
            self.offsets.clear()
        return count


SCANS = pytest.mark.parametrize("how", ["iterator", "all"])


@SCANS
def test_a_large_query_scanned_again_asks_for_its_first_pages_at_once(
    rsps: responses.RequestsMock, how: str
) -> None:
    table = Table(rsps, 2000, delay=0.1)
    expected = [f"r{i:05d}" for i in range(2000)]
    assert table.scan(how) == expected  # never scanned: the first page comes alone
    assert table.requests() == 10
    assert table.alongside_first == 0
    assert table.scan(how) == expected  # known to be large: same records, same requests
    assert table.requests() == 10
    assert table.alongside_first == min(SPECULATIVE_PAGES, 9)  # the 9 pages after the first


@SCANS
def test_a_small_result_costs_no_extra_request(rsps: responses.RequestsMock, how: str) -> None:
    table = Table(rsps, 150)
    for _ in range(3):
        assert table.scan(how) == [f"r{i:05d}" for i in range(150)]
        assert table.requests() == 1


@SCANS
def test_a_query_a_little_over_a_page_speculates_only_the_pages_it_had(
    rsps: responses.RequestsMock, how: str
) -> None:
    table = Table(rsps, 450)
    table.scan(how)
    assert table.requests() == 3
    assert table.scan(how) == [f"r{i:05d}" for i in range(450)]
    assert table.requests() == 3


@SCANS
def test_a_result_that_shrank_costs_at_most_the_speculative_pages(
    rsps: responses.RequestsMock, how: str
) -> None:
    table = Table(rsps, 5000)
    table.scan(how)
    table.requests()
    table.size = 120  # most records deleted since
    assert table.scan(how) == [f"r{i:05d}" for i in range(120)]
    assert 1 <= table.requests() <= 1 + SPECULATIVE_PAGES
    table.size = 120
    assert table.scan(how) == [f"r{i:05d}" for i in range(120)]
    assert table.requests() == 1  # now known to be small


@SCANS
def test_a_result_that_shrank_below_the_speculated_pages_is_exact(
    rsps: responses.RequestsMock, how: str
) -> None:
    table = Table(rsps, 5000)
    table.scan(how)
    table.size = 530  # the speculated pages at 600 and 800 lie past the end
    assert table.scan(how) == [f"r{i:05d}" for i in range(530)]


def test_a_bounded_slice_never_speculates(rsps: responses.RequestsMock) -> None:
    table = Table(rsps, 2000, delay=0.05)
    table.scan("all")
    table.requests()
    session = Session("key", base_url=BASE, rate_limit=False)
    got = [item.id for item in table.model.objects.using(session).all()[:300]]
    assert got == [f"r{i:05d}" for i in range(300)]
    assert table.requests() == 2
    assert table.alongside_first == 0
