"""2xx answers of the wrong shape raise UnexpectedResponse; scans and schema lists never end
short silently (issue 12, "silent wrong answers")."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
import responses
from _api_support import BASE, KEY, add, make_session, query, record_json, table_json
from test_api_records import _page

from softr_orm.backends.softr.endpoints import SoftrAPI
from softr_orm.errors import APIError, UnexpectedResponse

RECORDS = f"{BASE}/databases/db1/tables/tbl1/records"
SEARCH = f"{RECORDS}/search"
TABLES = f"{BASE}/databases/db1/tables"


@pytest.fixture
def api() -> SoftrAPI:
    return SoftrAPI(make_session())


@pytest.fixture
def rsps() -> Any:
    with responses.RequestsMock() as mock:
        yield mock


def test_unexpected_response_is_an_api_error_with_status_and_body(api: SoftrAPI, rsps: Any) -> None:
    """The error is an APIError carrying the status, the request and a cut of the body."""
    add(rsps, "POST", RECORDS, json_body={"data": {"fields": {"f1": "x"}, "echo": KEY}})
    with pytest.raises(UnexpectedResponse) as info:
        api.create_record("db1", "tbl1", {"f1": "x"})
    error = info.value
    assert isinstance(error, APIError) and isinstance(error, ValueError)
    assert error.status == 200 and error.method == "POST"
    assert error.path == "/databases/db1/tables/tbl1/records"
    assert error.body is not None and '"f1"' in error.body and KEY not in error.body
    assert "id=None" in str(error) and KEY not in str(error)
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is UnexpectedResponse and again.status == 200 and again.body == error.body


@pytest.mark.parametrize(
    "answer",
    [
        {"data": {"id": "", "fields": {}}},
        {"data": {"id": None, "fields": {}}},
        {"data": {"id": 12, "fields": {}}},
        {"data": {"id": "rec1", "fields": ["not", "an", "object"]}},
        {"data": []},
        {"data": None},
    ],
)
def test_create_without_a_usable_record_raises(api: SoftrAPI, rsps: Any, answer: Any) -> None:
    """A create answered without a record id would let a second save() duplicate it."""
    add(rsps, "POST", RECORDS, json_body=answer)
    with pytest.raises(UnexpectedResponse):
        api.create_record("db1", "tbl1", {"f1": "x"})


@pytest.mark.parametrize("status", [200, 204])
def test_create_answered_with_no_body_raises(api: SoftrAPI, rsps: Any, status: int) -> None:
    add(rsps, "POST", RECORDS, status=status)
    with pytest.raises(UnexpectedResponse) as info:
        api.create_record("db1", "tbl1", {"f1": "x"})
    assert info.value.status == status


@pytest.mark.parametrize(
    "answer", [{"data": record_json("other")}, {"data": {}}, {"data": {"fields": {}}}]
)
def test_get_returning_another_record_raises(api: SoftrAPI, rsps: Any, answer: Any) -> None:
    """get(id=X) never returns an empty instance or another record."""
    add(rsps, "GET", f"{RECORDS}/rec1", json_body=answer)
    with pytest.raises(UnexpectedResponse):
        api.get_record("db1", "tbl1", "rec1")


def test_update_returning_another_record_raises(api: SoftrAPI, rsps: Any) -> None:
    add(rsps, "PATCH", f"{RECORDS}/rec1", json_body={"data": record_json("rec2")})
    with pytest.raises(UnexpectedResponse):
        api.update_record("db1", "tbl1", "rec1", {"f1": "x"})


@pytest.mark.parametrize(
    ("status", "body"),
    [(204, None), (200, None), (200, {"metadata": {"total": 0}}), (200, {"data": {}})],
)
def test_search_without_a_page_raises(
    api: SoftrAPI, rsps: Any, status: int, body: Any
) -> None:
    """A search answered 204 or with an empty or shapeless body does not count as 0 rows."""
    add(rsps, "POST", SEARCH, status=status, json_body=body)
    with pytest.raises(UnexpectedResponse):
        api.search_records("db1", "tbl1", {})


def test_page_from_another_offset_raises(api: SoftrAPI, rsps: Any) -> None:
    """A server that ignores offset answers the first page again: refused."""
    add(rsps, "GET", RECORDS, json_body=_page(["a", "b"], offset=0, limit=2, total=10))
    with pytest.raises(UnexpectedResponse, match="offset"):
        api.list_records("db1", "tbl1", offset=2, limit=2)


def test_page_larger_than_asked_raises(api: SoftrAPI, rsps: Any) -> None:
    add(rsps, "GET", RECORDS, json_body=_page(["a", "b", "c"], offset=0, limit=2, total=10))
    with pytest.raises(UnexpectedResponse):
        api.list_records("db1", "tbl1", offset=0, limit=2)


def test_scan_over_a_server_that_repeats_pages_raises(api: SoftrAPI, rsps: Any) -> None:
    """Same records at every offset and no metadata: the scan raises instead of stopping."""
    add(rsps, "POST", SEARCH, json_body={"data": [record_json("a"), record_json("b")]})
    with pytest.raises(UnexpectedResponse, match="repeats"):
        list(api.iter_search("db1", "tbl1", page_size=2))


def test_scan_that_cannot_reach_its_total_raises(api: SoftrAPI, rsps: Any) -> None:
    """count() would say 5, the scan would list 3: raise rather than end short."""
    add(rsps, "POST", SEARCH, json_body=_page(["a", "b"], offset=0, limit=2, total=5))
    add(rsps, "POST", SEARCH, json_body=_page(["c"], offset=2, limit=2, total=5))
    with pytest.raises(UnexpectedResponse, match="total"):
        list(api.iter_search("db1", "tbl1", page_size=2))


def test_scan_reaching_its_total_is_complete(api: SoftrAPI, rsps: Any) -> None:
    add(rsps, "POST", SEARCH, json_body=_page(["a", "b"], offset=0, limit=2, total=3))
    add(rsps, "POST", SEARCH, json_body=_page(["c"], offset=2, limit=2, total=3))
    assert [r["id"] for r in api.iter_search("db1", "tbl1", page_size=2)] == ["a", "b", "c"]


# --- schema lists page like records ------------------------------------------------------


def _tables(first: int, count: int) -> list[dict[str, Any]]:
    return [table_json(id=f"t{i}", name=f"Table {i}") for i in range(first, first + count)]


def test_list_tables_pages_through_a_total(api: SoftrAPI, rsps: Any) -> None:
    """25 tables answered 20 at a time: all 25 are listed."""
    meta = {"offset": 0, "limit": 20, "total": 25}
    add(rsps, "GET", TABLES, json_body={"data": _tables(0, 20), "metadata": meta})
    meta2 = {"offset": 20, "limit": 20, "total": 25}
    add(rsps, "GET", TABLES, json_body={"data": _tables(20, 5), "metadata": meta2})
    listed = api.list_tables("db1")
    assert [t.id for t in listed] == [f"t{i}" for i in range(25)]
    assert "offset" not in query(rsps.calls[0].request)
    assert query(rsps.calls[1].request)["offset"] == "20"


def test_list_tables_pages_without_metadata(api: SoftrAPI, rsps: Any) -> None:
    """A full default page (20) without metadata asks for the next page."""
    add(rsps, "GET", TABLES, json_body={"data": _tables(0, 20)})
    add(rsps, "GET", TABLES, json_body={"data": _tables(20, 5)})
    assert len(api.list_tables("db1")) == 25


def test_list_tables_from_a_server_that_does_not_page(api: SoftrAPI, rsps: Any) -> None:
    """Exactly 20 tables from a server that ignores offset: one extra request, 20 tables."""
    add(rsps, "GET", TABLES, json_body={"data": _tables(0, 20)})
    assert len(api.list_tables("db1")) == 20
    assert len(rsps.calls) == 2


def test_list_views_and_databases_page_too(api: SoftrAPI, rsps: Any) -> None:
    views = [{"id": f"v{i}", "name": f"V{i}"} for i in range(12)]
    url = f"{TABLES}/tbl1/views"
    add(rsps, "GET", url, json_body={"data": views[:10], "metadata": {"total": 12}})
    add(rsps, "GET", url, json_body={"data": views[10:], "metadata": {"total": 12}})
    assert [v.id for v in api.list_views("db1", "tbl1")] == [v["id"] for v in views]


def test_list_with_an_unreachable_total_raises(api: SoftrAPI, rsps: Any) -> None:
    meta = {"total": 25}
    add(rsps, "GET", TABLES, json_body={"data": _tables(0, 20), "metadata": meta})
    add(rsps, "GET", TABLES, json_body={"data": _tables(0, 20), "metadata": meta})
    with pytest.raises(UnexpectedResponse, match="25"):
        api.list_tables("db1")


@pytest.mark.parametrize(
    ("call", "method", "url"),
    [
        (lambda api: api.get_table("db1", "tbl1"), "GET", f"{TABLES}/tbl1"),
        (lambda api: api.get_database("db1"), "GET", f"{BASE}/databases/db1"),
        (lambda api: api.get_field("db1", "tbl1", "f1"), "GET", f"{TABLES}/tbl1/fields/f1"),
    ],
)
def test_schema_objects_without_an_id_raise(
    api: SoftrAPI, rsps: Any, call: Any, method: str, url: str
) -> None:
    add(rsps, method, url, json_body={"data": {"name": "no id"}})
    with pytest.raises(UnexpectedResponse, match="with an id") as info:
        call(api)
    assert info.value.status == 200 and info.value.path is not None


def test_list_items_without_ids_raise_rather_than_collapse(api: SoftrAPI, rsps: Any) -> None:
    """Items without ids would be taken for repeats and dropped: refused instead."""
    add(rsps, "GET", TABLES, json_body={"data": [{"name": "A"}, {"name": "B"}]})
    with pytest.raises(UnexpectedResponse, match="with an id"):
        api.list_tables("db1")
