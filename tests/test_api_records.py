"""Record endpoints: limits, search bodies, RecordPage parsing and the paginators."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import responses
from _api_support import BASE, add, make_session, query, record_json, sent_json

from softr_orm.backends.softr import paging as pagination
from softr_orm.backends.softr.endpoints import SoftrAPI
from softr_orm.backends.softr.wire import RecordPage, UnexpectedResponse
from softr_orm.errors import NotFound

RECORDS = f"{BASE}/databases/db1/tables/tbl1/records"
SEARCH = f"{RECORDS}/search"


@pytest.fixture
def api() -> SoftrAPI:
    return SoftrAPI(make_session())


@pytest.fixture
def rsps() -> Any:
    with responses.RequestsMock() as mock:
        yield mock


def _page(ids: list[str], *, offset: int, limit: int, total: int | None) -> dict[str, Any]:
    body: dict[str, Any] = {"data": [record_json(i) for i in ids]}
    if total is not None:
        body["metadata"] = {"offset": offset, "limit": limit, "total": total}
    return body


def _ids(n: int, start: int = 0) -> list[str]:
    return [f"r{i}" for i in range(start, start + n)]


# --- list_records ------------------------------------------------------------------------


def test_list_records_defaults_send_limit_200(api: SoftrAPI, rsps: Any) -> None:
    """Without arguments the request still names offset 0, limit 200 and fieldNames=false."""
    add(rsps, "GET", RECORDS, json_body=_page(["r1"], offset=0, limit=200, total=1))
    page = api.list_records("db1", "tbl1")
    assert query(rsps.calls[0].request) == {"offset": "0", "limit": "200", "fieldNames": "false"}
    assert isinstance(page, RecordPage)
    assert [r["id"] for r in page] == ["r1"] and len(page) == 1


def test_list_records_clamps_large_limit(api: SoftrAPI, rsps: Any) -> None:
    """A limit over 200 is lowered to 200 before sending (the server may clamp silently)."""
    add(rsps, "GET", RECORDS, json_body=_page([], offset=0, limit=200, total=0))
    api.list_records("db1", "tbl1", limit=5000)
    assert query(rsps.calls[0].request)["limit"] == "200"


@pytest.mark.parametrize("limit", [0, -1])
def test_list_records_refuses_limit_below_one(api: SoftrAPI, limit: int) -> None:
    """limit < 1 is a caller error, raised before any request."""
    with pytest.raises(ValueError, match="at least 1"):
        api.list_records("db1", "tbl1", limit=limit)


def test_list_records_refuses_negative_offset(api: SoftrAPI) -> None:
    """A negative offset is refused locally."""
    with pytest.raises(ValueError, match="offset"):
        api.list_records("db1", "tbl1", offset=-5)


def test_list_records_without_metadata(api: SoftrAPI, rsps: Any) -> None:
    """A page without metadata reports total=None and the offset/limit that were asked."""
    add(rsps, "GET", RECORDS, json_body={"data": [record_json("a")]})
    page = api.list_records("db1", "tbl1", offset=10, limit=5)
    assert (page.offset, page.limit, page.total) == (10, 5, None)
    assert page.next_offset == 11 and page.has_more is False


def test_record_without_fields_gets_empty_dict(api: SoftrAPI, rsps: Any) -> None:
    """A record whose ``fields`` is missing or null reads as ``{}`` (all values empty)."""
    add(rsps, "GET", f"{RECORDS}/r1", json_body={"data": {"id": "r1", "fields": None}})
    assert api.get_record("db1", "tbl1", "r1")["fields"] == {}


def test_delete_record_missing_ok(api: SoftrAPI, rsps: Any) -> None:
    """404 on delete raises by default and is swallowed with missing_ok=True."""
    err = {"message": "gone", "errorCode": "RESOURCE_NOT_FOUND"}
    add(rsps, "DELETE", f"{RECORDS}/r1", json_body=err, status=404)
    with pytest.raises(NotFound):
        api.delete_record("db1", "tbl1", "r1")
    api.delete_record("db1", "tbl1", "r1", missing_ok=True)  # no exception
    assert len(rsps.calls) == 2


# --- search_records ----------------------------------------------------------------------


def test_search_clamps_limit_without_mutating_caller_body(api: SoftrAPI, rsps: Any) -> None:
    """paging.limit 1000 goes out as 200; the caller's dict is left exactly as it was."""
    add(rsps, "POST", SEARCH, json_body=_page([], offset=0, limit=200, total=0))
    body = {"paging": {"offset": 0, "limit": 1000}, "sorting": []}
    before = copy.deepcopy(body)
    api.search_records("db1", "tbl1", body)
    assert body == before
    assert sent_json(rsps.calls[0].request)["paging"] == {"offset": 0, "limit": 200}


def test_search_without_body_sends_empty_object(api: SoftrAPI, rsps: Any) -> None:
    """``search_records(db, t)`` posts ``{}`` (the first page of everything)."""
    add(rsps, "POST", SEARCH, json_body={"data": []})
    page = api.search_records("db1", "tbl1")
    assert sent_json(rsps.calls[0].request) == {}
    assert page.records == [] and page.total is None


def test_search_refuses_paging_limit_zero(api: SoftrAPI) -> None:
    """paging.limit 0 is refused locally."""
    with pytest.raises(ValueError):
        api.search_records("db1", "tbl1", {"paging": {"limit": 0}})


def test_search_is_a_read(api: SoftrAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """Search passes kind="read" (rate limited and retried as a read, though it is a POST)."""
    seen: list[dict[str, Any]] = []

    def fake_request(method: str, path: Any, **kw: Any) -> Any:
        seen.append({"method": method, "path": tuple(path), **kw})
        return {"data": []}

    monkeypatch.setattr(api.session, "request", fake_request)
    api.search_records("db1", "tbl1", {})
    assert seen[0]["kind"] == "read"
    assert seen[0]["path"] == ("databases", "db1", "tables", "tbl1", "records", "search")


def test_create_record_is_not_a_read(api: SoftrAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """create_record leaves kind to the session default (POST = create, not retried)."""
    seen: list[dict[str, Any]] = []

    def fake_request(method: str, path: Any, **kw: Any) -> Any:
        seen.append(kw)
        return {"data": record_json()}

    monkeypatch.setattr(api.session, "request", fake_request)
    api.create_record("db1", "tbl1", {"f1": "x"})
    assert seen[0].get("kind") in (None, "create")


# --- paginators --------------------------------------------------------------------------


def test_iter_records_stops_on_total(api: SoftrAPI, rsps: Any) -> None:
    """450 records in pages of 200 take exactly three requests, offsets 0/200/400."""
    add(rsps, "GET", RECORDS, json_body=_page(_ids(200), offset=0, limit=200, total=450))
    add(rsps, "GET", RECORDS, json_body=_page(_ids(200, 200), offset=200, limit=200, total=450))
    add(rsps, "GET", RECORDS, json_body=_page(_ids(50, 400), offset=400, limit=200, total=450))
    got = [r["id"] for r in api.iter_records("db1", "tbl1")]
    assert got == _ids(450)
    assert [query(c.request)["offset"] for c in rsps.calls] == ["0", "200", "400"]
    assert all(query(c.request)["limit"] == "200" for c in rsps.calls)


def test_iter_records_stops_exactly_at_total_without_extra_request(
    api: SoftrAPI, rsps: Any
) -> None:
    """When total is a multiple of the page size, no empty trailing page is requested."""
    add(rsps, "GET", RECORDS, json_body=_page(_ids(2), offset=0, limit=2, total=4))
    add(rsps, "GET", RECORDS, json_body=_page(_ids(2, 2), offset=2, limit=2, total=4))
    assert len(list(api.iter_records("db1", "tbl1", page_size=2))) == 4
    assert len(rsps.calls) == 2


def test_iter_records_tolerates_missing_metadata(api: SoftrAPI, rsps: Any) -> None:
    """Without metadata the loop runs until a short page."""
    add(rsps, "GET", RECORDS, json_body={"data": [record_json(i) for i in _ids(3)]})
    add(rsps, "GET", RECORDS, json_body={"data": [record_json(i) for i in _ids(1, 3)]})
    got = [r["id"] for r in api.iter_records("db1", "tbl1", page_size=3)]
    assert got == _ids(4)
    assert [query(c.request)["offset"] for c in rsps.calls] == ["0", "3"]
    assert all(query(c.request)["limit"] == "3" for c in rsps.calls)


def test_iter_records_empty_page_stops(api: SoftrAPI, rsps: Any) -> None:
    """A page with no records ends the loop; below the total it claims, it raises (no endless
    loop, no scan that ends short silently)."""
    add(rsps, "GET", RECORDS, json_body=_page(_ids(2), offset=0, limit=2, total=100))
    add(rsps, "GET", RECORDS, json_body=_page([], offset=2, limit=2, total=100))
    with pytest.raises(UnexpectedResponse, match="total of 100"):
        list(api.iter_records("db1", "tbl1", page_size=2))
    assert len(rsps.calls) == 2


def test_iter_records_clamps_page_size(api: SoftrAPI, rsps: Any) -> None:
    """page_size 1000 goes out as limit=200."""
    add(rsps, "GET", RECORDS, json_body=_page(_ids(1), offset=0, limit=200, total=1))
    list(api.iter_records("db1", "tbl1", page_size=1000))
    assert query(rsps.calls[0].request)["limit"] == "200"


def test_iter_records_refuses_page_size_zero_eagerly(api: SoftrAPI) -> None:
    """A bad page size raises at call time, not on the first next()."""
    with pytest.raises(ValueError):
        api.iter_records("db1", "tbl1", page_size=0)


def test_iter_records_passes_view_and_field_names(api: SoftrAPI, rsps: Any) -> None:
    """viewId and fieldNames reach every page request."""
    add(rsps, "GET", RECORDS, json_body=_page(_ids(1), offset=0, limit=5, total=1))
    list(api.iter_records("db1", "tbl1", page_size=5, view_id="v9", field_names=True))
    q = query(rsps.calls[0].request)
    assert q["viewId"] == "v9" and q["fieldNames"] == "true"


def test_iter_records_stops_when_server_ignores_offset(api: SoftrAPI, rsps: Any) -> None:
    """A server answering the same full page for every offset cannot cause an endless loop,
    nor a scan that ends short silently: the repeated page raises."""
    # One registration: responses repeats it for every later call.
    add(rsps, "GET", RECORDS, json_body={"data": [record_json(i) for i in _ids(2)]})
    with pytest.raises(UnexpectedResponse, match="repeats"):
        list(api.iter_records("db1", "tbl1", page_size=2))
    assert len(rsps.calls) == 2


def test_iter_records_server_smaller_limit_uses_total(api: SoftrAPI, rsps: Any) -> None:
    """If the server reports a smaller page limit than asked, paging goes on by total."""
    add(rsps, "GET", RECORDS, json_body=_page(_ids(100), offset=0, limit=100, total=150))
    add(rsps, "GET", RECORDS, json_body=_page(_ids(50, 100), offset=100, limit=100, total=150))
    assert len(list(api.iter_records("db1", "tbl1"))) == 150
    assert [query(c.request)["offset"] for c in rsps.calls] == ["0", "100"]


def test_iter_search_pages_and_keeps_filter(api: SoftrAPI, rsps: Any) -> None:
    """Each search page carries the caller's filter/sorting and the paging window."""
    cond = {"condition": {"operator": "IS_NOT_EMPTY", "leftSide": "f1"}}
    body = {"filter": cond, "sorting": [{"sortingField": "created_at", "sortType": "ASC"}]}
    add(rsps, "POST", SEARCH, json_body=_page(_ids(2), offset=0, limit=2, total=3))
    add(rsps, "POST", SEARCH, json_body=_page(_ids(1, 2), offset=2, limit=2, total=3))
    got = [r["id"] for r in api.iter_search("db1", "tbl1", body, page_size=2)]
    assert got == _ids(3)
    sent = [sent_json(c.request) for c in rsps.calls]
    assert [s["paging"] for s in sent] == [{"offset": 0, "limit": 2}, {"offset": 2, "limit": 2}]
    assert all(s["filter"] == cond and s["sorting"] == body["sorting"] for s in sent)
    assert "paging" not in body  # caller's dict untouched


def test_iter_search_starts_at_body_offset_and_tolerates_no_metadata(
    api: SoftrAPI, rsps: Any
) -> None:
    """paging.offset in the body is the starting point; a short page ends the loop."""
    add(rsps, "POST", SEARCH, json_body={"data": [record_json("x")]})
    got = list(api.iter_search("db1", "tbl1", {"paging": {"offset": 7, "limit": 1}}))
    assert [r["id"] for r in got] == ["x"]
    assert json.loads(rsps.calls[0].request.body)["paging"] == {"offset": 7, "limit": 200}


def test_iter_search_is_lazy(api: SoftrAPI, rsps: Any) -> None:
    """No request is sent until the iterator is consumed."""
    it = api.iter_search("db1", "tbl1", {})
    assert len(rsps.calls) == 0
    add(rsps, "POST", SEARCH, json_body={"data": []})
    assert list(it) == []
    assert len(rsps.calls) == 1


def test_iter_pages_never_exceeds_page_count_on_bogus_total() -> None:
    """A fetcher whose total keeps growing still stops on a short page (raising: the total
    says records are missing)."""
    calls: list[tuple[int, int]] = []

    def fetch(offset: int, limit: int) -> RecordPage:
        calls.append((offset, limit))
        n = 3 if offset < 9 else 1
        recs: list[Any] = [{"id": f"{offset}-{i}"} for i in range(n)]
        return RecordPage(records=recs, offset=offset, limit=limit, total=offset + 1000)

    pages = []
    with pytest.raises(UnexpectedResponse):
        pages.extend(pagination.iter_pages(fetch, page_size=3))
    assert len(pages) == 3
    assert calls == [(0, 3), (3, 3), (6, 3), (9, 3)]
