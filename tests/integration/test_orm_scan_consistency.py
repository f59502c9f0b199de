"""Scans stay complete while records are deleted, and never end short silently.

Offset paging shifts under deletes: a record moves to a lower offset, past a page boundary
already read. These tests delete records from another thread while ``all()`` and
``.iterator()`` scan, and check that every record that existed throughout comes back once.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import responses

from softr_orm import Model, RequestEvent, Session, errors, fields
from softr_orm.emulator import Emulator

pytestmark = pytest.mark.integration

N = 600
DELETES = 150


def _model(database_id: str) -> type[Model]:
    class Row(Model):
        seq = fields.Number("Seq")

        class Meta:
            database = database_id
            table = "Rows"

    return Row


@pytest.fixture
def rows(emu: Emulator, database: str) -> tuple[type[Model], list[str]]:
    table = emu.create_table(database, "Rows", [{"name": "Seq", "type": "NUMBER"}])
    seq_id = table["fields"][0]["id"]
    ids = emu.insert_records(database, table["id"], [{seq_id: i} for i in range(N)])
    return _model(database), ids


def _scan_while_deleting(
    make_session: Callable[..., Session],
    model: type[Model],
    ids: list[str],
    scan: Callable[[Any], list[Any]],
    warm: bool = False,
) -> tuple[list[str], set[str]]:
    """Run ``scan`` while another thread deletes the oldest records (the most shifting).

    With ``warm``, the same scan runs once before (no deletes), so the scan under deletes
    knows its query is large and asks for its first pages at once (``SPECULATIVE_PAGES``)."""
    reader = make_session()
    writer = make_session()
    started = threading.Event()
    stop = threading.Event()
    deleted: set[str] = set()

    def slow_down(event: RequestEvent) -> None:
        started.set()
        time.sleep(0.02)  # spread the pages over time, so deletes fall between them

    def delete() -> None:
        started.wait(10)
        for record_id in ids[:DELETES]:
            if stop.is_set():
                return
            model.objects.using(writer).get(id=record_id).delete()
            deleted.add(record_id)

    reader.add_listener(slow_down)
    model.objects.using(reader).count()  # the schema is read before the scan
    if warm:
        assert len(scan(model.objects.using(reader).all())) == len(ids)
        started.clear()
    deleter = threading.Thread(target=delete)
    deleter.start()
    try:
        got = [item.id for item in scan(model.objects.using(reader).all())]
    finally:
        stop.set()
        deleter.join()
    return got, deleted


@pytest.mark.parametrize(
    "scan",
    [
        pytest.param(lambda qs: list(qs.iterator(page_size=20)), id="iterator"),
        pytest.param(lambda qs: list(qs), id="all"),
    ],
)
@pytest.mark.parametrize("warm", [False, True], ids=["first-scan", "speculating"])
def test_scan_returns_every_record_that_existed_throughout(
    make_session: Callable[..., Session],
    rows: tuple[type[Model], list[str]],
    scan: Callable[[Any], list[Any]],
    warm: bool,
) -> None:
    """Deletes running during the scan skip no surviving record, and none comes twice."""
    model, ids = rows
    got, deleted = _scan_while_deleting(make_session, model, ids, scan, warm)
    assert deleted, "the deleter must have run during the scan"
    assert len(got) == len(set(got))
    survivors = set(ids) - deleted
    missing = survivors - set(got)
    assert not missing, f"{len(missing)} records that existed throughout were skipped"
    assert set(got) <= set(ids)


def test_iterator_gives_what_all_gives(
    make_session: Callable[..., Session], rows: tuple[type[Model], list[str]]
) -> None:
    """Without concurrent changes, iterator() and all() give the same records in order."""
    model, ids = rows
    objects = model.objects.using(make_session())
    assert [r.id for r in objects.iterator(page_size=30)] == [r.id for r in objects.all()]
    assert [r.id for r in objects.all()] == ids


# --- servers whose paging cannot be right ---------------------------------------------------

BASE = "http://127.0.0.1:9"

BOTH_SCANS = pytest.mark.parametrize(
    "scan",
    [
        pytest.param(lambda qs: list(qs.iterator()), id="iterator"),
        pytest.param(lambda qs: list(qs), id="all"),
    ],
)


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _page(start: int, count: int, total: int) -> dict[str, Any]:
    return {
        "data": [{"id": f"r{i:05d}", "fields": {}} for i in range(start, start + count)],
        "metadata": {"offset": start, "limit": count, "total": total},
    }


def _fake_table(rsps: responses.RequestsMock) -> type[Model]:
    table = {
        "id": "tRows",
        "name": "Rows",
        "primaryFieldId": "fSeq",
        "fields": [{"id": "fSeq", "name": "Seq", "type": "NUMBER"}],
    }
    rsps.add(responses.GET, f"{BASE}/databases/db/tables", json={"data": [table]})
    return _model("db")


@BOTH_SCANS
def test_a_server_ignoring_offset_raises(
    rsps: responses.RequestsMock, scan: Callable[[Any], list[Any]]
) -> None:
    """Every page being the first one (offset ignored) raises, not 200 records of 1000."""
    model = _fake_table(rsps)
    rsps.add(
        responses.POST, f"{BASE}/databases/db/tables/tRows/records/search", json=_page(0, 200, 1000)
    )
    session = Session("key", base_url=BASE, rate_limit=False)
    with pytest.raises(errors.UnexpectedResponse, match=r"repeats|ignores offset"):
        scan(model.objects.using(session).all())


@BOTH_SCANS
def test_a_total_that_cannot_be_reached_raises(
    rsps: responses.RequestsMock, scan: Callable[[Any], list[Any]]
) -> None:
    """Pages that run out before the stated total (which never changed) raise."""
    model = _fake_table(rsps)

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        paging = json.loads(request.body)["paging"]
        offset, limit = paging["offset"], paging["limit"]
        count = max(0, min(limit, 300 - offset))  # only 300 records exist, 1000 stated
        body = _page(offset, count, 1000)
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    rsps.add_callback(
        responses.POST, f"{BASE}/databases/db/tables/tRows/records/search", callback=answer
    )
    session = Session("key", base_url=BASE, rate_limit=False)
    with pytest.raises(errors.UnexpectedResponse, match="300 records of the 1000"):
        scan(model.objects.using(session).all())


def test_iterator_keeps_several_pages_in_flight(rsps: responses.RequestsMock) -> None:
    """.iterator() asks for the next pages while earlier ones are answered (not one by one),
    and yields them in order."""
    model = _fake_table(rsps)
    lock = threading.Lock()
    state = {"now": 0, "most": 0}

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1
        paging = json.loads(request.body)["paging"]
        offset, limit = paging["offset"], paging["limit"]
        body = _page(offset, max(0, min(limit, 1000 - offset)), 1000)
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    rsps.add_callback(
        responses.POST, f"{BASE}/databases/db/tables/tRows/records/search", callback=answer
    )
    session = Session("key", base_url=BASE, rate_limit=False)
    got = [item.id for item in model.objects.using(session).all().iterator(page_size=50)]
    assert got == [f"r{i:05d}" for i in range(1000)]
    assert state["most"] > 1


def test_duplicate_memory_is_bounded_by_pages() -> None:
    """A scan remembers the ids of its last few pages only: repeats within them are dropped,
    older ids are forgotten (so memory does not grow with the table)."""
    from softr_orm.query.fetching import _Recent

    recent = _Recent(pages=3)

    def ids(*names: str) -> list[str]:
        return [r["id"] for r in recent.fresh([{"id": n} for n in names])]

    assert ids("a", "b") == ["a", "b"]
    assert ids("b", "c") == ["c"]  # b was just handed out
    assert ids("d", "a") == ["d"]  # a is in the oldest of the three pages: remembered
    assert ids("e", "a") == ["e", "a"]  # its page has dropped out of memory: forgotten
    assert len(recent.page_of) <= 4
    assert recent.fresh([{"id": "f"}], extend_last=True) == [{"id": "f"}]
    assert recent.seen("f") and recent.seen("e") and not recent.seen("b")
