"""The emulator's Baserow face against a real Baserow: the same requests, the same answers.

Both servers get the same two tables (``baserow_targets.py``) and the same requests, in the
same order (so row ids advance in step). Answers are compared after normalising only what
must differ: table, field and option ids, timestamps, and the host in paging URLs. Every
scenario also asserts its expected result on the emulator, so this half runs (and can fail)
without a real Baserow; the comparison runs when one is found, and its absence fails
instead of skipping when ``SOFTR_ORM_REQUIRE_BASEROW=1``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from baserow_targets import (
    Target,
    baserow_env_or_skip,
    names,
    normalise,
    outcome,
    same,
    targets_for,
    tree,
)

from softr_orm.emulator import Emulator

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def baserow_env() -> dict[str, str] | None:
    """The real Baserow, or None: then only the emulator half runs."""
    return baserow_env_or_skip()


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


@pytest.fixture(scope="module")
def readers(emulator: Emulator, baserow_env: dict[str, str] | None) -> Iterator[list[Target]]:
    """Tables holding the dataset below; tests only read them."""
    for targets in targets_for(emulator, baserow_env):
        for target in targets:
            _load_dataset(target)
        yield targets


# --- the dataset --------------------------------------------------------------------------------

ROWS: list[dict[str, Any]] = [
    {
        "Name": "Alpha",
        "Notes": "first note",
        "Price": "10.5",
        "Qty": 3,
        "Active": True,
        "Due": "2024-01-15",
        "At": "2024-01-15T10:00:00Z",
        "Status": "Open",
        "Tags": ["a", "b"],
        "Email": "a@x.io",
        "Site": "https://a.io",
        "Phone": "+1 555",
        "Stars": 4,
        "Time": 3600,
        "Owner": [1],
    },
    {
        "Name": "beta",
        "Price": -2,
        "Qty": 0,
        "Active": False,
        "Due": "2024-02-01",
        "Status": "Closed",
        "Tags": ["b"],
        "Stars": 1,
        "Owner": [2],
    },
    {
        "Name": "Gamma",
        "Notes": "Second NOTE",
        "Price": 0,
        "Qty": 10,
        "Active": True,
        "Due": "2023-12-31",
        "At": "2023-12-31T23:30:00Z",
        "Tags": ["c"],
        "Owner": [1, 2],
        "Stars": 5,
    },
    {"Name": "delta"},
    {"Price": 100, "Status": "Open"},
    {"Name": "Alpha beta", "Price": 7.25, "Tags": ["a"], "Email": "b@y.io", "Time": 90},
]


def _load_dataset(target: Target) -> None:
    owners = target.request(
        "POST",
        target.rows("Owners") + "batch/?user_field_names=true",
        json={"items": [{"Name": "Ann"}, {"Name": "Bob"}]},
    )
    assert owners.status_code == 200, owners.text
    answer = target.request(
        "POST", target.rows() + "batch/?user_field_names=true", json={"items": ROWS}
    )
    assert answer.status_code == 200, answer.text
    assert [row["id"] for row in answer.json()["items"]] == [1, 2, 3, 4, 5, 6]


# --- reads --------------------------------------------------------------------------------------


def test_rows_read_back_in_baserow_shapes(readers: list[Target]) -> None:
    """Every type's read shape, with names and with field ids."""

    def scenario(target: Target) -> Any:
        by_name = target.request("GET", target.rows() + "1/?user_field_names=true")
        fields = target.request("GET", f"/api/database/fields/table/{target.tables['Items']}/")
        ids = {f"field_{f['id']}": f["name"] for f in fields.json()}
        by_id = target.request("GET", target.rows() + "1/").json()
        renamed = {ids.get(k, k): v for k, v in by_id.items()}
        return outcome(by_name), normalise(renamed)

    (status, row), renamed = same(readers, scenario)
    assert status == 200 and row == renamed
    assert row == {
        "id": 1,
        "order": "1.00000000000000000000",
        "Name": "Alpha",
        "Notes": "first note",
        "Price": "10.50",
        "Qty": "3",
        "Active": True,
        "Due": "2024-01-15",
        "At": "2024-01-15T10:00:00Z",
        "Status": {"id": "<option>", "value": "Open", "color": "blue"},
        "Tags": [
            {"id": "<option>", "value": "a", "color": "green"},
            {"id": "<option>", "value": "b", "color": "yellow"},
        ],
        "Email": "a@x.io",
        "Site": "https://a.io",
        "Phone": "+1 555",
        "Stars": 4,
        "Time": 3600.0,
        "Created": "<ts>",
        "Number": 1,
        "Owner": [{"id": 1, "value": "Ann", "order": "1.00000000000000000000"}],
    }


def test_empty_values_read_as_baserow_does(readers: list[Target]) -> None:
    """null text, "" for email/url/phone, 0 stars, [] for lists, false for booleans."""
    status, row = same(
        readers, lambda t: outcome(t.request("GET", t.rows() + "5/?user_field_names"))
    )
    assert status == 200
    assert (row["Name"], row["Notes"], row["Email"], row["Site"], row["Phone"]) == (
        None,
        None,
        "",
        "",
        "",
    )
    assert (row["Stars"], row["Tags"], row["Owner"], row["Active"], row["Time"]) == (
        0,
        [],
        [],
        False,
        None,
    )


def opt(field: str, *values: str) -> Callable[[Target], str]:
    """The option ids of ``values`` on one server, as a filter value (CSV)."""
    return lambda t: ",".join(str(t.options[field][v]) for v in values)


DAY = "UTC?2024-01-15?exact_date"
Value = str | Callable[[Target], str]
#: (what, field, filter type, value, expected row ids), one AND node each.
LEAVES: list[tuple[str, str, str, Value, list[int]]] = [
    ("text equal is case-sensitive", "Name", "equal", "Alpha", [1]),
    ("contains ignores case", "Name", "contains", "alpha", [1, 6]),
    ("contains_not keeps empty", "Name", "contains_not", "alpha", [2, 3, 4, 5]),
    ("not_equal keeps empty", "Name", "not_equal", "beta", [1, 3, 4, 5, 6]),
    ("higher_than", "Price", "higher_than", "5", [1, 5, 6]),
    ("lower_than_or_equal", "Price", "lower_than_or_equal", "0", [2, 3]),
    ("higher_than_or_equal decimals", "Price", "higher_than_or_equal", "7.25", [1, 5, 6]),
    ("number equal", "Qty", "equal", "0", [2]),
    ("number empty", "Price", "empty", "", [4]),
    ("text empty", "Name", "empty", "", [5]),
    ("not_empty", "Price", "not_empty", "", [1, 2, 3, 5, 6]),
    ("boolean true", "Active", "boolean", "1", [1, 3]),
    ("boolean false", "Active", "boolean", "false", [2, 4, 5, 6]),
    ("boolean empty is false", "Active", "empty", "", [2, 4, 5, 6]),
    ("date_is exact", "Due", "date_is", DAY, [1]),
    ("date_is_before", "Due", "date_is_before", DAY, [3]),
    ("date_is_on_or_after", "Due", "date_is_on_or_after", DAY, [1, 2]),
    ("date_is_on_or_before", "Due", "date_is_on_or_before", DAY, [1, 3]),
    ("date_is_after", "Due", "date_is_after", DAY, [2]),
    ("datetime day in UTC", "At", "date_is", "UTC?2023-12-31?exact_date", [3]),
    ("datetime day in Berlin", "At", "date_is", "Europe/Berlin?2024-01-01?exact_date", [3]),
    ("single_select_equal", "Status", "single_select_equal", opt("Status", "Open"), [1, 5]),
    (
        "single_select_not_equal keeps empty",
        "Status",
        "single_select_not_equal",
        opt("Status", "Open"),
        [2, 3, 4, 6],
    ),
    (
        "single_select_is_any_of",
        "Status",
        "single_select_is_any_of",
        opt("Status", "Open", "Closed"),
        [1, 2, 5],
    ),
    ("multiple_select_has", "Tags", "multiple_select_has", opt("Tags", "a"), [1, 6]),
    ("multiple_select_has any of", "Tags", "multiple_select_has", opt("Tags", "a", "c"), [1, 3, 6]),
    ("multiple_select_has_not", "Tags", "multiple_select_has_not", opt("Tags", "b"), [3, 4, 5, 6]),
    ("link_row_has", "Owner", "link_row_has", "1", [1, 3]),
    ("link_row_has_not", "Owner", "link_row_has_not", "1", [2, 4, 5, 6]),
    ("rating equal 0 is unset", "Stars", "equal", "0", [4, 5, 6]),
    ("email contains", "Email", "contains", "X.IO", [1]),
    ("duration higher_than", "Time", "higher_than", "100", [1]),
    ("long text contains", "Notes", "contains", "note", [1, 3]),
    ("date contains, rendered ISO", "Due", "contains", "2024-01", [1]),
    ("datetime contains, rendered", "At", "contains", "2024-01-15 10:00", [1]),
    ("empty value drops the condition", "Name", "equal", "", [1, 2, 3, 4, 5, 6]),
    ("unparsable number matches nothing", "Price", "higher_than", "abc", []),
    ("non-integer option id drops", "Status", "single_select_equal", "x", [1, 2, 3, 4, 5, 6]),
]


def _leaf_tree(field: str, type_: str, value: Value) -> Callable[[Target], str]:
    return lambda t: tree("AND", (field, type_, value if isinstance(value, str) else value(t)))


def _nested(t: Target) -> str:
    group = {
        "filter_type": "OR",
        "filters": [
            {"field": "Price", "type": "higher_than", "value": "10"},
            {"field": "Tags", "type": "multiple_select_has", "value": opt("Tags", "c")(t)},
        ],
    }
    return tree("AND", ("Active", "boolean", "1"), groups=[group])


FILTERS: list[tuple[str, Callable[[Target], str], list[int]]] = [
    (what, _leaf_tree(field, type_, value), expected)
    for what, field, type_, value, expected in LEAVES
] + [
    (
        "OR of two",
        lambda t: tree("OR", ("Name", "equal", "beta"), ("Stars", "higher_than", "4")),
        [2, 3],
    ),
    ("AND with an OR group", _nested, [1, 3]),
]


@pytest.mark.parametrize(("what", "make", "expected"), FILTERS, ids=[f[0] for f in FILTERS])
def test_filters_select_the_same_rows(
    readers: list[Target], what: str, make: Callable[[Target], str], expected: list[int]
) -> None:
    assert same(readers, lambda t: names(t, {"filters": make(t)})) == (200, expected), what


ORDERS = [
    ("Price", [4, 2, 3, 6, 1, 5]),
    ("-Price", [5, 1, 6, 3, 2, 4]),
    ("Name", [5, 1, 6, 2, 4, 3]),
    ("Status", [3, 4, 6, 2, 1, 5]),
    ("-Active,Name", [1, 3, 5, 6, 2, 4]),
    ("Due", [4, 5, 6, 3, 1, 2]),
    ("-Stars", [3, 1, 2, 4, 5, 6]),
]


@pytest.mark.parametrize(("order", "expected"), ORDERS, ids=[o[0] for o in ORDERS])
def test_order_by(readers: list[Target], order: str, expected: list[int]) -> None:
    """Nulls first ascending, last descending; text collated case-insensitively; ties by id."""
    assert same(readers, lambda t: names(t, {"order_by": order})) == (200, expected)


SEARCHES = [
    ("alpha", [1, 6]),
    ("NOTE", [1, 3]),
    ("x.io", [1]),
    ("open", [1, 5]),
    ("", [1, 2, 3, 4, 5, 6]),
]


@pytest.mark.parametrize(("term", "expected"), SEARCHES, ids=[s[0] or "empty" for s in SEARCHES])
def test_search(readers: list[Target], term: str, expected: list[int]) -> None:
    """``search`` in compat mode: case-insensitive, in text, email and select values."""
    query = {"search": term, "search_mode": "compat"}
    assert same(readers, lambda t: names(t, query)) == (200, expected)


def test_search_mode_is_checked(readers: list[Target]) -> None:
    query = {"search": "x", "search_mode": "fuzzy"}
    assert same(readers, lambda t: names(t, query)) == (400, "ERROR_QUERY_PARAMETER_VALIDATION")


def _field_key(target: Target, name: str) -> str:
    fields = target.request("GET", f"/api/database/fields/table/{target.tables['Items']}/")
    return next(f"field_{f['id']}" for f in fields.json() if f["name"] == name)


LEGACY: list[tuple[str, Callable[[Target], dict[str, Any]], Any]] = [
    ("by id", lambda t: {f"filter__{_field_key(t, 'Name')}__contains": "alpha"}, [1, 6]),
    ("by name", lambda t: {"filter__Name__equal": "beta"}, [2]),
    (
        "repeated, OR",
        lambda t: {"filter__Name__equal": ["Alpha", "beta"], "filter_type": "or"},
        [1, 2],
    ),
    ("repeated, AND", lambda t: {"filter__Name__equal": ["Alpha", "beta"]}, []),
    ("unknown name ignored", lambda t: {"filter__Nope__equal": "x"}, [1, 2, 3, 4, 5, 6]),
    ("row ids", lambda t: {"filter__field_id__in": "1,3"}, [1, 3]),
    ("unknown id", lambda t: {"filter__field_9999999__equal": "x"}, "ERROR_FILTER_FIELD_NOT_FOUND"),
    (
        "tree wins",
        lambda t: {
            "filter__Name__equal": "Alpha",
            "filters": tree("AND", ("Name", "equal", "beta")),
        },
        [2],
    ),
]


@pytest.mark.parametrize(("what", "make", "expected"), LEGACY, ids=[c[0] for c in LEGACY])
def test_legacy_filters(
    readers: list[Target], what: str, make: Callable[[Target], dict[str, Any]], expected: Any
) -> None:
    """``filter__{field}__{type}`` and ``filter_type`` (used only without a ``filters`` tree)."""
    result = same(readers, lambda t: names(t, make(t)))
    assert result == ((200, expected) if isinstance(expected, list) else (400, expected)), what


def test_paging(readers: list[Target]) -> None:
    """count, next/previous (page 1 has no ``page`` parameter), past the end, size limits."""

    def scenario(target: Target) -> Any:
        pages = [
            outcome(
                target.request(
                    "GET",
                    target.rows(),
                    params={"size": 2, "page": page, "include": "Name", "user_field_names": ""},
                )
            )
            for page in (1, 2, 3, 9)
        ]
        too_big = outcome(target.request("GET", target.rows(), params={"size": 201}))
        zero = target.request("GET", target.rows(), params={"size": 0})
        return pages, too_big, (zero.status_code, len(zero.json()["results"]))

    pages, too_big, zero = same(readers, scenario)
    first, second, third, past = pages
    assert first[1]["count"] == 6 and first[1]["previous"] is None
    assert [r["id"] for r in first[1]["results"]] == [1, 2]
    assert first[1]["results"][0] == {"id": 1, "order": "1.00000000000000000000", "Name": "Alpha"}
    assert "page=2" in first[1]["next"] and "page" not in second[1]["previous"]
    assert third[1]["next"] is None and [r["id"] for r in third[1]["results"]] == [5, 6]
    assert past == (
        200,
        {
            "count": 6,
            "next": None,
            "previous": "include=Name&page=8&size=2&user_field_names=",
            "results": [],
        },
    )
    assert too_big == (
        400,
        {"error": "ERROR_PAGE_SIZE_LIMIT", "detail": "The page size is limited to 200."},
    )
    assert zero == (200, 6)


def test_read_errors(readers: list[Target]) -> None:
    """Unknown table, row, field, filter type; incompatible filter; bad JSON; bad tokens."""

    def scenario(target: Target) -> Any:
        rows = target.rows()
        bad = [
            target.request("GET", "/api/database/rows/table/999999/"),
            target.request("GET", rows + "999/"),
            target.request("GET", rows, params={"filters": "{nope"}),
            target.request("GET", rows, params={"filters": json.dumps({"filters": []})}),
            target.request(
                "GET",
                rows,
                params={"user_field_names": 1, "filters": tree("AND", ("Nope", "equal", "x"))},
            ),
            target.request(
                "GET",
                rows,
                params={"user_field_names": 1, "filters": tree("AND", ("Name", "bogus", "x"))},
            ),
            target.request(
                "GET",
                rows,
                params={"user_field_names": 1, "filters": tree("AND", ("Active", "contains", "x"))},
            ),
            target.request("GET", rows, params={"user_field_names": 1, "order_by": "-Nope"}),
            target.request("GET", rows.rstrip("/")),
            target.request("GET", rows, headers={"Authorization": "Token nope"}),
            target.request("GET", rows, headers={"Authorization": ""}),
            target.request("PUT", rows + "1/", json={}),
            target.request(
                "GET", "/api/database/tables/all-tables/", headers={"Authorization": ""}
            ),
            target.request("GET", "/api/database/nothing-here/"),
            target.request("GET", rows + "1/", headers={"Authorization": "Token a b"}),
        ]
        table = str(target.tables["Items"])
        return [
            (
                status,
                {k: v.replace(table, "<t>") if isinstance(v, str) else v for k, v in body.items()},
            )
            for status, body in (outcome(answer) for answer in bad)
        ]

    results = same(readers, scenario)
    assert [(status, (body or {}).get("error")) for status, body in results] == [
        (404, "ERROR_TABLE_DOES_NOT_EXIST"),
        (404, "ERROR_ROW_DOES_NOT_EXIST"),
        (400, "ERROR_FILTERS_PARAM_VALIDATION_ERROR"),
        (400, "ERROR_FILTERS_PARAM_VALIDATION_ERROR"),
        (400, "ERROR_FILTER_FIELD_NOT_FOUND"),
        (400, "ERROR_VIEW_FILTER_TYPE_DOES_NOT_EXIST"),
        (400, "ERROR_VIEW_FILTER_TYPE_UNSUPPORTED_FIELD"),
        (400, "ERROR_ORDER_BY_FIELD_NOT_FOUND"),
        (404, "URL_TRAILING_SLASH_MISSING"),
        (401, "ERROR_TOKEN_DOES_NOT_EXIST"),
        (401, None),
        (405, None),
        (403, None),
        (404, "URL_NOT_FOUND"),
        (401, "ERROR_INVALID_TOKEN_HEADER"),
    ]


INCLUDES = [
    ({"include": "Name,Price"}, ["Name", "Price"]),
    (
        {"exclude": "Name,Notes,Price,Qty,Active,Due,At,Status,Tags,Email,Site,Phone"},
        ["Stars", "Time", "Created", "Number", "Owner"],
    ),
    ({"include": "Name,Price", "exclude": "Price"}, ["Name"]),
    ({"include": "Nope"}, None),  # nothing known: every field, as Baserow does
]


@pytest.mark.parametrize(
    ("query", "expected"), INCLUDES, ids=["include", "exclude", "both", "unknown"]
)
def test_include_and_exclude(readers: list[Target], query: dict[str, str], expected: Any) -> None:
    def scenario(target: Target) -> Any:
        params = {"user_field_names": "true", "size": 1, **query}
        answer = target.request("GET", target.rows(), params=params)
        return sorted(answer.json()["results"][0])

    keys = same(readers, scenario)
    if expected is not None:
        assert keys == sorted(["id", "order", *expected])
    else:
        assert len(keys) == 19


def test_fields_and_tables(readers: list[Target]) -> None:
    """F1 lists the same fields (types, options, flags); T1 lists the tables."""

    def scenario(target: Target) -> Any:
        fields = target.request(
            "GET", f"/api/database/fields/table/{target.tables['Items']}/"
        ).json()
        for field in fields:
            field["id"] = "<id>"
            if field.get("link_row_table_primary_field"):
                field["link_row_table_primary_field"]["id"] = "<id>"
        tables = target.request("GET", "/api/database/tables/all-tables/")
        mine = [t for t in tables.json() if t["id"] in target.tables.values()]
        return normalise(fields), tables.status_code, sorted(t["name"].split()[0] for t in mine)

    fields, status, tables = same(readers, scenario)
    assert [f["type"] for f in fields][:3] == ["text", "long_text", "number"]
    assert fields[0]["primary"] is True and fields[-3]["read_only"] is True
    assert status == 200 and tables == ["Items", "Owners"]
