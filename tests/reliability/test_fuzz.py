"""Fuzzing the emulator over HTTP with hypothesis: search bodies, query parameters and record
values (create and PATCH) for every writable field type.

Each answer must be a 2xx of the documented shape or a documented 4xx error body; never a 500,
and the server must still answer afterwards. The store must stay consistent: a refused create
stores nothing, a refused PATCH changes nothing, and after each run every stored record reads
back (raw, and through the ORM's lenient readers) with values of its field's read shape.

Bounded for CI: a fixed number of examples per test, derandomized (the same examples every
run; set ``SOFTR_FUZZ_EXAMPLES`` to explore more, ``SOFTR_FUZZ_RANDOM=1`` for new ones).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from softr_orm import Model, Session, fields
from softr_orm.constants import (
    BINARY_OPERATORS,
    COMPOUND_OPERATORS,
    RANGE_OPERATORS,
    TEXT_LIMITS,
    UNARY_OPERATORS,
)
from softr_orm.emulator import Emulator

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("SOFTR_FUZZ_EXAMPLES", "250"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("SOFTR_FUZZ_RANDOM"),
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

#: softr-api.md §6.1: the errorCodes a 4xx may carry, by status.
DOCUMENTED_4XX = {
    400: {"BAD_REQUEST", "VALIDATION_ERROR", "UNKNOWN_FIELD"},
    404: {"RESOURCE_NOT_FOUND"},
}
OPERATORS = sorted({*BINARY_OPERATORS, *UNARY_OPERATORS, *RANGE_OPERATORS, *COMPOUND_OPERATORS})
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INSTANT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


# --- the world: two tables covering every writable type, plus computed fields ------------------


@dataclass
class World:
    emu: Emulator
    http: requests.Session
    db: str
    things: str
    others: str
    fields: dict[str, dict[str, Any]]  # name -> definition (Things)
    other_ids: list[str]
    member_ids: list[str]
    model: type[Model]
    known: list[str]  # ids of the records of Things (the fuzz creates, never deletes)
    labels: dict[str, set[str]]  # SELECT field id -> choice labels, as last read

    @property
    def records_url(self) -> str:
        return f"{self.emu.base_url}/databases/{self.db}/tables/{self.things}/records"

    def fid(self, name: str) -> str:
        return str(self.fields[name]["id"])


WRITABLE = [
    {"name": "Name", "type": "SINGLE_LINE_TEXT"},
    {"name": "Notes", "type": "LONG_TEXT"},
    {"name": "Email", "type": "EMAIL"},
    {"name": "Phone", "type": "PHONE"},
    {"name": "Site", "type": "URL"},
    {"name": "Count", "type": "NUMBER"},
    {"name": "Price", "type": "CURRENCY", "options": {"min": 0}},
    {"name": "Pct", "type": "PERCENT"},
    {"name": "Stars", "type": "RATING", "options": {"max": 5}},
    {"name": "Time", "type": "DURATION"},
    {"name": "Done", "type": "CHECKBOX"},
    {
        "name": "Kind",
        "type": "SELECT",
        "options": {"choices": [{"label": x} for x in ("alpha", "beta", "gamma")]},
    },
    {
        "name": "Tags",
        "type": "SELECT",
        "allowMultipleEntries": True,
        "options": {"choices": [{"label": "red"}, {"label": "blue"}], "allowToAddNewChoice": True},
    },
    {"name": "Files", "type": "ATTACHMENT", "allowMultipleEntries": True},
    {"name": "Cover", "type": "ATTACHMENT"},
    {"name": "Owner", "type": "USER"},
    {"name": "Team", "type": "USER", "allowMultipleEntries": True},
    {"name": "Day", "type": "DATE"},
    {"name": "When", "type": "DATETIME"},
]
WRITABLE_NAMES = [f["name"] for f in WRITABLE] + ["Parent", "Links"]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with Emulator() as emu, requests.Session() as http:
        http.headers["Softr-Api-Key"] = emu.api_key
        members = [
            emu.add_member(emu.workspace_id, "fuzz.one@example.com", "Fuzz One")["id"],
            emu.add_member(emu.workspace_id, "fuzz.two@example.com", "Fuzz Two")["id"],
        ]
        db = emu.create_database("fuzz")["id"]
        others = emu.create_table(
            db,
            "Others",
            [{"name": "Label", "type": "SINGLE_LINE_TEXT"}, {"name": "Value", "type": "NUMBER"}],
        )
        o = {f["name"]: f["id"] for f in others["fields"]}
        other_ids = emu.insert_records(
            db, others["id"], [{o["Label"]: f"other {i}", o["Value"]: i * 10} for i in range(5)]
        )
        things = emu.create_table(db, "Things", WRITABLE)
        for body in (
            {"name": "Parent", "type": "LINKED_RECORD", "options": {"linkedTableId": others["id"]}},
            {
                "name": "Links",
                "type": "LINKED_RECORD",
                "allowMultipleEntries": True,
                "options": {"linkedTableId": others["id"]},
            },
        ):
            emu.add_field(db, things["id"], body)
        defs = {f["name"]: f for f in _table(emu, http, db, things["id"])["fields"]}
        for body in (
            {"name": "Double", "type": "FORMULA", "options": {"formula": "{Count} * 2"}},
            {
                "name": "Parent label",
                "type": "LOOKUP",
                "options": {
                    "linkedRecordFieldId": defs["Parent"]["id"],
                    "lookupFieldId": o["Label"],
                },
            },
            {
                "name": "Links total",
                "type": "ROLLUP",
                "options": {
                    "linkedRecordFieldId": defs["Links"]["id"],
                    "rollupFieldId": o["Value"],
                    "function": "SUM",
                },
            },
            {"name": "Created", "type": "CREATED_AT"},
            {"name": "Updated", "type": "UPDATED_AT"},
            {"name": "Number", "type": "AUTONUMBER"},
            {"name": "Record ID", "type": "RECORD_ID"},
            {"name": "Created by", "type": "CREATED_BY"},
        ):
            emu.add_field(db, things["id"], body)
        defs = {f["name"]: f for f in _table(emu, http, db, things["id"])["fields"]}
        seeded = emu.insert_records(
            db,
            things["id"],
            [
                {
                    defs["Name"]["id"]: "seed",
                    defs["Count"]["id"]: 3,
                    defs["Kind"]["id"]: "alpha",
                    defs["Parent"]["id"]: [other_ids[0]],
                    defs["Links"]["id"]: other_ids[:2],
                },
                {defs["Name"]["id"]: "empty"},
            ],
        )
        yield World(
            emu=emu,
            http=http,
            db=db,
            things=things["id"],
            others=others["id"],
            fields=defs,
            other_ids=other_ids,
            member_ids=members,
            model=_model(db),
            known=list(seeded),
            labels={},
        )


def _table(emu: Emulator, http: requests.Session, db: str, table_id: str) -> dict[str, Any]:
    answer = http.get(f"{emu.base_url}/databases/{db}/tables/{table_id}")
    assert answer.status_code == 200
    return dict(answer.json()["data"])


def _model(database_id: str) -> type[Model]:
    """Every field of Things as the ORM reads it (links and users read leniently)."""

    class Other(Model):
        label = fields.SingleLineText("Label")

        class Meta:
            database = database_id
            table = "Others"

    class Thing(Model):
        name = fields.SingleLineText("Name")
        notes = fields.LongText("Notes")
        email = fields.Email("Email")
        phone = fields.Phone("Phone")
        site = fields.URL("Site")
        count = fields.Number("Count")
        price = fields.Currency("Price")
        pct = fields.Percent("Pct")
        stars = fields.Rating("Stars")
        time = fields.Duration("Time")
        done = fields.Checkbox("Done")
        kind = fields.Select("Kind")
        tags = fields.Select("Tags", multiple=True)
        files = fields.Attachment("Files")
        cover = fields.Attachment("Cover")
        owner = fields.User("Owner")
        team = fields.User("Team", multiple=True)
        day = fields.Date("Day")
        when = fields.DateTime("When")
        parent = fields.LinkedRecord("Parent", to=Other, multiple=False)
        links = fields.LinkedRecord("Links", to=Other)
        double = fields.Formula("Double")
        parent_label = fields.Lookup("Parent label")
        links_total = fields.Rollup("Links total")
        created = fields.CreatedAt("Created")
        updated = fields.UpdatedAt("Updated")
        number = fields.Autonumber("Number")
        record_id = fields.RecordId("Record ID")
        created_by = fields.CreatedBy("Created by")

        class Meta:
            database = database_id
            table = "Things"

    return Thing


# --- checking answers --------------------------------------------------------------------------


def decode(answer: requests.Response) -> Any:
    return json.loads(answer.content, parse_float=Decimal)


def assert_documented(answer: requests.Response) -> Any:
    """A 2xx (returned decoded) or a documented 4xx error body (returns None). Never a 5xx."""
    status = answer.status_code
    assert status < 500, (status, answer.text[:800])
    assert answer.headers.get("Content-Type", "").startswith("application/json"), answer.text[:300]
    body = decode(answer)
    if 200 <= status < 300:
        return body
    assert status in DOCUMENTED_4XX, (status, answer.text[:800])
    assert isinstance(body, dict) and set(body) == {"message", "errorCode", "details"}, body
    assert body["errorCode"] in DOCUMENTED_4XX[status], body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict) and isinstance(body["details"]["traceId"], str)
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def check_value(w: World, definition: dict[str, Any], value: Any, record_id: str) -> None:
    """``value`` has the emulator's documented read shape for the field's type."""
    type_, name = definition["type"], definition["name"]
    multiple = bool(definition.get("allowMultipleEntries"))
    where = f"{name}={value!r}"
    if type_ in TEXT_LIMITS:
        assert isinstance(value, str) and 0 < len(value) <= TEXT_LIMITS[type_], where
    elif type_ in ("NUMBER", "CURRENCY", "PERCENT", "DURATION", "AUTONUMBER"):
        assert _is_number(value), where
        if type_ == "CURRENCY":
            assert value >= 0, where  # options.min
    elif type_ == "RATING":
        assert isinstance(value, int) and 1 <= value <= 5, where
    elif type_ == "CHECKBOX":
        assert isinstance(value, bool), where
    elif type_ == "SELECT":
        items = value if multiple else [value]
        assert isinstance(items, list) and (items or not multiple), where
        for item in items:
            assert isinstance(item, dict) and set(item) >= {"id", "label"}, where
            if item["label"] not in current_labels(w, definition["id"]):
                w.labels = {}  # a new choice since the last read: read the table again
                assert item["label"] in current_labels(w, definition["id"]), where
    elif type_ == "LINKED_RECORD":
        assert isinstance(value, list) and value, where
        assert multiple or len(value) == 1, where
        for item in value:
            assert isinstance(item, dict) and item["id"] in w.other_ids, where
    elif type_ == "ATTACHMENT":
        assert isinstance(value, list) and value, where
        assert multiple or len(value) == 1, where
        for item in value:
            assert isinstance(item, dict), where
            assert re.match(r"^https?://", item["url"]), where
            assert isinstance(item["filename"], str) and isinstance(item["type"], str), where
    elif type_ in ("USER", "CREATED_BY"):
        items = value if isinstance(value, list) else [value]
        assert items and (multiple or not isinstance(value, list)), where
        for item in items:
            assert isinstance(item, dict) and set(item) == {"id", "email", "fullName"}, where
            if type_ == "USER":
                assert item["id"] in w.member_ids, where
    elif type_ == "DATE":
        assert isinstance(value, str) and _DATE_RE.match(value), where
        dt.date.fromisoformat(value)
    elif type_ in ("DATETIME", "CREATED_AT", "UPDATED_AT"):
        assert isinstance(value, str) and _INSTANT_RE.match(value), where
    elif type_ == "RECORD_ID":
        assert value == record_id, where
    elif type_ in ("FORMULA", "ROLLUP"):
        assert value is None or _is_number(value) or isinstance(value, str), where
    elif type_ == "LOOKUP":
        assert isinstance(value, list), where
    else:  # pragma: no cover - every type of the table is listed above
        raise AssertionError(f"unexpected type {type_}")


def current_labels(w: World, field_id: str) -> set[str]:
    """The field's choice labels now (Tags takes new ones). ``w.fields`` stays as it was at the
    start: the strategies are built from it, and hypothesis needs them unchanged. A label
    outside the cached set triggers one fresh read of the table."""
    labels = w.labels.get(field_id)
    if labels is None:
        table = _table(w.emu, w.http, w.db, w.things)
        w.labels = {
            f["id"]: {c["label"] for c in f["options"]["choices"]}
            for f in table["fields"]
            if f["type"] == "SELECT"
        }
        labels = w.labels[field_id]
    return labels


def check_record(w: World, record: Any) -> None:
    assert isinstance(record, dict) and isinstance(record.get("id"), str), record
    assert record.get("tableId") == w.things
    by_id = {d["id"]: d for d in w.fields.values()}
    assert isinstance(record["fields"], dict)
    for key, value in record["fields"].items():
        assert key in by_id, key
        check_value(w, by_id[key], value, record["id"])


def all_records(w: World) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    while True:
        page = assert_documented(
            w.http.get(w.records_url, params={"offset": len(records), "limit": 200})
        )
        records += page["data"]
        if not page["data"] or len(records) >= page["metadata"]["total"]:
            return records


def assert_consistent(w: World) -> None:
    """After a run: the server answers, every record reads back whole and well-shaped, both raw
    and through the ORM; the table's schema still reads."""
    health = requests.get(w.emu.root_url + "/_emulator/health", timeout=10)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    listed = all_records(w)
    assert sorted(r["id"] for r in listed) == sorted(w.known)
    for record in listed:
        check_record(w, record)
        single = assert_documented(w.http.get(f"{w.records_url}/{record['id']}"))
        assert single["data"] == record
    with Session(w.emu.api_key, base_url=w.emu.base_url, rate_limit=False) as session:
        instances = list(w.model.objects.using(session).all())
        assert sorted(i.id for i in instances) == sorted(r["id"] for r in listed)
        for instance in instances:
            row = instance.to_dict()
            assert row["record_id"] == instance.id
            assert row["done"] in (True, False)
    assert all((entry["status"] or 0) < 500 for entry in w.emu.request_log())


# --- strategies --------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=10), children, max_size=4),
    ),
    max_leaves=12,
)

offsets = st.sampled_from([0, 1, 7, 30, 59])
tz_offsets = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda m: dt.timezone(dt.timedelta(minutes=m))
)
instants = st.datetimes(
    min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=tz_offsets
).map(lambda d: d.isoformat())
date_texts = st.one_of(
    st.dates().map(dt.date.isoformat),
    st.sampled_from(["2021-02-30", "0000-01-01", "99999-01-01", "2021-1-1", "20210101"]),
)
tokens = st.sampled_from(
    [
        "PREDEFINED:TODAY",
        "PREDEFINED:THIS_WEEK",
        "PREDEFINED:30_DAYS_FROM_NOW",
        "PREDEFINED:7_DAYS_AGO",
        "PREDEFINED:99999999_DAYS_AGO",
        "RELATIVE_DATE:PAST:MONTH",
        "RELATIVE_DATE:NEXT:QUARTER",
        "RELATIVE_DATE:PAST:7",
        "RELATIVE_DATE:NEXT:99999999",
        "RELATIVE_DATE:SOON:DAY",
        "PREDEFINED:",
    ]
)
big_numbers = st.sampled_from([10**20, -(10**20), 1e308, -1e308, 5e-324, 0, -0.0, 2**63])


def urls() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(
            [
                "https://files.example.com/a.pdf",
                "http://example.com/x?y=1#z",
                "example.com/path",
                "ftp://example.com/f",
                "javascript:alert(1)",
                "https://",
                "",
                "not a url",
            ]
        ),
        st.text(max_size=20),
    )


def shaped(w: World, name: str) -> st.SearchStrategy[Any]:
    """Values shaped like the field's type: valid ones, near misses and plain junk."""
    definition = w.fields[name]
    type_ = definition["type"]
    member = st.sampled_from([*w.member_ids, "nobody", ""])
    strategies: list[st.SearchStrategy[Any]] = [json_values]
    if type_ in TEXT_LIMITS:
        limit = TEXT_LIMITS[type_]
        strategies += [
            st.text(max_size=40),
            st.emails(),
            urls(),
            st.sampled_from(["x" * limit, "y" * (limit + 1), " ", "\u0000", "\ud800"]),
        ]
    elif type_ in ("NUMBER", "CURRENCY", "PERCENT", "RATING", "DURATION"):
        strategies += [
            st.integers(min_value=-10, max_value=10),
            st.floats(allow_nan=False, allow_infinity=False),
            big_numbers,
            st.sampled_from(["5", "1e3", True]),
        ]
    elif type_ == "CHECKBOX":
        strategies += [st.booleans(), st.sampled_from(["true", 0, 1])]
    elif type_ == "SELECT":
        labels = st.sampled_from(
            [c["label"] for c in definition["options"]["choices"]] + ["ALPHA", "nope", ""]
        )
        item = st.one_of(
            labels,
            labels.map(lambda x: {"label": x}),
            st.sampled_from(definition["options"]["choices"]).map(lambda c: {"id": c["id"]}),
            st.text(max_size=8),
        )
        strategies += [item, st.lists(item, max_size=4)]
    elif type_ == "LINKED_RECORD":
        ref = st.sampled_from([*w.other_ids, "nope", "", w.things])
        item = st.one_of(ref, ref.map(lambda r: {"id": r}))
        strategies += [item, st.lists(item, max_size=4)]
    elif type_ == "ATTACHMENT":
        item = st.one_of(
            urls(),
            st.fixed_dictionaries(
                {"url": urls()},
                optional={
                    "filename": st.one_of(st.text(max_size=12), json_values),
                    "type": st.one_of(st.sampled_from(["image/png", ""]), json_values),
                    "size": st.one_of(st.integers(), json_values),
                    "id": st.text(max_size=6),
                },
            ),
        )
        strategies += [item, st.lists(item, max_size=3)]
    elif type_ == "USER":
        item = st.one_of(
            member,
            member.map(lambda m: {"id": m}),
            st.sampled_from(["fuzz.one@example.com", "FUZZ.TWO@example.com", "x@y.z"]).map(
                lambda e: {"email": e}
            ),
            st.sampled_from(["fuzz.one@example.com", "nobody@example.com"]),
        )
        strategies += [item, st.lists(item, max_size=3)]
    elif type_ == "DATE":
        strategies += [date_texts, instants]
    elif type_ == "DATETIME":
        strategies += [
            instants,
            st.datetimes(min_value=dt.datetime(1, 1, 1)).map(lambda d: d.isoformat()),
            st.sampled_from(
                ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "2024-02-30T00:00Z"]
            ),
            date_texts,
        ]
    return st.one_of(*strategies)


def valid(w: World, name: str) -> st.SearchStrategy[Any]:
    """Values the field should accept (odd ones included: new SELECT labels, far dates, big
    numbers, unicode), so that the fuzz also stores and reads back a lot."""
    definition = w.fields[name]
    type_ = definition["type"]
    multiple = bool(definition.get("allowMultipleEntries"))
    empty = st.sampled_from([None, "", []])
    if type_ in ("SINGLE_LINE_TEXT", "LONG_TEXT"):
        value: st.SearchStrategy[Any] = st.text(min_size=1, max_size=30)
    elif type_ == "PHONE":
        value = st.text(alphabet="+0123456789 -()", min_size=1, max_size=25)
    elif type_ == "EMAIL":
        value = st.emails()
    elif type_ == "URL":
        value = st.sampled_from(["https://example.com/a?b=1", "example.org", "http://x.io:8080/"])
    elif type_ == "RATING":
        value = st.integers(min_value=1, max_value=5)
    elif type_ == "CURRENCY":
        value = st.one_of(
            st.integers(min_value=0, max_value=10**20),
            st.floats(min_value=0, max_value=1e12, allow_nan=False),
        )
    elif type_ in ("NUMBER", "PERCENT", "DURATION"):
        value = st.one_of(
            st.integers(min_value=-(10**20), max_value=10**20),
            st.floats(allow_nan=False, allow_infinity=False),
        )
    elif type_ == "CHECKBOX":
        value = st.booleans()
    elif type_ == "SELECT":
        labels = [c["label"] for c in definition["options"]["choices"]]
        if multiple:  # Tags takes new labels too
            value = st.lists(
                st.one_of(st.sampled_from(labels), st.text(min_size=1, max_size=8)),
                min_size=1,
                max_size=3,
            )
        else:
            value = st.sampled_from(labels)
    elif type_ == "LINKED_RECORD":
        value = st.lists(
            st.sampled_from(w.other_ids), min_size=1, max_size=3 if multiple else 1, unique=True
        )
    elif type_ == "ATTACHMENT":
        value = st.lists(
            st.fixed_dictionaries(
                {"url": st.just("https://files.example.com/f.png")},
                optional={"filename": st.text(max_size=12)},
            ),
            min_size=1,
            max_size=3 if multiple else 1,
        )
    elif type_ == "USER":
        one = st.sampled_from([{"id": w.member_ids[0]}, {"email": "FUZZ.TWO@example.com"}])
        value = st.lists(one, min_size=1, max_size=2) if multiple else one
    elif type_ == "DATE":
        value = st.dates().map(dt.date.isoformat)
    elif type_ == "DATETIME":
        value = instants
    else:  # pragma: no cover
        raise AssertionError(type_)
    return st.one_of(value, empty)


READ_ONLY = ["Double", "Parent label", "Links total", "Created", "Number", "Record ID"]


@st.composite
def field_updates(draw: st.DrawFn, w: World) -> dict[str, Any]:
    """A ``fields`` object: a few writable fields with valid values (half the time) or with
    shaped-or-junk values, now and then a read-only field or an unknown key."""
    names = draw(st.lists(st.sampled_from(WRITABLE_NAMES), min_size=1, max_size=5, unique=True))
    wild = draw(st.booleans())
    updates = {w.fid(name): draw(shaped(w, name) if wild else valid(w, name)) for name in names}
    extra = draw(st.integers(min_value=0, max_value=19))
    if extra == 0:
        updates[w.fid(draw(st.sampled_from(READ_ONLY)))] = draw(json_values)
    elif extra == 1:
        updates[draw(st.text(max_size=6))] = draw(json_values)
    return updates


# --- fuzz: record values -----------------------------------------------------------------------


def test_fuzz_record_values(world: World) -> None:
    """Create and PATCH with fuzzed values: a 200 returns a well-shaped record that reads back
    the same; a refusal is a documented 400 and changes nothing."""
    w = world
    outcomes = {"created": 0, "refused create": 0, "patched": 0, "refused patch": 0}

    @FUZZ
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        updates = data.draw(field_updates(w), label="fields")
        body = json.dumps({"fields": updates}).encode()
        headers = {"Content-Type": "application/json"}
        if data.draw(st.booleans(), label="create"):
            total = assert_documented(w.http.get(w.records_url, params={"limit": 0}))
            answer = w.http.post(w.records_url, data=body, headers=headers)
            created = assert_documented(answer)
            after = assert_documented(w.http.get(w.records_url, params={"limit": 0}))
            if created is None:
                outcomes["refused create"] += 1
                assert after["metadata"]["total"] == total["metadata"]["total"]
                return
            outcomes["created"] += 1
            assert after["metadata"]["total"] == total["metadata"]["total"] + 1
            record = created["data"]
            w.known.append(record["id"])
        else:
            # An index, not sampled_from(w.known): the list grows, and hypothesis needs the
            # same strategy for the same example.
            target_id = w.known[data.draw(st.integers(min_value=0, max_value=999)) % len(w.known)]
            url = f"{w.records_url}/{target_id}"
            before = assert_documented(w.http.get(url))["data"]
            patched = assert_documented(w.http.patch(url, data=body, headers=headers))
            if patched is None:
                outcomes["refused patch"] += 1
                assert assert_documented(w.http.get(url))["data"] == before
                return
            outcomes["patched"] += 1
            record = patched["data"]
            assert record["id"] == target_id
        check_record(w, record)
        again = assert_documented(w.http.get(f"{w.records_url}/{record['id']}"))["data"]
        assert again == record

    run()
    # The run must have exercised both sides of each write, or it proves little.
    assert all(count > 0 for count in outcomes.values()), outcomes
    assert_consistent(w)


# --- fuzz: search bodies -----------------------------------------------------------------------


@st.composite
def conditions(draw: st.DrawFn, w: World, depth: int = 0) -> Any:
    """A filter condition that is structured, but often wrong: any operator, any left side,
    any subset of keys, right sides of every shape."""
    kind = draw(st.integers(min_value=0, max_value=9))
    if kind == 0:
        return draw(json_values)
    if kind <= 2 and depth < 4:
        return {
            "operator": draw(st.sampled_from(["AND", "OR", "AND", "NOT", "and"])),
            "conditions": draw(
                st.one_of(
                    st.lists(conditions(w, depth + 1), max_size=3),
                    json_values,
                )
            ),
        }
    field_ids = [f["id"] for f in w.fields.values()]
    operator = draw(st.one_of(st.sampled_from(OPERATORS), st.text(max_size=8), json_values))
    left = draw(
        st.one_of(
            st.sampled_from([*field_ids, "created_at", "updated_at"]),
            st.sampled_from(["nope", "", "Name"]),
            json_values,
        )
    )
    value = st.one_of(
        scalars,
        tokens,
        instants,
        date_texts,
        big_numbers,
        st.lists(scalars, max_size=3),
        json_values,
    )
    node: dict[str, Any] = {"operator": operator, "leftSide": left}
    keys = draw(
        st.sets(st.sampled_from(["rightSide", "lowerBound", "upperBound", "conditions", "x"]))
        | st.sampled_from([{"rightSide"}, {"lowerBound", "upperBound"}, set()])
    )
    for key in sorted(keys):
        node[key] = draw(value)
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        node.pop(draw(st.sampled_from(sorted(node))))
    return node


_VALUES_BY_TYPE: dict[str, list[Any]] = {
    "text": ["a", "Seed", "", "x@y.z", "https://"],
    "number": [0, 3, -1.5, 10**20, "7"],
    "date": ["2024-01-01", "2024-01-01T00:00:00Z", "PREDEFINED:TODAY", 1700000000000],
    "choice": ["alpha", "red", "ALPHA", "nope"],
}


@st.composite
def well_formed(draw: st.DrawFn, w: World, depth: int = 0) -> Any:
    """A condition with the right keys for its operator: the values may still not fit the
    field, which the emulator must then refuse with a documented 400 (or evaluate)."""
    if depth < 3 and draw(st.integers(min_value=0, max_value=3)) == 0:
        children = st.lists(well_formed(w, depth + 1), max_size=3)
        return {"operator": draw(st.sampled_from(["AND", "OR"])), "conditions": draw(children)}
    left = draw(st.sampled_from([*sorted(f["id"] for f in w.fields.values()), "created_at"]))
    pool = [v for values in _VALUES_BY_TYPE.values() for v in values]
    one = st.one_of(st.sampled_from(pool), scalars)
    leaf_operators = sorted({*BINARY_OPERATORS, *UNARY_OPERATORS, *RANGE_OPERATORS})
    operator = draw(st.sampled_from(leaf_operators))
    node: dict[str, Any] = {"operator": operator, "leftSide": left}
    if operator in BINARY_OPERATORS:
        node["rightSide"] = draw(st.one_of(one, st.lists(one, max_size=3)))
    elif operator in RANGE_OPERATORS:
        node["lowerBound"] = draw(st.one_of(one, tokens))
        node["upperBound"] = draw(st.one_of(one, tokens))
    return node


@st.composite
def search_bodies(draw: st.DrawFn, w: World) -> Any:
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        return draw(json_values)
    field_ids = [f["id"] for f in w.fields.values()]
    sort_entry = st.one_of(
        st.fixed_dictionaries(
            {
                "sortingField": st.one_of(
                    st.sampled_from([*field_ids, "created_at", "updated_at", "nope"]), json_values
                ),
                "sortType": st.one_of(st.sampled_from(["ASC", "DESC", "asc"]), json_values),
            }
        ),
        json_values,
    )
    paging_value = st.one_of(
        st.integers(min_value=-3, max_value=300), st.sampled_from([10**30, 1.5, "10"]), json_values
    )
    return draw(
        st.fixed_dictionaries(
            {},
            optional={
                "filter": st.one_of(
                    well_formed(w).map(lambda c: {"condition": c}),
                    conditions(w).map(lambda c: {"condition": c}),
                    json_values,
                ),
                "sorting": st.one_of(st.lists(sort_entry, max_size=3), sort_entry),
                "sort": st.lists(sort_entry, max_size=2),
                "paging": st.one_of(
                    st.fixed_dictionaries(
                        {}, optional={"offset": paging_value, "limit": paging_value}
                    ),
                    json_values,
                ),
                "junk": json_values,
            },
        )
    )


def test_fuzz_search_bodies(world: World) -> None:
    """Searches with fuzzed bodies: a 200 is a well-formed page, anything else a documented
    400; the search never changes a record."""
    w = world
    outcomes = {"ok": 0, "refused": 0}
    before = all_records(w)

    @FUZZ
    @given(body=search_bodies(w), by_name=st.booleans())
    def run(body: Any, by_name: bool) -> None:
        answer = w.http.post(
            w.records_url + "/search",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            params={"fieldNames": "true" if by_name else "false"},
        )
        page = assert_documented(answer)
        if page is None:
            outcomes["refused"] += 1
            return
        outcomes["ok"] += 1
        metadata = page["metadata"]
        assert set(metadata) == {"offset", "limit", "total"}
        assert 0 <= metadata["limit"] <= 200
        assert len(page["data"]) <= metadata["limit"]
        assert len(page["data"]) <= max(0, metadata["total"] - metadata["offset"])
        for record in page["data"]:
            if by_name:
                assert set(record["fields"]) <= set(w.fields)
            else:
                check_record(w, record)

    run()
    assert outcomes["ok"] > 0 and outcomes["refused"] > 0, outcomes
    assert all_records(w) == before
    assert_consistent(w)


def test_fuzz_list_query_parameters(world: World) -> None:
    """GET records with fuzzed query parameters: a page or a documented 400/404."""
    w = world
    params = st.dictionaries(
        st.sampled_from(["offset", "limit", "fieldNames", "viewId", "x"]),
        st.one_of(
            st.integers(min_value=-5, max_value=500).map(str),
            st.sampled_from(["", " 1", "1.0", "1e2", "true", "no", "\u0661", "9" * 30]),
            st.text(max_size=10),
        ),
        max_size=4,
    )

    @settings(FUZZ, max_examples=max(EXAMPLES // 2, 10))
    @given(query=params)
    def run(query: dict[str, str]) -> None:
        page = assert_documented(w.http.get(w.records_url, params=query))
        if page is not None:
            assert len(page["data"]) <= page["metadata"]["limit"] <= 200

    run()
    assert_consistent(w)


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("0088-09-28T23:32:35Z", "0088-09-28T23:32:35.000Z"),
        ("0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00.000Z"),
        ("0999-12-31T23:30:00-01:00", "1000-01-01T00:30:00.000Z"),
        ("9999-12-31T23:59:59.999+00:00", "9999-12-31T23:59:59.999Z"),
    ],
)
def test_far_dates_round_trip(world: World, written: str, read: str) -> None:
    """What the first fuzz run found: years before 1000 lost their leading zeros on the way
    out ("88-09-28T..."), so a stored DATETIME no longer read as ISO-8601."""
    w = world
    answer = w.http.post(
        w.records_url, json={"fields": {w.fid("When"): written, w.fid("Day"): "0088-01-02"}}
    )
    record = assert_documented(answer)["data"]
    w.known.append(record["id"])
    assert record["fields"][w.fid("When")] == read
    assert record["fields"][w.fid("Day")] == "0088-01-02"
    check_record(w, record)
