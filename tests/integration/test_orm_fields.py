"""Round trips of every field type through the ORM and the emulator, over real HTTP.

Each editable type is written through a model (POST on create, PATCH on update), read back
by id in a *fresh* session (so nothing comes from a cache) and compared with the Python value
that was assigned; then it is cleared with None. Computed types are checked for sensible
values after a save: formulas computed, autonumbers counting, lookups and rollups following
the linked records, timestamps and authors set by the server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from softr_orm import Model, Session, fields
from softr_orm.emulator import Emulator
from softr_orm.errors import InvalidValue, ReadOnlyField
from softr_orm.fields.values import Attachment, SoftrUser

pytestmark = pytest.mark.integration

UTC = dt.timezone.utc
CEST = dt.timezone(dt.timedelta(hours=2))


def _ids(table: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["id"] for f in table["fields"]}


@dataclass
class Env:
    """The module's tables, models and fixed linked records."""

    emu: Emulator
    main: type[Model]
    target: type[Model]
    t1: str
    t2: str
    member: dict[str, Any]
    owner_id: str


def _models(database_id: str) -> tuple[type[Model], type[Model]]:
    class Target(Model):
        name = fields.SingleLineText("Name")
        size = fields.Number("Size")
        kind = fields.Select("Kind")

        class Meta:
            database = database_id
            table = "Targets"

    class Main(Model):
        name = fields.SingleLineText("Name")
        long = fields.LongText("Long")
        email = fields.Email("Email")
        phone = fields.Phone("Phone")
        url = fields.URL("Url")
        num = fields.Number("Num")
        cur = fields.Currency("Cur")
        pct = fields.Percent("Pct")
        rate = fields.Rating("Rate")
        dur = fields.Duration("Dur")
        check = fields.Checkbox("Check")
        sel = fields.Select("Sel")
        multi = fields.Select("Multi", multiple=True)
        owner = fields.User("Owner")
        one = fields.LinkedRecord("One", to=Target, multiple=False)
        many = fields.LinkedRecord("Many", to=Target)
        files = fields.Attachment("Files")
        day = fields.Date("Day")
        when = fields.DateTime("When")
        total = fields.Formula("Total")
        created = fields.CreatedAt("Created")
        updated = fields.UpdatedAt("Updated")
        created_by = fields.CreatedBy("Created by")
        updated_by = fields.UpdatedBy("Updated by")
        auto = fields.Autonumber("Auto")
        rid = fields.RecordId("Record ID")
        sizes = fields.Lookup("Sizes")
        kinds = fields.Lookup("Kinds", of=fields.Select)
        size_sum = fields.Rollup("Size sum")

        class Meta:
            database = database_id
            table = "Main"

    return Main, Target


@pytest.fixture(scope="module")
def env(emu: Emulator, member: dict[str, Any]) -> Env:
    database_id = emu.create_database("field round trips")["id"]
    target = emu.create_table(
        database_id,
        "Targets",
        [
            {"name": "Name", "type": "SINGLE_LINE_TEXT"},
            {"name": "Size", "type": "NUMBER"},
            {
                "name": "Kind",
                "type": "SELECT",
                "options": {"choices": [{"label": "x"}, {"label": "y"}]},
            },
            {"name": "Record ID", "type": "RECORD_ID"},
        ],
    )
    main = emu.create_table(
        database_id,
        "Main",
        [
            {"name": "Name", "type": "SINGLE_LINE_TEXT"},
            {"name": "Long", "type": "LONG_TEXT"},
            {"name": "Email", "type": "EMAIL"},
            {"name": "Phone", "type": "PHONE"},
            {"name": "Url", "type": "URL"},
            {"name": "Num", "type": "NUMBER"},
            {"name": "Cur", "type": "CURRENCY"},
            {"name": "Pct", "type": "PERCENT"},
            {"name": "Rate", "type": "RATING", "options": {"max": 5}},
            {"name": "Dur", "type": "DURATION"},
            {"name": "Check", "type": "CHECKBOX"},
            {
                "name": "Sel",
                "type": "SELECT",
                "options": {"choices": [{"label": "Open"}, {"label": "Closed"}]},
            },
            {
                "name": "Multi",
                "type": "SELECT",
                "allowMultipleEntries": True,
                "options": {"choices": [{"label": "a"}, {"label": "b"}, {"label": "c"}]},
            },
            {"name": "Owner", "type": "USER"},
            {"name": "One", "type": "LINKED_RECORD", "options": {"linkedTableId": target["id"]}},
            {
                "name": "Many",
                "type": "LINKED_RECORD",
                "allowMultipleEntries": True,
                "options": {"linkedTableId": target["id"]},
            },
            {"name": "Files", "type": "ATTACHMENT", "allowMultipleEntries": True},
            {"name": "Day", "type": "DATE"},
            {"name": "When", "type": "DATETIME"},
            {"name": "Total", "type": "FORMULA", "options": {"formula": "{Num} * 2 + {Cur}"}},
            {"name": "Created", "type": "CREATED_AT"},
            {"name": "Updated", "type": "UPDATED_AT"},
            {"name": "Created by", "type": "CREATED_BY"},
            {"name": "Updated by", "type": "UPDATED_BY"},
            {"name": "Auto", "type": "AUTONUMBER"},
            {"name": "Record ID", "type": "RECORD_ID"},
        ],
    )
    main_ids, target_ids = _ids(main), _ids(target)
    link = main_ids["Many"]
    for body in (
        {
            "name": "Sizes",
            "type": "LOOKUP",
            "options": {"linkedRecordFieldId": link, "lookupFieldId": target_ids["Size"]},
        },
        {
            "name": "Kinds",
            "type": "LOOKUP",
            "options": {"linkedRecordFieldId": link, "lookupFieldId": target_ids["Kind"]},
        },
        {
            "name": "Size sum",
            "type": "ROLLUP",
            "options": {
                "linkedRecordFieldId": link,
                "rollupFieldId": target_ids["Size"],
                "function": "SUM",
            },
        },
    ):
        emu.add_field(database_id, main["id"], body)
    t1, t2 = emu.insert_records(
        database_id,
        target["id"],
        [
            {target_ids["Name"]: "t1", target_ids["Size"]: 3, target_ids["Kind"]: "x"},
            {target_ids["Name"]: "t2", target_ids["Size"]: Decimal("4.5"), target_ids["Kind"]: "y"},
        ],
    )
    main_model, target_model = _models(database_id)
    return Env(
        emu=emu,
        main=main_model,
        target=target_model,
        t1=t1,
        t2=t2,
        member=member,
        owner_id=emu.store.default_token.user_id,
    )


def plain(value: Any) -> Any:
    """A comparable form: instances as ids, attachments as (url, filename), users as tuples."""
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, Model):
        return ("record", value.id)
    if isinstance(value, Attachment):
        return ("file", value.url, value.filename)
    if isinstance(value, SoftrUser):
        return ("user", value.id, value.email, value.name)
    if isinstance(value, Decimal):
        return ("decimal", str(value))  # exact digits, not just numeric equality
    if isinstance(value, dt.datetime):
        assert value.utcoffset() is not None, "datetimes must come back aware"
        return ("instant", value.astimezone(UTC))
    return (type(value).__name__, value)


@dataclass(frozen=True)
class Case:
    """One editable field: two values to write and what each reads back as."""

    attname: str
    first: Callable[[Env], Any]
    first_read: Callable[[Env], Any]
    second: Callable[[Env], Any]
    second_read: Callable[[Env], Any]
    empty: Any = None


def _same(value: Any) -> Callable[[Env], Any]:
    return lambda env: value


def _user(env: Env) -> SoftrUser:
    m = env.member
    return SoftrUser(id=m["id"], email=m["email"], name=m["fullName"])


def _owner(env: Env) -> SoftrUser:
    return SoftrUser(id=env.owner_id, email="owner@example.com", name="Emu Owner")


def _target(name: str) -> Callable[[Env], Any]:
    def get(env: Env) -> Any:
        return env.target._stub(getattr(env, name), None)

    return get


def _targets(*names: str) -> Callable[[Env], Any]:
    return lambda env: [_target(n)(env) for n in names]


PDF = "https://files.example.com/docs/report%20q1.pdf"
CASES = [
    Case(
        "name",
        _same("Héllo wörld ✓"),
        _same("Héllo wörld ✓"),
        _same("  spaced  "),
        _same("  spaced  "),
    ),
    Case(
        "long",
        _same("line 1\nline 2\n\n**bold**"),
        _same("line 1\nline 2\n\n**bold**"),
        _same("x" * 5000),
        _same("x" * 5000),
    ),
    Case(
        "email",
        _same("jane.doe@example.com"),
        _same("jane.doe@example.com"),
        _same("J@example.org"),
        _same("J@example.org"),
    ),
    Case(
        "phone",
        _same("+1 (212) 555-0100"),
        _same("+1 (212) 555-0100"),
        _same("030.1234"),
        _same("030.1234"),
    ),
    Case(
        "url",
        _same("https://example.com/a?b=c"),
        _same("https://example.com/a?b=c"),
        _same("http://localhost:8000/x"),
        _same("http://localhost:8000/x"),
    ),
    Case("num", _same(42), _same(42), _same(2.5), _same(2.5)),
    Case(
        "cur",
        _same(Decimal("1234.50")),
        _same(Decimal("1234.50")),
        _same("98765432109876.01"),
        _same(Decimal("98765432109876.01")),
    ),
    Case("pct", _same(50), _same(50), _same(12.5), _same(12.5)),
    Case("rate", _same(4), _same(4), _same(1), _same(1)),
    Case(
        "dur",
        _same(dt.timedelta(minutes=90)),
        _same(dt.timedelta(minutes=90)),
        _same(dt.timedelta(seconds=1, milliseconds=500)),
        _same(dt.timedelta(seconds=1, milliseconds=500)),
    ),
    Case("check", _same(True), _same(True), _same(False), _same(False), empty=False),
    Case("sel", _same("Open"), _same("Open"), _same("Closed"), _same("Closed")),
    Case("multi", _same(["a", "c"]), _same(["a", "c"]), _same(["b"]), _same(["b"]), empty=[]),
    Case(
        "owner",
        lambda env: env.member["id"],
        _user,
        lambda env: SoftrUser(email=env.member["email"]),
        _user,
    ),
    Case("one", _target("t1"), _target("t1"), lambda env: env.t2, _target("t2")),
    Case(
        "many",
        _targets("t1", "t2"),
        _targets("t1", "t2"),
        lambda env: [env.t2],
        _targets("t2"),
        empty=[],
    ),
    Case(
        "files",
        _same([PDF]),
        _same([Attachment(url=PDF, filename="report q1.pdf")]),
        _same([Attachment(url="https://x.example.com/a.png", filename="Screen shot.png")]),
        _same([Attachment(url="https://x.example.com/a.png", filename="Screen shot.png")]),
        empty=[],
    ),
    Case(
        "day",
        _same(dt.date(2026, 2, 28)),
        _same(dt.date(2026, 2, 28)),
        _same("1999-12-31"),
        _same(dt.date(1999, 12, 31)),
    ),
    Case(
        "when",
        _same(dt.datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=CEST)),
        _same(dt.datetime(2026, 3, 28, 23, 30, 15, 123000, tzinfo=UTC)),
        _same(dt.datetime(1970, 1, 1, tzinfo=UTC)),
        _same(dt.datetime(1970, 1, 1, tzinfo=UTC)),
    ),
]


def _read(env: Env, session: Session, record_id: str) -> Any:
    return env.main.objects.using(session).get(id=record_id)


@pytest.mark.parametrize("case", CASES, ids=[c.attname for c in CASES])
def test_round_trip(env: Env, case: Case, make_session: Callable[..., Session]) -> None:
    """A value written through the model reads back equal in a fresh session, then clears."""
    writer = make_session()
    attname = case.attname
    created = env.main.objects.using(writer).create(**{attname: case.first(env)})
    assert created.id is not None
    assert not created.is_dirty
    assert plain(getattr(created, attname)) == plain(case.first_read(env))

    fresh = _read(env, make_session(), created.id)
    assert plain(getattr(fresh, attname)) == plain(case.first_read(env))

    setattr(fresh, attname, case.second(env))
    assert fresh.is_dirty
    assert fresh.save().updated == (attname,)
    again = _read(env, make_session(), created.id)
    assert plain(getattr(again, attname)) == plain(case.second_read(env))

    if case.empty is False:  # a checkbox has no "empty" but unchecked: None is refused
        with pytest.raises(InvalidValue, match=attname):
            setattr(again, attname, None)
        return
    setattr(again, attname, None)
    assert again.save().updated == (attname,)
    cleared = _read(env, make_session(), created.id)
    assert plain(getattr(cleared, attname)) == plain(case.empty)


def test_number_keeps_int_and_float(env: Env, make_session: Callable[..., Session]) -> None:
    """NUMBER: an int reads back as int, a non-integral number as float, never Decimal."""
    writer = env.main.objects.using(make_session())
    a = writer.create(num=7)
    b = writer.create(num=Decimal("0.1"))
    fresh = env.main.objects.using(make_session())
    assert type(fresh.get(id=a.id).num) is int
    value = fresh.get(id=b.id).num
    assert type(value) is float and value == 0.1


def test_formula_is_computed_after_save(env: Env, session: Session) -> None:
    """FORMULA: the saved instance already holds the server's computed value."""
    row = env.main.objects.using(session).create(num=2.5, cur=Decimal("1234.50"))
    assert row.total == 1239.5
    row.num = 10
    row.save()
    assert row.total == 1254.5
    assert _read(env, session, row.id).total == 1254.5


def test_autonumber_increments(env: Env, session: Session) -> None:
    """AUTONUMBER: each new record gets the next number, also when created in a row."""
    rows = [env.main.objects.using(session).create(name=f"auto {i}") for i in range(3)]
    numbers = [r.auto for r in rows]
    assert all(type(n) is int for n in numbers)
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]
    assert _read(env, session, rows[2].id).auto == numbers[2]


def test_lookup_and_rollup_follow_links(env: Env, session: Session) -> None:
    """LOOKUP and ROLLUP reflect the linked records, and change when the links change."""
    targets = env.target.objects.using(session)
    a = targets.create(name="a", size=10, kind="x")
    b = targets.create(name="b", size=Decimal("2.25"), kind="y")
    row = env.main.objects.using(session).create(many=[a, b])
    assert row.sizes == [10, 2.25]
    assert row.kinds == ["x", "y"]
    assert row.size_sum == 12.25

    b.size = 5
    b.save()
    row.refresh()
    assert row.size_sum == 15
    row.many = [b]
    row.save()
    assert (row.sizes, row.kinds, row.size_sum) == ([5], ["y"], 5)
    empty = env.main.objects.using(session).create(name="no links")
    assert (empty.sizes, empty.kinds, empty.size_sum) == ([], [], 0)


def test_timestamps_come_from_the_server(env: Env, session: Session) -> None:
    """CREATED_AT / UPDATED_AT: aware UTC datetimes set by the server on create and update."""
    t0 = dt.datetime(2026, 4, 1, 8, 0, 0, 250000, tzinfo=UTC)
    t1 = t0 + dt.timedelta(hours=5, milliseconds=7)
    try:
        env.emu.set_now(t0)
        row = env.main.objects.using(session).create(name="stamped")
        assert row.created == row.updated == t0
        assert row.created_at == t0
        env.emu.set_now(t1)
        row.name = "stamped again"
        row.save()
    finally:
        env.emu.set_now(None)
    fresh = _read(env, session, row.id)
    assert fresh.created == t0 and fresh.created.tzinfo is not None
    assert fresh.updated == t1
    assert fresh.updated_at == t1


def test_created_by_and_updated_by(env: Env, make_session: Callable[..., Session]) -> None:
    """CREATED_BY / UPDATED_BY name the users owning the tokens that wrote."""
    env_token = env.emu.store.create_token(
        [env.emu.workspace_id], name="member token", user_id=env.member["id"]
    ).secret
    row = env.main.objects.using(make_session()).create(name="authored")
    assert plain(row.created_by) == plain(_owner(env))
    assert plain(row.updated_by) == plain(_owner(env))
    other = _read(env, make_session(env_token), row.id)
    other.name = "edited by Ann"
    other.save()
    fresh = _read(env, make_session(), row.id)
    assert plain(fresh.created_by) == plain(_owner(env))
    assert plain(fresh.updated_by) == plain(_user(env))


def test_record_id_field_is_the_id(env: Env, session: Session) -> None:
    """RECORD_ID reads as the record's own id."""
    row = env.main.objects.using(session).create(name="me")
    assert row.rid == row.id
    assert _read(env, session, row.id).rid == row.id


@pytest.mark.parametrize(
    "attname",
    [
        "total",
        "created",
        "updated",
        "created_by",
        "updated_by",
        "auto",
        "rid",
        "sizes",
        "kinds",
        "size_sum",
    ],
)
def test_read_only_fields_refuse_writes(env: Env, session: Session, attname: str) -> None:
    """Assigning a computed field raises ReadOnlyField before any request."""
    row = env.main.objects.using(session).create(name="ro")
    before = session.request_count
    with pytest.raises(ReadOnlyField, match=attname):
        setattr(row, attname, 1)
    assert session.request_count == before
    assert not row.is_dirty


def test_choice_in_another_case_is_written_canonically(env: Env, session: Session) -> None:
    """A label differing only in case is sent as the live choice (Softr matches exactly)."""
    objects = env.main.objects.using(session)
    row = objects.create(sel="OPEN", multi=["A", "c"])
    assert (row.sel, row.multi) == ("Open", ["a", "c"])
    row.sel = "closed"
    row.save()
    assert _read(env, session, row.id).sel == "Closed"
    with pytest.raises(InvalidValue, match="choices are: Closed, Open"):
        objects.create(sel="Pending")
    with pytest.raises(InvalidValue, match="from 1 to 5"):
        row.rate = 6
