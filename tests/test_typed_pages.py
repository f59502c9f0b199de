"""Typed record pages (msgspec structs per table) read exactly as plain JSON pages do.

A scan decodes its pages into structs made for the table (:mod:`softr_orm.backends.typed`,
:mod:`softr_orm.backends.softr.typed_pages`) and builds instances from their attributes. Every
value must come out as the plain path (``jsonutil.loads`` + ``read_page`` + the plain build)
gives it: equal and of the same type, with the same tracking, timestamps, pickles and saves.
A body the typed decoder refuses must be read by the plain path instead.
"""

from __future__ import annotations

import collections.abc
import copy
import dataclasses
import pickle
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import msgspec
import pytest
import requests
import responses
from _api_support import BASE, make_session
from hypothesis import given, settings
from hypothesis import strategies as st
from test_hydration import Everything, Shouty, _json_values, generated, generic, same

import softr_orm
from softr_orm import Model, Session, fields
from softr_orm.backends.base import RecordPage
from softr_orm.backends.defaults import default_session
from softr_orm.backends.softr.resources import Table
from softr_orm.backends.softr.typed_pages import page_decoder, wire_type
from softr_orm.backends.softr.wire import read_page
from softr_orm.backends.typed import (
    WireFields,
    WireRecord,
    as_plain_record,
    fields_struct,
    is_typed,
)
from softr_orm.cli.demo import Contact
from softr_orm.emulator import Emulator
from softr_orm.errors import ConfigurationError
from softr_orm.fields.convert import read_datetime
from softr_orm.http import jsonutil
from softr_orm.http.answers import read_answer
from softr_orm.query.binding import Binding, bind, forget
from softr_orm.query.fetching import Fetcher, _read_otherwise

# --- models and bindings with live field types ----------------------------------------------


class Money(fields.Currency):
    """A user's Currency that keeps whole numbers as they came: must get plain values."""

    def to_python(self, raw: Any) -> Any:
        return raw if type(raw) is int else super().to_python(raw)


class Loose(Model):
    """Fields read with another reader than their column's type's own (no binding checks
    types): a typed page must hand them the plain JSON values."""

    price = fields.Number("Price")  # a CURRENCY column
    price_raw = fields.Raw("Price raw")  # a CURRENCY column
    price_text = fields.SingleLineText("Price text")  # a CURRENCY column
    money = Money("Money")  # a CURRENCY column
    moment = fields.DateTime("Moment")  # a DATE column
    day_text = fields.SingleLineText("Day text")  # a DATE column
    day_shout = Shouty("Day shout")  # a DATE column
    amount = fields.Currency("Amount")  # a CURRENCY column, read by its own reader
    day = fields.Date("Day")  # a DATE column, read by its own reader

    class Meta:
        database = "db"
        table = "Loose"


LOOSE_TYPES = {
    "price": "CURRENCY",
    "price_raw": "CURRENCY",
    "price_text": "CURRENCY",
    "money": "CURRENCY",
    "moment": "DATE",
    "day_text": "DATE",
    "day_shout": "DATE",
    "amount": "CURRENCY",
    "day": "DATE",
}


def live_binding(model: type[Model], types: dict[str, str] | None = None) -> Binding:
    """A binding to a made-up table whose fields have real Softr types (ids ``f0``, ``f1``,
    ...): each field's own type unless ``types`` says otherwise (``Raw`` gets CURRENCY)."""
    declared = model._meta.fields
    specs = []
    for i, (attname, field) in enumerate(declared.items()):
        kind = (types or {}).get(attname) or field.softr_type or "CURRENCY"
        multiple = bool(getattr(field, "multiple", False))
        specs.append(
            {"id": f"f{i}", "name": attname, "type": kind, "allowMultipleEntries": multiple}
        )
    table = Table.from_api({"id": "t" + model.__name__, "name": model.__name__, "fields": specs})
    ids = {attname: f"f{i}" for i, attname in enumerate(declared)}
    return Binding(
        session=None,  # type: ignore[arg-type]  # no request is made
        database_id="db",
        table_id=table.id,
        table=table,
        ids=ids,
        attnames={v: k for k, v in ids.items()},
        table_fields={a: table.fields[i] for i, a in enumerate(declared)},
        record_id_field=None,
        extra={"model": model},
    )


EVERYTHING = live_binding(Everything)
LOOSE = live_binding(Loose, LOOSE_TYPES)


def decoder(model: type[Model], binding: Binding) -> tuple[Any, dict[str, str]]:
    """The typed decoder a scan of ``model`` uses (the Fetcher's fields and plain ids)."""
    live = binding.table_fields
    table_fields = [live[a] for a in binding.ids if a in live]
    return page_decoder(table_fields, _read_otherwise(model, live))


def body_of(records: list[dict[str, Any]], total: int | None = None) -> bytes:
    n = len(records)
    meta = {"offset": 0, "limit": max(n, 1), "total": n if total is None else total}
    return jsonutil.dumps({"data": records, "metadata": meta})


def plain_instances(model: type[Model], binding: Binding, body: bytes) -> list[Any]:
    records = read_page(jsonutil.loads(body), 0, 200).records
    build = model._builder(binding)
    return [build(r) for r in records]


def answer(body: bytes, decode: Any) -> Any:
    """What ``read_answer`` makes of a 200 page with the typed decoder (a RecordPage)."""
    response = requests.Response()
    response.status_code = 200
    response._content = body
    return read_answer(
        response, ("Softr", "POST", "/search"), lambda s: s, False, lambda b: read_page(b, 0, 200),
        typed=decode,
    )  # fmt: skip


def typed_instances(model: type[Model], binding: Binding, body: bytes) -> tuple[list[Any], bool]:
    """Instances through the typed path (read_answer + the wire build), and whether the page
    was decoded typed (False: the decoder refused it and the plain path read it)."""
    decode, attrs = decoder(model, binding)
    page = answer(body, decode)
    build = model._builder(binding, attrs)
    records = page.records
    typed = bool(records) and is_typed(records[0])
    return [build(r) for r in records], typed


_NAN = object()


def canon(value: Any) -> Any:
    """``value`` with float NaNs (a Number reading "NaN") replaced by one marker, so that
    equal readings compare equal."""
    if isinstance(value, float) and value != value:
        return _NAN
    if isinstance(value, list):
        return [canon(v) for v in value]
    if isinstance(value, dict):
        return {k: canon(v) for k, v in value.items()}
    return value


def alike(a: Any, b: Any) -> bool:
    return same(canon(a), canon(b))


def assert_agree(model: type[Model], typed: list[Any], plain: list[Any]) -> None:
    assert len(typed) == len(plain)
    names = [a for a, f in model._meta.fields.items() if not f.is_link]
    for a, b in zip(typed, plain, strict=True):
        assert a.id == b.id
        for attname in names:
            mine, theirs = getattr(a, attname), getattr(b, attname)
            assert alike(mine, theirs), (attname, mine, theirs)
        assert canon(a.to_dict()) == canon(b.to_dict())
        assert canon(a.to_dict(mode="json")) == canon(b.to_dict(mode="json"))
        assert a.changed_fields == {} and b.changed_fields == {}
        assert same(a.created_at, b.created_at) and same(a.updated_at, b.updated_at)


# --- 1. agreement: typed pages and plain pages give the same instances -----------------------

_MONEY = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.integers(),
    st.sampled_from(["19.99", " 12.50 ", "1_000", "abc", "NaN", "-Infinity", "1e3", "-0"]),
)
_DAYS = st.one_of(
    st.dates().map(date.isoformat),
    st.sampled_from(["2026-2-1", "2026-02-30", "20260503", "2026-W18-7", "0000-01-01", ""]),
    st.datetimes().map(datetime.isoformat),
)
_STAMPS = st.one_of(
    st.none(),
    st.datetimes(timezones=st.just(timezone.utc)).map(lambda d: d.isoformat()),
    st.sampled_from(["2026-05-03T12:30:00.000Z", "garbage", "0001-01-01T00:00:00+01:00"]),
)


def _value_for(kind: str) -> st.SearchStrategy[Any]:
    typical = {"CURRENCY": _MONEY, "DATE": _DAYS}.get(kind)
    if typical is None:
        return st.one_of(st.none(), _json_values)
    return st.one_of(typical, st.none(), _json_values)


def _records(binding: Binding) -> st.SearchStrategy[list[dict[str, Any]]]:
    optional = {binding.ids[a]: _value_for(live.type) for a, live in binding.table_fields.items()}
    one = st.fixed_dictionaries(
        {"fields": st.fixed_dictionaries({}, optional=optional)},
        optional={"createdAt": _STAMPS, "updatedAt": _STAMPS, "tableId": st.just("t")},
    )
    return st.lists(one, min_size=1, max_size=4).map(
        lambda rs: [{"id": f"r{i}", **r} for i, r in enumerate(rs)]
    )


@settings(max_examples=120, deadline=None)
@given(records=_records(EVERYTHING))
def test_typed_and_plain_pages_agree_on_generated_records(records: list[dict[str, Any]]) -> None:
    """Every field type of the corpus, hypothesis values in the shapes Softr sends."""
    body = body_of(records)
    typed, _ = typed_instances(Everything, EVERYTHING, body)
    assert_agree(Everything, typed, plain_instances(Everything, EVERYTHING, body))


@settings(max_examples=120, deadline=None)
@given(records=_records(LOOSE))
def test_other_readers_get_plain_values_on_generated_records(
    records: list[dict[str, Any]],
) -> None:
    """Fields read otherwise than by their column's type (Number over CURRENCY, DateTime or
    text over DATE, a user's to_python) agree too: they are decoded as plain JSON."""
    body = body_of(records)
    typed, _ = typed_instances(Loose, LOOSE, body)
    assert_agree(Loose, typed, plain_instances(Loose, LOOSE, body))


def _usual_everything() -> list[dict[str, Any]]:
    ids = EVERYTHING.ids
    return [
        {
            "id": "r1",
            "createdAt": "2026-05-03T12:30:00.000Z",
            "updatedAt": "2026-05-04T08:00:00.000Z",
            "fields": {
                ids["text"]: "Ann",
                ids["number"]: 5,
                ids["percent"]: Decimal("0.25"),
                ids["currency"]: Decimal("19.99"),
                ids["rating"]: 4,
                ids["duration"]: 90,
                ids["checkbox"]: True,
                ids["select"]: {"id": "s1", "label": "Lead"},
                ids["tags"]: [{"id": "t1", "label": "vip"}, {"id": "t2", "label": "new"}],
                ids["day"]: "2026-05-03",
                ids["moment"]: "2026-05-03T12:30:00.123Z",
                ids["raw"]: 7,
                ids["formula_date"]: "2026-01-01",
            },
        },
        {"id": "r2", "fields": {ids["currency"]: 5, ids["day"]: None}},
        {"id": "r3"},
    ]


def test_usual_pages_are_decoded_typed_and_agree() -> None:
    """The shapes Softr sends are decoded typed (not by the fallback), and agree."""
    body = body_of(_usual_everything())
    typed, was_typed = typed_instances(Everything, EVERYTHING, body)
    assert was_typed
    assert all(is_typed(item._raw) for item in typed)
    plain = plain_instances(Everything, EVERYTHING, body)
    assert_agree(Everything, typed, plain)
    first = typed[0]
    assert first.day == date(2026, 5, 3) and first.currency == Decimal("19.99")
    assert typed[1].currency == Decimal(5) and type(typed[1].currency) is Decimal
    assert typed[2].tags == [] and typed[2].checkbox is False


def test_other_readers_get_plain_values() -> None:
    """Which fields the scan keeps plain, and the values they get."""
    ids = LOOSE.ids
    plain_ids = set(_read_otherwise(Loose, LOOSE.table_fields))
    assert plain_ids == {ids[a] for a in LOOSE_TYPES if a not in ("amount", "day")}
    record = {
        "id": "r1",
        "fields": {
            ids["price"]: 5,
            ids["price_raw"]: 5,
            ids["price_text"]: "12",
            ids["money"]: 5,
            ids["moment"]: "2026-05-03",
            ids["day_text"]: "2026-05-03",
            ids["day_shout"]: "2026-05-03",
            ids["amount"]: 5,
            ids["day"]: "2026-05-03",
        },
    }
    body = body_of([record])
    (item,), was_typed = typed_instances(Loose, LOOSE, body)
    assert was_typed
    assert item.price == 5 and type(item.price) is int
    assert item.price_raw == 5 and type(item.price_raw) is int
    assert item.money == 5 and type(item.money) is int
    assert item.moment == datetime(2026, 5, 3, tzinfo=timezone.utc)
    assert item.day_text == "2026-05-03" and item.day_shout == "2026-05-03"
    assert item.amount == Decimal(5) and item.day == date(2026, 5, 3)
    assert_agree(Loose, [item], plain_instances(Loose, LOOSE, body))


def test_typed_values_would_differ_for_other_readers() -> None:
    """Why the scan passes ``plain``: the typed values are chosen for the type's own reader."""
    live = LOOSE.table_fields
    decode, attrs = page_decoder([live[a] for a in LOOSE.ids])
    ids = LOOSE.ids
    record = {"id": "r1", "fields": {ids["price"]: 5, ids["moment"]: "2026-05-03"}}
    (item,) = [Loose._builder(LOOSE, attrs)(r) for r in decode(body_of([record])).records()]
    assert type(item.price) is float  # not the plain path's int
    assert item.moment == date(2026, 5, 3)  # not the plain path's datetime


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("currency", "NaN"),
        ("currency", "-Infinity"),
        ("currency", "sNaN"),
        ("currency", True),
        ("currency", "abc"),
        ("day", "2026-2-1"),
        ("day", "2026-05-03T00:00:00"),
        ("day", 1_777_000_000_000),
    ],
)
def test_refused_bodies_go_through_the_plain_path(kind: str, value: Any) -> None:
    """A value the types do not take (an odd date, a non-finite or non-numeric amount) makes
    the typed decoder refuse the page, and read_answer reads it as plain JSON: the same
    values as the plain path, odd value included."""
    ids = EVERYTHING.ids
    records = _usual_everything()
    records[1]["fields"][ids[kind]] = value
    body = body_of(records)
    decode, _ = decoder(Everything, EVERYTHING)
    with pytest.raises(msgspec.ValidationError):
        decode(body)
    typed, was_typed = typed_instances(Everything, EVERYTHING, body)
    assert not was_typed
    plain = plain_instances(Everything, EVERYTHING, body)
    assert_agree(Everything, typed, plain)
    assert same(getattr(typed[1], kind), Everything._meta.fields[kind].to_python(value))


def test_a_non_finite_amount_is_kept_as_the_plain_path_keeps_it() -> None:
    """msgspec reads "NaN" as Decimal('NaN'); Currency keeps the string: the page goes plain."""
    ids = EVERYTHING.ids
    body = body_of([{"id": "r1", "fields": {ids["currency"]: "NaN", ids["text"]: "nan"}}])
    (item,), was_typed = typed_instances(Everything, EVERYTHING, body)
    assert not was_typed and item.currency == "NaN"
    # "nan" elsewhere in a page does not refuse it when the amounts are finite.
    body = body_of([{"id": "r1", "fields": {ids["currency"]: "1.5", ids["text"]: "nan inf"}}])
    (item,), was_typed = typed_instances(Everything, EVERYTHING, body)
    assert was_typed and item.currency == Decimal("1.5") and item.text == "nan inf"


@responses.activate
def test_session_search_falls_back_to_plain_json_for_an_odd_date() -> None:
    """Over (mocked) HTTP: a page whose DATE holds "2026-2-1" is read as plain JSON by the
    session, and gives the values the plain path gives; a usual page comes back typed."""
    url = f"{BASE}/databases/db/tables/tEverything/records/search"
    ids = EVERYTHING.ids
    odd = _usual_everything()
    odd[0]["fields"][ids["day"]] = "2026-2-1"
    responses.add("POST", url, body=body_of(odd))
    responses.add("POST", url, body=body_of(_usual_everything()))
    decode, attrs = decoder(Everything, EVERYTHING)
    session = make_session()
    try:
        paging = {"paging": {"offset": 0, "limit": 200}}
        page = session.api.search_records("db", "tEverything", paging, decode=decode)
        assert not any(is_typed(r) for r in page.records)
        build = Everything._builder(EVERYTHING, attrs)
        got = [build(r) for r in page.records]
        assert got[0].day == "2026-2-1"
        assert_agree(Everything, got, plain_instances(Everything, EVERYTHING, body_of(odd)))
        page = session.api.search_records("db", "tEverything", paging, decode=decode)
        assert all(is_typed(r) for r in page.records)
        assert page.total == 3
    finally:
        session.close()


class _RefusingBackend:
    """A backend whose typed pages always come back plain (their decoding refused)."""

    name = "stub"
    max_page_size = 2
    write_concurrency = 1

    def __init__(self) -> None:
        self.asked: list[Any] = []

    def typed_query(self, query: Any, fields: Any, plain: Any = ()) -> tuple[Any, Any]:
        return ("typed", query), dict.fromkeys((f.id for f in fields), "f0")

    def search(self, query: Any, offset: int, limit: int) -> RecordPage:
        self.asked.append(query)
        count = max(0, min(limit, 6 - offset))
        records = [{"id": f"r{offset + n}", "fields": {}} for n in range(count)]
        return RecordPage(records, offset, limit, 6)  # type: ignore[arg-type]

    def explain(self, query: Any, offset: int, limit: int) -> dict[str, Any]:
        return {"offset": offset, "limit": limit, "query": repr(query)}


class _Plain:
    matches_nothing = False


def test_a_scan_whose_typed_pages_do_not_fit_asks_for_plain_ones() -> None:
    """One refused page is enough: the rest of the scan does not decode every page twice."""
    backend = _RefusingBackend()

    class StubSession:
        pass

    stub = StubSession()
    stub.backend = backend  # type: ignore[attr-defined]
    binding = dataclasses.replace(EVERYTHING, session=stub)
    query = _Plain()
    fetcher = Fetcher(Everything, binding, query)  # type: ignore[arg-type]
    got = [item.id for batch in fetcher.scan(0, None, 2, speculate=0) for item in batch]
    assert got == [f"r{n}" for n in range(6)]
    assert backend.asked[0] == ("typed", query)
    assert backend.asked[1:] and all(q is query for q in backend.asked[1:])


# --- 2. exactness ----------------------------------------------------------------------------


def test_currency_keeps_every_digit() -> None:
    ids = EVERYTHING.ids
    exact = Decimal("12345678901234567.89")
    body = b'{"data":[{"id":"r1","fields":{"%s":12345678901234567.89}}]}' % ids["currency"].encode()
    (item,), was_typed = typed_instances(Everything, EVERYTHING, body)
    assert was_typed
    assert item.currency == exact and str(item.currency) == "12345678901234567.89"
    assert item._raw.get(ids["currency"]) == exact


@pytest.mark.parametrize("text", ["2026-05-03", "0001-01-01", "9999-12-31", "2024-02-29"])
def test_a_typed_date_is_what_the_field_reads(text: str) -> None:
    ids = EVERYTHING.ids
    body = body_of([{"id": "r1", "fields": {ids["day"]: text}}])
    (item,), was_typed = typed_instances(Everything, EVERYTHING, body)
    assert was_typed
    assert type(item._raw.get(ids["day"])) is date
    assert same(item.day, fields.Date("x").to_python(text))


def test_wire_types() -> None:
    """Only single CURRENCY and DATE values are typed."""
    live = EVERYTHING.table_fields
    assert wire_type(live["currency"]) is Decimal and wire_type(live["day"]) is date
    assert all(wire_type(live[a]) is Any for a in ("tags", "number", "moment", "rollup_money"))


# --- 3. change tracking on typed instances ----------------------------------------------------


def test_typed_instances_track_changes() -> None:
    (item, _, _), _ = typed_instances(Everything, EVERYTHING, body_of(_usual_everything()))
    assert not item.is_dirty
    item.tags.append("lead")
    assert item.changed_fields == {"tags": (["vip", "new"], ["vip", "new", "lead"])}
    item.day = date(2026, 5, 3)  # the same day: no change
    item.currency = Decimal("19.990")  # the same amount: no change
    assert set(item.changed_fields) == {"tags"}
    item.day = date(2027, 1, 1)
    assert item.changed_fields["day"] == (date(2026, 5, 3), date(2027, 1, 1))


@pytest.fixture
def demo_session(softr_session: Session) -> Session:
    return softr_session


@pytest.mark.integration
def test_save_of_a_typed_instance_sends_only_its_changes(
    demo_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = demo_session.backend
    assert demo_session.backend is backend
    sent: list[dict[str, Any]] = []
    update = backend.update_record

    def spy(database_id: str, table_id: str, record_id: str, body: Any) -> Any:
        sent.append(dict(body))
        return update(database_id, table_id, record_id, body)

    monkeypatch.setattr(backend, "update_record", spy)
    contact = next(c for c in Contact.objects.all() if c.tags)
    assert is_typed(contact._raw)
    contact.save()
    assert sent == []  # clean: nothing sent
    tags = list(contact.tags)
    contact.tags.append("Fresh")
    binding = bind(Contact, demo_session)
    assert contact.changed_fields == {"tags": (tags, [*tags, "Fresh"])}
    contact.save()
    assert sent == [{binding.ids["tags"]: [*tags, "Fresh"]}]
    assert not contact.is_dirty
    contact.budget = Decimal("1234.56")
    contact.save()
    assert sent[1] == {binding.ids["budget"]: Decimal("1234.56")}
    again = Contact.objects.get(id=contact.id)
    assert again.tags == [*tags, "Fresh"] and again.budget == Decimal("1234.56")


# --- 4. the mapping protocol of WireFields and WireRecord -------------------------------------


def _typed_record() -> WireRecord:
    ids = EVERYTHING.ids
    body = body_of(
        [
            {
                "id": "r1",
                "createdAt": "2026-05-03T12:30:00.000Z",
                "fields": {
                    ids["text"]: "Ann",
                    ids["number"]: None,
                    ids["day"]: "2026-05-03",
                    "unknown": 1,
                },
            }
        ]
    )
    decode, _ = decoder(Everything, EVERYTHING)
    (record,) = decode(body).records()
    assert isinstance(record, WireRecord)
    return record


def test_wire_fields_are_a_read_only_mapping() -> None:
    ids = EVERYTHING.ids
    values = _typed_record().fields
    assert isinstance(values, WireFields)
    assert isinstance(values, collections.abc.Mapping)
    assert values.get(ids["text"]) == "Ann"
    assert values.get(ids["number"], "dflt") == "dflt"  # null reads as absent
    assert values.get("nope", 3) == 3
    assert values[ids["day"]] == date(2026, 5, 3)
    for absent in (ids["number"], ids["currency"], "unknown", "nope"):
        with pytest.raises(KeyError):
            values[absent]
        assert absent not in values
    assert ids["text"] in values and 5 not in values
    assert sorted(values.keys()) == sorted([ids["text"], ids["day"]])
    assert sorted(values) == sorted(values.keys()) and len(values) == 2
    assert dict(values) == {ids["text"]: "Ann", ids["day"]: date(2026, 5, 3)}
    assert dict(values.items()) == dict(values) == values.copy()
    assert sorted(map(str, values.values())) == ["2026-05-03", "Ann"]
    assert type(values.copy()) is dict


def test_wire_records_are_a_read_only_mapping() -> None:
    record = _typed_record()
    assert isinstance(record, collections.abc.Mapping)
    assert record["id"] == "r1" and record.get("id") == "r1"
    assert record["createdAt"] == "2026-05-03T12:30:00.000Z"
    assert record.get("updatedAt") is None and record.get("updatedAt", "x") == "x"
    assert "updatedAt" not in record and "createdAt" in record and "nope" not in record
    for absent in ("updatedAt", "tableId", "nope"):
        with pytest.raises(KeyError):
            record[absent]
    assert set(record) == {"id", "fields", "createdAt"} == set(record.keys())
    assert len(record) == 3
    assert dict(record.items())["id"] == "r1" and len(record.values()) == 3
    plain = as_plain_record(record)
    assert type(plain) is dict and type(plain["fields"]) is dict
    assert plain["fields"] == dict(record["fields"])


def test_structs_are_made_once_per_table_shape() -> None:
    pairs = [("a", Decimal), ("b", Any)]
    assert fields_struct(pairs) is fields_struct(list(pairs))
    assert fields_struct(pairs) is not fields_struct([("a", Any), ("b", Any)])


# --- 5. pickle and deepcopy of instances from typed pages -------------------------------------


def test_pickle_keeps_values_and_tracking() -> None:
    (item, _, _), _ = typed_instances(Everything, EVERYTHING, body_of(_usual_everything()))
    before = item.to_dict()
    again = pickle.loads(pickle.dumps(item))
    assert type(again._raw) is dict and not is_typed(again._raw)
    assert again._raw == dict(item._raw)
    assert again.to_dict() == before and not again.is_dirty
    assert again.created_at == item.created_at and again.updated_at == item.updated_at
    again.tags.append("lead")
    again.text = "Bob"
    assert set(again.changed_fields) == {"tags", "text"}
    assert not item.is_dirty


def test_an_unread_typed_instance_pickles_its_raw_values() -> None:
    """Values not yet in the instance's dict are read from the plain ``_raw`` after the trip."""
    (item, _, _), _ = typed_instances(Everything, EVERYTHING, body_of(_usual_everything()))
    state = dict(item.__dict__)
    for attname in Everything._meta.fields:
        item.__dict__.pop(attname, None)
    again = pickle.loads(pickle.dumps(item))
    assert again.day == date(2026, 5, 3) and again.currency == Decimal("19.99")
    assert again.tags == ["vip", "new"] and not again.is_dirty
    item.__dict__.update(state)


def test_deepcopy_keeps_values_and_tracks_on_its_own() -> None:
    (item, _, _), _ = typed_instances(Everything, EVERYTHING, body_of(_usual_everything()))
    clone = copy.deepcopy(item)
    assert type(clone._raw) is dict and clone._binding is item._binding
    assert clone.to_dict() == item.to_dict() and not clone.is_dirty
    assert clone.created_at == item.created_at
    clone.tags.append("lead")
    assert set(clone.changed_fields) == {"tags"} and not item.is_dirty
    assert item.tags == ["vip", "new"]


# --- 6. over real HTTP, against the emulator --------------------------------------------------


def _plain_records(session: Session, model: type[Model]) -> dict[str, dict[str, Any]]:
    binding = bind(model, session)
    page = session.api.list_records(binding.database_id, binding.table_id, offset=0, limit=200)
    assert not any(is_typed(r) for r in page.records)
    return {r["id"]: r for r in page.records}


def _plain_names(model: type[Model]) -> list[str]:
    return [a for a, f in model._meta.fields.items() if not f.is_link]


def _agree_with_from_record(session: Session, items: list[Any], model: type[Model]) -> None:
    records = _plain_records(session, model)
    assert len(items) == len(records) > 0
    for item in items:
        assert is_typed(item._raw) and is_typed(item._record)
        other = model.from_record(records[item.id], session=session)
        for attname in _plain_names(model):
            assert same(getattr(item, attname), getattr(other, attname)), attname
        assert item.created_at == other.created_at and item.updated_at == other.updated_at
        assert not item.is_dirty


@pytest.mark.integration
def test_scans_over_http_read_typed_pages(demo_session: Session) -> None:
    _agree_with_from_record(demo_session, list(Contact.objects.all()), Contact)
    _agree_with_from_record(demo_session, list(Contact.objects.iterator()), Contact)


class LooseContact(Model):
    """The demo's Contacts read with other readers than their columns' types."""

    budget = fields.Number("Budget")  # CURRENCY
    joined = fields.DateTime("Joined")  # DATE
    email = fields.Email("Email")

    class Meta:
        database = Contact._meta.database
        table = "Contacts"


@pytest.mark.integration
def test_scans_over_http_with_other_readers(demo_session: Session) -> None:
    Contact.objects.create(email="whole@example.com", budget=Decimal(5000), joined=date(2026, 1, 2))
    items = list(LooseContact.objects.all())
    _agree_with_from_record(demo_session, items, LooseContact)
    whole = next(i for i in items if i.email == "whole@example.com")
    assert whole.budget == 5000 and type(whole.budget) is int
    assert whole.joined == datetime(2026, 1, 2, tzinfo=timezone.utc)


@pytest.mark.integration
def test_plain_page_paths_still_work(demo_session: Session) -> None:
    """values(), update(), delete() and in_bulk read plain pages; they work as before."""
    everyone = list(Contact.objects.all())
    rows = Contact.objects.values("email", "budget", "joined")
    assert sorted(r["email"] for r in rows) == sorted(c.email for c in everyone)
    by_email = {c.email: c for c in everyone}
    for row in rows:
        assert same(row["budget"], by_email[row["email"]].budget)
        assert same(row["joined"], by_email[row["email"]].joined)
    ids = [c.id for c in everyone[:3]]
    found = Contact.objects.in_bulk(ids)
    assert set(found) == set(ids)
    assert all(same(found[i].tags, by_email[found[i].email].tags) for i in ids)
    picked = Contact.objects.filter(email__in=[c.email for c in everyone[:2]])
    assert picked.update(newsletter=True) == 2
    assert all(c.newsletter for c in Contact.objects.filter(email__in=[everyone[0].email]))
    assert picked.delete() == 2
    assert Contact.objects.count() == len(everyone) - 2


# --- 7. Model.from_record: which binding, and its own copies ----------------------------------


def _default() -> Any:
    try:
        return default_session()
    except ConfigurationError:
        return None


@pytest.fixture
def notes(softr_emulator: Emulator) -> Iterator[tuple[type[Model], str, str, Session, Session]]:
    """A ``Note`` model on database A (B has the same table), and two sessions."""
    dbs = [str(softr_emulator.create_database(name)["id"]) for name in ("notes A", "notes B")]
    for db in dbs:
        softr_emulator.create_table(db, "Notes", [{"name": "Text", "type": "SINGLE_LINE_TEXT"}])

    class Note(Model):
        text = fields.SingleLineText("Text")

        class Meta:
            database = dbs[0]
            table = "Notes"

    made = [
        Session(softr_emulator.api_key, base_url=softr_emulator.base_url, rate_limit=False)
        for _ in range(2)
    ]
    previous = _default()
    try:
        yield Note, dbs[0], dbs[1], made[0], made[1]
    finally:
        softr_orm.configure(previous)
        for session in made:
            session.close()


@pytest.mark.integration
def test_from_record_follows_what_decides_the_binding(
    notes: tuple[type[Model], str, str, Session, Session],
) -> None:
    Note, db_a, db_b, one, two = notes
    record = {"id": "r1", "fields": {"Text": "hello"}}

    def made() -> Binding:
        item = Note.from_record(record)
        assert item.text == "hello"
        assert item._binding is not None
        return item._binding

    softr_orm.configure(one)
    first = made()
    assert first.session is one and first.database_id == db_a
    assert made() is first  # the cached reader
    softr_orm.configure(two)
    assert made().session is two and made().database_id == db_a
    Note._meta.database = db_b
    try:
        assert made().database_id == db_b and made().session is two
    finally:
        Note._meta.database = db_a
    assert made().database_id == db_a
    with softr_orm.override_database({db_a: db_b}):
        assert made().database_id == db_b
    assert made().database_id == db_a
    old = made()
    forget(Note, two)
    new = made()
    assert new is not old and new is bind(Note, two) and new.session is two
    explicit = Note.from_record(record, session=one)
    assert explicit._binding is not None and explicit._binding.session is one
    assert made().session is two  # an explicit session is not remembered as the default


@pytest.mark.integration
def test_from_record_keeps_its_own_copies(
    notes: tuple[type[Model], str, str, Session, Session],
) -> None:
    Note, _, _, one, _ = notes
    softr_orm.configure(one)
    text_id = bind(Note, one).ids["text"]
    for _ in range(2):  # the first call binds, the second takes the cached reader
        record = {
            "id": "r1",
            "fields": {text_id: "hello"},
            "createdAt": "2026-05-03T12:30:00.000Z",
            "updatedAt": "2026-05-04T12:30:00.000Z",
        }
        item = Note.from_record(record)
        record["fields"][text_id] = "changed"
        record["createdAt"] = "2030-01-01T00:00:00.000Z"
        record["updatedAt"] = None
        assert item.text == "hello" and not item.is_dirty
        assert item.created_at == datetime(2026, 5, 3, 12, 30, tzinfo=timezone.utc)
        assert item.updated_at == datetime(2026, 5, 4, 12, 30, tzinfo=timezone.utc)
        assert item._raw == {text_id: "hello"}


@pytest.mark.integration
def test_from_record_installs_a_version_made_for_the_model(
    notes: tuple[type[Model], str, str, Session, Session],
) -> None:
    """The first call installs a from_record made for the model; a reference taken before
    still answers the same; a subclass gets its own; the doc stays Model.from_record's."""
    Note, _, _, one, two = notes
    softr_orm.configure(one)
    early = Note.from_record  # taken before the first call: the generic method
    record = {"id": "r1", "fields": {"Text": "hello"}}
    assert "from_record" not in Note.__dict__
    first = Note.from_record(record)
    assert "from_record" in Note.__dict__
    assert Note.from_record.__doc__ == Model.from_record.__doc__
    again, through_early = Note.from_record(record), early(record)
    for item in (first, again, through_early):
        assert type(item) is Note and item.text == "hello"
        assert item._binding is bind(Note, one)

    class Pinned(Note):  # a subclass: its own version, never its parent's
        pass

    child = Pinned.from_record(record)
    assert type(child) is Pinned and child.text == "hello"
    assert type(Note.from_record(record)) is Note
    # An explicit session is answered through its own binding, and not remembered.
    assert Note.from_record(record, session=two)._binding is bind(Note, two)
    assert Note.from_record(record)._binding is bind(Note, one)


@pytest.mark.integration
def test_a_models_own_from_record_is_never_replaced(
    notes: tuple[type[Model], str, str, Session, Session],
) -> None:
    Note, _, _, one, _ = notes
    softr_orm.configure(one)
    calls: list[str] = []

    class Shouted(Note):
        @classmethod
        def from_record(cls, record: Any, *, session: Any = None) -> Any:
            calls.append(record["id"])
            item = super().from_record(record, session=session)
            item.text = item.text.upper()
            return item

    own = Shouted.__dict__["from_record"]
    for n in range(3):
        item = Shouted.from_record({"id": f"r{n}", "fields": {"Text": "hi"}})
        assert type(item) is Shouted and item.text == "HI"
    assert Shouted.__dict__["from_record"] is own
    assert calls == ["r0", "r1", "r2"]


# --- 8. read_datetime never raises --------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01T00:59+01:00"]
)
def test_an_instant_out_of_range_reads_as_none(text: str) -> None:
    assert read_datetime(text) is None
    # A field keeps the odd value unchanged, as for any text it cannot read.
    assert fields.DateTime("x").to_python(text) == text
    assert fields.CreatedAt("x").to_python(text) == text
    assert same(generated(Everything, "moment", text), generic(Everything, "moment", text))
    assert same(generated(Everything, "created", text), text)


def test_an_instant_at_the_edge_still_reads() -> None:
    assert read_datetime("0001-01-01T01:00:00+01:00") == datetime(1, 1, 1, tzinfo=timezone.utc)
    assert read_datetime("9999-12-31T22:59:59-01:00") == datetime(
        9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc
    )


def test_created_at_of_an_out_of_range_stamp_is_none() -> None:
    ids = EVERYTHING.ids
    records = [{"id": "r1", "createdAt": "0001-01-01T00:00:00+01:00", "fields": {ids["text"]: "a"}}]
    (item,), _ = typed_instances(Everything, EVERYTHING, body_of(records))
    assert item.created_at is None and item.updated_at is None


def test_fixture_dates_are_unchanged() -> None:
    """The hydration corpus's DateTime readers still agree on dates near the edges."""
    for days in (0, 1, 365):
        moment = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=2))) + timedelta(days=days)
        text = moment.isoformat()
        assert same(generated(Everything, "moment", text), generic(Everything, "moment", text))


def test_a_number_reading_nan_keeps_the_string_and_stays_clean() -> None:
    """A NaN equals nothing, not even itself: read as a float, an untouched record looked
    changed (and save() could not encode it). The text is kept, as Currency keeps it."""
    ids = LOOSE.ids
    body = body_of([{"id": "r1", "fields": {ids["price"]: "NaN", ids["amount"]: "NaN"}}])
    for item in [*typed_instances(Loose, LOOSE, body)[0], *plain_instances(Loose, LOOSE, body)]:
        assert item.price == "NaN" and item.amount == "NaN"
        assert not item.is_dirty and item.changed_fields == {}
    assert fields.Number("x").to_python("inf") == float("inf")
