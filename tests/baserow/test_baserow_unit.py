"""The Baserow backend without a server: sessions, errors, paging plans, the compiler, values."""

from __future__ import annotations

import copy
import json
import threading
from typing import Any

import pytest
import responses

from softr_orm import errors
from softr_orm.backends.base import batch_backend
from softr_orm.backends.baserow import BaserowSession, BaserowTable
from softr_orm.backends.baserow.backend import page_plan
from softr_orm.backends.baserow.compiler import compile_filters
from softr_orm.backends.baserow.ordering import compile_order_by
from softr_orm.backends.baserow.session import baserow_error
from softr_orm.backends.baserow.values import Reader, Writer, file_name, row_id
from softr_orm.backends.tree import FALSE, And, Condition, Not, Or

URL = "http://127.0.0.1:9"
TOKEN = "tok" + "x" * 29

FIELDS: list[dict[str, Any]] = [
    {"id": 1, "name": "Name", "type": "text", "primary": True},
    {"id": 2, "name": "Points", "type": "number", "number_decimal_places": 0},
    {"id": 3, "name": "Price", "type": "number", "number_decimal_places": 2},
    {"id": 4, "name": "Done", "type": "boolean"},
    {"id": 5, "name": "Due", "type": "date", "date_include_time": False},
    {"id": 6, "name": "At", "type": "date", "date_include_time": True},
    {
        "id": 7,
        "name": "Status",
        "type": "single_select",
        "select_options": [{"id": 70, "value": "Open", "color": "blue"}],
    },
    {
        "id": 8,
        "name": "Tags",
        "type": "multiple_select",
        "select_options": [{"id": 80, "value": "a", "color": "red"}],
    },
    {"id": 9, "name": "Project", "type": "link_row", "link_row_table_id": 12},
    {"id": 10, "name": "Files", "type": "file"},
    {"id": 11, "name": "People", "type": "multiple_collaborators"},
    {"id": 12, "name": "Key", "type": "uuid"},
    {"id": 13, "name": "Total", "type": "formula", "formula_type": "number"},
]
TABLE = BaserowTable.build(99, "Tasks", 1, FIELDS)


def cond(key: str, lookup: str, value: Any) -> Condition:
    return Condition(key, lookup, value, "X", False, f"Task.{key}")


def test_types_map_to_the_orm_names() -> None:
    """Baserow types get the ORM's type names, numbers with decimals are exact."""
    types = {f.name: f.type for f in TABLE.fields}
    assert types["Name"] == "SINGLE_LINE_TEXT"
    assert (types["Points"], types["Price"]) == ("NUMBER", "CURRENCY")
    assert (types["Due"], types["At"]) == ("DATE", "DATETIME")
    assert types["Tags"] == "SELECT" and TABLE.field("field_8").allow_multiple_entries  # type: ignore[union-attr]
    assert (types["Project"], types["Files"], types["People"]) == (
        "LINKED_RECORD",
        "ATTACHMENT",
        "USER",
    )
    assert types["Key"] == "UUID" and TABLE.field("field_12").readonly  # type: ignore[union-attr]
    assert TABLE.primary_field_id == "field_1"
    assert TABLE.field("field_7").choice_labels == ["Open"]  # type: ignore[union-attr]


def test_rows_become_records_in_place() -> None:
    """Only the columns whose shapes differ are rewritten; the row dict is the fields dict."""
    row = {
        "id": 3,
        "order": "1.000",
        "field_1": "x",
        "field_3": "19.90",
        "field_7": {"id": 70, "value": "Open", "color": "blue"},
        "field_9": [{"id": 5, "value": "Acme", "order": "1"}],
        "field_10": [
            {
                "url": "http://h/media/user_files/abc.png",
                "visible_name": "a.png",
                "name": "abc.png",
                "size": 3,
                "mime_type": "image/png",
            }
        ],
        "field_11": [{"id": 1, "name": "Ann"}],
    }
    record = Reader(TABLE).record(row)
    assert record["id"] == "3" and record["fields"] is row
    assert row["field_3"] == "19.90"  # Currency parses it exactly
    assert row["field_7"]["label"] == "Open"  # the answer's own dict gains a label
    assert row["field_9"][0]["id"] == "5" and row["field_9"][0]["label"] == "Acme"
    assert Reader(TABLE).records([dict(row), "junk"])[0]["id"] == "3"
    assert row["field_10"][0]["filename"] == "a.png" and row["field_10"][0]["id"] == "abc.png"
    assert row["field_11"] == [{"id": "1", "name": "Ann"}]


def test_generated_records_match_record_on_every_shape() -> None:
    """records() (code generated per table) rewrites exactly as record() does, odd shapes
    included: options without a value, non-dict items, None."""
    odd = TABLE
    shapes: list[Any] = [
        None,
        "text",
        3,
        [],
        {"id": 70, "value": "Open", "color": "blue"},
        {"id": 70, "color": "blue"},
        [{"id": 80, "value": "a", "color": "red"}, {"id": 81}, "plain", None, 4],
        [{"id": 5, "value": "Acme", "order": "1"}],
        [{"id": 1, "name": "Ann"}, {"name": "no id"}],
        [{"url": "http://h/media/user_files/abc.png", "name": "abc.png"}],
    ]
    for shape in shapes:
        row = {"id": 7, **{f.id: copy.deepcopy(shape) for f in odd.fields}}
        twin = copy.deepcopy(row)
        expected = Reader(odd).record(row)
        (got,) = Reader(odd).records([twin, None, "junk"])
        assert got == expected, shape
        assert got["fields"] is twin  # in place, as record() does


def test_write_forms_become_baserow_bodies() -> None:
    """Link and user ids go out as ints, files by their stored name, lists never as null."""
    writer = Writer(TABLE)
    body = writer.body(
        {
            "field_9": ["5", "6"],
            "field_11": [{"id": "1"}],
            "field_8": None,
            "field_10": [{"url": "http://h/media/user_files/abc.png", "filename": "a.png"}],
            "field_1": "t",
        }
    )
    assert body == {
        "field_9": [5, 6],
        "field_11": [{"id": 1}],
        "field_8": [],
        "field_10": [{"name": "abc.png", "visible_name": "a.png"}],
        "field_1": "t",
    }
    with pytest.raises(errors.InvalidValue, match=r"table Tasks\.Files.*cannot store"):
        writer.body({"field_10": ["https://elsewhere.example/x.png"]})
    with pytest.raises(errors.InvalidValue, match=r"Tasks\.Project"):
        writer.body({"field_9": ["rec-abc"]})  # not a Baserow row id
    assert file_name("http://h/x.png") is None
    assert row_id("12") == 12 and row_id(3) == 3
    for bad in ("abc", "0", True, -1, None):
        with pytest.raises(ValueError):
            row_id(bad)


def test_negation_keeps_empty_values() -> None:
    """NOT(points > 5) is points <= 5 OR empty; text equality negates to not_equal OR empty."""
    tree = compile_filters(Not(cond("field_2", "gt", 5)), TABLE)
    assert tree == {
        "filter_type": "OR",
        "filters": [
            {"field": 2, "type": "lower_than_or_equal", "value": "5"},
            {"field": 2, "type": "empty", "value": ""},
        ],
        "groups": [],
    }
    nested = compile_filters(
        And((cond("field_1", "contains", "a"), Not(Or((cond("field_4", "exact", True),))))),
        TABLE,
    )
    assert nested == {
        "filter_type": "AND",
        "filters": [
            {"field": 1, "type": "contains", "value": "a"},
            {"field": 4, "type": "boolean", "value": "0"},
        ],
        "groups": [],
    }


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (cond("field_7", "exact", "Open"), ("single_select_equal", "70")),
        (cond("field_8", "has_any", ("a",)), ("multiple_select_has", "80")),
        (cond("field_9", "has_any", ("5", "6")), ("link_row_has", "5,6")),
        (
            cond("field_5", "gte", "2026-01-02"),
            ("date_is_on_or_after", "UTC?2026-01-02?exact_date"),
        ),
        (cond("field_5", "exact", "PREDEFINED:TODAY"), ("date_is", "UTC??today")),
        (cond("field_3", "lt", 2.5), ("lower_than", "2.5")),
        (cond("field_12", "exact", "u-1"), ("equal", "u-1")),
        (cond("field_13", "gt", 1), ("higher_than", "1")),
    ],
)
def test_leaves_compile_to_baserow_filter_types(
    condition: Condition, expected: tuple[str, str]
) -> None:
    """Each field family has its own Baserow filter types and value formats."""
    tree = compile_filters(condition, TABLE)
    assert isinstance(tree, dict)
    leaf = tree["filters"][0]
    assert (leaf["type"], leaf["value"]) == expected


def test_impossible_conditions_send_nothing() -> None:
    """An unknown option or an empty has_any matches nothing: no request at all."""
    assert compile_filters(cond("field_7", "exact", "Nope"), TABLE) is FALSE
    assert compile_filters(cond("field_8", "has_any", ()), TABLE) is FALSE
    assert compile_filters(Not(cond("field_7", "exact", "Nope")), TABLE) is None


@pytest.mark.parametrize(
    ("condition", "error"),
    [
        (cond("field_1", "startswith", "a"), errors.UnsupportedLookup),
        (cond("field_6", "gt", "2026-01-01T10:00:00.000Z"), errors.QueryError),
        (cond("field_1", "contains", " a"), errors.QueryError),
        (cond("@record_id", "exact", "1"), errors.QueryError),
        (cond("field_10", "has_any", ("x",)), errors.UnsupportedLookup),
    ],
)
def test_what_baserow_cannot_say_is_refused(condition: Condition, error: type[Exception]) -> None:
    """Refusals name the model and field."""
    with pytest.raises(error, match=r"field_|id|Task"):
        compile_filters(condition, TABLE)


def test_ordering() -> None:
    """Fields by id, descending with '-'; creation order is Baserow's own default."""
    assert compile_order_by([("field_2", True), ("field_1", False)], TABLE) == "-field_2,field_1"
    assert compile_order_by([("created_at", False)], TABLE) is None
    with pytest.raises(errors.QueryError):
        compile_order_by([("created_at", True)], TABLE)
    with pytest.raises(errors.QueryError):
        compile_order_by([("field_10", False)], TABLE)


def test_page_plans_start_at_the_offset() -> None:
    """Offset/limit pages map to one Baserow page when one starts at the offset."""
    assert page_plan(0, 200) == (1, 200)
    assert page_plan(400, 200) == (3, 200)
    assert page_plan(30, 20) == (2, 30)  # rows 30-59, of which the first 20 are kept
    assert page_plan(7, 12) is None  # read from the 200-row pages instead
    assert page_plan(199, 200) is None


def test_error_bodies_map_to_classes() -> None:
    """Baserow's codes pick the class; the code and detail are kept."""
    body = json.dumps(
        {"error": "ERROR_ROW_DOES_NOT_EXIST", "detail": "The rows ['5'] do not exist."}
    )
    error = baserow_error(404, body, method="GET", path="/x/")
    assert isinstance(error, errors.NotFound) and error.error_code == "ERROR_ROW_DOES_NOT_EXIST"
    body = json.dumps(
        {
            "error": "ERROR_REQUEST_BODY_VALIDATION",
            "detail": {"field_2": [{"error": "A valid number is required.", "code": "invalid"}]},
        }
    )
    error = baserow_error(400, body)
    assert isinstance(error, errors.FieldValidationError)
    assert "field_2: A valid number is required." in str(error)
    assert error.details["field_2"][0]["code"] == "invalid"
    error = baserow_error(429, json.dumps({"detail": "Request was throttled."}), retry_after=3.0)
    assert isinstance(error, errors.RateLimited) and error.retry_after == 3.0
    error = baserow_error(401, json.dumps({"error": "ERROR_NO_PERMISSION_TO_TABLE", "detail": ""}))
    assert isinstance(error, errors.Unauthorized)
    assert isinstance(baserow_error(502, "<html>bad gateway</html>"), errors.APIError)


def test_sessions_from_env_and_concurrency_defaults() -> None:
    """from_env reads BASEROW_*; Baserow Cloud gets a limit of 10 in flight, others none."""
    session = BaserowSession.from_env({"BASEROW_TOKEN": TOKEN, "BASEROW_URL": URL})
    assert session.base_url == URL and session.max_concurrency == 0 and not session.has_login
    assert BaserowSession(TOKEN).max_concurrency == 10
    assert BaserowSession(TOKEN, base_url=URL, max_concurrency=3).max_concurrency == 3
    assert TOKEN not in repr(session)
    with pytest.raises(errors.ConfigurationError):
        BaserowSession.from_env({})
    with pytest.raises(errors.ConfigurationError):
        BaserowSession(TOKEN, base_url=URL, email="a@b.c")
    assert batch_backend(session.backend) is session.backend


@responses.activate
def test_requests_carry_the_token_and_a_trailing_slash() -> None:
    """Authorization: Token <key>; every path ends with '/'; JWT calls sign in once."""
    responses.get(f"{URL}/api/database/rows/table/5/7/", json={"id": 7, "order": "1"})
    responses.post(f"{URL}/api/user/token-auth/", json={"access_token": "jwt-abc"})
    responses.get(f"{URL}/api/database/tables/database/1/", json=[])
    session = BaserowSession(TOKEN, base_url=URL, email="a@b.c", password="pw-secret")
    session.backend._remember(BaserowTable.build(5, "T", 1, []))
    events: list[Any] = []
    session.add_listener(events.append)
    assert session.backend.get_record("1", "5", "7")["id"] == "7"
    assert responses.calls[0].request.headers["Authorization"] == f"Token {TOKEN}"
    assert session.backend._tables_of("1") == []
    assert session.backend._tables_of("1") == []
    sign_ins = [c for c in responses.calls if c.request.url.endswith("/token-auth/")]
    assert len(sign_ins) == 1
    assert responses.calls[-1].request.headers["Authorization"] == "JWT jwt-abc"
    assert all("pw-secret" not in str(e.body) for e in events)  # listeners never see it


@responses.activate
def test_a_concurrency_limit_caps_requests_in_flight() -> None:
    """With max_concurrency=2 no more than two requests are ever in flight."""
    active = 0
    peak = 0
    lock = threading.Lock()

    def slow(request: Any) -> tuple[int, dict[str, str], str]:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        threading.Event().wait(0.05)
        with lock:
            active -= 1
        return 200, {}, json.dumps({"token": "OK"})

    responses.add_callback(responses.GET, f"{URL}/api/database/tokens/check/", callback=slow)
    session = BaserowSession(TOKEN, base_url=URL, max_concurrency=2)
    threads = [
        threading.Thread(target=session.request, args=("GET", ["database", "tokens", "check"]))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(responses.calls) == 6 and peak == 2


@responses.activate
def test_a_table_deleted_while_listing_is_left_out() -> None:
    """Another client deleting a table between the listing and its fields read leaves that
    table out of list_tables(), instead of failing the listing with NotFound."""
    responses.get(
        f"{URL}/api/database/tables/all-tables/",
        json=[
            {"id": 5, "name": "Kept", "database_id": 1},
            {"id": 6, "name": "Gone", "database_id": 1},
        ],
    )
    responses.get(
        f"{URL}/api/database/fields/table/5/",
        json=[{"id": 50, "name": "Name", "type": "text", "primary": True}],
    )
    responses.get(
        f"{URL}/api/database/fields/table/6/",
        status=404,
        json={
            "error": "ERROR_TABLE_DOES_NOT_EXIST",
            "detail": "The requested table does not exist.",
        },
    )
    session = BaserowSession(TOKEN, base_url=URL)
    tables = session.backend.list_tables("1")
    assert [t.name for t in tables] == ["Kept"]
    assert [f.name for f in tables[0].fields] == ["Name"]


def test_an_error_body_nested_too_deeply_is_read_as_text() -> None:
    """An error answer whose JSON nests beyond what the parser reads still gives the typed
    error (from the status), never a RecursionError: the same reader as Softr's errors."""
    body = "[" * 100_000 + "]" * 100_000
    error = baserow_error(404, body, method="GET", path="/x/", retry_after=None)
    assert isinstance(error, errors.NotFound) and error.status == 404
