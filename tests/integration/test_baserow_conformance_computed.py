"""Computed fields on the emulator's Baserow face against a real Baserow: formula (text,
number, boolean, decimal places, ``if``), lookup, rollup, count, multiple_collaborators,
created_by / last_modified_by, last_modified, and uuid (real Baserow only: the store has no
such type; docs/emulator.md).

Both servers get the same two tables: on the real one created through its JWT API with
Baserow formulas, in the emulator through the store with the same formulas in Softr's syntax
(``{Qty} * 2`` for ``field('Qty') * 2``). Rows are written and read back through the list
endpoint (by name and by field id), the field objects are compared, and the rows are read
through the ORM. What must differ is normalised: ids, the formula text, the user (the server's
own: the real admin, the emulator's owner) and timestamps.
"""

from __future__ import annotations

import itertools
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
import requests
from baserow_targets import TIMEOUT, Target, baserow_env_or_skip, fresh_jwt, normalise, same

from softr_orm import Model, fields
from softr_orm.backends.baserow import BaserowSession
from softr_orm.emulator import Emulator
from softr_orm.emulator.baserow.ids import int_id

pytestmark = pytest.mark.integration

NAMES = "?user_field_names=true"
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
_suffix = itertools.count(1)

#: (name, Baserow formula, the same in the store's (Softr's) syntax)
FORMULAS: list[tuple[str, str, str]] = [
    ("FText", "concat(field('Name'), '!')", "{Name} & '!'"),
    ("FNum", "field('Qty') * 2", "{Qty} * 2"),
    ("FDec", "field('Price') * 2", "{Price} * 2"),
    ("FDiv", "field('Qty') / 4", "{Qty} / 4"),
    ("FLit", "1.5 + field('Qty')", "1.5 + {Qty}"),
    ("FIf", "if(field('Qty') > 1, field('Qty'), field('Price'))", "IF({Qty} > 1, {Qty}, {Price})"),
    ("FBool", "field('Qty') > 1", "{Qty} > 1"),
    ("FAnd", "and(true, field('Qty') > 1)", "AND(TRUE, {Qty} > 1)"),
    ("FRef", "field('Qty')", "{Qty}"),
]


@dataclass
class Server:
    """One server's target, its user (``{"id", "name"}``) and the database id for the ORM."""

    target: Target
    user: dict[str, Any]
    database: str
    extra: set[str] = field(default_factory=set)  # fields only this server has


def _real(env: dict[str, str]) -> tuple[Server, list[int]]:
    url, suffix = env["BASEROW_URL"], f"c-{os.getpid()}-{next(_suffix)}"
    signed = requests.post(
        f"{url}/api/user/token-auth/",
        json={"email": env["BASEROW_EMAIL"], "password": env["BASEROW_PASSWORD"]},
        timeout=TIMEOUT,
    )
    signed.raise_for_status()
    user = {"id": signed.json()["user"]["id"], "name": signed.json()["user"]["first_name"]}
    headers = {"Authorization": f"JWT {fresh_jwt(env)}"}
    database = env.get("BASEROW_DATABASE_ID", "1")
    created: list[int] = []

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = requests.post(f"{url}/api/{path}", json=body, headers=headers, timeout=TIMEOUT)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def table(name: str) -> int:
        body = {"name": f"{name} {suffix}", "data": [["Name"]], "first_row_header": True}
        created.append(int(post(f"database/tables/database/{database}/", body)["id"]))
        return created[-1]

    owners, items = table("Owners"), table("Computed")
    try:
        score = post(
            f"database/fields/table/{owners}/",
            {"name": "Score", "type": "number", "number_decimal_places": 0},
        )
        link = post(
            f"database/fields/table/{items}/",
            {
                "name": "Owner",
                "type": "link_row",
                "link_row_table_id": owners,
                "has_related_field": False,
            },
        )
        bodies: list[dict[str, Any]] = [
            {"name": "Qty", "type": "number", "number_decimal_places": 0},
            {
                "name": "Price",
                "type": "number",
                "number_decimal_places": 2,
                "number_negative": True,
            },
            *({"name": n, "type": "formula", "formula": f} for n, f, _ in FORMULAS),
            {
                "name": "LookName",
                "type": "lookup",
                "through_field_name": "Owner",
                "target_field_name": "Name",
            },
            {
                "name": "LookScore",
                "type": "lookup",
                "through_field_name": "Owner",
                "target_field_name": "Score",
            },
            {
                "name": "RollSum",
                "type": "rollup",
                "through_field_id": link["id"],
                "target_field_id": score["id"],
                "rollup_function": "sum",
            },
            {"name": "Cnt", "type": "count", "through_field_id": link["id"]},
            {"name": "People", "type": "multiple_collaborators"},
            {"name": "Modified", "type": "last_modified", "date_include_time": True},
            {"name": "By", "type": "created_by"},
            {"name": "ModBy", "type": "last_modified_by"},
            {"name": "Key", "type": "uuid"},
        ]
        for body in bodies:
            if body["type"] == "last_modified":
                body["date_format"] = "ISO"
            post(f"database/fields/table/{items}/", body)
    except BaseException:
        _drop(env, created)
        raise
    target = Target("baserow", url, env["BASEROW_TOKEN"], {"Owners": owners, "Items": items})
    return Server(target, user, database, {"Key"}), created


def _drop(env: dict[str, str], table_ids: list[int]) -> None:
    headers = {"Authorization": f"JWT {fresh_jwt(env)}"}
    for table_id in table_ids:
        requests.delete(
            f"{env['BASEROW_URL']}/api/database/tables/{table_id}/",
            headers=headers,
            timeout=TIMEOUT,
        )


def _emulated(emu: Emulator) -> Server:
    database = emu.create_database("Computed")["id"]
    owners = emu.create_table(
        database,
        "Owners",
        [
            {"name": "Name", "type": "SINGLE_LINE_TEXT"},
            {"name": "Score", "type": "NUMBER", "options": {"precision": 0}},
        ],
    )
    owner_ids = {f["name"]: f["id"] for f in owners["fields"]}
    items = emu.create_table(
        database,
        "Computed",
        [
            {"name": "Name", "type": "SINGLE_LINE_TEXT"},
            {
                "name": "Owner",
                "type": "LINKED_RECORD",
                "allowMultipleEntries": True,
                "options": {"linkedTableId": owners["id"]},
            },
            {"name": "Qty", "type": "NUMBER", "options": {"precision": 0, "min": 0}},
            {"name": "Price", "type": "NUMBER", "options": {"precision": 2}},
        ],
    )
    link = next(f["id"] for f in items["fields"] if f["name"] == "Owner")
    bodies: list[dict[str, Any]] = [
        *({"name": n, "type": "FORMULA", "options": {"formula": f}} for n, _, f in FORMULAS),
        {
            "name": "LookName",
            "type": "LOOKUP",
            "options": {"linkedRecordFieldId": link, "lookupFieldId": owner_ids["Name"]},
        },
        {
            "name": "LookScore",
            "type": "LOOKUP",
            "options": {"linkedRecordFieldId": link, "lookupFieldId": owner_ids["Score"]},
        },
        {
            "name": "RollSum",
            "type": "ROLLUP",
            "options": {
                "linkedRecordFieldId": link,
                "rollupFieldId": owner_ids["Score"],
                "function": "SUM",
            },
        },
        {
            "name": "Cnt",
            "type": "ROLLUP",
            "options": {
                "linkedRecordFieldId": link,
                "rollupFieldId": owner_ids["Name"],
                "function": "COUNTALL",
            },
        },
        {"name": "People", "type": "USER", "allowMultipleEntries": True},
        {"name": "Modified", "type": "UPDATED_AT"},
        {"name": "By", "type": "CREATED_BY"},
        {"name": "ModBy", "type": "UPDATED_BY"},
    ]
    for body in bodies:
        emu.add_field(database, items["id"], body)
    target = Target("emulator", emu.baserow_url, emu.baserow_token)
    listed = target.request("GET", "/api/database/tables/all-tables/").json()
    newest = max(t["database_id"] for t in listed)
    seq = {t["name"]: t["id"] for t in listed if t["database_id"] == newest}
    target.tables = {"Owners": seq["Owners"], "Items": seq["Computed"]}
    owner = emu.store.users[emu.store.default_token.user_id]
    user = {"id": int_id(owner.id), "name": owner.full_name}
    return Server(target, user, str(newest))


def _load(server: Server) -> None:
    target = server.target
    owners = target.request(
        "POST",
        target.rows("Owners") + "batch/" + NAMES,
        json={"items": [{"Name": "Ann", "Score": 3}, {"Name": "Bob", "Score": 4}]},
    )
    assert owners.status_code == 200, owners.text
    rows = [
        {
            "Name": "x",
            "Qty": 3,
            "Price": "1.25",
            "Owner": [1, 2],
            "People": [{"id": server.user["id"]}],
        },
        {},
        {"Name": "y", "Qty": 1, "Price": "-2.5", "Owner": [2]},
    ]
    answer = target.request("POST", target.rows() + "batch/" + NAMES, json={"items": rows})
    assert answer.status_code == 200, answer.text


@pytest.fixture(scope="module")
def servers() -> Iterator[list[Server]]:
    env = baserow_env_or_skip()
    with Emulator() as emu:
        made = [_emulated(emu)]
        created: list[int] = []
        if env is not None:
            real, created = _real(env)
            made.append(real)
        try:
            for server in made:
                _load(server)
            yield made
        finally:
            if env is not None:
                _drop(env, created)


# --- normalising what must differ -------------------------------------------------------------


def _users(value: Any, user: dict[str, Any]) -> Any:
    """The server's own user as ``<user>`` (ids and names differ by server)."""
    if isinstance(value, dict):
        if set(value) == {"id", "name"} and value == user:
            return "<user>"
        return {k: _users(v, user) for k, v in value.items()}
    if isinstance(value, list):
        return [_users(item, user) for item in value]
    return value


def _row(row: dict[str, Any], server: Server) -> dict[str, Any]:
    row = dict(row)
    for name in server.extra:
        if name == "Key":
            uuid.UUID(row.pop(name))  # a UUID string per row
    assert _TIMESTAMP.match(row["Modified"]), row["Modified"]
    row["Modified"] = "<ts>"
    return dict(_users(normalise(row), server.user))


def _field(raw: dict[str, Any], server: Server) -> dict[str, Any]:
    out = dict(raw)
    out["id"] = "<id>"
    for key in ("through_field_id", "target_field_id"):
        if isinstance(out.get(key), int):
            out[key] = "<id>"
    if out.get("link_row_table_primary_field"):
        out["link_row_table_primary_field"] = {**out["link_row_table_primary_field"], "id": "<id>"}
    if "formula" in out:
        out["formula"] = "<formula>"  # Baserow's language there, Softr's here
    return dict(_users(normalise(out), server.user))


# --- the comparisons ---------------------------------------------------------------------------


EXPECTED_ROWS: list[dict[str, Any]] = [
    {
        "id": 1,
        "order": "1.00000000000000000000",
        "Name": "x",
        "Owner": [
            {"id": 1, "value": "Ann", "order": "1.00000000000000000000"},
            {"id": 2, "value": "Bob", "order": "2.00000000000000000000"},
        ],
        "Qty": "3",
        "Price": "1.25",
        "FText": "x!",
        "FNum": "6",
        "FDec": "2.50",
        "FDiv": "0.7500000000",
        "FLit": "4.5",
        "FIf": "3.00",
        "FBool": True,
        "FAnd": True,
        "FRef": "3",
        "LookName": [{"id": 1, "value": "Ann"}, {"id": 2, "value": "Bob"}],
        "LookScore": [{"id": 1, "value": "3"}, {"id": 2, "value": "4"}],
        "RollSum": "7",
        "Cnt": "2",
        "People": ["<user>"],
        "Modified": "<ts>",
        "By": "<user>",
        "ModBy": "<user>",
    },
    {
        "id": 2,
        "order": "2.00000000000000000000",
        "Name": None,
        "Owner": [],
        "Qty": None,
        "Price": None,
        "FText": "!",
        "FNum": "0",
        "FDec": "0.00",
        "FDiv": "0.0000000000",
        "FLit": "1.5",
        "FIf": None,
        "FBool": False,
        "FAnd": False,
        "FRef": None,
        "LookName": [],
        "LookScore": [],
        "RollSum": "0",
        "Cnt": "0",
        "People": [],
        "Modified": "<ts>",
        "By": "<user>",
        "ModBy": "<user>",
    },
    {
        "id": 3,
        "order": "3.00000000000000000000",
        "Name": "y",
        "Owner": [{"id": 2, "value": "Bob", "order": "2.00000000000000000000"}],
        "Qty": "1",
        "Price": "-2.50",
        "FText": "y!",
        "FNum": "2",
        "FDec": "-5.00",
        "FDiv": "0.2500000000",
        "FLit": "2.5",
        "FIf": "-2.50",
        "FBool": False,
        "FAnd": False,
        "FRef": "1",
        "LookName": [{"id": 2, "value": "Bob"}],
        "LookScore": [{"id": 2, "value": "4"}],
        "RollSum": "4",
        "Cnt": "1",
        "People": [],
        "Modified": "<ts>",
        "By": "<user>",
        "ModBy": "<user>",
    },
]


def test_computed_values_read_back_in_baserow_shapes(servers: list[Server]) -> None:
    """The list endpoint, by name and by field id, gives the same computed values."""
    by_server = {id(s.target): s for s in servers}

    def scenario(target: Target) -> Any:
        server = by_server[id(target)]
        listed = target.request("GET", target.rows() + NAMES)
        assert listed.status_code == 200, listed.text
        by_name = [_row(row, server) for row in listed.json()["results"]]
        fields_ = target.request("GET", f"/api/database/fields/table/{target.tables['Items']}/")
        names = {f"field_{f['id']}": f["name"] for f in fields_.json()}
        by_id = target.request("GET", target.rows()).json()["results"]
        renamed = [_row({names.get(k, k): v for k, v in row.items()}, server) for row in by_id]
        return by_name, renamed

    by_name, renamed = same([s.target for s in servers], scenario)
    assert by_name == renamed
    assert by_name == EXPECTED_ROWS


def test_computed_field_objects(servers: list[Server]) -> None:
    """F1 shows the same types, formula types, decimal places, nullability and options."""
    by_server = {id(s.target): s for s in servers}

    def scenario(target: Target) -> Any:
        server = by_server[id(target)]
        listed = target.request("GET", f"/api/database/fields/table/{target.tables['Items']}/")
        assert listed.status_code == 200, listed.text
        return [_field(f, server) for f in listed.json() if f["name"] not in server.extra]

    objects = same([s.target for s in servers], scenario)
    summary = {
        f["name"]: (f["type"], f.get("formula_type"), f.get("number_decimal_places"))
        for f in objects
    }
    assert summary["FNum"] == ("formula", "number", 0)
    assert summary["FDec"] == ("formula", "number", 2)
    assert summary["FDiv"] == ("formula", "number", 10)
    assert summary["FLit"] == ("formula", "number", 1)
    assert summary["FIf"] == ("formula", "number", 2)
    assert summary["FBool"][:2] == ("formula", "boolean")
    assert summary["FText"][:2] == ("formula", "text")
    assert summary["LookScore"] == ("lookup", "array", 0)
    assert summary["RollSum"] == ("rollup", "number", 0)
    assert summary["Cnt"] == ("count", "number", 0)
    people = next(f for f in objects if f["name"] == "People")
    assert people["available_collaborators"] == ["<user>"]
    writable = {"Name", "Owner", "Qty", "Price", "People"}
    assert all(f["read_only"] is (f["name"] not in writable) for f in objects)


def test_the_uuid_field_reads_as_a_uuid_on_real_baserow(servers: list[Server]) -> None:
    """uuid: a UUID string per row, distinct, read-only (the emulator has no uuid field)."""
    real = [s for s in servers if "Key" in s.extra]
    if not real:
        pytest.skip("no real Baserow")
    target = real[0].target
    rows = target.request("GET", target.rows() + NAMES).json()["results"]
    keys = [uuid.UUID(row["Key"]) for row in rows]
    assert len(set(keys)) == len(rows) == 3
    fields_ = target.request("GET", f"/api/database/fields/table/{target.tables['Items']}/")
    key = next(f for f in fields_.json() if f["name"] == "Key")
    assert key["type"] == "uuid" and key["read_only"] is True


class ComputedOwner(Model):
    name = fields.SingleLineText("Name")


class ComputedItem(Model):
    name = fields.SingleLineText("Name")
    qty = fields.Number("Qty")
    owner = fields.LinkedRecord("Owner", to=ComputedOwner)
    f_text = fields.Formula("FText", returns=fields.SingleLineText)
    f_num = fields.Formula("FNum", returns=fields.Number)
    f_dec = fields.Formula("FDec", returns=fields.Number)
    f_div = fields.Formula("FDiv", returns=fields.Number)
    f_if = fields.Formula("FIf", returns=fields.Number)
    f_bool = fields.Formula("FBool", returns=fields.Checkbox)
    f_ref = fields.Formula("FRef", returns=fields.Number)
    look_name = fields.Lookup("LookName")
    look_score = fields.Lookup("LookScore")
    roll_sum = fields.Rollup("RollSum", returns=fields.Number)
    cnt = fields.Formula("Cnt", returns=fields.Number)
    people = fields.User("People", multiple=True)
    modified = fields.UpdatedAt("Modified")
    by = fields.CreatedBy("By")
    mod_by = fields.UpdatedBy("ModBy")


def _orm_view(item: ComputedItem, user_id: str) -> dict[str, Any]:
    def who(user: Any) -> Any:
        return "<user>" if user is not None and str(user.id) == user_id else user

    return {
        "name": item.name,
        "qty": item.qty,
        "owner": [str(o) for o in item.owner or []],
        "f_text": item.f_text,
        "f_num": item.f_num,
        "f_dec": item.f_dec,
        "f_div": item.f_div,
        "f_if": item.f_if,
        "f_bool": item.f_bool,
        "f_ref": item.f_ref,
        "look_name": item.look_name,
        "look_score": item.look_score,
        "roll_sum": item.roll_sum,
        "cnt": item.cnt,
        "people": [who(u) for u in item.people or []],
        "modified": type(item.modified).__name__,
        "by": who(item.by),
        "mod_by": who(item.mod_by),
    }


def test_computed_fields_through_the_orm(servers: list[Server]) -> None:
    """The ORM reads the same Python values from both servers."""
    by_server = {id(s.target): s for s in servers}

    def scenario(target: Target) -> Any:
        server = by_server[id(target)]
        ComputedOwner._meta.database = ComputedItem._meta.database = server.database
        ComputedOwner._meta.table = str(target.tables["Owners"])
        ComputedItem._meta.table = str(target.tables["Items"])
        with BaserowSession(target.token, base_url=target.url) as session:
            items = list(ComputedItem.objects.using(session).all())
            return [_orm_view(item, str(server.user["id"])) for item in items]

    views = same([s.target for s in servers], scenario)
    first, empty, third = views
    assert first["f_num"] == 6 and first["f_dec"] == Decimal("2.5") and first["f_bool"] is True
    assert first["f_text"] == "x!" and first["cnt"] == 2 and first["roll_sum"] == 7
    assert first["look_name"] == ["Ann", "Bob"] and first["people"] == ["<user>"]
    assert first["by"] == "<user>" and first["modified"] == "datetime"
    assert empty["f_ref"] is None and empty["f_if"] is None and empty["look_score"] == []
    assert third["f_if"] == Decimal("-2.5")


def test_what_the_emulator_cannot_type_is_refused_not_guessed() -> None:
    """Emulator only: a formula over a date field (Baserow would type it by its own rules),
    a rollup other than a sum, a lookup of a select: ``invalid`` and null, never a guess."""
    with Emulator() as emu:
        database = emu.create_database("Untyped")["id"]
        other = emu.create_table(
            database,
            "Other",
            [
                {"name": "Name", "type": "SINGLE_LINE_TEXT"},
                {"name": "Kind", "type": "SELECT", "options": {"choices": [{"label": "a"}]}},
                {"name": "N", "type": "NUMBER"},
            ],
        )
        ids = {f["name"]: f["id"] for f in other["fields"]}
        table = emu.create_table(
            database,
            "T",
            [
                {"name": "Name", "type": "SINGLE_LINE_TEXT"},
                {"name": "Due", "type": "DATE"},
                {
                    "name": "Link",
                    "type": "LINKED_RECORD",
                    "allowMultipleEntries": True,
                    "options": {"linkedTableId": other["id"]},
                },
            ],
        )
        link = next(f["id"] for f in table["fields"] if f["name"] == "Link")
        for body in (
            {"name": "OnDate", "type": "FORMULA", "options": {"formula": "{Due} & ''"}},
            {"name": "Mixed", "type": "FORMULA", "options": {"formula": "IF(1, 'a', 2)"}},
            {
                "name": "Avg",
                "type": "ROLLUP",
                "options": {
                    "linkedRecordFieldId": link,
                    "rollupFieldId": ids["N"],
                    "function": "AVERAGE",
                },
            },
            {
                "name": "Kinds",
                "type": "LOOKUP",
                "options": {"linkedRecordFieldId": link, "lookupFieldId": ids["Kind"]},
            },
        ):
            emu.add_field(database, table["id"], body)
        target = Target("emulator", emu.baserow_url, emu.baserow_token)
        listed = target.request("GET", "/api/database/tables/all-tables/").json()
        table_id = next(t["id"] for t in listed if t["name"] == "T")
        objects = {
            f["name"]: f
            for f in target.request("GET", f"/api/database/fields/table/{table_id}/").json()
        }
        assert objects["OnDate"]["formula_type"] == "invalid" and objects["OnDate"]["error"]
        assert objects["Mixed"]["formula_type"] == "invalid"
        assert objects["Avg"]["formula_type"] == "invalid"
        assert objects["Kinds"]["array_formula_type"] == "invalid"
        written = target.request(
            "POST",
            f"/api/database/rows/table/{table_id}/{NAMES}",
            json={"Name": "r", "Due": "2024-01-02"},
        )
        assert written.status_code == 200, written.text
        row = written.json()
        assert (row["OnDate"], row["Mixed"], row["Avg"], row["Kinds"]) == (None, None, None, [])
