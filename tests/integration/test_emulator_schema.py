"""Conformance of the emulator's databases, tables, views and fields endpoints (raw HTTP)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from softr_orm.emulator import Emulator

pytestmark = pytest.mark.integration


class Api:
    """Tiny raw-HTTP helper: the tests check bytes and status codes, not an ORM."""

    def __init__(self, base: str, key: str | None) -> None:
        self.base = base
        self.http = requests.Session()
        self.headers = {"Softr-Api-Key": key} if key else {}

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        headers = {**self.headers, **kw.pop("headers", {})}
        return self.http.request(method, self.base + path, headers=headers, timeout=10, **kw)


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def api(emu: Emulator) -> Api:
    return Api(emu.base_url, emu.api_key)


@pytest.fixture
def db(api: Api, emu: Emulator) -> dict[str, Any]:
    response = api.call("POST", "/databases", json={"workspaceId": emu.workspace_id, "name": "T"})
    assert response.status_code == 200
    return response.json()["data"]  # type: ignore[no-any-return]


def _table(api: Api, db_id: str, **body: Any) -> dict[str, Any]:
    response = api.call("POST", f"/databases/{db_id}/tables", json=body)
    assert response.status_code == 200, response.text
    return response.json()["data"]  # type: ignore[no-any-return]


def _assert_error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"message", "errorCode", "details"}
    assert body["errorCode"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert re.fullmatch(r"[0-9a-f]{16}", body["details"]["traceId"])
    return body  # type: ignore[no-any-return]


# --- databases -------------------------------------------------------------------------------


def test_create_database_answers_200_with_the_database_object(api: Api, emu: Emulator) -> None:
    """POST /databases answers 200 (not 201) with data and a null metadata."""
    response = api.call(
        "POST",
        "/databases",
        json={"workspaceId": emu.workspace_id, "name": "CRM", "description": "d"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["metadata"] is None
    data = body["data"]
    assert list(data) == [
        "id",
        "name",
        "description",
        "workspaceId",
        "tablesCount",
        "createdAt",
        "updatedAt",
    ]
    assert uuid.UUID(data["id"]).version == 4
    assert (data["name"], data["description"], data["tablesCount"]) == ("CRM", "d", 0)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", data["createdAt"])


def test_list_get_update_database(api: Api, db: dict[str, Any]) -> None:
    """GET lists it, GET by id returns it, PUT renames it (other keys untouched)."""
    listed = api.call("GET", "/databases").json()["data"]
    assert db["id"] in [d["id"] for d in listed]
    assert api.call("GET", f"/databases/{db['id']}").json()["data"]["name"] == "T"
    updated = api.call("PUT", f"/databases/{db['id']}", json={"name": "Renamed"})
    assert updated.status_code == 200
    assert updated.json()["data"]["name"] == "Renamed"
    assert updated.json()["data"]["workspaceId"] == db["workspaceId"]


def test_delete_database_needs_force_when_it_has_tables(api: Api, db: dict[str, Any]) -> None:
    """A non-empty database is refused without force=true (400 BAD_REQUEST), deleted with it."""
    _table(api, db["id"], name="One")
    _assert_error(api.call("DELETE", f"/databases/{db['id']}"), 400, "BAD_REQUEST")
    response = api.call("DELETE", f"/databases/{db['id']}", params={"force": "true"})
    assert response.status_code == 204
    assert response.content == b""
    _assert_error(api.call("GET", f"/databases/{db['id']}"), 404, "RESOURCE_NOT_FOUND")


def test_delete_empty_database_without_force(api: Api, db: dict[str, Any]) -> None:
    """An empty database goes without force."""
    assert api.call("DELETE", f"/databases/{db['id']}").status_code == 204


def test_force_must_be_a_boolean(api: Api, db: dict[str, Any]) -> None:
    """force=maybe is a malformed request."""
    _assert_error(
        api.call("DELETE", f"/databases/{db['id']}", params={"force": "maybe"}), 400, "BAD_REQUEST"
    )


def test_create_database_validation(api: Api, emu: Emulator) -> None:
    """Missing name -> 400; foreign workspace -> 403."""
    _assert_error(
        api.call("POST", "/databases", json={"workspaceId": emu.workspace_id}), 400, "BAD_REQUEST"
    )
    _assert_error(
        api.call("POST", "/databases", json={"workspaceId": "elsewhere", "name": "x"}),
        403,
        "FORBIDDEN",
    )


# --- auth ------------------------------------------------------------------------------------


def test_missing_and_unknown_keys_are_401(emu: Emulator) -> None:
    """No Softr-Api-Key, or one the emulator never issued, is 401 UNAUTHORIZED."""
    _assert_error(Api(emu.base_url, None).call("GET", "/databases"), 401, "UNAUTHORIZED")
    _assert_error(Api(emu.base_url, "nope").call("GET", "/databases"), 401, "UNAUTHORIZED")


def test_tokens_only_reach_their_workspaces(api: Api, emu: Emulator, db: dict[str, Any]) -> None:
    """A token of another workspace gets 403 on our database and does not list it."""
    other_ws = emu.create_workspace("Other")
    other = Api(emu.base_url, emu.create_token([other_ws]))
    assert db["id"] not in [d["id"] for d in other.call("GET", "/databases").json()["data"]]
    _assert_error(other.call("GET", f"/databases/{db['id']}"), 403, "FORBIDDEN")
    _assert_error(other.call("GET", f"/databases/{db['id']}/tables"), 403, "FORBIDDEN")
    mine = other.call("POST", "/databases", json={"workspaceId": other_ws, "name": "Theirs"})
    assert mine.status_code == 200
    _assert_error(api.call("GET", f"/databases/{mine.json()['data']['id']}"), 403, "FORBIDDEN")


def test_unknown_route_and_wrong_method(api: Api, db: dict[str, Any]) -> None:
    """An unknown path is 404; PATCH on a field (Softr uses PUT) is 405 with Allow."""
    _assert_error(api.call("GET", "/nothing"), 404, "RESOURCE_NOT_FOUND")
    table = _table(api, db["id"], name="T")
    field_id = table["primaryFieldId"]
    response = api.call(
        "PATCH", f"/databases/{db['id']}/tables/{table['id']}/fields/{field_id}", json={}
    )
    _assert_error(response, 405, "BAD_REQUEST")
    assert "PUT" in response.headers["Allow"]


# --- tables and views ------------------------------------------------------------------------


def test_create_table_with_fields_and_primary_name(api: Api, db: dict[str, Any]) -> None:
    """createTable: primaryFieldName names a new text primary field; ids have Softr's shapes."""
    table = _table(
        api,
        db["id"],
        name="Tickets",
        description="Inbound",
        primaryFieldName="Subject",
        fields=[
            {"name": "Requester email", "type": "EMAIL"},
            {
                "name": "Priority",
                "type": "SELECT",
                "options": {"choices": [{"label": "Low"}, {"label": "High", "color": "#FF0000"}]},
            },
        ],
    )
    assert list(table) == [
        "id",
        "name",
        "description",
        "primaryFieldId",
        "defaultViewId",
        "fields",
        "createdAt",
        "updatedAt",
    ]
    assert re.fullmatch(r"[A-Za-z0-9]{14}", table["id"])
    names = [f["name"] for f in table["fields"]]
    assert names == ["Subject", "Requester email", "Priority"]
    primary = table["fields"][0]
    assert primary["id"] == table["primaryFieldId"] and primary["type"] == "SINGLE_LINE_TEXT"
    for field in table["fields"]:
        assert re.fullmatch(r"[A-Za-z0-9]{5}", field["id"])
        assert list(field) == [
            "id",
            "name",
            "description",
            "type",
            "options",
            "allowMultipleEntries",
            "readonly",
            "required",
            "locked",
            "defaultValue",
            "aiOptions",
            "createdAt",
            "updatedAt",
        ]
    choices = table["fields"][2]["options"]["choices"]
    assert [c["label"] for c in choices] == ["Low", "High"]
    assert choices[1]["color"] == "#FF0000" and all(c["id"] for c in choices)
    assert api.call("GET", f"/databases/{db['id']}").json()["data"]["tablesCount"] == 1


def test_bodiless_create_table_gets_defaults(api: Api, db: dict[str, Any]) -> None:
    """A POST without body creates a table with a "Name" primary field."""
    response = api.call("POST", f"/databases/{db['id']}/tables")
    assert response.status_code == 200
    assert [f["name"] for f in response.json()["data"]["fields"]] == ["Name"]


def test_list_get_update_delete_table(api: Api, db: dict[str, Any]) -> None:
    """Tables list with fields; PUT changes name/description; non-empty delete needs force."""
    table = _table(api, db["id"], name="A")
    path = f"/databases/{db['id']}/tables/{table['id']}"
    listed = api.call("GET", f"/databases/{db['id']}/tables").json()
    assert [t["id"] for t in listed["data"]] == [table["id"]] and listed["metadata"] is None
    assert api.call("GET", path).json()["data"]["fields"][0]["name"] == "Name"
    updated = api.call("PUT", path, json={"name": "B", "description": "x"}).json()["data"]
    assert (updated["name"], updated["description"]) == ("B", "x")
    created = api.call("POST", path + "/records", json={"fields": {table["primaryFieldId"]: "r"}})
    assert created.status_code == 200
    _assert_error(api.call("DELETE", path), 400, "BAD_REQUEST")
    assert api.call("DELETE", path, params={"force": "true"}).status_code == 204
    _assert_error(api.call("GET", path), 404, "RESOURCE_NOT_FOUND")


def test_views_list_has_the_default_view(api: Api, db: dict[str, Any]) -> None:
    """Every table has an "All records" view whose id is defaultViewId."""
    table = _table(api, db["id"], name="V")
    views = api.call("GET", f"/databases/{db['id']}/tables/{table['id']}/views").json()["data"]
    assert [v["name"] for v in views] == ["All records"]
    assert views[0]["id"] == table["defaultViewId"]
    assert list(views[0]) == ["id", "tableId", "name", "description", "createdAt", "updatedAt"]


def test_unknown_table_is_404(api: Api, db: dict[str, Any]) -> None:
    """Unknown table id -> 404 RESOURCE_NOT_FOUND."""
    _assert_error(api.call("GET", f"/databases/{db['id']}/tables/nope"), 404, "RESOURCE_NOT_FOUND")


# --- fields ----------------------------------------------------------------------------------


def test_field_lifecycle(api: Api, db: dict[str, Any]) -> None:
    """Add (200), get, PUT (rename, merge options), delete (204), then 404."""
    table = _table(api, db["id"], name="F")
    base = f"/databases/{db['id']}/tables/{table['id']}/fields"
    added = api.call(
        "POST",
        base,
        json={
            "name": "Status",
            "type": "SELECT",
            "options": {"choices": [{"label": "Open"}], "allowToAddNewChoice": False},
        },
    )
    assert added.status_code == 200
    field = added.json()["data"]
    assert field["options"]["sorting"] == "CUSTOM" and field["readonly"] is False
    assert api.call("GET", f"{base}/{field['id']}").json()["data"] == field
    choices = [*field["options"]["choices"], {"label": "Closed"}]
    updated = api.call(
        "PUT",
        f"{base}/{field['id']}",
        json={"name": "State", "type": "SELECT", "options": {"choices": choices}},
    ).json()["data"]
    assert updated["name"] == "State"
    assert [c["label"] for c in updated["options"]["choices"]] == ["Open", "Closed"]
    assert updated["options"]["choices"][0]["id"] == field["options"]["choices"][0]["id"]
    assert updated["options"]["allowToAddNewChoice"] is False
    assert api.call("DELETE", f"{base}/{field['id']}").status_code == 204
    _assert_error(api.call("GET", f"{base}/{field['id']}"), 404, "RESOURCE_NOT_FOUND")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"type": "NUMBER"}, "BAD_REQUEST"),
        ({"name": "X", "type": "BUTTON"}, "BAD_REQUEST"),
        ({"name": "Name", "type": "NUMBER"}, "BAD_REQUEST"),
        (
            {"name": "L", "type": "LINKED_RECORD", "options": {"linkedTableId": "nope"}},
            "BAD_REQUEST",
        ),
        ({"name": "R", "type": "RATING", "options": {"max": 11}}, "BAD_REQUEST"),
        ({"name": "Q", "type": "ROLLUP", "options": {"function": "SUM"}}, "BAD_REQUEST"),
    ],
)
def test_add_field_rejects_bad_definitions(
    api: Api, db: dict[str, Any], body: dict[str, Any], code: str
) -> None:
    """Missing name, unknown type, duplicate name, bad link target, bad options -> 400."""
    table = _table(api, db["id"], name="G")
    response = api.call("POST", f"/databases/{db['id']}/tables/{table['id']}/fields", json=body)
    _assert_error(response, 400, code)


def test_field_type_cannot_change_and_primary_cannot_go(api: Api, db: dict[str, Any]) -> None:
    """PUT with another type is refused; the primary field cannot be deleted."""
    table = _table(api, db["id"], name="H")
    path = f"/databases/{db['id']}/tables/{table['id']}/fields/{table['primaryFieldId']}"
    _assert_error(api.call("PUT", path, json={"type": "NUMBER"}), 400, "BAD_REQUEST")
    _assert_error(api.call("DELETE", path), 400, "BAD_REQUEST")


def test_computed_fields_report_readonly(api: Api, db: dict[str, Any]) -> None:
    """The nine computed types are created read-only."""
    table = _table(api, db["id"], name="C", fields=[{"name": "N", "type": "NUMBER"}])
    base = f"/databases/{db['id']}/tables/{table['id']}/fields"
    for type_ in (
        "CREATED_AT",
        "UPDATED_AT",
        "CREATED_BY",
        "UPDATED_BY",
        "AUTONUMBER",
        "RECORD_ID",
    ):
        field = api.call("POST", base, json={"name": type_, "type": type_}).json()["data"]
        assert field["readonly"] is True, type_
    formula = api.call(
        "POST", base, json={"name": "F", "type": "FORMULA", "options": {"formula": "{N} * 2"}}
    ).json()["data"]
    assert formula["options"]["referencedFieldIds"] == [table["fields"][0]["id"]]
    assert formula["options"]["isValid"] is True
