"""QuerySet behaviour against the emulator: filters, ordering, slicing, paging, terminal methods.

The module's table holds 450 records (more than two pages of 200) with known values, so every
answer is compared with a plain-Python computation over the same data.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from softr_orm import Model, Q, RequestEvent, Session, errors, fields
from softr_orm.emulator import Emulator
from softr_orm.http.jsonutil import loads

pytestmark = pytest.mark.integration

N = 450
UTC = dt.timezone.utc
EPOCH = dt.datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
NAMES = ["Alice", "bob", "Carol", "dave", "Eve", "frank", "Grace"]
GROUPS = ["Alpha", "beta", "Gamma"]


def _row(i: int) -> dict[str, Any]:
    """The Python values of record number i (None = left empty)."""
    return {
        "seq": i,
        "name": f"{NAMES[i % 7]} {i}",
        "score": None if i % 11 == 0 else i % 50,
        "group": None if i % 13 == 0 else GROUPS[i % 3],
        "active": i % 4 == 0,
    }


ROWS = [_row(i) for i in range(N)]


def _model(database_id: str) -> type[Model]:
    class Person(Model):
        seq = fields.Number("Seq")
        name = fields.SingleLineText("Name")
        score = fields.Number("Score")
        group = fields.Select("Group")
        active = fields.Checkbox("Active")

        class Meta:
            database = database_id
            table = "People"

    return Person


@dataclass
class People:
    emu: Emulator
    database_id: str
    table_id: str
    field_ids: dict[str, str]
    model: type[Model]
    ids: list[str]  # record ids by seq

    def seqs(self, instances: Any) -> list[int]:
        return [p.seq for p in instances]


@pytest.fixture(scope="module")
def people(emu: Emulator) -> Iterator[People]:
    database_id = emu.create_database("queries")["id"]
    table = emu.create_table(
        database_id,
        "People",
        [
            {"name": "Name", "type": "SINGLE_LINE_TEXT"},
            {"name": "Seq", "type": "NUMBER"},
            {"name": "Score", "type": "NUMBER"},
            {
                "name": "Group",
                "type": "SELECT",
                "options": {"choices": [{"label": g} for g in GROUPS]},
            },
            {"name": "Active", "type": "CHECKBOX"},
            {"name": "Record ID", "type": "RECORD_ID"},
        ],
    )
    fid = {f["name"]: f["id"] for f in table["fields"]}
    keys = {"seq": "Seq", "name": "Name", "score": "Score", "group": "Group", "active": "Active"}
    ids: list[str] = []
    try:
        # Batches of 10 share a creation time (ties are kept in creation order); the batches
        # are a minute apart, so created_at orders them.
        for start in range(0, N, 10):
            emu.set_now(EPOCH + dt.timedelta(minutes=start // 10))
            batch = [
                {fid[keys[k]]: v for k, v in row.items() if v is not None}
                for row in ROWS[start : start + 10]
            ]
            ids += emu.insert_records(database_id, table["id"], batch)
    finally:
        emu.set_now(None)
    yield People(emu, database_id, table["id"], fid, _model(database_id), ids)


@pytest.fixture
def objects(people: People, session: Session) -> Any:
    """``Person.objects`` through a fresh session whose schema is already cached."""
    manager = people.model.objects.using(session)
    manager.count()
    return manager


def _where(pred: Callable[[dict[str, Any]], bool]) -> list[int]:
    return [r["seq"] for r in ROWS if pred(r)]


# --- filter / exclude / Q ------------------------------------------------------------------


def test_filter_numbers(people: People, objects: Any) -> None:
    """filter(score__gte=40) returns exactly the matching records, in creation order."""
    got = people.seqs(objects.filter(score__gte=40))
    assert got == _where(lambda r: r["score"] is not None and r["score"] >= 40)


def test_exclude_keeps_empty_values(people: People, objects: Any) -> None:
    """exclude() is the exact complement: records without a score are kept."""
    got = people.seqs(objects.exclude(score__gte=40))
    assert got == _where(lambda r: not (r["score"] is not None and r["score"] >= 40))
    assert any(ROWS[s]["score"] is None for s in got)


def test_q_objects_and_text_case(people: People, objects: Any) -> None:
    """Q with | and &, a checkbox, a single select and case-insensitive text together."""
    qs = objects.filter(Q(group="ALPHA") | Q(score__lt=3), active=True).exclude(
        name__startswith="ALICE"
    )
    expected = _where(
        lambda r: (
            (r["group"] == "Alpha" or (r["score"] is not None and r["score"] < 3))
            and r["active"]
            and not r["name"].lower().startswith("alice")
        )
    )
    assert people.seqs(qs) == expected
    assert expected  # the query is telling


def test_negated_and_is_de_morgan(people: People, objects: Any) -> None:
    """exclude(Q(a) & Q(b)) keeps records where either side fails, empties included."""
    got = people.seqs(objects.exclude(Q(group="Gamma") & Q(active=False)))
    assert got == _where(lambda r: not (r["group"] == "Gamma" and not r["active"]))


def test_in_and_isnull(people: People, objects: Any) -> None:
    """in=[...] on a select and isnull on a number."""
    assert people.seqs(objects.filter(group__in=["beta", "Gamma"])) == _where(
        lambda r: r["group"] in ("beta", "Gamma")
    )
    assert people.seqs(objects.filter(score__isnull=True)) == _where(lambda r: r["score"] is None)
    assert people.seqs(objects.filter(group=None)) == _where(lambda r: r["group"] is None)


# --- ordering ----------------------------------------------------------------------------------


def test_order_by_several_keys(people: People, objects: Any) -> None:
    """order_by("group", "-score", "seq"): empties first ascending and last descending."""
    got = people.seqs(objects.order_by("group", "-score", "seq"))

    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        group = r["group"]
        score = r["score"]
        return (
            (0, "") if group is None else (1, group.casefold()),
            (1, 0) if score is None else (0, -score),
            r["seq"],
        )

    assert got == [r["seq"] for r in sorted(ROWS, key=key)]


def test_order_by_created_at_pseudo_field(people: People, objects: Any) -> None:
    """order_by("-created_at") puts the newest batch first; ties keep creation order."""
    got = list(objects.order_by("-created_at"))
    assert len(got) == N
    stamps = [p.created_at for p in got]
    assert stamps == sorted(stamps, reverse=True)
    assert people.seqs(got[:10]) == list(range(440, 450))
    assert people.seqs(objects.order_by("created_at")[:3]) == [0, 1, 2]


def test_unordered_full_scan_is_by_creation_and_has_no_duplicates(
    people: People, objects: Any
) -> None:
    """A full scan with no order is sorted by creation time and yields each record once."""
    got = list(objects.all())
    ids = [p.id for p in got]
    assert len(ids) == len(set(ids)) == N
    assert set(ids) == set(people.ids)
    stamps = [p.created_at for p in got]
    assert all(s is not None for s in stamps)
    assert stamps == sorted(stamps)
    assert people.seqs(got) == list(range(N))


# --- slicing, first/last, get --------------------------------------------------------------------


def test_slice_past_the_first_page(people: People, objects: Any) -> None:
    """qs[190:410] crosses a page boundary and returns exactly those 220 records."""
    assert people.seqs(objects.order_by("seq")[190:410]) == list(range(190, 410))
    assert people.seqs(objects.all()[190:410]) == list(range(190, 410))
    assert people.seqs(objects.order_by("seq")[440:460]) == list(range(440, 450))
    assert list(objects.order_by("seq")[500:]) == []
    assert people.seqs(objects.order_by("seq")[400:][10:15]) == list(range(410, 415))
    assert people.seqs(objects.order_by("seq")[::100]) == [0, 100, 200, 300, 400]
    assert people.seqs(objects.order_by("seq")[::100].iterator()) == [0, 100, 200, 300, 400]
    assert objects.order_by("-seq")[3].seq == N - 4
    with pytest.raises(IndexError):
        objects.order_by("seq")[N]


def test_first_and_last(people: People, objects: Any) -> None:
    """first()/last() follow the order (creation time when none); None when nothing matches."""
    assert objects.first().seq == 0
    newest = objects.last()
    assert newest.created_at == max(p.created_at for p in objects.all())
    assert objects.order_by("seq").last().seq == N - 1
    assert objects.order_by("-seq").first().seq == N - 1
    assert objects.filter(score=7).order_by("seq").last().seq == max(
        _where(lambda r: r["score"] == 7)
    )
    assert objects.filter(score=1000).first() is None
    assert objects.filter(score=1000).last() is None


def test_get(people: People, objects: Any) -> None:
    """get(): one match, DoesNotExist, MultipleObjectsReturned, and get(id=...)."""
    model = people.model
    assert objects.get(seq=123).id == people.ids[123]
    assert objects.get(name="GRACE 6").seq == 6
    with pytest.raises(model.DoesNotExist):
        objects.get(seq=9999)
    with pytest.raises(model.MultipleObjectsReturned):
        objects.get(score=7)
    with pytest.raises(errors.ObjectDoesNotExist):
        objects.get(seq=-1)
    assert objects.get(id=people.ids[42]).seq == 42
    with pytest.raises(model.DoesNotExist):
        objects.get(id="nOsUcHrEcOrD00")


def test_count_and_exists(people: People, objects: Any) -> None:
    """count() uses the server's total; sliced counts are clipped; exists() is a bool."""
    assert objects.count() == N
    assert objects.filter(active=True).count() == len(_where(lambda r: r["active"]))
    assert objects.all()[10:20].count() == 10
    assert objects.all()[445:].count() == 5
    assert objects.filter(score__gt=10).exists() is True
    assert objects.filter(score__gt=100).exists() is False


def test_iterator_streams_each_record_once_in_order(people: People, objects: Any) -> None:
    """iterator(page_size=50) over 450 records: 9 requests, each record once, in order."""
    session = objects._session
    before = session.request_count
    seen = [p.seq for p in objects.iterator(page_size=50)]
    assert seen == list(range(N))
    assert session.request_count - before == math.ceil(N / 50)


def test_values_and_values_list(people: People, objects: Any) -> None:
    """values() gives dicts, values_list() tuples, flat=True bare values."""
    qs = objects.order_by("seq")[:3]
    assert qs.values("seq", "name") == [{"seq": r["seq"], "name": r["name"]} for r in ROWS[:3]]
    assert objects.order_by("seq")[5:8].values_list("seq", flat=True) == [5, 6, 7]
    assert objects.order_by("seq")[:2].values_list("seq", "group") == [
        (0, None),
        (1, "beta"),
    ]
    full = objects.order_by("seq")[:1].values()
    assert full[0]["id"] == people.ids[0] and full[0]["active"] is True
    with pytest.raises(errors.QueryError):
        objects.values_list("seq", "name", flat=True)


def test_id_lookups(people: People, objects: Any) -> None:
    """id=/id__in alone are answered by id; inside a filter they use the RECORD_ID field."""
    some = [people.ids[i] for i in (4, 8, 12, 13)]
    assert people.seqs(objects.filter(id__in=some)) == [4, 8, 12, 13]
    assert objects.filter(id__in=some).count() == 4
    assert people.seqs(objects.filter(id__in=some, active=True)) == [4, 8, 12]
    assert people.seqs(objects.filter(Q(id=some[0]) | Q(seq=13))) == [4, 13]
    excluded = people.seqs(objects.exclude(id__in=some))
    assert excluded == [i for i in range(N) if i not in (4, 8, 12, 13)]
    assert objects.filter(pk=people.ids[9]).get().seq == 9
    # Ordering and slicing apply to id queries too.
    ordered = objects.filter(id__in=some).order_by("-seq")
    assert people.seqs(ordered) == [13, 12, 8, 4]
    assert ordered.first().seq == 13 and ordered.last().seq == 4
    assert people.seqs(ordered[1:3].iterator()) == [12, 8]
    assert people.seqs(objects.filter(id__in=some)[1:3].iterator()) == [8, 12]


def test_get_or_create(people: People, session: Session) -> None:
    """get_or_create() finds an existing record, or creates one from lookup and defaults."""
    objects = people.model.objects.using(session)
    found, created = objects.get_or_create(seq=10)
    assert (found.id, created) == (people.ids[10], False)
    new, created = objects.get_or_create(seq=10_000, defaults={"name": "Zed"})
    try:
        assert created and new.id not in people.ids
        assert objects.get(seq=10_000).name == "Zed"
        again, created = objects.get_or_create(seq=10_000)
        assert (again.id, created) == (new.id, False)
    finally:
        new.delete()
    assert objects.count() == N


def test_in_bulk(people: People, objects: Any) -> None:
    """in_bulk(ids) maps each existing id to its record; unknown ids are left out."""
    wanted = [people.ids[3], people.ids[300], people.ids[3], "nOsUcHrEcOrD00"]
    found = objects.in_bulk(wanted)
    assert list(found) == [people.ids[3], people.ids[300]]
    assert found[people.ids[300]].seq == 300


def test_view(people: People, objects: Any) -> None:
    """view(view_id) lists the saved view's records in the view's order."""
    fid = people.field_ids
    view = people.emu.add_view(
        people.database_id,
        people.table_id,
        "Active, newest seq first",
        filter={"condition": {"operator": "IS", "leftSide": fid["Active"], "rightSide": True}},
        sorting=[{"sortingField": fid["Seq"], "sortType": "DESC"}],
    )
    got = people.seqs(objects.view(view["id"]))
    assert got == sorted(_where(lambda r: r["active"]), reverse=True)
    assert people.seqs(objects.view(view["id"])[:3]) == got[:3]
    with pytest.raises(errors.QueryError):
        list(objects.view(view["id"]).filter(score=1))


def test_using_another_workspace_is_forbidden(
    people: People, make_session: Callable[..., Session]
) -> None:
    """using(other_session) goes through the other token: a foreign workspace is Forbidden."""
    emu = people.emu
    workspace = emu.create_workspace("Tenant B")
    other = make_session(emu.create_token([workspace], name="tenant b"))
    with pytest.raises(errors.Forbidden):
        people.model.objects.using(other).count()
    with pytest.raises(errors.Forbidden):
        people.model.objects.all().using(other).first()
    assert other.request_count >= 1
    # The same model through a session of the right workspace still works.
    assert people.model.objects.using(make_session()).count() == N


def test_explain_is_exactly_what_is_posted(people: People, objects: Any) -> None:
    """explain() returns the very search bodies the query then POSTs."""
    session = objects._session
    sent: list[RequestEvent] = []
    session.add_listener(sent.append)
    bounded = [
        objects.order_by("seq")[190:410],
        objects.order_by("-created_at", "name")[:5],
        objects.filter(score__in=[1, 2]).order_by("-score")[3:7],
    ]
    for qs in bounded:
        sent.clear()
        expected = qs.explain()
        assert list(qs)
        posted = [loads(e.body) for e in sent]
        assert all(e.method == "POST" and e.path.endswith("/search") for e in sent)
        assert posted == expected
    assert len(bounded[0].explain()) == 2

    # An open scan explains its first page; the later pages differ only in their paging.
    scan = objects.filter(Q(score__gte=10) | Q(group="beta")).exclude(active=True)
    sent.clear()
    (expected,) = scan.explain()
    assert len(list(scan)) > 200
    posted = [loads(e.body) for e in sent]
    assert len(posted) == 2 and posted[0] == expected
    assert {**posted[1], "paging": expected["paging"]} == expected
    assert posted[1]["paging"]["offset"] == 200


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda o: o.filter(active__contains="x"), errors.UnsupportedLookup),
        (lambda o: o.filter(group__has_any=["Alpha"]), errors.UnsupportedLookup),
        (lambda o: o.filter(nope=1), errors.FieldError),
        (lambda o: o.filter(Q(score=1) | Q(nope__gt=1)), errors.FieldError),
        (lambda o: o.order_by("-nope"), errors.FieldError),
        (lambda o: o.filter(score="ten"), errors.InvalidValue),
        (lambda o: o.filter(score__in=5), errors.InvalidValue),
        (lambda o: o.filter(active="yes"), errors.InvalidValue),
        (lambda o: o.filter(score__range=(1, 2, 3)), errors.InvalidValue),
        (lambda o: o.exclude(name__startswith=None), errors.InvalidValue),
    ],
    ids=[
        "checkbox-contains",
        "single-select-has-any",
        "unknown-field",
        "unknown-field-in-q",
        "unknown-order",
        "number-from-str",
        "in-not-a-list",
        "checkbox-str",
        "range-triple",
        "startswith-none",
    ],
)
def test_lookup_errors_before_any_request(
    people: People, session: Session, call: Callable[[Any], Any], error: type[Exception]
) -> None:
    """Bad lookups raise at filter() time, before a single request (not even the schema)."""
    with pytest.raises(error):
        call(people.model.objects.using(session))
    assert session.request_count == 0
