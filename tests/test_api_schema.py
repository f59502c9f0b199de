"""Schema data classes (Database, Table, TableField, View, AIOptions) and their bound helpers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import responses
from _api_support import (
    BASE,
    add,
    database_json,
    field_json,
    make_session,
    segments,
    sent_json,
    table_json,
)

from softr_orm.backends.softr.endpoints import SoftrAPI
from softr_orm.backends.softr.resources import AIOptions, Database, Table, TableField, View
from softr_orm.backends.softr.wire import UnexpectedResponse, parse_timestamp
from softr_orm.errors import ConfigurationError

UTC = dt.timezone.utc
FIELD_URL = f"{BASE}/databases/db1/tables/tbl1/fields/f9"


@pytest.fixture
def api() -> SoftrAPI:
    return SoftrAPI(make_session())


@pytest.fixture
def rsps() -> Any:
    with responses.RequestsMock() as mock:
        yield mock


# --- parsing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-07T12:00:00.000Z", dt.datetime(2026, 5, 7, 12, 0, tzinfo=UTC)),
        ("2025-05-09T12:14:44Z", dt.datetime(2025, 5, 9, 12, 14, 44, tzinfo=UTC)),
        ("2025-05-09T12:14:44.123456+00:00", dt.datetime(2025, 5, 9, 12, 14, 44, 123456, UTC)),
        ("2025-05-09T12:14:44", dt.datetime(2025, 5, 9, 12, 14, 44, tzinfo=UTC)),
        (1767225600000, dt.datetime(2026, 1, 1, tzinfo=UTC)),
    ],
)
def test_parse_timestamp_precisions(text: Any, expected: dt.datetime) -> None:
    """Both documented precisions (and naive/epoch-ms variants) give aware datetimes."""
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is not None


@pytest.mark.parametrize("junk", [None, "", "not a date", {}, [], True])
def test_parse_timestamp_junk_is_none(junk: Any) -> None:
    """Unparseable timestamps read as None instead of crashing a schema read."""
    assert parse_timestamp(junk) is None


def test_field_from_api_full() -> None:
    """Every documented TableField key lands on its attribute."""
    f = TableField.from_api(
        field_json(
            id="sT4ts",
            type="SELECT",
            options={"choices": [{"id": "c1", "label": "Open"}, {"label": "Closed"}]},
            allowMultipleEntries=True,
            readonly=True,
            required=True,
            locked=True,
            defaultValue="Open",
            description="Ticket status",
        )
    )
    assert (f.id, f.type, f.description, f.default_value) == (
        "sT4ts",
        "SELECT",
        "Ticket status",
        "Open",
    )
    assert f.allow_multiple_entries and f.readonly and f.required and f.locked
    assert f.choice_labels == ["Open", "Closed"]
    assert f.created_at == dt.datetime(2026, 4, 10, 8, 0, tzinfo=UTC)
    assert f.updated_at == dt.datetime(2026, 4, 10, 8, 0, 0, 123000, tzinfo=UTC)
    assert f.is_read_only  # the readonly flag alone
    assert f.raw["id"] == "sT4ts"


def test_field_tolerates_unknown_and_missing_keys() -> None:
    """A minimal field with surprise keys parses with neutral defaults, keeping raw."""
    f = TableField.from_api({"id": "x1", "type": "BUTTON", "brandNew": {"a": 1}})
    assert (f.name, f.options, f.ai_options, f.description) == ("", {}, None, None)
    assert not (f.readonly or f.required or f.locked or f.allow_multiple_entries)
    assert f.created_at is None and f.updated_at is None
    assert f.raw["brandNew"] == {"a": 1}
    assert not f.is_read_only  # an unknown type is not assumed computed


@pytest.mark.parametrize("ftype", ["FORMULA", "LOOKUP", "ROLLUP", "CREATED_AT", "RECORD_ID"])
def test_computed_types_are_read_only(ftype: str) -> None:
    """Types in READ_ONLY_TYPES are read-only even with readonly=false."""
    assert TableField.from_api(field_json(type=ftype, readonly=False)).is_read_only


def test_ai_options_null_and_object_with_unknown_keys() -> None:
    """aiOptions null -> None; an object keeps unknown keys in extra and round-trips."""
    assert TableField.from_api(field_json(aiOptions=None)).ai_options is None
    raw = {
        "aiFillable": True,
        "aiOnly": False,
        "aiModel": "GPT_4_1",
        "prompt": "Summarise {Description}",
        "runOnUpdateMode": "ALWAYS",
        "skipIfValueExists": True,
    }
    ai = TableField.from_api(field_json(aiOptions=raw)).ai_options
    assert isinstance(ai, AIOptions)
    assert ai.ai_fillable is True and ai.ai_only is False and ai.ai_model == "GPT_4_1"
    assert ai.allow_web_search is None  # missing stays unset, no invented default
    assert ai.extra == {"runOnUpdateMode": "ALWAYS", "skipIfValueExists": True}
    assert ai.to_api() == raw


def test_ai_options_non_object_is_none() -> None:
    """A malformed aiOptions (e.g. a string) does not crash the field."""
    assert TableField.from_api(field_json(aiOptions="yes")).ai_options is None


@pytest.mark.parametrize(
    ("options", "valid"),
    [
        ({"isValid": True}, True),
        ({"isValid": False}, False),
        ({"valid": False}, False),
        ({"valid": True}, True),
        ({}, True),
        ({"isValid": None, "valid": False}, False),
    ],
)
def test_legacy_valid_and_is_valid(options: dict[str, Any], valid: bool) -> None:
    """Both the current ``isValid`` and the legacy ``valid`` option are read."""
    f = TableField.from_api(field_json(type="FORMULA", options=options))
    assert f.is_valid is valid


def test_date_only_detection() -> None:
    """DATE, or a legacy DATETIME with precision DATE, is date-only."""
    assert TableField.from_api(field_json(type="DATE", options={})).is_date_only
    legacy = TableField.from_api(field_json(type="DATETIME", options={"precision": "DATE"}))
    assert legacy.is_date_only
    assert not TableField.from_api(field_json(type="DATETIME", options={})).is_date_only


def test_field_options_are_a_copy_of_raw() -> None:
    """Editing options does not edit raw (so a failed update leaves the snapshot intact)."""
    f = TableField.from_api(field_json(options={"choices": [{"label": "A"}]}))
    f.options["choices"].append({"label": "B"})
    assert f.raw["options"] == {"choices": [{"label": "A"}]}


def test_database_from_api_and_decimal_counts() -> None:
    """Database keys map over; a missing tablesCount is None; unknown keys are kept."""
    d = Database.from_api(database_json(tablesCount=None, region="eu"))
    assert (d.id, d.name, d.workspace_id, d.tables_count) == ("db1", "CRM", "ws1", None)
    assert d.raw["region"] == "eu"
    assert Database.from_api({"id": "x", "tablesCount": Decimal("3")}).tables_count == 3


def test_view_from_api() -> None:
    """Views parse with their table id and timestamps."""
    v = View.from_api(
        {"id": "v1", "tableId": "t1", "name": "Open", "createdAt": "2026-02-01T10:00:00Z"}
    )
    assert (v.id, v.table_id, v.name) == ("v1", "t1", "Open")
    assert v.created_at == dt.datetime(2026, 2, 1, 10, tzinfo=UTC)


def test_table_from_api_skips_junk_fields_and_finds_fields() -> None:
    """Non-object field entries are skipped; field() finds by id then by name."""
    t = Table.from_api(table_json(fields=[field_json(id="a", name="A"), "junk", None]))
    assert [f.id for f in t.fields] == ["a"]
    assert t.field("a") is t.field("A")
    with pytest.raises(KeyError, match="no field"):
        t.field("missing")
    assert t.has_field("A") and not t.has_field("B")


def test_table_field_ambiguous_name() -> None:
    """Two fields with one name must be addressed by id."""
    t = Table.from_api(
        table_json(fields=[field_json(id="a", name="X"), field_json(id="b", name="X")])
    )
    with pytest.raises(KeyError, match="several"):
        t.field("X")
    assert t.field("b").id == "b"


def test_table_primary_field() -> None:
    """primary_field follows primaryFieldId; None when missing or unknown."""
    assert Table.from_api(table_json()).primary_field == TableField.from_api(
        field_json(id="f1", name="Subject", type="SINGLE_LINE_TEXT")
    )
    assert Table.from_api(table_json(primaryFieldId="zz")).primary_field is None
    assert Table.from_api(table_json(primaryFieldId=None)).primary_field is None


def test_api_reference_not_in_repr_or_eq(api: SoftrAPI) -> None:
    """The bound SoftrAPI is excluded from repr and equality."""
    a = Table.from_api(table_json(), api=api, database_id="db1")
    b = Table.from_api(table_json(), database_id="db1")
    assert a == b
    assert "SoftrAPI" not in repr(a) and "api=" not in repr(a)
    assert "SoftrAPI" not in repr(Database.from_api(database_json(), api=api))


def test_unbound_table_cannot_call() -> None:
    """A hand-made table has no API to call and says so."""
    with pytest.raises(ConfigurationError):
        Table.from_api(table_json(), database_id="db1").views()


def test_wrong_shape_raises_unexpected_response(api: SoftrAPI, rsps: Any) -> None:
    """A list where a table object belongs is reported, not mis-parsed."""
    add(rsps, "GET", f"{BASE}/databases/db1/tables/tbl1", json_body={"data": [1, 2]})
    with pytest.raises(UnexpectedResponse):
        api.get_table("db1", "tbl1")


# --- bound helpers -----------------------------------------------------------------------


def test_database_tables_and_table_by_name(api: SoftrAPI, rsps: Any) -> None:
    """session.database(id).tables() / .table(name) work through the bound API."""
    add(rsps, "GET", f"{BASE}/databases/db1", json_body={"data": database_json()})
    add(rsps, "GET", f"{BASE}/databases/db1/tables", json_body={"data": [table_json()]})
    db = api.get_database("db1")
    tables = db.tables()
    assert [t.name for t in tables] == ["Tickets"] and tables[0].database_id == "db1"
    assert db.table("Tickets").id == "tbl1"
    with pytest.raises(KeyError):
        db.table("Nope")


def test_database_create_table(api: SoftrAPI, rsps: Any) -> None:
    """database.create_table posts to its own database; TableField specs are copied."""
    add(rsps, "GET", f"{BASE}/databases/db1", json_body={"data": database_json()})
    add(rsps, "POST", f"{BASE}/databases/db1/tables", json_body={"data": table_json()})
    db = api.get_database("db1")
    spec = TableField.from_api(field_json(name="Estimate", type="NUMBER", options={"precision": 1}))
    table = db.create_table("Tickets", fields=[spec, {"name": "Email", "type": "EMAIL"}])
    assert table.database_id == "db1" and table.api is api
    assert sent_json(rsps.calls[1].request) == {
        "name": "Tickets",
        "fields": [
            {"name": "Estimate", "type": "NUMBER", "options": {"precision": 1}},
            {"name": "Email", "type": "EMAIL"},
        ],
    }


def test_create_table_rejects_incomplete_field_spec(api: SoftrAPI) -> None:
    """A field spec without a type is refused before sending."""
    with pytest.raises(ValueError, match="name"):
        api.create_table("db1", "T", fields=[{"name": "x"}])


def test_table_views_add_update_delete_field(api: SoftrAPI, rsps: Any) -> None:
    """table.views(), add_field(), update_field(), delete_field() keep .fields current."""
    add(rsps, "GET", f"{BASE}/databases/db1/tables/tbl1", json_body={"data": table_json()})
    add(rsps, "GET", f"{BASE}/databases/db1/tables/tbl1/views", json_body={"data": [{"id": "v1"}]})
    add(
        rsps,
        "POST",
        f"{BASE}/databases/db1/tables/tbl1/fields",
        json_body={"data": field_json(id="f9", name="Estimate")},
    )
    add(
        rsps,
        "PUT",
        FIELD_URL,
        json_body={"data": field_json(id="f9", name="Estimate (h)")},
    )
    add(rsps, "DELETE", FIELD_URL, status=204)
    table = api.get_table("db1", "tbl1")
    assert [v.id for v in table.views()] == ["v1"]

    new = table.add_field("Estimate", "NUMBER", options={"precision": 1})
    assert table.field("Estimate") is new
    assert sent_json(rsps.calls[2].request) == {
        "name": "Estimate",
        "type": "NUMBER",
        "options": {"precision": 1},
    }

    table.update_field("Estimate", name="Estimate (h)")
    # Full definition from the cached field, no extra GET.
    assert sent_json(rsps.calls[3].request) == {
        "name": "Estimate (h)",
        "type": "NUMBER",
        "options": {"precision": 1},
    }
    assert table.field("f9").name == "Estimate (h)"

    table.delete_field("Estimate (h)")
    assert not table.has_field("f9")
    assert [c.request.method for c in rsps.calls] == ["GET", "GET", "POST", "PUT", "DELETE"]


def test_table_refresh_in_place(api: SoftrAPI, rsps: Any) -> None:
    """refresh() re-reads the table into the same object."""
    add(rsps, "GET", f"{BASE}/databases/db1/tables/tbl1", json_body={"data": table_json()})
    add(
        rsps,
        "GET",
        f"{BASE}/databases/db1/tables/tbl1",
        json_body={"data": table_json(name="Renamed", fields=[])},
    )
    table = api.get_table("db1", "tbl1")
    assert table.refresh() is table
    assert table.name == "Renamed" and table.fields == []


# --- update_field merge rule ----------------------------------------------------------------


def test_update_field_name_only_reads_then_sends_full_definition(api: SoftrAPI, rsps: Any) -> None:
    """A rename GETs the field first and PUTs name + unchanged type + complete options."""
    current = field_json(type="SELECT", options={"choices": [{"id": "c1", "label": "Open"}]})
    add(rsps, "GET", FIELD_URL, json_body={"data": current})
    add(rsps, "PUT", FIELD_URL, json_body={"data": {**current, "name": "State"}})
    updated = api.update_field("db1", "tbl1", "f9", name="State")
    assert updated.name == "State"
    assert [c.request.method for c in rsps.calls] == ["GET", "PUT"]
    assert sent_json(rsps.calls[1].request) == {
        "name": "State",
        "type": "SELECT",
        "options": {"choices": [{"id": "c1", "label": "Open"}]},
    }


def test_update_field_options_only_keeps_name_and_type(api: SoftrAPI, rsps: Any) -> None:
    """New options replace the old ones whole; name and type come from the server."""
    add(rsps, "GET", FIELD_URL, json_body={"data": field_json()})
    add(rsps, "PUT", FIELD_URL, json_body={"data": field_json()})
    api.update_field("db1", "tbl1", "f9", options={"precision": 3, "min": 0})
    assert sent_json(rsps.calls[1].request) == {
        "name": "Estimate",
        "type": "NUMBER",
        "options": {"precision": 3, "min": 0},
    }


def test_update_field_refuses_type_change(api: SoftrAPI, rsps: Any) -> None:
    """Asking for another type raises before any PUT."""
    add(rsps, "GET", FIELD_URL, json_body={"data": field_json(type="NUMBER")})
    with pytest.raises(ValueError, match="type cannot change"):
        api.update_field("db1", "tbl1", "f9", type="CURRENCY")
    assert [c.request.method for c in rsps.calls] == ["GET"]


def test_update_field_ai_options(api: SoftrAPI, rsps: Any) -> None:
    """ai_options is sent as aiOptions (from an AIOptions object too)."""
    add(rsps, "PUT", FIELD_URL, json_body={"data": field_json()})
    ai = AIOptions(ai_fillable=True, prompt="p", extra={"skipIfValueExists": True})
    api.update_field("db1", "tbl1", "f9", name="E", type="NUMBER", options={}, ai_options=ai)
    assert sent_json(rsps.calls[0].request)["aiOptions"] == {
        "aiFillable": True,
        "prompt": "p",
        "skipIfValueExists": True,
    }


def test_update_database_needs_something(api: SoftrAPI) -> None:
    """update_database/update_table with nothing to change raise instead of PUT {}."""
    with pytest.raises(ValueError):
        api.update_database("db1")
    with pytest.raises(ValueError):
        api.update_table("db1", "t1")


# --- ids and paths -----------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["", None])
def test_empty_ids_are_refused(api: SoftrAPI, bad: Any) -> None:
    """An empty id would address another endpoint (GET /databases/ = list); refused locally."""
    with pytest.raises(ValueError):
        api.get_database(bad)
    with pytest.raises(ValueError):
        api.get_record("db1", "tbl1", bad)


def test_ids_are_single_encoded_segments(api: SoftrAPI, rsps: Any) -> None:
    """Ids with '/', '..', '?' stay one path segment each (never concatenated)."""
    add(rsps, "GET", "", json_body={"data": {"id": "r?x=1"}})
    api.get_record("../db", "t/1", "r?x=1")
    request = rsps.calls[0].request
    assert segments(request)[2:] == ["databases", "../db", "tables", "t/1", "records", "r?x=1"]
    assert "?x=1" not in request.url.split("?", 1)[0]


def test_session_conveniences_reach_the_api(rsps: Any) -> None:
    """session.database(id).tables() and session.create_table(...) go through SoftrAPI."""
    session = make_session()
    add(rsps, "GET", f"{BASE}/databases/db1", json_body={"data": database_json()})
    add(rsps, "GET", f"{BASE}/databases/db1/tables", json_body={"data": [table_json()]})
    add(rsps, "POST", f"{BASE}/databases/db1/tables", json_body={"data": table_json(id="t2")})
    db = session.database("db1")
    assert db.api is session.api
    assert [t.id for t in db.tables()] == ["tbl1"]
    made = session.create_table("db1", "New", fields=[{"name": "A", "type": "EMAIL"}])
    assert made.id == "t2"
    assert sent_json(rsps.calls[2].request) == {
        "name": "New",
        "fields": [{"name": "A", "type": "EMAIL"}],
    }


def test_database_refresh_in_place(api: SoftrAPI, rsps: Any) -> None:
    """refresh() re-reads the database into the same object."""
    add(rsps, "GET", f"{BASE}/databases/db1", json_body={"data": database_json()})
    add(rsps, "GET", f"{BASE}/databases/db1", json_body={"data": database_json(name="CRM 2")})
    db = api.get_database("db1")
    assert db.refresh() is db and db.name == "CRM 2"
