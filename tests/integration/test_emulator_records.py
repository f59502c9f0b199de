"""Conformance of the emulator's record endpoints: CRUD, values, links, computed fields."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests

from softr_orm.emulator import Emulator

pytestmark = pytest.mark.integration


class Api:
    """Raw-HTTP helper bound to one table."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.http = requests.Session()
        self.http.headers["Softr-Api-Key"] = emu.api_key

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        return self.http.request(method, self.emu.base_url + path, timeout=10, **kw)


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def api(emu: Emulator) -> Api:
    return Api(emu)


ALL_TYPES: list[dict[str, Any]] = [
    {"name": "Name", "type": "SINGLE_LINE_TEXT"},
    {"name": "Notes", "type": "LONG_TEXT"},
    {"name": "Email", "type": "EMAIL"},
    {"name": "Phone", "type": "PHONE"},
    {"name": "Site", "type": "URL"},
    {"name": "Count", "type": "NUMBER", "options": {"min": 0, "max": 1000}},
    {"name": "Price", "type": "CURRENCY"},
    {"name": "Share", "type": "PERCENT"},
    {"name": "Stars", "type": "RATING", "options": {"max": 5}},
    {"name": "Length", "type": "DURATION"},
    {"name": "Done", "type": "CHECKBOX"},
    {
        "name": "Status",
        "type": "SELECT",
        "options": {"choices": [{"label": "Open"}, {"label": "Closed"}]},
    },
    {
        "name": "Tags",
        "type": "SELECT",
        "allowMultipleEntries": True,
        "options": {"choices": [{"label": "a"}, {"label": "b"}], "allowToAddNewChoice": True},
    },
    {"name": "Files", "type": "ATTACHMENT", "allowMultipleEntries": True},
    {"name": "Owner", "type": "USER"},
    {"name": "Day", "type": "DATE"},
    {"name": "When", "type": "DATETIME"},
    {"name": "Must", "type": "SINGLE_LINE_TEXT", "readonly": True},
    {"name": "Created", "type": "CREATED_AT"},
    {"name": "Updated", "type": "UPDATED_AT"},
    {"name": "Creator", "type": "CREATED_BY"},
    {"name": "Editor", "type": "UPDATED_BY"},
    {"name": "No", "type": "AUTONUMBER"},
    {"name": "Rid", "type": "RECORD_ID"},
]


class Table:
    def __init__(self, api: Api, db_id: str, data: dict[str, Any]) -> None:
        self.api = api
        self.db_id = db_id
        self.data = data
        self.id = data["id"]
        self.f = {field["name"]: field["id"] for field in data["fields"]}
        self.path = f"/databases/{db_id}/tables/{self.id}"

    def create(self, fields: dict[str, Any], **kw: Any) -> requests.Response:
        body = {"fields": {self.f.get(k, k): v for k, v in fields.items()}}
        # Decimals go out as their exact text (the std json module cannot write them).
        data = json.dumps(body, default=lambda d: f"@@{d}@@")
        data = re.sub(r'"@@([-0-9.eE+]+)@@"', r"\1", data)
        headers = {"Content-Type": "application/json", **kw.pop("headers", {})}
        return self.api.call("POST", self.path + "/records", data=data, headers=headers, **kw)

    def patch(self, record_id: str, fields: dict[str, Any], **kw: Any) -> requests.Response:
        body = {"fields": {self.f.get(k, k): v for k, v in fields.items()}}
        return self.api.call("PATCH", f"{self.path}/records/{record_id}", json=body, **kw)

    def get(self, record_id: str, **kw: Any) -> requests.Response:
        return self.api.call("GET", f"{self.path}/records/{record_id}", **kw)

    def named(self, record_id: str) -> dict[str, Any]:
        response = self.get(record_id, params={"fieldNames": "true"})
        assert response.status_code == 200, response.text
        return response.json()["data"]["fields"]  # type: ignore[no-any-return]


@pytest.fixture
def db_id(api: Api, emu: Emulator) -> str:
    response = api.call("POST", "/databases", json={"workspaceId": emu.workspace_id, "name": "R"})
    return response.json()["data"]["id"]  # type: ignore[no-any-return]


def make_table(api: Api, db_id: str, name: str, fields: list[dict[str, Any]], **kw: Any) -> Table:
    response = api.call(
        "POST", f"/databases/{db_id}/tables", json={"name": name, "fields": fields, **kw}
    )
    assert response.status_code == 200, response.text
    return Table(api, db_id, response.json()["data"])


@pytest.fixture
def table(api: Api, db_id: str) -> Table:
    return make_table(api, db_id, "All", ALL_TYPES)


def error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["errorCode"] == code, body
    assert body["details"]["traceId"]
    return body  # type: ignore[no-any-return]


# --- CRUD ------------------------------------------------------------------------------------


def test_create_get_patch_delete_record(table: Table, emu: Emulator) -> None:
    """Create answers 200 with the record; PATCH is partial; null clears; DELETE is 204."""
    created = table.create({"Name": "First", "Count": 3, "Notes": "n"})
    assert created.status_code == 200
    body = created.json()
    assert body["metadata"] is None
    record = body["data"]
    assert list(record) == ["id", "tableId", "fields", "createdAt", "updatedAt"]
    assert re.fullmatch(r"[A-Za-z0-9]{14}", record["id"]) and record["tableId"] == table.id
    assert record["fields"][table.f["Name"]] == "First"
    assert record["fields"][table.f["Rid"]] == record["id"]
    assert record["fields"][table.f["Done"]] is False
    owner = {
        "id": emu.store.default_token.user_id,
        "email": "owner@example.com",
        "fullName": "Emu Owner",
    }
    assert record["fields"][table.f["Creator"]] == owner
    patched = table.patch(record["id"], {"Count": 4, "Notes": None}).json()["data"]["fields"]
    assert patched[table.f["Count"]] == 4 and patched[table.f["Name"]] == "First"
    assert table.f["Notes"] not in patched
    deleted = table.api.call("DELETE", f"{table.path}/records/{record['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    error(table.get(record["id"]), 404, "RESOURCE_NOT_FOUND")
    error(
        table.api.call("DELETE", f"{table.path}/records/{record['id']}"), 404, "RESOURCE_NOT_FOUND"
    )


def test_field_names_option_keys_responses_by_name(table: Table) -> None:
    """fieldNames=true keys fields by name on create, get, patch, list and search."""
    params = {"fieldNames": "true"}
    rec = table.create({"Name": "N"}, params=params).json()["data"]
    assert rec["fields"]["Name"] == "N"
    assert table.get(rec["id"], params=params).json()["data"]["fields"]["Name"] == "N"
    assert (
        table.patch(rec["id"], {"Count": 1}, params=params).json()["data"]["fields"]["Count"] == 1
    )
    listed = table.api.call("GET", table.path + "/records", params=params).json()["data"]
    assert listed[0]["fields"]["Name"] == "N"
    found = table.api.call("POST", table.path + "/records/search", params=params, json={})
    assert found.json()["data"][0]["fields"]["Count"] == 1


def test_writes_keyed_by_name_are_unknown_fields(table: Table) -> None:
    """Request bodies use field ids: a name (or any unknown key) is 400 UNKNOWN_FIELD."""
    body = error(
        table.api.call("POST", table.path + "/records", json={"fields": {"Name": "x"}}),
        400,
        "UNKNOWN_FIELD",
    )
    assert body["details"]["fieldId"] == "Name"


def test_list_records_paging_defaults(table: Table) -> None:
    """GET records: default limit 20, limit clamped to 200, metadata.total counts all."""
    ids = table.api.emu.insert_records(
        table.db_id, table.id, [{table.f["Name"]: f"r{i}"} for i in range(25)]
    )
    page = table.api.call("GET", table.path + "/records").json()
    assert page["metadata"] == {"offset": 0, "limit": 20, "total": 25}
    assert [r["id"] for r in page["data"]] == ids[:20]
    big = table.api.call("GET", table.path + "/records", params={"limit": 500, "offset": 20}).json()
    assert big["metadata"] == {"offset": 20, "limit": 200, "total": 25}
    assert [r["id"] for r in big["data"]] == ids[20:]


@pytest.mark.parametrize(
    "params", [{"limit": "-1"}, {"offset": "-5"}, {"limit": "ten"}, {"offset": "1.5"}]
)
def test_bad_paging_parameters(table: Table, params: dict[str, str]) -> None:
    """Negative or non-integer offset/limit -> 400 BAD_REQUEST."""
    error(table.api.call("GET", table.path + "/records", params=params), 400, "BAD_REQUEST")


# --- values ----------------------------------------------------------------------------------


def test_every_type_round_trips(table: Table, emu: Emulator) -> None:
    """Each writable type accepts its documented write form and reads back as decided."""
    owner_id = emu.store.default_token.user_id
    rec = table.create(
        {
            "Name": "All",
            "Notes": "long\ntext",
            "Email": "jane@example.com",
            "Phone": "+12125550100",
            "Site": "https://example.com/x",
            "Count": 12,
            "Price": Decimal("1234.50"),
            "Share": 150,
            "Stars": 4,
            "Length": 90,
            "Done": True,
            "Status": "Open",
            "Tags": ["b", "new"],
            "Files": [{"url": "https://f.example.com/a.png", "filename": "a.png"}],
            "Owner": {"id": owner_id},
            "Day": "2026-05-21",
            "When": "2026-05-21T22:00:00+02:00",
        }
    )
    assert rec.status_code == 200, rec.text
    fields = table.named(rec.json()["data"]["id"])
    assert fields["Status"]["label"] == "Open" and set(fields["Status"]) == {"id", "label", "color"}
    assert [t["label"] for t in fields["Tags"]] == ["b", "new"]
    assert fields["Files"][0]["filename"] == "a.png" and fields["Files"][0]["type"] == "image/png"
    assert fields["Owner"] == {
        "id": owner_id,
        "email": "owner@example.com",
        "fullName": "Emu Owner",
    }
    assert fields["When"] == "2026-05-21T20:00:00.000Z"
    assert fields["Day"] == "2026-05-21" and fields["Done"] is True and fields["No"] >= 1
    assert re.search(
        rb'"Price":1234\.50[,}]',
        table.get(rec.json()["data"]["id"], params={"fieldNames": "true"}).content,
    )
    new_tag = table.api.call("GET", table.path).json()["data"]["fields"][12]["options"]["choices"]
    assert [c["label"] for c in new_tag] == ["a", "b", "new"]


def test_exact_decimals_survive(table: Table) -> None:
    """Numbers keep their exact JSON text (no float rounding)."""
    raw = b'{"fields": {"%s": 12345678901234567890.123456789}}' % table.f["Price"].encode()
    response = table.api.call(
        "POST", table.path + "/records", data=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert b"12345678901234567890.123456789" in response.content


BAD_VALUES = [
    ("Name", 5),
    ("Name", "x" * 1025),
    ("Notes", "x" * 65537),
    ("Email", "not-an-email"),
    ("Email", "a" * 310 + "@example.com"),
    ("Site", "not a url"),
    ("Site", "https://e.com/" + "x" * 2000),
    ("Phone", "+1" * 13),
    ("Count", "12"),
    ("Count", True),
    ("Count", 1001),
    ("Price", "1.5"),
    ("Stars", 6),
    ("Stars", 0),
    ("Stars", 2.5),
    ("Done", "yes"),
    ("Status", "Nope"),
    ("Status", ["Open"]),
    ("Tags", "a"),
    ("Files", [{"filename": "x"}]),
    ("Owner", {"id": "nobody"}),
    ("Day", "2026-02-30"),
    ("Day", "21/05/2026"),
    ("When", "2026-05-21T20:00:00"),
    ("When", 1716321600),
    ("Must", "read-only flag"),
    ("Created", "2026-01-01T00:00:00.000Z"),
    ("No", 5),
    ("Rid", "x"),
    ("Creator", {"id": "x"}),
]


@pytest.mark.parametrize(
    ("name", "value"), BAD_VALUES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD_VALUES)]
)
def test_bad_values_are_validation_errors(table: Table, name: str, value: Any) -> None:
    """Wrong types, formats, lengths, ranges and read-only writes -> 400 VALIDATION_ERROR."""
    body = error(table.create({name: value}), 400, "VALIDATION_ERROR")
    assert body["details"]["fieldId"] == table.f[name]
    assert name in body["message"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Name", "x" * 1024),
        ("Notes", "x" * 65536),
        ("Phone", "+" + "1" * 24),
        ("Share", -5),
        ("Site", "example.com/path"),
        ("Stars", 5),
        ("Count", 0),
    ],
)
def test_boundary_values_are_accepted(table: Table, name: str, value: Any) -> None:
    """Values at the limits are fine."""
    assert table.create({name: value}).status_code == 200


def test_required_fields_on_create(api: Api, db_id: str) -> None:
    """A required field must be given on create and cannot be cleared later."""
    t = make_table(
        api,
        db_id,
        "Req",
        [
            {"name": "Name", "type": "SINGLE_LINE_TEXT"},
            {"name": "Code", "type": "NUMBER", "required": True},
        ],
    )
    body = error(t.create({"Name": "x"}), 400, "VALIDATION_ERROR")
    assert body["details"]["fieldId"] == t.f["Code"]
    rec = t.create({"Code": 1}).json()["data"]
    error(t.patch(rec["id"], {"Code": None}), 400, "VALIDATION_ERROR")


def test_failed_write_changes_nothing(table: Table) -> None:
    """An invalid value anywhere leaves the record (and new choices) untouched."""
    rec = table.create({"Name": "keep"}).json()["data"]
    error(
        table.patch(rec["id"], {"Name": "changed", "Tags": ["zzz"], "Stars": 9}),
        400,
        "VALIDATION_ERROR",
    )
    assert table.named(rec["id"])["Name"] == "keep"
    choices = table.api.call("GET", table.path).json()["data"]["fields"][12]["options"]["choices"]
    assert "zzz" not in [c["label"] for c in choices]


# --- malformed requests ----------------------------------------------------------------------


def test_malformed_bodies(table: Table) -> None:
    """Bad JSON (whatever its content type), non-object bodies, missing 'fields' -> 400."""
    url = table.path + "/records"
    json_type = {"Content-Type": "application/json"}
    error(table.api.call("POST", url, data=b"{nope", headers=json_type), 400, "BAD_REQUEST")
    error(
        table.api.call("POST", url, data=b"fields=1", headers={"Content-Type": "text/plain"}),
        400,
        "BAD_REQUEST",
    )
    error(table.api.call("POST", url, json=[1, 2]), 400, "BAD_REQUEST")
    error(table.api.call("POST", url, json={"name": "x"}), 400, "BAD_REQUEST")
    error(table.api.call("POST", url, json={"fields": [1]}), 400, "BAD_REQUEST")
    error(
        table.api.call("POST", url, data=b'{"fields": {"a": NaN}}', headers=json_type),
        400,
        "BAD_REQUEST",
    )
    error(table.api.call("POST", url), 400, "BAD_REQUEST")


def test_payload_too_large_is_refused_from_content_length(table: Table, emu: Emulator) -> None:
    """A Content-Length over 64 MB is answered 413 before the body is read."""
    with socket.create_connection(("127.0.0.1", emu.port), timeout=5) as sock:
        request = (
            f"POST /api/v1{table.path}/records HTTP/1.1\r\nHost: x\r\n"
            f"Softr-Api-Key: {emu.api_key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {64 * 1024 * 1024 + 1}\r\n\r\n{{"
        )
        sock.sendall(request.encode())
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(body)["errorCode"] == "PAYLOAD_TOO_LARGE"


# --- links and computed fields ---------------------------------------------------------------


@pytest.fixture
def crm(api: Api, db_id: str) -> dict[str, Table]:
    companies = make_table(api, db_id, "Companies", [{"name": "Name", "type": "SINGLE_LINE_TEXT"}])
    people = make_table(
        api,
        db_id,
        "People",
        [
            {"name": "Name", "type": "SINGLE_LINE_TEXT"},
            {"name": "Score", "type": "NUMBER"},
            {
                "name": "Company",
                "type": "LINKED_RECORD",
                "options": {"linkedTableId": companies.id},
            },
        ],
    )
    base = f"/databases/{db_id}/tables/{companies.id}/fields"
    body: dict[str, Any]
    for body in (
        {
            "name": "People",
            "type": "LINKED_RECORD",
            "allowMultipleEntries": True,
            "options": {"linkedTableId": people.id, "inverseLinkFieldId": people.f["Company"]},
        },
    ):
        assert api.call("POST", base, json=body).status_code == 200
    companies = Table(api, db_id, api.call("GET", companies.path).json()["data"])
    for body in (
        {
            "name": "Scores",
            "type": "LOOKUP",
            "options": {
                "linkedRecordFieldId": companies.f["People"],
                "lookupFieldId": people.f["Score"],
            },
        },
        {
            "name": "Total",
            "type": "ROLLUP",
            "options": {
                "linkedRecordFieldId": companies.f["People"],
                "rollupFieldId": people.f["Score"],
                "function": "SUM",
            },
        },
        {
            "name": "Headcount",
            "type": "ROLLUP",
            "options": {"linkedRecordFieldId": companies.f["People"], "function": "COUNTALL"},
        },
        {"name": "Double", "type": "FORMULA", "options": {"formula": "{Total} * 2"}},
    ):
        assert api.call("POST", base, json=body).status_code == 200, body
    companies = Table(api, db_id, api.call("GET", companies.path).json()["data"])
    return {"companies": companies, "people": people}


def test_links_are_kept_in_both_directions(crm: dict[str, Table]) -> None:
    """Linking from one side shows on the other; moving a single link unlinks the old partner;
    deleting a record removes it from links; lookups, rollups and formulas follow."""
    companies, people = crm["companies"], crm["people"]
    acme = companies.create({"Name": "Acme"}).json()["data"]["id"]
    globex = companies.create({"Name": "Globex"}).json()["data"]["id"]
    ada = people.create({"Name": "Ada", "Score": 10, "Company": [acme]}).json()["data"]
    assert ada["fields"][people.f["Company"]] == [{"id": acme, "label": "Acme"}]
    bob = people.create({"Name": "Bob", "Score": 5, "Company": acme}).json()["data"]["id"]
    fields = companies.named(acme)
    assert fields["People"] == [{"id": ada["id"], "label": "Ada"}, {"id": bob, "label": "Bob"}]
    assert (fields["Scores"], fields["Total"], fields["Headcount"], fields["Double"]) == (
        [10, 5],
        15,
        2,
        30,
    )
    # a write to a linked record changes the computed fields
    people.patch(bob, {"Score": 7})
    assert companies.named(acme)["Total"] == 17
    # the multi side moves Bob to Globex: his single link and Acme's list follow
    companies.patch(globex, {"People": [bob]})
    assert people.named(bob)["Company"] == [{"id": globex, "label": "Globex"}]
    assert [p["id"] for p in companies.named(acme)["People"]] == [ada["id"]]
    # renaming a company relabels the links pointing at it
    companies.patch(acme, {"Name": "Acme Corp"})
    assert people.named(ada["id"])["Company"][0]["label"] == "Acme Corp"
    # deleting Ada removes her from Acme
    people.api.call("DELETE", f"{people.path}/records/{ada['id']}")
    assert "People" not in companies.named(acme)
    assert companies.named(acme)["Total"] == 0
    # a single link refuses two ids, and unknown ids are refused
    error(people.patch(bob, {"Company": [acme, globex]}), 400, "VALIDATION_ERROR")
    error(people.patch(bob, {"Company": ["nope"]}), 400, "VALIDATION_ERROR")
    assert people.patch(bob, {"Company": []}).status_code == 200
    assert "People" not in companies.named(globex)


def test_autonumber_is_never_reused(api: Api, db_id: str) -> None:
    """AUTONUMBER counts per table and skips deleted numbers."""
    t = make_table(
        api,
        db_id,
        "Auto",
        [{"name": "Name", "type": "SINGLE_LINE_TEXT"}, {"name": "No", "type": "AUTONUMBER"}],
    )
    first = t.create({"Name": "a"}).json()["data"]
    second = t.create({"Name": "b"}).json()["data"]
    api.call("DELETE", f"{t.path}/records/{second['id']}")
    third = t.create({"Name": "c"}).json()["data"]
    numbers = [r["fields"][t.f["No"]] for r in (first, second, third)]
    assert numbers == [1, 2, 3]


def test_updated_at_and_by_change_on_patch(table: Table, emu: Emulator) -> None:
    """PATCH moves updatedAt / UPDATED_BY; createdAt stays."""
    emu.set_now(None)
    rec = table.create({"Name": "t"}).json()["data"]
    import datetime as dt

    emu.set_now(dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc))
    try:
        patched = table.patch(rec["id"], {"Name": "u"}).json()["data"]
    finally:
        emu.set_now(None)
    assert patched["createdAt"] == rec["createdAt"]
    assert patched["updatedAt"] == "2030-01-01T00:00:00.000Z"
    assert patched["fields"][table.f["Updated"]] == "2030-01-01T00:00:00.000Z"


# --- views -----------------------------------------------------------------------------------


def test_view_id_applies_the_view(table: Table, emu: Emulator) -> None:
    """GET records with viewId filters and sorts as the saved view says; unknown view -> 404."""
    emu.insert_records(
        table.db_id,
        table.id,
        [
            {table.f["Name"]: "a", table.f["Count"]: 5},
            {table.f["Name"]: "b", table.f["Count"]: 50},
            {table.f["Name"]: "c", table.f["Count"]: 500},
        ],
    )
    view = emu.add_view(
        table.db_id,
        table.id,
        "Big",
        filter={
            "condition": {"operator": "GREATER_THAN", "leftSide": table.f["Count"], "rightSide": 10}
        },
        sorting=[{"sortingField": table.f["Count"], "sortType": "DESC"}],
    )
    views = table.api.call("GET", table.path + "/views").json()["data"]
    assert [v["name"] for v in views] == ["All records", "Big"]
    page = table.api.call(
        "GET", table.path + "/records", params={"viewId": view["id"], "fieldNames": "true"}
    ).json()
    assert [r["fields"]["Name"] for r in page["data"]] == ["c", "b"]
    assert page["metadata"]["total"] == 2
    default = table.api.call(
        "GET", table.path + "/records", params={"viewId": table.data["defaultViewId"]}
    ).json()
    assert default["metadata"]["total"] == 3
    error(
        table.api.call("GET", table.path + "/records", params={"viewId": "nope"}),
        404,
        "RESOURCE_NOT_FOUND",
    )


def test_numbers_beyond_a_double_are_refused() -> None:
    """1e400 cannot be stored as a number: VALIDATION_ERROR naming the field, nothing stored."""
    import requests as _requests

    from softr_orm.emulator import Emulator

    with Emulator() as emu:
        db = emu.create_database("big")["id"]
        table = emu.create_table(db, "T", [{"name": "N", "type": "NUMBER"}])
        fid = table["fields"][0]["id"]
        url = f"{emu.base_url}/databases/{db}/tables/{table['id']}/records"
        headers = {"Softr-Api-Key": emu.api_key, "Content-Type": "application/json"}
        refused = _requests.post(url, data=f'{{"fields": {{"{fid}": 1e400}}}}', headers=headers)
        assert refused.status_code == 400
        assert refused.json()["errorCode"] == "VALIDATION_ERROR"
        assert refused.json()["details"]["fieldId"] == fid
        kept = _requests.post(url, data=f'{{"fields": {{"{fid}": 1e300}}}}', headers=headers)
        assert kept.status_code == 200
        listed = _requests.get(url, headers=headers).json()
        assert listed["metadata"]["total"] == 1
