"""The generated per-binding converters agree with the field classes, value for value.

Every field type of the models corpus (the demo CRM's models and a model with one field per
Softr type, computed and raw fields, and subclasses that change ``to_python``) is read both
ways: through the code :mod:`softr_orm.models.hydration` generates, and through each field's
``to_python``. The values must be equal and of the same types, for the usual read shapes, the
odd ones (legacy shapes, strings for numbers, unknown types) and hypothesis-generated JSON.
"""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softr_orm import fields
from softr_orm.backends.softr.resources import Table
from softr_orm.cli.demo import Company, Contact, Deal
from softr_orm.models.base import Model
from softr_orm.models.hydration import filler_for, generate_source
from softr_orm.query.binding import Binding


class Shouty(fields.SingleLineText):
    """A user's subclass with its own ``to_python``: must go through it."""

    def to_python(self, raw: Any) -> str | None:
        value = super().to_python(raw)
        return value.upper() if isinstance(value, str) else value


class Initials(fields.Select):
    """A subclass overriding only ``read_item``: the inline select code must not skip it."""

    def read_item(self, raw: Any) -> Any:
        item = super().read_item(raw)
        return item[:1] if isinstance(item, str) else item


class Everything(Model):
    text = fields.SingleLineText("Text")
    long = fields.LongText("Long")
    email = fields.Email("Email")
    phone = fields.Phone("Phone")
    url = fields.URL("Url")
    number = fields.Number("Number")
    percent = fields.Percent("Percent")
    currency = fields.Currency("Currency")
    rating = fields.Rating("Rating")
    duration = fields.Duration("Duration")
    checkbox = fields.Checkbox("Checkbox")
    select = fields.Select("Select")
    tags = fields.Select("Tags", multiple=True)
    user = fields.User("User")
    users = fields.User("Users", multiple=True)
    files = fields.Attachment("Files")
    day = fields.Date("Day")
    moment = fields.DateTime("Moment")
    lookup = fields.Lookup("Lookup")
    lookup_numbers = fields.Lookup("Lookup numbers", of=fields.Number)
    rollup = fields.Rollup("Rollup")
    rollup_money = fields.Rollup("Rollup money", returns=fields.Currency)
    formula = fields.Formula("Formula")
    formula_date = fields.Formula("Formula date", returns=fields.Date)
    created = fields.CreatedAt("Created")
    updated = fields.UpdatedAt("Updated")
    created_by = fields.CreatedBy("Created by")
    updated_by = fields.UpdatedBy("Updated by")
    autonumber = fields.Autonumber("Autonumber")
    record_id = fields.RecordId("Record id")
    raw = fields.Raw("Raw")
    shouty = Shouty("Shouty")
    initials = Initials("Initials", multiple=True)
    initial = Initials("Initial")

    class Meta:
        database = "db"
        table = "Everything"


CORPUS: list[type[Model]] = [Everything, Company, Contact, Deal]


def binding_of(model: type[Model]) -> Binding:
    """A binding with made-up field ids (``f0``, ``f1``, ...), built without any request."""
    attnames = list(model._meta.fields)
    table = Table.from_api(
        {
            "id": "t" + model.__name__,
            "name": model.__name__,
            "fields": [
                {"id": f"f{i}", "name": attname, "type": "SINGLE_LINE_TEXT"}
                for i, attname in enumerate(attnames)
            ],
        }
    )
    ids = {attname: f"f{i}" for i, attname in enumerate(attnames)}
    return Binding(
        session=None,  # type: ignore[arg-type]  # no request is made
        database_id="db",
        table_id=table.id,
        table=table,
        ids=ids,
        attnames={v: k for k, v in ids.items()},
        table_fields={a: table.fields[i] for i, a in enumerate(attnames)},
        record_id_field=None,
        extra={"model": model},
    )


BINDINGS = {model: binding_of(model) for model in CORPUS}
PLAIN = [
    (model, attname)
    for model in CORPUS
    for attname, field in model._meta.fields.items()
    if not field.is_link
]


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types, all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, datetime):
        return a == b and a.tzinfo == b.tzinfo
    return bool(a == b)


def generated(model: type[Model], attname: str, raw: Any) -> Any:
    binding = BINDINGS[model]
    values: dict[str, Any] = {}
    filler_for(binding)(values, {binding.ids[attname]: raw})
    return values[attname]


def generic(model: type[Model], attname: str, raw: Any) -> Any:
    return model._meta.fields[attname].to_python(raw)


ODD_VALUES: list[Any] = [
    None,
    "",
    "text",
    "42",
    "4.5",
    "-0.0",
    "1e3",
    "abc",
    " 7 ",
    "true",
    "FALSE",
    0,
    1,
    2,
    -5,
    10**20,
    True,
    False,
    0.5,
    1.0,
    Decimal("0.10"),
    Decimal("12345678901234567.89"),
    Decimal("3"),
    Decimal("1E+3"),
    "2026-05-03",
    "2026-02-30",
    "2026-05-03T12:30:00Z",
    "2026-05-03T12:30:00.123Z",
    "2026-05-03T12:30:00+02:00",
    "2026-05-03T12:30:00",
    "2026-05-03 12:30",
    "20260503T1230Z",
    # Baserow's numbers arrive as decimal strings
    "19.99",
    " 12.50 ",
    "-3",
    "00042",
    "1_000",
    "-Infinity",
    "1e400",
    "\u0661\u0662",
    1_777_000_000_000,
    {"id": "c1", "label": "Lead"},
    {"id": 1, "value": "Lead", "color": "blue", "label": "Lead"},
    {"id": "c1", "label": 7},
    {"id": "c1", "name": "Named"},
    {"id": "c1"},
    {"label": None},
    {"id": "u1", "email": "u@example.com", "name": "U"},
    {"url": "https://example.com/a.png", "filename": "a.png", "size": 3},
    [],
    ["a"],
    ["a", "b"],
    [{"id": "t1", "label": "vip"}, {"id": "t2", "label": "lead"}],
    [{"id": "t1", "label": "vip"}, "plain", 3, None, {"id": "t3"}],
    [1, Decimal("2.5"), "3"],
    [{"url": "https://example.com/b.pdf"}],
    {"nested": {"a": [1, Decimal("1.5")]}},
]


@pytest.mark.parametrize(("model", "attname"), PLAIN, ids=[f"{m.__name__}.{a}" for m, a in PLAIN])
def test_generated_matches_to_python_on_odd_values(model: type[Model], attname: str) -> None:
    """Every read shape, odd or usual, gives the same value of the same type both ways."""
    for raw in ODD_VALUES:
        kept = copy.deepcopy(raw)
        expected = generic(model, attname, raw)
        got = generated(model, attname, raw)
        assert same(got, expected), (raw, got, expected)
        assert same(raw, kept)  # neither path changed the raw value


def test_missing_field_reads_like_none() -> None:
    """A record without the field's key converts as a null value does (e.g. [] for tags)."""
    binding = BINDINGS[Everything]
    values: dict[str, Any] = {}
    filler_for(binding)(values, {})
    for attname in values:
        assert same(values[attname], generic(Everything, attname, None)), attname
    assert values["tags"] == [] and values["checkbox"] is False


def test_values_already_in_the_dict_are_kept() -> None:
    """An assigned (or already read) value is never overwritten by the raw one."""
    binding = BINDINGS[Everything]
    mine = object()
    values: dict[str, Any] = {"number": mine}
    filler_for(binding)(values, {binding.ids["number"]: 5, binding.ids["text"]: "x"})
    assert values["number"] is mine
    assert values["text"] == "x"


def test_subclass_conversions_are_used() -> None:
    """A user's to_python or read_item override decides, not the inline code."""
    assert generated(Everything, "shouty", "abc") == "ABC"
    odd = [{"id": "c", "name": "Named"}, "Won", 5]
    assert generated(Everything, "initials", odd) == ["N", "Won", 5]
    assert generated(Everything, "initial", {"id": "c", "name": "Named"}) == "N"


def test_link_fields_are_left_to_the_model() -> None:
    """Linked records are not converted by the generated code (they load related records)."""
    source, _ = generate_source(BINDINGS[Contact])
    assert "'company'" not in source
    assert "'email'" in source


def test_odd_ids_and_names_are_literals() -> None:
    """Field ids come from the server: any text is written into the code as a literal."""
    binding = binding_of(Everything)
    strange = "x'); import os; ('"
    binding = Binding(**{**binding.__dict__, "ids": {**binding.ids, "text": strange}})
    values: dict[str, Any] = {}
    filler_for(binding)(values, {strange: "ok"})
    assert values["text"] == "ok"


def test_model_reads_through_the_generated_code() -> None:
    """A hydrated instance reads its values (and tracks changes) as before."""
    binding = BINDINGS[Everything]
    raw = {
        binding.ids["number"]: Decimal("2.5"),
        binding.ids["currency"]: Decimal("19.99"),
        binding.ids["tags"]: [{"id": "t1", "label": "vip"}],
        binding.ids["moment"]: "2026-05-03T12:30:00Z",
        binding.ids["day"]: "2026-05-03",
    }
    item = Everything._from_api({"id": "r1", "fields": raw}, binding)
    assert item.number == 2.5 and type(item.number) is float
    assert item.currency == Decimal("19.99")
    assert item.moment == datetime(2026, 5, 3, 12, 30, tzinfo=timezone.utc)
    assert item.day == date(2026, 5, 3)
    assert item.duration is None
    assert not item.is_dirty
    item.tags.append("lead")
    assert item.changed_fields == {"tags": (["vip"], ["vip", "lead"])}


# --- hypothesis -----------------------------------------------------------------------------

_decimals = st.decimals(allow_nan=False, allow_infinity=False)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    _decimals,
    st.text(max_size=12),
    st.dates().map(date.isoformat),
    st.datetimes(timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=-3))])).map(
        datetime.isoformat
    ),
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
    _decimals.map(str),
)
_items = st.one_of(
    _scalars,
    st.fixed_dictionaries({"id": st.text(max_size=4), "label": _scalars}),
    st.fixed_dictionaries({"id": st.text(max_size=4)}, optional={"name": _scalars}),
    st.fixed_dictionaries(
        {"url": st.text(max_size=8)}, optional={"filename": _scalars, "size": _scalars}
    ),
)
_json_values = st.recursive(
    _items,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(raw=_json_values, index=st.integers(min_value=0, max_value=len(PLAIN) - 1))
def test_generated_matches_to_python_on_generated_values(raw: Any, index: int) -> None:
    """Hypothesis-generated JSON values convert identically both ways, for every field."""
    model, attname = PLAIN[index]
    assert same(generated(model, attname, raw), generic(model, attname, raw))


@settings(max_examples=60, deadline=None)
@given(raw=_json_values)
def test_every_field_agrees_on_one_value(raw: Any) -> None:
    """One generated value through every field of the corpus at once."""
    for model, attname in PLAIN:
        assert same(generated(model, attname, raw), generic(model, attname, raw)), attname


def test_from_record_copies_and_reads_like_the_scan_path() -> None:
    """from_record reads the same values as the scan path, accepts fields keyed by name, and
    keeps its own copies: a payload changed afterwards changes neither values nor tracking."""
    from softr_orm import Session
    from softr_orm.query.binding import _state

    session = Session("key", base_url="http://127.0.0.1:9", rate_limit=False)
    binding = Binding(**{**BINDINGS[Everything].__dict__, "session": session})
    _state(session).bindings[Everything] = {Everything._meta.database or "": binding}
    payload = {
        "id": "r1",
        "fields": {binding.ids["tags"]: [{"id": "t", "label": "vip"}], binding.ids["text"]: "a"},
        "createdAt": "2026-05-03T12:30:00Z",
    }
    item = Everything.from_record(payload, session=session)
    scanned = Everything._from_api(payload, binding)
    assert item.to_dict() == scanned.to_dict()
    payload["fields"][binding.ids["tags"]] = []
    payload["fields"][binding.ids["text"]] = "changed"
    payload["createdAt"] = "2030-01-01T00:00:00Z"
    assert item.tags == ["vip"] and item.text == "a" and not item.is_dirty
    assert item.created_at == datetime(2026, 5, 3, 12, 30, tzinfo=timezone.utc)
    by_name = Everything.from_record({"id": "r2", "fields": {"tags": ["x"]}}, session=session)
    assert by_name.tags == ["x"]
    session.close()
