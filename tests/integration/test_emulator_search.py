"""The search endpoint's wiring: every operator on each field type it applies to, compound
filters, filter errors, sorting and paging edges, all through raw HTTP.

The filter evaluator has its own deep unit tests; here each row proves that a condition travels
from the request body to the right records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from softr_orm.emulator import Emulator

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.timezone.utc)

FIELDS: list[dict[str, Any]] = [
    {"name": "Name", "type": "SINGLE_LINE_TEXT"},
    {"name": "Text", "type": "SINGLE_LINE_TEXT"},
    {"name": "Long", "type": "LONG_TEXT"},
    {"name": "Email", "type": "EMAIL"},
    {"name": "Phone", "type": "PHONE"},
    {"name": "Url", "type": "URL"},
    {"name": "Num", "type": "NUMBER"},
    {"name": "Cur", "type": "CURRENCY"},
    {"name": "Pct", "type": "PERCENT"},
    {"name": "Rate", "type": "RATING"},
    {"name": "Dur", "type": "DURATION"},
    {"name": "Check", "type": "CHECKBOX"},
    {
        "name": "Sel",
        "type": "SELECT",
        "options": {"choices": [{"label": "Open"}, {"label": "Closed"}, {"label": "Pending"}]},
    },
    {
        "name": "Multi",
        "type": "SELECT",
        "allowMultipleEntries": True,
        "options": {"choices": [{"label": "a"}, {"label": "b"}, {"label": "c"}]},
    },
    {"name": "User", "type": "USER"},
    {"name": "Att", "type": "ATTACHMENT", "allowMultipleEntries": True},
    {"name": "Day", "type": "DATE"},
    {"name": "When", "type": "DATETIME"},
    {"name": "Created", "type": "CREATED_AT"},
    {"name": "Auto", "type": "AUTONUMBER"},
]


class Env:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.http = requests.Session()
        self.http.headers["Softr-Api-Key"] = emu.api_key
        db = emu.create_database("Search")
        self.db_id = db["id"]
        other = emu.create_table(
            self.db_id,
            "Other",
            [{"name": "Name", "type": "SINGLE_LINE_TEXT"}, {"name": "Size", "type": "NUMBER"}],
        )
        of = {f["name"]: f["id"] for f in other["fields"]}
        table = emu.create_table(self.db_id, "Main", FIELDS)
        self.table_id = table["id"]
        f = {field["name"]: field["id"] for field in table["fields"]}
        body: dict[str, Any]
        for body in (
            {
                "name": "Link",
                "type": "LINKED_RECORD",
                "allowMultipleEntries": True,
                "options": {"linkedTableId": other["id"]},
            },
        ):
            f["Link"] = emu.add_field(self.db_id, self.table_id, body)["id"]
        for body in (
            {
                "name": "Look",
                "type": "LOOKUP",
                "options": {"linkedRecordFieldId": f["Link"], "lookupFieldId": of["Name"]},
            },
            {
                "name": "Roll",
                "type": "ROLLUP",
                "options": {
                    "linkedRecordFieldId": f["Link"],
                    "rollupFieldId": of["Size"],
                    "function": "SUM",
                },
            },
            {"name": "Form", "type": "FORMULA", "options": {"formula": "{Num} * 2"}},
        ):
            f[body["name"]] = emu.add_field(self.db_id, self.table_id, body)["id"]
        self.f = f
        self.p1, self.p2 = emu.insert_records(
            self.db_id,
            other["id"],
            [{of["Name"]: "Alpha Co", of["Size"]: 100}, {of["Name"]: "Beta Co", of["Size"]: 5}],
        )
        self.owner = emu.store.default_token.user_id
        self.zed = emu.add_member(emu.workspace_id, "zed@example.com", "Zed Zero")["id"]
        rows: list[tuple[str, dict[str, Any]]] = [
            (
                "2026-03-01T00:00:00+00:00",
                {
                    "Name": "r1",
                    "Text": "Alpha Beta",
                    "Long": "Lorem ipsum",
                    "Email": "ada@example.com",
                    "Phone": "+100",
                    "Url": "https://a.example.com",
                    "Num": 10,
                    "Cur": 1.5,
                    "Pct": 25,
                    "Rate": 1,
                    "Dur": 60,
                    "Check": True,
                    "Sel": "Open",
                    "Multi": ["a", "b"],
                    "Link": [self.p1],
                    "User": {"id": self.owner},
                    "Att": [{"url": "https://f.example.com/a.pdf", "filename": "a.pdf"}],
                    "Day": "2026-03-01",
                    "When": "2026-03-01T10:00:00.000Z",
                },
            ),
            (
                "2026-03-10T08:00:00+00:00",
                {
                    "Name": "r2",
                    "Text": "beta gamma",
                    "Long": "dolor",
                    "Email": "bob@test.org",
                    "Phone": "+200",
                    "Url": "https://b.example.org",
                    "Num": 20.5,
                    "Cur": 99.99,
                    "Pct": 50,
                    "Rate": 3,
                    "Dur": 120,
                    "Check": False,
                    "Sel": "Closed",
                    "Multi": ["b"],
                    "Link": [self.p1, self.p2],
                    "User": "zed@example.com",
                    "Att": [{"url": "https://f.example.com/b.png", "filename": "b.png"}],
                    "Day": "2026-03-15",
                    "When": "2026-03-15T23:30:00.000Z",
                },
            ),
            (
                "2026-04-01T00:00:00+00:00",
                {
                    "Name": "r3",
                    "Text": "Gamma",
                    "Num": 30,
                    "Cur": 1000,
                    "Pct": 75,
                    "Rate": 5,
                    "Dur": 3600,
                    "Sel": "Pending",
                    "Multi": ["c"],
                    "Link": [self.p2],
                    "Day": "2026-04-01",
                    "When": "2026-04-01T00:00:00.000Z",
                },
            ),
            ("2026-04-02T00:00:00+00:00", {"Name": "r4"}),
        ]
        for created, values in rows:
            emu.set_now(dt.datetime.fromisoformat(created))
            payload = {
                f[k]: (v if not isinstance(v, float) else _dec(v)) for k, v in values.items()
            }
            emu.insert_records(self.db_id, self.table_id, [payload])
        emu.set_now(NOW)

    def search(self, body: dict[str, Any], **params: str) -> requests.Response:
        path = f"/databases/{self.db_id}/tables/{self.table_id}/records/search"
        return self.http.post(self.emu.base_url + path, json=body, params=params, timeout=10)

    def names(self, body: dict[str, Any]) -> list[str]:
        response = self.search({"paging": {"limit": 200}, **body}, fieldNames="true")
        assert response.status_code == 200, response.text
        return [r["fields"]["Name"] for r in response.json()["data"]]


def _dec(value: float) -> Any:
    from decimal import Decimal

    return Decimal(repr(value))


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    with Emulator() as emu:
        yield Env(emu)


def _cond(env: Env, field: str, op: str, args: tuple[Any, ...]) -> dict[str, Any]:
    def resolve(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("$"):
            return {"$p1": env.p1, "$p2": env.p2, "$owner": env.owner, "$zed": env.zed}[value]
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    left = env.f.get(field, field)
    if op in ("IS_EMPTY", "IS_NOT_EMPTY"):
        return {"operator": op, "leftSide": left}
    if op in ("IS_BETWEEN", "IS_NOT_BETWEEN", "IS_WITHIN", "IS_NOT_WITHIN"):
        return {
            "operator": op,
            "leftSide": left,
            "lowerBound": resolve(args[0]),
            "upperBound": resolve(args[1]),
        }
    return {"operator": op, "leftSide": left, "rightSide": resolve(args[0])}


ALL = ["r1", "r2", "r3", "r4"]
CASES: list[tuple[str, str, tuple[Any, ...], list[str]]] = [
    # text-like
    ("Text", "IS", ("alpha beta",), ["r1"]),
    ("Text", "IS_NOT", ("alpha beta",), ["r2", "r3", "r4"]),
    ("Text", "CONTAINS", ("BETA",), ["r1", "r2"]),
    ("Text", "DOES_NOT_CONTAIN", ("beta",), ["r3", "r4"]),
    ("Text", "STARTS_WITH", ("gam",), ["r3"]),
    ("Text", "DOES_NOT_START_WITH", ("gam",), ["r1", "r2", "r4"]),
    ("Text", "ENDS_WITH", ("GAMMA",), ["r2", "r3"]),
    ("Text", "DOES_NOT_END_WITH", ("gamma",), ["r1", "r4"]),
    ("Text", "IS_ONE_OF", (["gamma", "alpha beta"],), ["r1", "r3"]),
    ("Text", "IS_NOT_ONE_OF", (["gamma"],), ["r1", "r2", "r4"]),
    ("Text", "HAS_ANY_OF", (["gamma", "x"],), ["r3"]),
    ("Text", "HAS_ALL_OF", (["gamma"],), ["r3"]),
    ("Text", "HAS_NONE_OF", (["gamma"],), ["r1", "r2", "r4"]),
    ("Text", "IS_EMPTY", (), ["r4"]),
    ("Text", "IS_NOT_EMPTY", (), ["r1", "r2", "r3"]),
    ("Long", "CONTAINS", ("IPSUM",), ["r1"]),
    ("Email", "ENDS_WITH", ("@EXAMPLE.COM",), ["r1"]),
    ("Email", "IS", ("bob@test.org",), ["r2"]),
    ("Phone", "STARTS_WITH", ("+2",), ["r2"]),
    ("Url", "CONTAINS", (".org",), ["r2"]),
    # numbers
    ("Num", "IS", (10,), ["r1"]),
    ("Num", "IS_NOT", (10,), ["r2", "r3", "r4"]),
    ("Num", "GREATER_THAN", (10,), ["r2", "r3"]),
    ("Num", "GREATER_THAN_OR_EQUALS", (20.5,), ["r2", "r3"]),
    ("Num", "LESS_THAN", (20.5,), ["r1"]),
    ("Num", "LESS_THAN_OR_EQUALS", (20.5,), ["r1", "r2"]),
    ("Num", "IS_ONE_OF", ([10, 30],), ["r1", "r3"]),
    ("Num", "IS_NOT_ONE_OF", ([10, 30],), ["r2", "r4"]),
    ("Num", "IS_BETWEEN", (10, 20.5), ["r1", "r2"]),
    ("Num", "IS_NOT_BETWEEN", (10, 20.5), ["r3", "r4"]),
    ("Num", "IS_EMPTY", (), ["r4"]),
    ("Cur", "IS", (1.50,), ["r1"]),
    ("Cur", "GREATER_THAN", (1.5,), ["r2", "r3"]),
    ("Pct", "IS_BETWEEN", (25, 50), ["r1", "r2"]),
    ("Rate", "LESS_THAN_OR_EQUALS", (3,), ["r1", "r2"]),
    ("Dur", "GREATER_THAN_OR_EQUALS", (120,), ["r2", "r3"]),
    ("Auto", "GREATER_THAN", (2,), ["r3", "r4"]),
    # checkbox
    ("Check", "IS", (True,), ["r1"]),
    ("Check", "IS", (False,), ["r2", "r3", "r4"]),
    ("Check", "IS_NOT", (True,), ["r2", "r3", "r4"]),
    ("Check", "IS_EMPTY", (), ["r2", "r3", "r4"]),
    ("Check", "IS_NOT_EMPTY", (), ["r1"]),
    # single select
    ("Sel", "IS", ("open",), ["r1"]),
    ("Sel", "IS_NOT", ("open",), ["r2", "r3", "r4"]),
    ("Sel", "CONTAINS", ("EN",), ["r1", "r3"]),
    ("Sel", "STARTS_WITH", ("clo",), ["r2"]),
    ("Sel", "ENDS_WITH", ("ing",), ["r3"]),
    ("Sel", "IS_ONE_OF", (["Open", "Closed"],), ["r1", "r2"]),
    ("Sel", "IS_NOT_ONE_OF", (["Open", "Closed"],), ["r3", "r4"]),
    ("Sel", "HAS_ANY_OF", (["Pending"],), ["r3"]),
    ("Sel", "IS_EMPTY", (), ["r4"]),
    # multi select
    ("Multi", "HAS_ANY_OF", (["a", "c"],), ["r1", "r3"]),
    ("Multi", "HAS_ALL_OF", (["a", "b"],), ["r1"]),
    ("Multi", "HAS_ALL_OF", ([],), ALL),
    ("Multi", "HAS_NONE_OF", (["b"],), ["r3", "r4"]),
    ("Multi", "IS", ("B",), ["r1", "r2"]),
    ("Multi", "IS_NOT", ("b",), ["r3", "r4"]),
    ("Multi", "CONTAINS", ("C",), ["r3"]),
    ("Multi", "IS_ONE_OF", (["c"],), ["r3"]),
    ("Multi", "IS_EMPTY", (), ["r4"]),
    # links, users, attachments
    ("Link", "HAS_ANY_OF", (["$p2"],), ["r2", "r3"]),
    ("Link", "HAS_ALL_OF", (["$p1", "$p2"],), ["r2"]),
    ("Link", "HAS_NONE_OF", (["$p1"],), ["r3", "r4"]),
    ("Link", "IS", ("alpha co",), ["r1", "r2"]),
    ("Link", "CONTAINS", ("beta",), ["r2", "r3"]),
    ("Link", "IS_EMPTY", (), ["r4"]),
    ("User", "IS", ("$owner",), ["r1"]),
    ("User", "IS", ("ZED@example.com",), ["r2"]),
    ("User", "HAS_ANY_OF", (["$owner", "$zed"],), ["r1", "r2"]),
    ("User", "CONTAINS", ("zed",), ["r2"]),
    ("User", "IS_EMPTY", (), ["r3", "r4"]),
    ("Att", "CONTAINS", (".png",), ["r2"]),
    ("Att", "IS", ("A.PDF",), ["r1"]),
    ("Att", "IS_NOT_EMPTY", (), ["r1", "r2"]),
    # dates (now = 2026-03-10)
    ("Day", "IS", ("2026-03-01",), ["r1"]),
    ("Day", "IS_NOT", ("2026-03-01",), ["r2", "r3", "r4"]),
    ("Day", "GREATER_THAN", ("2026-03-01",), ["r2", "r3"]),
    ("Day", "GREATER_THAN_OR_EQUALS", ("RELATIVE_DATE:NEXT:MONTH",), ["r3"]),
    ("Day", "LESS_THAN", ("2026-04-01",), ["r1", "r2"]),
    ("Day", "LESS_THAN_OR_EQUALS", ("2026-03-15",), ["r1", "r2"]),
    ("Day", "IS_BETWEEN", ("2026-03-01", "2026-03-15"), ["r1", "r2"]),
    ("Day", "IS_NOT_BETWEEN", ("2026-03-01", "2026-03-15"), ["r3", "r4"]),
    ("Day", "IS", ("PREDEFINED:THIS_MONTH",), ["r1", "r2"]),
    ("Day", "IS_WITHIN", ("PREDEFINED:THIS_MONTH", "PREDEFINED:THIS_MONTH"), ["r1", "r2"]),
    ("Day", "IS_NOT_WITHIN", ("PREDEFINED:THIS_MONTH", "PREDEFINED:THIS_MONTH"), ["r3", "r4"]),
    ("Day", "IS_EMPTY", (), ["r4"]),
    ("When", "IS", ("2026-03-15",), ["r2"]),
    ("When", "IS", ("2026-03-01T10:00:00.000Z",), ["r1"]),
    ("When", "GREATER_THAN", ("2026-03-15T23:00:00.000Z",), ["r2", "r3"]),
    ("When", "LESS_THAN", ("2026-03-01T10:00:01Z",), ["r1"]),
    ("When", "IS_BETWEEN", ("2026-03-01", "2026-03-15"), ["r1", "r2"]),
    (
        "When",
        "IS_WITHIN",
        ("RELATIVE_DATE:THIS:MONTH", "RELATIVE_DATE:NEXT:MONTH"),
        ["r1", "r2", "r3"],
    ),
    ("Created", "GREATER_THAN", ("2026-03-31",), ["r3", "r4"]),
    ("created_at", "GREATER_THAN", (1772668800000,), ["r2", "r3", "r4"]),
    ("updated_at", "IS_NOT_EMPTY", (), ALL),
    # computed
    ("Look", "IS", ("beta co",), ["r2", "r3"]),
    ("Look", "CONTAINS", ("ALPHA",), ["r1", "r2"]),
    ("Look", "IS_EMPTY", (), ["r4"]),
    ("Roll", "GREATER_THAN", (50,), ["r1", "r2"]),
    ("Roll", "IS", (5,), ["r3"]),
    ("Form", "IS", (41,), ["r2"]),
    ("Form", "GREATER_THAN_OR_EQUALS", (20,), ["r1", "r2", "r3"]),
]


@pytest.mark.parametrize(
    ("field", "op", "args", "expected"),
    CASES,
    ids=[f"{field}-{op}-{index}" for index, (field, op, _, _) in enumerate(CASES)],
)
def test_operator_on_field_type(
    env: Env, field: str, op: str, args: tuple[Any, ...], expected: list[str]
) -> None:
    """One condition through POST .../records/search selects exactly the expected records."""
    assert env.names({"filter": {"condition": _cond(env, field, op, args)}}) == expected


def test_compound_filters(env: Env) -> None:
    """AND/OR nest; an empty AND matches all, an empty OR nothing."""
    nested = {
        "operator": "AND",
        "conditions": [
            _cond(env, "Num", "GREATER_THAN", (10,)),
            {
                "operator": "OR",
                "conditions": [
                    _cond(env, "Sel", "IS", ("Closed",)),
                    _cond(env, "Multi", "HAS_ANY_OF", (["c"],)),
                ],
            },
        ],
    }
    assert env.names({"filter": {"condition": nested}}) == ["r2", "r3"]
    assert env.names({"filter": {"condition": {"operator": "AND", "conditions": []}}}) == ALL
    assert env.names({"filter": {"condition": {"operator": "OR", "conditions": []}}}) == []
    assert env.names({"filter": None}) == ALL
    assert env.names({}) == ALL


@pytest.mark.parametrize(
    ("condition", "code"),
    [
        ({"operator": "LIKE", "leftSide": "@Text", "rightSide": "x"}, "BAD_REQUEST"),
        ({"operator": "IS", "leftSide": "nope", "rightSide": "x"}, "UNKNOWN_FIELD"),
        ({"operator": "IS", "leftSide": "@Num", "rightSide": "abc"}, "VALIDATION_ERROR"),
        ({"operator": "CONTAINS", "leftSide": "@Num", "rightSide": "1"}, "BAD_REQUEST"),
        ({"operator": "IS", "leftSide": "@Day", "rightSide": "PREDEFINED:SOMEDAY"}, "BAD_REQUEST"),
        ({"operator": "IS", "leftSide": "@Text"}, "BAD_REQUEST"),
        ({"operator": "IS_BETWEEN", "leftSide": "@Num", "lowerBound": 1}, "BAD_REQUEST"),
    ],
)
def test_filter_errors(env: Env, condition: dict[str, Any], code: str) -> None:
    """Invalid conditions answer 400 with the filter compiler's error code."""
    if isinstance(condition.get("leftSide"), str) and condition["leftSide"].startswith("@"):
        condition = {**condition, "leftSide": env.f[condition["leftSide"][1:]]}
    response = env.search({"filter": {"condition": condition}})
    assert response.status_code == 400
    assert response.json()["errorCode"] == code


def test_nesting_deeper_than_the_cap_is_refused(env: Env) -> None:
    """AND/OR nesting is capped (16 levels)."""
    condition: dict[str, Any] = _cond(env, "Num", "IS", (10,))
    for _ in range(17):
        condition = {"operator": "AND", "conditions": [condition]}
    response = env.search({"filter": {"condition": condition}})
    assert response.status_code == 400 and response.json()["errorCode"] == "BAD_REQUEST"


# --- sorting ---------------------------------------------------------------------------------


def _sort(env: Env, *keys: tuple[str, str], alias: str = "sorting") -> list[str]:
    entries = [{"sortingField": env.f.get(k, k), "sortType": d} for k, d in keys]
    return env.names({alias: entries})


def test_default_order_is_creation_order(env: Env) -> None:
    """Without sorting, records come in creation order."""
    assert env.names({}) == ALL


def test_sorting_directions_and_empties(env: Env) -> None:
    """ASC puts empties first, DESC last; text sorts case-insensitively; SELECT by label."""
    assert _sort(env, ("Num", "ASC")) == ["r4", "r1", "r2", "r3"]
    assert _sort(env, ("Num", "DESC")) == ["r3", "r2", "r1", "r4"]
    assert _sort(env, ("Text", "ASC")) == ["r4", "r1", "r2", "r3"]
    assert _sort(env, ("Sel", "ASC")) == ["r4", "r2", "r1", "r3"]
    assert _sort(env, ("created_at", "DESC")) == ["r4", "r3", "r2", "r1"]


def test_multi_key_sorting_and_the_sort_alias(env: Env) -> None:
    """Later keys break ties; the OpenAPI's 'sort' key works like 'sorting'."""
    assert _sort(env, ("Check", "ASC"), ("Num", "DESC")) == ["r3", "r2", "r4", "r1"]
    assert _sort(env, ("Num", "DESC"), alias="sort") == ["r3", "r2", "r1", "r4"]


@pytest.mark.parametrize(
    ("sorting", "code"),
    [
        ([{"sortingField": "nope", "sortType": "ASC"}], "UNKNOWN_FIELD"),
        ([{"sortingField": "@Num", "sortType": "UP"}], "BAD_REQUEST"),
        ("Num", "BAD_REQUEST"),
    ],
)
def test_sorting_errors(env: Env, sorting: Any, code: str) -> None:
    """Unknown sort fields and malformed entries are refused."""
    if isinstance(sorting, list):
        sorting = [
            {**s, "sortingField": env.f.get(s["sortingField"][1:], s["sortingField"])}
            for s in sorting
        ]
    response = env.search({"sorting": sorting})
    assert response.status_code == 400 and response.json()["errorCode"] == code


# --- paging ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paging", "names", "metadata"),
    [
        ({"offset": 1, "limit": 2}, ["r2", "r3"], {"offset": 1, "limit": 2, "total": 4}),
        ({"offset": 10}, [], {"offset": 10, "limit": 20, "total": 4}),
        ({"limit": 0}, [], {"offset": 0, "limit": 0, "total": 4}),
        ({"limit": 201}, ALL, {"offset": 0, "limit": 200, "total": 4}),
        ({}, ALL, {"offset": 0, "limit": 20, "total": 4}),
    ],
)
def test_paging_edges(
    env: Env, paging: dict[str, Any], names: list[str], metadata: dict[str, int]
) -> None:
    """Offset beyond the total gives an empty page; limit 0 is empty; 201 is clamped to 200."""
    response = env.search({"paging": paging}, fieldNames="true")
    assert response.status_code == 200
    body = response.json()
    assert [r["fields"]["Name"] for r in body["data"]] == names
    assert body["metadata"] == metadata


@pytest.mark.parametrize(
    "paging",
    [{"limit": -1}, {"offset": -1}, {"limit": "5"}, {"limit": 1.5}, {"offset": True}, [0, 10]],
)
def test_bad_paging_is_refused(env: Env, paging: Any) -> None:
    """Negative, non-integer or non-object paging -> 400 BAD_REQUEST."""
    response = env.search({"paging": paging})
    assert response.status_code == 400 and response.json()["errorCode"] == "BAD_REQUEST"


def test_unknown_top_level_keys_are_tolerated(env: Env) -> None:
    """Extra keys in the search body are ignored."""
    assert env.names({"somethingElse": 1}) == ALL


def test_total_counts_matches_not_the_page(env: Env) -> None:
    """metadata.total is the number of matches."""
    body = {"filter": {"condition": _cond(env, "Num", "IS_NOT_EMPTY", ())}, "paging": {"limit": 1}}
    assert env.search(body).json()["metadata"]["total"] == 3


def test_created_at_order_survives_a_clock_set_back() -> None:
    """Sorting by created_at is by time even when records were not created in time order."""
    import datetime as _dt

    import requests as _requests

    from softr_orm.emulator import Emulator

    with Emulator() as emu:
        db = emu.create_database("clock")["id"]
        table = emu.create_table(db, "T", [{"name": "Name", "type": "SINGLE_LINE_TEXT"}])
        name_id = table["fields"][0]["id"]
        url = f"{emu.base_url}/databases/{db}/tables/{table['id']}/records"
        headers = {"Softr-Api-Key": emu.api_key}
        for label, day in [("late", 2), ("early", 1)]:
            emu.set_now(_dt.datetime(2026, 5, day, tzinfo=_dt.timezone.utc))
            answer = _requests.post(url, json={"fields": {name_id: label}}, headers=headers)
            assert answer.status_code == 200
        body = {"sorting": [{"sortingField": "created_at", "sortType": "ASC"}]}
        found = _requests.post(f"{url}/search", json=body, headers=headers).json()["data"]
        assert [r["fields"][name_id] for r in found] == ["early", "late"]


# --- kept selections stay true (the emulator keeps a search's result until the data changes) ---


class Kept:
    """Two linked tables: people with a team, and teams with a name people look up."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.db = emu.create_database("kept")["id"]
        teams = emu.create_table(self.db, "Teams", [{"name": "Team", "type": "SINGLE_LINE_TEXT"}])
        self.team_field = teams["fields"][0]["id"]
        people = emu.create_table(
            self.db,
            "People",
            [
                {"name": "Name", "type": "SINGLE_LINE_TEXT"},
                {"name": "Score", "type": "NUMBER"},
                {"name": "Day", "type": "DATE"},
                {
                    "name": "Team",
                    "type": "LINKED_RECORD",
                    "options": {"linkedTableId": teams["id"]},
                },
            ],
        )
        self.f = {f["name"]: f["id"] for f in people["fields"]}
        emu.add_field(
            self.db,
            people["id"],
            {
                "name": "Team name",
                "type": "LOOKUP",
                "options": {
                    "linkedRecordFieldId": self.f["Team"],
                    "lookupFieldId": self.team_field,
                },
            },
        )
        self.f["Team name"] = next(
            f["id"]
            for f in emu.store.table(self.db, people["id"]).fields.values()
            if f["name"] == "Team name"
        )
        self.teams_url = f"{emu.base_url}/databases/{self.db}/tables/{teams['id']}/records"
        self.url = f"{emu.base_url}/databases/{self.db}/tables/{people['id']}/records"
        self.http = requests.Session()
        self.http.headers["Softr-Api-Key"] = emu.api_key

    def names(self, condition: dict[str, Any], sort: str | None = None) -> list[str]:
        body: dict[str, Any] = {"filter": {"condition": condition}}
        if sort:
            body["sorting"] = [{"sortingField": self.f[sort], "sortType": "DESC"}]
        answer = self.http.post(self.url + "/search", json=body, timeout=10)
        assert answer.status_code == 200, answer.text
        return [r["fields"][self.f["Name"]] for r in answer.json()["data"]]


def test_a_kept_search_follows_every_write() -> None:
    """The same search, asked again after each create, update, delete and link change, always
    answers from the current data (writes to another table included, through a LOOKUP)."""
    with Emulator() as emu:
        k = Kept(emu)
        high = {"operator": "GREATER_THAN", "leftSide": k.f["Score"], "rightSide": 5}
        team = k.http.post(k.teams_url, json={"fields": {k.team_field: "Red"}}, timeout=10)
        red = team.json()["data"]["id"]
        made = {}
        for name, score in [("ann", 9), ("bob", 3), ("cid", 7)]:
            fields = {k.f["Name"]: name, k.f["Score"]: score, k.f["Team"]: [red]}
            made[name] = k.http.post(k.url, json={"fields": fields}, timeout=10).json()["data"]
        assert k.names(high) == ["ann", "cid"]
        assert k.names(high, sort="Score") == ["ann", "cid"]
        k.http.patch(f"{k.url}/{made['bob']['id']}", json={"fields": {k.f["Score"]: 10}})
        assert k.names(high) == ["ann", "bob", "cid"]
        assert k.names(high, sort="Score") == ["bob", "ann", "cid"]
        k.http.delete(f"{k.url}/{made['ann']['id']}")
        assert k.names(high) == ["bob", "cid"]
        new = {k.f["Name"]: "dee", k.f["Score"]: 6}
        k.http.post(k.url, json={"fields": new}, timeout=10)
        assert k.names(high, sort="Score") == ["bob", "cid", "dee"]

        red_team = {"operator": "IS", "leftSide": k.f["Team name"], "rightSide": "red"}
        assert k.names(red_team) == ["bob", "cid"]
        k.http.patch(f"{k.teams_url}/{red}", json={"fields": {k.team_field: "Blue"}})
        assert k.names(red_team) == []  # the other table changed: the lookup did too
        blue_team = {"operator": "IS", "leftSide": k.f["Team name"], "rightSide": "blue"}
        assert k.names(blue_team) == ["bob", "cid"]


def test_a_kept_search_with_a_relative_date_follows_the_clock() -> None:
    """'Today' is another day once the clock moves, though nothing was written."""
    with Emulator() as emu:
        k = Kept(emu)
        emu.set_now(NOW)
        for name, day in [("ann", "2026-03-10"), ("bob", "2026-03-11")]:
            fields = {k.f["Name"]: name, k.f["Day"]: day}
            assert k.http.post(k.url, json={"fields": fields}, timeout=10).status_code == 200
        today = {"operator": "IS", "leftSide": k.f["Day"], "rightSide": "PREDEFINED:TODAY"}
        assert k.names(today) == ["ann"]
        emu.set_now(NOW + dt.timedelta(days=1))
        assert k.names(today) == ["bob"]


def test_pages_of_a_large_sorted_scan_are_slices_of_one_order() -> None:
    """500 records paged 50 at a time, by created_at ascending (slices of the records) and by
    a field descending (slices of one kept order), come back all and once each."""
    with Emulator() as emu:
        db = emu.create_database("scan")["id"]
        table = emu.create_table(db, "T", [{"name": "N", "type": "NUMBER"}])
        field = table["fields"][0]["id"]
        emu.insert_records(db, table["id"], [{field: i} for i in range(500)])
        url = f"{emu.base_url}/databases/{db}/tables/{table['id']}/records/search"
        headers = {"Softr-Api-Key": emu.api_key}
        for key, direction, expected in (
            ("created_at", "ASC", list(range(500))),
            (field, "DESC", list(range(499, -1, -1))),
        ):
            sort = [{"sortingField": key, "sortType": direction}]
            seen: list[int] = []
            for offset in range(0, 500, 50):
                body = {"sorting": sort, "paging": {"offset": offset, "limit": 50}}
                page = requests.post(url, json=body, headers=headers, timeout=10).json()
                assert page["metadata"]["total"] == 500
                seen += [r["fields"][field] for r in page["data"]]
            assert seen == expected
