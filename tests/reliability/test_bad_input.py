"""The emulator fed bad input over real HTTP: always a documented error, never a 500, and the
stored data unchanged.

Every case is a raw request (``requests``, not the client, which would refuse most of these
before sending). The answer must be the documented error: the expected status, a JSON body
``{"message", "errorCode", "details": {"traceId", ...}}`` with an ``errorCode`` of
softr-api.md §6.1 for that status (docs/emulator.md: 405 for a wrong method). Around each test
the whole store (schema, records, views, apps, tokens) is fingerprinted and must not change; per
module, every database, table and record as the API shows them is compared with a snapshot
taken at the start; and the server must still answer its health check.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from softr_orm.emulator import Emulator

pytestmark = pytest.mark.integration

#: The documented errorCode(s) for each status (softr-api.md §6.1; 405 per docs/emulator.md).
DOCUMENTED = {
    400: {"BAD_REQUEST", "VALIDATION_ERROR", "UNKNOWN_FIELD"},
    401: {"UNAUTHORIZED"},
    403: {"FORBIDDEN"},
    404: {"RESOURCE_NOT_FOUND"},
    405: {"BAD_REQUEST"},
    409: {"CONSTRAINT_VIOLATION"},
    413: {"PAYLOAD_TOO_LARGE"},
}


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(seed="demo") as emulator:
        yield emulator


@dataclass
class Ids:
    db: str
    tables: dict[str, str]
    fields: dict[str, dict[str, str]]
    records: dict[str, str]
    view: str

    def fmt(self, template: str) -> str:
        values: dict[str, str] = {"db": self.db, "view": self.view}
        for table, table_id in self.tables.items():
            values[table.lower()] = table_id
            values[f"{table.lower()}_rec"] = self.records[table]
        for name, field_id in self.fields["Contacts"].items():
            values[name.lower().replace(" ", "_")] = field_id
        return template.format(**values)


@pytest.fixture(scope="module")
def ids(emu: Emulator, http: requests.Session) -> Ids:
    summary = emu.seed_summary
    assert summary is not None
    tables = {name: t["id"] for name, t in summary["tables"].items()}
    records = {}
    for name, table_id in tables.items():
        page = http.get(
            f"{emu.base_url}/databases/{summary['databaseId']}/tables/{table_id}/records",
            params={"limit": 1},
        ).json()
        records[name] = page["data"][0]["id"]
    return Ids(
        db=summary["databaseId"],
        tables=tables,
        fields={name: dict(t["fields"]) for name, t in summary["tables"].items()},
        records=records,
        view=summary["tables"]["Contacts"]["views"]["All records"],
    )


@pytest.fixture(scope="module")
def http(emu: Emulator) -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.headers["Softr-Api-Key"] = emu.api_key
        yield s


def snapshot(emu: Emulator, http: requests.Session) -> dict[str, Any]:
    """Everything the key can read over HTTP: databases, tables (schema) and all records."""
    state: dict[str, Any] = {}
    databases = http.get(emu.base_url + "/databases").json()["data"]
    state["databases"] = databases
    for database in databases:
        base = f"{emu.base_url}/databases/{database['id']}"
        tables = http.get(base + "/tables").json()["data"]
        state[database["id"]] = tables
        for table in tables:
            records: list[Any] = []
            while True:
                page = http.get(
                    f"{base}/tables/{table['id']}/records",
                    params={"offset": len(records), "limit": 200},
                ).json()
                records += page["data"]
                if len(records) >= page["metadata"]["total"] or not page["data"]:
                    break
            state[table["id"]] = records
    return state


def fingerprint(emu: Emulator) -> str:
    """The store's whole state, cheaply (no HTTP): schema, records, views, apps and their users,
    tokens and workspaces. Taken before and after every test."""
    store = emu.store
    with store.lock:
        parts: list[Any] = []
        for db in store.databases.values():
            parts.append((db.id, db.name, db.description, db.updated_at))
            for table in db.tables.values():
                records = store.records_of(table)
                parts.append((table.id, table.name, table.fields, list(table.views)))
                parts.append([(r.id, r.values, r.updated_at) for r in records.values()])
        parts.append({d: app.users for d, app in store.apps.items()})
        parts.append(sorted(store.tokens))
        parts.append(sorted(store.workspaces))
        return repr(parts)


@pytest.fixture(scope="module")
def http_snapshot(emu: Emulator, http: requests.Session) -> Iterator[None]:
    """Once per module (per xdist worker): every record, table and database as the API shows
    them is the same at the end as at the start."""
    before = snapshot(emu, http)
    assert len(before[emu.seed_summary["tables"]["Contacts"]["id"]]) == 60  # type: ignore[index]
    yield
    assert snapshot(emu, http) == before


@pytest.fixture(autouse=True)
def unchanged(emu: Emulator, http_snapshot: None) -> Iterator[None]:
    """Nothing any test here sends may change the stored data, or break the server."""
    before = fingerprint(emu)
    emu.clear_request_log()
    yield
    assert fingerprint(emu) == before
    healthy = requests.get(emu.root_url + "/_emulator/health", timeout=10)
    assert healthy.json() == {"status": "ok"}
    for entry in emu.request_log():
        assert entry["status"] is None or entry["status"] < 500, entry


def assert_documented_error(
    answer: requests.Response, status: int, codes: set[str] | None = None
) -> dict[str, Any]:
    """The answer is the documented error body with ``status`` (and one of ``codes``)."""
    assert answer.status_code == status, (answer.status_code, answer.text[:500])
    assert answer.headers["Content-Type"].startswith("application/json")
    body = answer.json()
    assert isinstance(body, dict)
    assert set(body) == {"message", "errorCode", "details"}
    assert isinstance(body["message"], str) and body["message"]
    assert body["errorCode"] in (codes or DOCUMENTED[status])
    assert body["errorCode"] in DOCUMENTED[status]
    assert isinstance(body["details"], dict)
    traceid = body["details"]["traceId"]
    assert isinstance(traceid, str) and len(traceid) == 16
    return body


# --- the table of bad requests -----------------------------------------------------------------


@dataclass
class Case:
    """One bad request: method, path (a template over :class:`Ids`), body, expected answer."""

    name: str
    method: str
    path: str
    status: int
    codes: set[str] | None = None
    json_body: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)

    def send(self, emu: Emulator, http: requests.Session, ids: Ids) -> requests.Response:
        headers = dict(self.headers)
        data = self.raw
        if data is None and self.json_body is not None:
            data = json.dumps(self.json_body).encode()
        if data is not None:
            headers.setdefault("Content-Type", "application/json")
        return http.request(
            self.method,
            emu.base_url + ids.fmt(self.path),
            data=data,
            headers=headers,
            params=self.params,
            timeout=30,
        )


T = "/databases/{db}/tables/{contacts}"
RECS = T + "/records"
SEARCH = RECS + "/search"
REC = RECS + "/{contacts_rec}"
BAD = {"BAD_REQUEST"}
VALIDATION = {"VALIDATION_ERROR"}
UNKNOWN = {"UNKNOWN_FIELD"}


def _nest(levels: int) -> dict[str, Any]:
    condition: dict[str, Any] = {"operator": "IS_EMPTY", "leftSide": "{score}"}
    for _ in range(levels):
        condition = {"operator": "AND", "conditions": [condition]}
    return condition


def _search(condition: Any) -> dict[str, Any]:
    return {"filter": {"condition": condition}}


def _fields(value: Any) -> dict[str, Any]:
    """A write body whose ``fields`` is ``value`` (``...``: a body without ``fields``)."""
    return {"other": 1} if value is ... else {"fields": value}


MALFORMED_BODIES = {
    "truncated": b'{"fields": {',
    "single quotes": b"{'fields': {}}",
    "bare word": b"nul",
    "trailing garbage": b'{"fields": {}} x',
    "two documents": b"{}{}",
    "not utf8": b'{"fields": {"\xff\xfe": 1}}',
    "utf16": '{"fields": {}}'.encode("utf-16"),
    "bom": b'\xef\xbb\xbf{"fields": {}}',
    "nan": b'{"fields": {"x": NaN}}',
    "infinity": b'{"fields": {"x": -Infinity}}',
    "deep arrays": b"[" * 100_000 + b"]" * 100_000,
    "deep objects": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "int over 4300 digits": b'{"fields": {"x": ' + b"9" * 5000 + b"}}",
    "control char in string": b'{"fields": {"x": "a\x01b"}}',
}

MALFORMED_TARGETS = [
    ("create", "POST", RECS),
    ("update", "PATCH", REC),
    ("search", "POST", SEARCH),
    ("add field", "POST", T + "/fields"),
]

CASES: list[Case] = [
    Case(f"malformed {body_name} -> {target}", method, path, 400, BAD, raw=raw)
    for body_name, raw in MALFORMED_BODIES.items()
    for target, method, path in MALFORMED_TARGETS
]

CASES += [
    # --- a body that is not UTF-8 JSON, whatever it declares (any Content-Type is read as JSON)
    Case(
        "latin-1 body declared",
        "POST",
        RECS,
        400,
        BAD,
        raw='{"fields": {"{full_name}": "Jos\xe9"}}'.encode("latin-1"),
        headers={"Content-Type": "application/json; charset=latin-1"},
    ),
    # --- bodies of the wrong JSON type
    *[
        Case(f"create body {name}", "POST", RECS, 400, BAD, raw=raw)
        for name, raw in [
            ("array", b"[]"),
            ("string", b'"fields"'),
            ("number", b"1"),
            ("true", b"true"),
            ("null", b"null"),
            ("empty", b""),
            ("whitespace", b"  \n "),
        ]
    ],
    *[
        Case(f"create fields {name}", "POST", RECS, 400, BAD, json_body=_fields(value))
        for name, value in [
            ("missing", ...),
            ("list", []),
            ("list of pairs", [["{score}", 1]]),
            ("string", "{score}"),
            ("number", 1),
            ("null", None),
            ("bool", True),
        ]
    ],
    *[
        Case(f"update fields {name}", "PATCH", REC, 400, BAD, json_body=_fields(value))
        for name, value in [("list", []), ("string", "x"), ("null", None), ("missing", ...)]
    ],
    *[
        Case(f"search body {name}", "POST", SEARCH, 400, BAD, raw=raw)
        for name, raw in [("array", b"[]"), ("string", b'"x"'), ("number", b"3")]
    ],
    # --- filters of the wrong shape
    *[
        Case(f"filter {name}", "POST", SEARCH, 400, BAD, json_body={"filter": value})
        for name, value in [
            ("string", "x"),
            ("list", []),
            ("number", 1),
            ("true", True),
            ("condition string", {"condition": "IS"}),
            ("condition list", {"condition": []}),
            ("extra key", {"condition": {"operator": "IS_EMPTY", "leftSide": "{score}"}, "x": 1}),
            ("conditions object", {"condition": {"operator": "AND", "conditions": {}}}),
            ("conditions string", {"condition": {"operator": "OR", "conditions": "x"}}),
            ("conditions null", {"condition": {"operator": "AND", "conditions": None}}),
            ("conditions of strings", {"condition": {"operator": "AND", "conditions": ["x"]}}),
            ("conditions of lists", {"condition": {"operator": "AND", "conditions": [[]]}}),
        ]
    ],
    # --- operators
    *[
        Case(
            f"operator {name}",
            "POST",
            SEARCH,
            400,
            BAD,
            json_body=_search({"operator": op, "leftSide": "{score}", "rightSide": 1}),
        )
        for name, op in [
            ("unknown", "NOPE"),
            ("lowercase", "is"),
            ("NOT", "NOT"),
            ("empty", ""),
            ("null", None),
            ("number", 1),
            ("list", ["IS"]),
            ("object", {"IS": 1}),
            ("padded", " IS "),
            ("huge", "X" * 200_000),
        ]
    ],
    Case(
        "operator missing",
        "POST",
        SEARCH,
        400,
        BAD,
        json_body=_search({"leftSide": "{score}", "rightSide": 1}),
    ),
    # --- keys of the wrong kind for the operator, or of the wrong JSON type
    *[
        Case(f"condition {name}", "POST", SEARCH, 400, codes, json_body=_search(condition))
        for name, codes, condition in [
            ("binary without rightSide", BAD, {"operator": "IS", "leftSide": "{score}"}),
            (
                "range without bounds",
                BAD,
                {"operator": "IS_BETWEEN", "leftSide": "{score}", "rightSide": [1, 2]},
            ),
            (
                "range with one bound",
                BAD,
                {"operator": "IS_BETWEEN", "leftSide": "{score}", "lowerBound": 1},
            ),
            ("leftSide number", BAD, {"operator": "IS", "leftSide": 1, "rightSide": 1}),
            ("leftSide null", BAD, {"operator": "IS", "leftSide": None, "rightSide": 1}),
            ("leftSide list", BAD, {"operator": "IS", "leftSide": ["{score}"], "rightSide": 1}),
            (
                "leftSide object",
                BAD,
                {"operator": "IS", "leftSide": {"id": "{score}"}, "rightSide": 1},
            ),
            (
                "rightSide object",
                BAD,
                {"operator": "IS", "leftSide": "{score}", "rightSide": {"a": 1}},
            ),
            (
                "IS_ONE_OF scalar",
                BAD,
                {"operator": "IS_ONE_OF", "leftSide": "{full_name}", "rightSide": "x"},
            ),
            (
                "IS_ONE_OF nested",
                BAD,
                {"operator": "IS_ONE_OF", "leftSide": "{score}", "rightSide": [[1]]},
            ),
            (
                "HAS_ANY_OF object",
                BAD,
                {"operator": "HAS_ANY_OF", "leftSide": "{tags}", "rightSide": {"vip": 1}},
            ),
            (
                "CONTAINS number on text",
                BAD,
                {"operator": "CONTAINS", "leftSide": "{full_name}", "rightSide": [1]},
            ),
            (
                "GREATER_THAN on text",
                BAD,
                {"operator": "GREATER_THAN", "leftSide": "{full_name}", "rightSide": "a"},
            ),
            (
                "CONTAINS on number",
                BAD,
                {"operator": "CONTAINS", "leftSide": "{score}", "rightSide": "1"},
            ),
            (
                "IS_WITHIN on number",
                BAD,
                {"operator": "IS_WITHIN", "leftSide": "{score}", "lowerBound": 1, "upperBound": 2},
            ),
            (
                "GREATER_THAN on checkbox",
                BAD,
                {"operator": "GREATER_THAN", "leftSide": "{newsletter}", "rightSide": True},
            ),
            (
                "number from words",
                VALIDATION,
                {"operator": "IS", "leftSide": "{score}", "rightSide": "ten"},
            ),
            (
                "date from words",
                VALIDATION,
                {"operator": "IS", "leftSide": "{joined}", "rightSide": "yesterday-ish"},
            ),
            (
                "date out of range",
                VALIDATION,
                {"operator": "IS", "leftSide": "{joined}", "rightSide": "99999-01-01"},
            ),
            (
                "unknown relative token",
                BAD,
                {"operator": "IS", "leftSide": "{joined}", "rightSide": "PREDEFINED:SOMEDAY"},
            ),
            (
                "absurd relative token",
                BAD,
                {
                    "operator": "IS_WITHIN",
                    "leftSide": "{joined}",
                    "lowerBound": "RELATIVE_DATE:PAST:99999999999999",
                    "upperBound": "PREDEFINED:TODAY",
                },
            ),
            (
                "epoch ms out of range",
                VALIDATION,
                {"operator": "GREATER_THAN", "leftSide": "created_at", "rightSide": 10**30},
            ),
            (
                "epoch ms float overflow",
                VALIDATION,
                {"operator": "GREATER_THAN", "leftSide": "updated_at", "rightSide": 1e300},
            ),
        ]
    ],
    # --- nesting
    Case("filter nested 17 levels", "POST", SEARCH, 400, BAD, json_body=_search(_nest(17))),
    Case("filter nested 200 levels", "POST", SEARCH, 400, BAD, json_body=_search(_nest(200))),
    Case(
        "filter nested 300 levels of OR",
        "POST",
        SEARCH,
        400,
        BAD,
        raw=(
            b'{"filter":{"condition":'
            + b'{"operator":"OR","conditions":[' * 300
            + b'{"operator":"IS_EMPTY","leftSide":"x"}'
            + b"]}" * 300
            + b"}}"
        ),
    ),
    Case(
        "filter nested 5000 levels",
        "POST",
        SEARCH,
        400,
        BAD,
        raw=b'{"filter":{"condition":'
        + b'{"operator":"AND","conditions":[' * 5000
        + b"]}" * 5000
        + b"}}",
    ),
    # --- unknown field ids
    Case("create unknown field", "POST", RECS, 400, UNKNOWN, json_body={"fields": {"zzzzz": 1}}),
    Case(
        "create field by name", "POST", RECS, 400, UNKNOWN, json_body={"fields": {"Full Name": "x"}}
    ),
    Case(
        "create field id of another table",
        "POST",
        RECS,
        400,
        UNKNOWN,
        json_body={"fields": {"{{other}}": 1}},
    ),
    Case("update unknown field", "PATCH", REC, 400, UNKNOWN, json_body={"fields": {"zzzzz": 1}}),
    Case("update empty field id", "PATCH", REC, 400, UNKNOWN, json_body={"fields": {"": 1}}),
    Case(
        "update huge field id", "PATCH", REC, 400, UNKNOWN, json_body={"fields": {"k" * 100_000: 1}}
    ),
    Case(
        "search unknown leftSide",
        "POST",
        SEARCH,
        400,
        UNKNOWN,
        json_body=_search({"operator": "IS_EMPTY", "leftSide": "zzzzz"}),
    ),
    Case(
        "search unknown sortingField",
        "POST",
        SEARCH,
        400,
        UNKNOWN,
        json_body={"sorting": [{"sortingField": "zzzzz", "sortType": "ASC"}]},
    ),
    # --- sorting of the wrong shape
    *[
        Case(f"sorting {name}", "POST", SEARCH, 400, BAD, json_body={"sorting": value})
        for name, value in [
            ("string", "{score}"),
            ("number", 1),
            ("list of strings", ["{score}"]),
            ("list of lists", [["{score}", "ASC"]]),
            ("sortType lowercase", [{"sortingField": "{score}", "sortType": "asc"}]),
            ("sortType null", [{"sortingField": "{score}", "sortType": None}]),
            ("sortingField number", [{"sortingField": 1, "sortType": "ASC"}]),
            ("sortingField null", [{"sortingField": None, "sortType": "ASC"}]),
            ("empty object", [{}]),
        ]
    ],
    # --- paging: negative, non-integer, wrong type
    *[
        Case(f"paging {name}", "POST", SEARCH, 400, BAD, json_body={"paging": value})
        for name, value in [
            ("string", "0,10"),
            ("list", [0, 10]),
            ("number", 10),
            ("negative offset", {"offset": -1}),
            ("negative limit", {"limit": -5}),
            ("float limit", {"limit": 1.5}),
            ("float offset", {"offset": 0.5}),
            ("string limit", {"limit": "10"}),
            ("bool limit", {"limit": True}),
            ("list limit", {"limit": [10]}),
            ("object offset", {"offset": {}}),
        ]
    ],
    *[
        Case(f"query {name}", "GET", RECS, 400, BAD, params=params)
        for name, params in [
            ("negative offset", {"offset": "-1"}),
            ("negative limit", {"limit": "-1"}),
            ("float limit", {"limit": "1.5"}),
            ("exponent limit", {"limit": "1e3"}),
            ("hex limit", {"limit": "0x10"}),
            ("word limit", {"limit": "ten"}),
            ("empty limit", {"limit": ""}),
            ("arabic digits", {"limit": "\u0661\u0662"}),
            ("superscript", {"offset": "\u00b2"}),
            ("5000 digits", {"limit": "9" * 5000}),
            ("fieldNames maybe", {"fieldNames": "maybe"}),
        ]
    ],
    Case("query fieldNames maybe on get", "GET", REC, 400, BAD, params={"fieldNames": "maybe"}),
    Case(
        "delete database force maybe",
        "DELETE",
        "/databases/{db}",
        400,
        BAD,
        params={"force": "maybe"},
    ),
    # --- values of the wrong type for each field type (VALIDATION_ERROR naming the field)
    *[
        Case(
            f"{method} value {field_name} {label}",
            method,
            path,
            400,
            VALIDATION,
            json_body={"fields": {"{" + field_name + "}": value}},
        )
        for method, path in [("POST", RECS), ("PATCH", REC)]
        for field_name, label, value in [
            ("full_name", "number", 1),
            ("full_name", "object", {"text": "x"}),
            ("full_name", "list", ["x"]),
            ("full_name", "2 MB", "x" * 2_000_000),
            ("email", "not an email", "nobody"),
            ("phone", "too long", "1" * 26),
            ("score", "string", "10"),
            ("score", "bool", True),
            ("score", "list", [1]),
            ("budget", "object", {"amount": 1}),
            ("tags", "bare label on multi", "vip"),
            ("tags", "unknown choice object", [{"id": "nope"}]),
            ("tags", "number in list", [1]),
            ("company", "unknown record", ["recDOESNOTEXIST"]),
            ("company", "number", 5),
            ("company", "two links on single", ["{companies_rec}", "{deals_rec}"]),
            ("joined", "number", 20200101),
            ("joined", "impossible date", "2021-02-30"),
            ("joined", "datetime", "2021-02-03T00:00:00Z"),
            ("last_call", "naive", "2021-02-03T10:00:00"),
            ("last_call", "past year 9999", "9999-12-31T23:59:59-23:59"),
            ("last_call", "before year 1", "0001-01-01T00:00:00+01:00"),
            ("files", "number", 3),
            ("files", "ftp url", [{"url": "ftp://example.com/a.pdf"}]),
            ("files", "javascript url", "javascript:alert(1)"),
            ("newsletter", "string", "yes"),
            ("newsletter", "number", 1),
            ("owner", "unknown user", {"id": "nobody"}),
            ("owner", "list on single", [{"id": "x"}]),
            ("created", "read-only", "2020-01-01T00:00:00Z"),
            ("company_industry", "read-only lookup", ["Software"]),
            ("record_id", "read-only id", "rec123"),
        ]
    ],
    Case(
        "one bad value among good ones",
        "POST",
        RECS,
        400,
        VALIDATION,
        json_body={
            "fields": {"{full_name}": "Fine Name", "{tags}": ["vip", "brand-new"], "{score}": "x"}
        },
    ),
    Case(
        "field by name on update",
        "PATCH",
        REC,
        400,
        UNKNOWN,
        json_body={"fields": {"Full Name": None}},
    ),
    # --- invalid ids in paths
    *[
        Case(f"path {name}", method, path, 404)
        for name, method, path in [
            ("unknown database", "GET", "/databases/nope"),
            ("unknown database tables", "GET", "/databases/nope/tables"),
            ("unknown table", "GET", "/databases/{db}/tables/nope"),
            ("unknown table records", "GET", "/databases/{db}/tables/nope/records"),
            ("unknown record", "GET", RECS + "/nope"),
            ("unknown record delete twice", "DELETE", RECS + "/nope2"),
            ("unknown record delete", "DELETE", RECS + "/nope"),
            ("record of another table", "GET", RECS + "/{companies_rec}"),
            ("table of another name", "GET", "/databases/{db}/tables/Contacts"),
            ("unknown field", "GET", T + "/fields/nope"),
            ("unknown field delete", "DELETE", T + "/fields/nope"),
            ("nul byte record", "GET", RECS + "/%00"),
            ("invalid utf8 record", "GET", RECS + "/%ff%fe"),
            ("encoded slash record", "GET", RECS + "/a%2Fb"),
            ("dot-dot record", "GET", RECS + "/%2E%2E"),
            ("60k record id", "GET", RECS + "/" + "r" * 60_000),
            ("unknown route", "GET", "/databases/{db}/nothing"),
            ("records below record", "GET", REC + "/records"),
        ]
    ],
    Case("unknown view", "GET", RECS, 404, params={"viewId": "nope"}),
    Case(
        "view of another table",
        "GET",
        "/databases/{db}/tables/{companies}/records",
        404,
        params={"viewId": "{view}"},
    ),
    # --- wrong methods (emulator-documented 405, errorCode BAD_REQUEST)
    Case("PUT records", "PUT", RECS, 405, BAD, json_body={"fields": {}}),
    Case("PUT search", "PUT", SEARCH, 405, BAD, json_body={}),
    Case("unknown record patch", "PATCH", RECS + "/nope", 404, json_body={"fields": {}}),
    Case("POST record", "POST", REC, 405, BAD, json_body={"fields": {}}),
    Case("PATCH table", "PATCH", T, 405, BAD, json_body={"name": "x"}),
    # --- schema writes of the wrong shape
    *[
        Case(f"add field {name}", "POST", T + "/fields", 400, BAD, json_body=body)
        for name, body in [
            ("empty", {}),
            ("unknown type", {"name": "X", "type": "NOPE"}),
            ("hidden type", {"name": "X", "type": "DATE_RANGE"}),
            ("name number", {"name": 1, "type": "NUMBER"}),
            ("name empty", {"name": "", "type": "NUMBER"}),
            ("name huge", {"name": "n" * 100_000, "type": "NUMBER"}),
            ("duplicate name", {"name": "Full Name", "type": "SINGLE_LINE_TEXT"}),
            ("options list", {"name": "X", "type": "NUMBER", "options": []}),
            ("choices string", {"name": "X", "type": "SELECT", "options": {"choices": "a,b"}}),
            ("link without table", {"name": "X", "type": "LINKED_RECORD"}),
            ("formula without formula", {"name": "X", "type": "FORMULA"}),
            ("multiple string", {"name": "X", "type": "SELECT", "allowMultipleEntries": "yes"}),
        ]
    ],
    *[
        Case(f"create table {name}", "POST", "/databases/{db}/tables", 400, BAD, json_body=body)
        for name, body in [
            ("name number", {"name": 1}),
            ("fields string", {"name": "T", "fields": "Name"}),
            ("fields of strings", {"name": "T", "fields": ["Name"]}),
            ("field unknown type", {"name": "T", "fields": [{"name": "A", "type": "NOPE"}]}),
            ("primary name empty", {"name": "T", "primaryFieldName": ""}),
        ]
    ],
    *[
        Case(f"update {name}", "PUT", path, 400, BAD, json_body=body)
        for name, path, body in [
            ("database name number", "/databases/{db}", {"name": 1}),
            ("table name list", T, {"name": ["x"]}),
            ("field type change", T + "/fields/{score}", {"type": "SINGLE_LINE_TEXT"}),
            ("field options string", T + "/fields/{score}", {"options": "x"}),
        ]
    ],
    *[
        Case(f"create database {name}", "POST", "/databases", 400, BAD, json_body=body)
        for name, body in [
            ("workspace number", {"workspaceId": 1, "name": "X"}),
            ("no workspace", {"name": "X"}),
        ]
    ],
    Case("delete non-empty table without force", "DELETE", T, 400, BAD),
    Case("delete primary field", "DELETE", T + "/fields/{full_name}", 400, BAD),
]


def _resolve(case: Case, ids: Ids) -> Case:
    """Fill ``{name}`` placeholders inside bodies too (field ids differ per run)."""
    if case.json_body is None:
        return case
    other = ids.fields["Companies"]["Name"]
    text = json.dumps(case.json_body).replace("{{other}}", other)
    for name, field_id in ids.fields["Contacts"].items():
        text = text.replace("{" + name.lower().replace(" ", "_") + "}", field_id)
    for table, record_id in ids.records.items():
        text = text.replace("{" + table.lower() + "_rec}", record_id)
    return Case(**{**case.__dict__, "json_body": json.loads(text)})


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_request_gets_a_documented_error(
    emu: Emulator, http: requests.Session, ids: Ids, case: Case
) -> None:
    """The documented error, never a 500; data unchanged (the autouse fixture checks)."""
    answer = _resolve(case, ids).send(emu, http, ids)
    assert_documented_error(answer, case.status, case.codes)


def test_case_names_are_unique() -> None:
    """Stable, distinct test ids (xdist needs them)."""
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))


def test_validation_errors_name_the_field(emu: Emulator, http: requests.Session, ids: Ids) -> None:
    """A refused value says which field: ``details.fieldId`` and the name in the message."""
    score = ids.fields["Contacts"]["Score"]
    answer = http.post(emu.base_url + ids.fmt(RECS), json={"fields": {score: "ten"}})
    body = assert_documented_error(answer, 400, VALIDATION)
    assert body["details"]["fieldId"] == score
    assert "Score" in body["message"]


def test_one_bad_value_adds_no_select_choice(
    emu: Emulator, http: requests.Session, ids: Ids
) -> None:
    """Tags allows new choices; a write refused for another field must not add one."""
    tags = ids.fields["Contacts"]["Tags"]
    fields = {tags: ["never-seen-choice"], ids.fields["Contacts"]["Score"]: "x"}
    answer = http.post(emu.base_url + ids.fmt(RECS), json={"fields": fields})
    assert_documented_error(answer, 400, VALIDATION)
    table = http.get(emu.base_url + ids.fmt(T)).json()["data"]
    tag_field = next(f for f in table["fields"] if f["id"] == tags)
    labels = [c["label"] for c in tag_field["options"]["choices"]]
    assert "never-seen-choice" not in labels


# --- answers that are not errors: clamping and the edges of what is accepted -----------------


@pytest.mark.parametrize("limit", [201, 10_000, 10**30])
def test_huge_limits_are_clamped(
    emu: Emulator, http: requests.Session, ids: Ids, limit: int
) -> None:
    """A limit over 200 is clamped to 200, in the query and in ``paging`` (softr-api.md §6.3)."""
    listed = http.get(emu.base_url + ids.fmt(RECS), params={"limit": str(limit)})
    searched = http.post(emu.base_url + ids.fmt(SEARCH), json={"paging": {"limit": limit}})
    for answer in (listed, searched):
        assert answer.status_code == 200, answer.text[:300]
        page = answer.json()
        assert page["metadata"]["limit"] == 200
        assert page["metadata"]["total"] == 60
        assert len(page["data"]) == 60


@pytest.mark.parametrize("offset", [60, 61, 10**6, 10**30])
def test_offsets_past_the_end_answer_an_empty_page(
    emu: Emulator, http: requests.Session, ids: Ids, offset: int
) -> None:
    listed = http.get(emu.base_url + ids.fmt(RECS), params={"offset": str(offset)})
    searched = http.post(emu.base_url + ids.fmt(SEARCH), json={"paging": {"offset": offset}})
    for answer in (listed, searched):
        assert answer.status_code == 200
        page = answer.json()
        assert page["data"] == [] and page["metadata"]["total"] == 60


def test_sixteen_levels_of_nesting_are_accepted(
    emu: Emulator, http: requests.Session, ids: Ids
) -> None:
    """The counterpart of the nesting cases: 16 levels is the documented maximum."""
    body = json.loads(
        json.dumps(_search(_nest(16))).replace("{score}", ids.fields["Contacts"]["Score"])
    )
    answer = http.post(emu.base_url + ids.fmt(SEARCH), json=body)
    assert answer.status_code == 200, answer.text[:300]
    assert answer.json()["metadata"]["total"] <= 60


def test_huge_strings_in_a_search_are_answered(
    emu: Emulator, http: requests.Session, ids: Ids
) -> None:
    """A 2 MB string in a filter is just a string that matches nothing."""
    condition = {
        "operator": "CONTAINS",
        "leftSide": ids.fields["Contacts"]["Full Name"],
        "rightSide": "z" * 2_000_000,
    }
    answer = http.post(emu.base_url + ids.fmt(SEARCH), json=_search(condition))
    assert answer.status_code == 200
    assert answer.json()["data"] == []


def test_unknown_top_level_search_keys_are_ignored(
    emu: Emulator, http: requests.Session, ids: Ids
) -> None:
    answer = http.post(emu.base_url + ids.fmt(SEARCH), json={"bogus": [1, {"x": None}]})
    assert answer.status_code == 200
    assert answer.json()["metadata"]["total"] == 60


# --- oversized bodies --------------------------------------------------------------------------


def _raw(emu: Emulator, data: bytes, *, half_close: bool = False) -> tuple[int, dict[str, Any]]:
    """Send raw bytes (``half_close``: then signal the end of the request); read one answer."""
    with socket.create_connection(("127.0.0.1", emu.port), timeout=10) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
            header_end = answer.find(b"\r\n\r\n")
            if header_end >= 0:
                head_lines = answer[:header_end].decode("latin-1").split("\r\n")
                length = next(
                    int(line.split(":", 1)[1])
                    for line in head_lines
                    if line.lower().startswith("content-length:")
                )
                if len(answer) >= header_end + 4 + length:
                    break
    status = int(answer.split(b" ", 2)[1])
    body = json.loads(answer[answer.index(b"\r\n\r\n") + 4 :])
    return status, body


def _raw_request(emu: Emulator, head: str, first_bytes: bytes) -> tuple[int, dict[str, Any]]:
    """Send a request head and only ``first_bytes`` of its body; read the whole answer."""
    return _raw(emu, head.encode("latin-1") + b"\r\n\r\n" + first_bytes)


def _protocol_cases() -> list[Any]:
    path = "/api/v1/databases"
    post = b"POST /api/v1/databases HTTP/1.1\r\nSoftr-Api-Key: {key}\r\n"
    post += b"Content-Type: application/json\r\n"
    return [
        pytest.param(
            b"GET /api/v1/" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414, False, id="URI over 64 KB"
        ),
        pytest.param(
            f"GET {path} HTTP/1.1\r\nX-Big: {'a' * 70_000}\r\n\r\n".encode(),
            431,
            False,
            id="header line over 64 KB",
        ),
        pytest.param(
            f"GET {path} HTTP/1.1\r\n".encode()
            + b"".join(b"X-%d: 1\r\n" % i for i in range(150))
            + b"\r\n",
            431,
            False,
            id="150 headers",
        ),
        pytest.param(
            post + b"Transfer-Encoding: chunked\r\n\r\nZZZ\r\n{}\r\n0\r\n\r\n",
            400,
            False,
            id="broken chunked body",
        ),
    ]


@pytest.mark.parametrize(("data", "status", "half_close"), _protocol_cases())
def test_protocol_errors_get_the_error_body(
    emu: Emulator, data: bytes, status: int, half_close: bool
) -> None:
    """Refusals below the API (http.server's 414/431, unreadable bodies) still come as the
    documented JSON error body, not an HTML page or a 500."""
    status_seen, body = _raw(
        emu, data.replace(b"{key}", emu.api_key.encode()), half_close=half_close
    )
    assert status_seen == status
    assert set(body) == {"message", "errorCode", "details"}
    assert body["errorCode"] == "BAD_REQUEST" and body["message"]
    assert len(body["details"]["traceId"]) == 16


def test_a_body_cut_short_is_dropped_unapplied(emu: Emulator, http: requests.Session) -> None:
    """A client that ends its side of the connection before its body reaches the announced
    Content-Length never completed a request: the server closes without answering (as
    production servers do) and nothing is applied."""
    before = http.get(emu.base_url + "/databases").json()["data"]
    head = (
        f"POST /api/v1/databases HTTP/1.1\r\nHost: 127.0.0.1\r\nSoftr-Api-Key: {emu.api_key}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", emu.port), timeout=10) as sock:
        sock.sendall(head.encode() + b'{"name": "cut short", "workspaceId": "x"')
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(65536) == b""
    assert http.get(emu.base_url + "/databases").json()["data"] == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", RECS),
        ("PATCH", REC),
        ("POST", SEARCH),
        ("POST", T + "/fields"),
        ("POST", "/databases"),
    ],
)
def test_content_length_over_64_mb_is_refused_before_reading(
    emu: Emulator, ids: Ids, method: str, path: str
) -> None:
    """A Content-Length above 64 MB gets 413 PAYLOAD_TOO_LARGE at once: only a few bytes of
    the announced body are ever sent."""
    length = 64 * 1024 * 1024 + 1
    head = (
        f"{method} /api/v1{ids.fmt(path)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Softr-Api-Key: {emu.api_key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}"
    )
    status, body = _raw_request(emu, head, b'{"fields": {"')
    assert status == 413
    assert body["errorCode"] == "PAYLOAD_TOO_LARGE"
    assert set(body) == {"message", "errorCode", "details"}


def test_content_length_over_the_limit_wins_over_auth(emu: Emulator, ids: Ids) -> None:
    """Even without a key the size is refused first (nothing is read from a stranger)."""
    head = (
        f"POST /api/v1{ids.fmt(RECS)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {10**12}"
    )
    status, body = _raw_request(emu, head, b"{")
    assert status == 413 and body["errorCode"] == "PAYLOAD_TOO_LARGE"


@pytest.fixture
def small_limit(emu: Emulator) -> Iterator[int]:
    """The body limit lowered to 4 KB, so a streamed body can cross it cheaply."""
    saved = emu.app.max_body_bytes
    emu.app.max_body_bytes = 4096
    yield 4096
    emu.app.max_body_bytes = saved


def test_streamed_body_over_the_limit_is_refused(
    emu: Emulator, http: requests.Session, ids: Ids, small_limit: int
) -> None:
    """A chunked body (no Content-Length) is counted as it is read: over the limit, 413."""

    def chunks() -> Iterator[bytes]:
        yield b'{"fields": {"' + ids.fields["Contacts"]["Full Name"].encode() + b'": "'
        for _ in range(20):
            yield b"x" * 1000
        yield b'"}}'

    answer = http.post(
        emu.base_url + ids.fmt(RECS), data=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_documented_error(answer, 413)
    announced = http.post(
        emu.base_url + ids.fmt(SEARCH),
        data=b"{" + b" " * small_limit + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert_documented_error(announced, 413)
    at_limit = http.post(
        emu.base_url + ids.fmt(SEARCH),
        data=b"{" + b" " * (small_limit - 2) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert at_limit.status_code == 200


# --- the Users API and the admin routes: bad bodies too ----------------------------------------


USERS_CASES = [
    ("create array", "/users", b"[]", 400),
    ("create malformed", "/users", b"{", 400),
    ("create no email", "/users", b'{"full_name": "A"}', 400),
    ("create email number", "/users", b'{"full_name": "A", "email": 1}', 400),
    ("create bad email", "/users", b'{"full_name": "A", "email": "nope"}', 400),
    (
        "create magic string",
        "/users",
        b'{"full_name":"A","email":"a@b.co","generate_magic_link":"y"}',
        400,
    ),
    ("sync object", "/users/sync", b'{"emails": 1}', 400),
    ("sync numbers", "/users/sync", b"[1, 2]", 400),
    ("validate no jwt", "/users/validate-token", b"{}", 400),
    ("validate garbage jwt", "/users/validate-token", b'{"jwt": "a.b.c"}', 401),
    ("validate deep", "/users/validate-token", b"[" * 50_000 + b"]" * 50_000, 400),
    ("magic link unknown", "/users/magic-link/generate/nobody@example.com", b"", 404),
    ("invite unknown", "/users/nobody@example.com/invite", b"", 404),
]


@pytest.mark.parametrize(
    ("name", "path", "raw", "status"), USERS_CASES, ids=[case[0] for case in USERS_CASES]
)
def test_users_api_bad_input(
    emu: Emulator, http: requests.Session, name: str, path: str, raw: bytes, status: int
) -> None:
    answer = http.post(
        emu.users_base_url + path,
        data=raw,
        headers={"Content-Type": "application/json", "Softr-Domain": emu.app_domain},
    )
    assert_documented_error(answer, status)


ADMIN_CASES = [
    ("PUT", "/faults", b'{"rate": "lots"}'),
    ("PUT", "/faults", b"[]"),
    ("PUT", "/now", b'{"now": "tomorrow"}'),
    ("PUT", "/now", b'{"now": "9999-12-31T23:59:59-23:59"}'),
    ("PUT", "/rate-limit", b'{"enabled": "yes"}'),
    ("POST", "/seed", b'{"name": 1}'),
    ("POST", "/tokens", b'{"workspaceIds": "all"}'),
    ("POST", "/apps", b'{"domain": 1}'),
    ("POST", "/workspaces", b'{"name": ""}'),
    ("POST", "/workspaces/nope/members", b'{"email": "a@b.co", "fullName": "A"}'),
    ("POST", "/tokens", b"{" * 10),
]


@pytest.mark.parametrize(
    ("method", "path", "raw"),
    ADMIN_CASES,
    ids=[f"{method} {path} {i}" for i, (method, path, _) in enumerate(ADMIN_CASES)],
)
def test_admin_routes_bad_input(emu: Emulator, method: str, path: str, raw: bytes) -> None:
    """Admin bodies are validated as strictly as API bodies (with the admin token)."""
    answer = requests.request(
        method,
        emu.root_url + "/_emulator" + path,
        data=raw,
        headers={
            "Authorization": f"Bearer {emu.admin_token}",
            "Content-Type": "application/json",
        },
        timeout=10,
    )
    assert answer.status_code in (400, 404), answer.text[:300]
    assert_documented_error(answer, answer.status_code)
    assert emu.app.faults.config.rate == 0.0
    assert emu.store.now_override is None
