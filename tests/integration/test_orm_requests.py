"""How many HTTP requests ORM operations cost, counted by ``session.request_count``.

The schema is read once per table per session; every count below is taken after that, so it is
the price of the operation itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from softr_orm import Model, RequestEvent, Session, fields
from softr_orm.emulator import Emulator
from softr_orm.http.jsonutil import loads
from softr_orm.query.binding import bind

pytestmark = pytest.mark.integration

N_COMPANIES = 30
N_PARENTS = 200


@dataclass
class Crm:
    company: type[Model]
    parent: type[Model]
    tag: type[Model]
    company_ids: list[str]
    tag_ids: list[str]
    parent_ids: list[str]


def _models(database_id: str) -> tuple[type[Model], type[Model], type[Model]]:
    class Company(Model):
        name = fields.SingleLineText("Name")
        size = fields.Number("Size")

        class Meta:
            database = database_id
            table = "Companies"

    class Tag(Model):
        name = fields.SingleLineText("Name")

        class Meta:
            database = database_id
            table = "Tags"

    class Parent(Model):
        name = fields.SingleLineText("Name")
        score = fields.Number("Score")
        company = fields.LinkedRecord("Company", to=Company, multiple=False)
        tags = fields.LinkedRecord("Tags", to=Tag)

        class Meta:
            database = database_id
            table = "Parents"

    return Company, Parent, Tag


@pytest.fixture(scope="module")
def crm(emu: Emulator) -> Iterator[Crm]:
    database_id = emu.create_database("request counts")["id"]
    companies = emu.create_table(
        database_id,
        "Companies",
        [
            {"name": "Name", "type": "SINGLE_LINE_TEXT"},
            {"name": "Size", "type": "NUMBER"},
            {"name": "Record ID", "type": "RECORD_ID"},
        ],
    )
    tags = emu.create_table(
        database_id,
        "Tags",
        [{"name": "Name", "type": "SINGLE_LINE_TEXT"}, {"name": "Record ID", "type": "RECORD_ID"}],
    )
    parents = emu.create_table(
        database_id,
        "Parents",
        [
            {"name": "Name", "type": "SINGLE_LINE_TEXT"},
            {"name": "Score", "type": "NUMBER"},
            {
                "name": "Company",
                "type": "LINKED_RECORD",
                "options": {"linkedTableId": companies["id"]},
            },
            {
                "name": "Tags",
                "type": "LINKED_RECORD",
                "allowMultipleEntries": True,
                "options": {"linkedTableId": tags["id"]},
            },
        ],
    )
    cf = {f["name"]: f["id"] for f in companies["fields"]}
    tf = {f["name"]: f["id"] for f in tags["fields"]}
    pf = {f["name"]: f["id"] for f in parents["fields"]}
    company_ids = emu.insert_records(
        database_id,
        companies["id"],
        [{cf["Name"]: f"Company {i}", cf["Size"]: i} for i in range(N_COMPANIES)],
    )
    tag_ids = emu.insert_records(
        database_id, tags["id"], [{tf["Name"]: f"tag {i}"} for i in range(5)]
    )
    parent_ids = emu.insert_records(
        database_id,
        parents["id"],
        [
            {
                pf["Name"]: f"Parent {i}",
                pf["Score"]: i,
                pf["Company"]: [company_ids[i % N_COMPANIES]],
                **({pf["Tags"]: tag_ids} if i == 0 else {}),
            }
            for i in range(N_PARENTS)
        ],
    )
    company, parent, tag = _models(database_id)
    yield Crm(company, parent, tag, company_ids, tag_ids, parent_ids)


@pytest.fixture
def warm(crm: Crm, session: Session) -> Session:
    """A session that has already read the schema of every model."""
    for model in (crm.company, crm.parent, crm.tag):
        bind(model, session)
    session.reset_request_count()
    return session


def _cost(session: Session, action: Any) -> tuple[int, Any]:
    before = session.request_count
    result = action()
    return session.request_count - before, result


def test_count_is_one_request(crm: Crm, warm: Session) -> None:
    """count() is a single search with limit=1, whatever the number of records."""
    cost, total = _cost(warm, lambda: crm.parent.objects.using(warm).count())
    assert (cost, total) == (1, N_PARENTS)
    cost, total = _cost(warm, lambda: crm.parent.objects.using(warm).filter(score__lt=5).count())
    assert (cost, total) == (1, 5)


def test_schema_is_read_once_per_session(crm: Crm, session: Session) -> None:
    """The first query of a session reads the schema (one request); later ones do not."""
    objects = crm.parent.objects.using(session)
    assert _cost(session, objects.count)[0] == 2
    assert _cost(session, objects.count)[0] == 1
    assert _cost(session, lambda: objects.filter(score=3).count())[0] == 1


def test_schema_is_read_once_even_by_racing_threads(crm: Crm, session: Session) -> None:
    """16 threads meeting a model at once in a new session still list the tables once."""
    import threading

    objects = crm.parent.objects.using(session)
    start = threading.Barrier(16)

    def work() -> None:
        start.wait()
        objects.count()

    threads = [threading.Thread(target=work) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert session.request_count == 16 + 1


def test_clean_save_sends_nothing(crm: Crm, warm: Session) -> None:
    """save() on an unchanged instance, and after reading fields, makes no request."""
    parent = crm.parent.objects.using(warm).get(id=crm.parent_ids[5])
    assert parent.name == "Parent 5"
    cost, result = _cost(warm, parent.save)
    assert cost == 0 and not result.saved
    parent.score = parent.score  # assigning the same value is no change either
    assert _cost(warm, parent.save)[0] == 0


def test_dirty_save_is_one_request(crm: Crm, warm: Session) -> None:
    """A changed field costs exactly one PATCH; creating costs one POST."""
    tag = crm.tag.objects.using(warm).create(name="fresh")
    tag.name = "fresher"
    assert _cost(warm, tag.save)[0] == 1
    cost, _ = _cost(warm, lambda: crm.tag.objects.using(warm).create(name="another"))
    assert cost == 1


def test_get_by_id_is_one_request(crm: Crm, warm: Session) -> None:
    """get(id=...) is one GET."""
    cost, parent = _cost(warm, lambda: crm.parent.objects.using(warm).get(id=crm.parent_ids[7]))
    assert cost == 1 and parent.score == 7


def test_filter_get_is_one_request(crm: Crm, warm: Session) -> None:
    """filter(...).get() is one search that fetches at most two records."""
    objects = crm.parent.objects.using(warm)
    sent: list[RequestEvent] = []
    warm.add_listener(sent.append)
    cost, parent = _cost(warm, lambda: objects.filter(name="parent 9").get())
    assert cost == 1 and parent.score == 9
    with pytest.raises(crm.parent.MultipleObjectsReturned):
        objects.filter(score__gte=0).get()
    assert warm.request_count == 2
    assert [loads(e.body)["paging"] for e in sent] == [{"offset": 0, "limit": 2}] * 2


def test_prefetch_batches_links(crm: Crm, warm: Session) -> None:
    """prefetch over 200 parents: one search for them plus ceil(links/200) for the links."""
    objects = crm.parent.objects.using(warm)

    def loop() -> list[str]:
        return [p.company.name for p in objects.prefetch("company")]

    cost, names = _cost(warm, loop)
    assert len(names) == N_PARENTS
    assert names[:3] == ["Company 0", "Company 1", "Company 2"]
    assert cost == 1 + math.ceil(N_COMPANIES / 200)
    assert cost <= 3


def test_without_prefetch_it_is_n_plus_one(crm: Crm, warm: Session) -> None:
    """The same loop without prefetch: one search, then one request per parent."""
    objects = crm.parent.objects.using(warm)

    def loop() -> list[str]:
        return [p.company.name for p in objects.all()]

    cost, names = _cost(warm, loop)
    assert names == [f"Company {i % N_COMPANIES}" for i in range(N_PARENTS)]
    assert cost == 1 + N_PARENTS


def test_touching_a_link_loads_all_its_records_at_once(crm: Crm, warm: Session) -> None:
    """Reading a multi-link loads every linked record in one request, fields included."""
    parent = crm.parent.objects.using(warm).get(id=crm.parent_ids[0])
    cost, tags = _cost(warm, lambda: parent.tags)
    assert cost == 1
    assert [t.id for t in tags] == crm.tag_ids
    cost, names = _cost(warm, lambda: [t.name for t in tags])
    assert cost == 0 and names == [f"tag {i}" for i in range(5)]
    assert _cost(warm, lambda: parent.tags)[0] == 0  # cached on the instance


def test_iterator_costs_one_request_per_page(crm: Crm, warm: Session) -> None:
    """iterator(page_size=n) sends ceil(total/n) searches."""
    cost, seen = _cost(warm, lambda: list(crm.parent.objects.using(warm).iterator(page_size=64)))
    assert len(seen) == N_PARENTS
    assert cost == math.ceil(N_PARENTS / 64)


def test_schema_change_is_picked_up_once(crm: Crm, session: Session) -> None:
    """A field recreated under a new id: the save meets UNKNOWN_FIELD, rereads the schema
    once and resends (3 requests), and the new id is used from then on."""
    objects = crm.company.objects.using(session)
    company = objects.get(id=crm.company_ids[0])
    table = bind(crm.company, session).table
    old_id = table.field("Size").id
    session.api.delete_field(table.database_id, table.id, old_id)
    session.api.add_field(table.database_id, table.id, name="Size", type="NUMBER")
    company.size = 1234
    cost, result = _cost(session, company.save)
    assert cost == 3 and result.updated == ("size",)
    assert bind(crm.company, session).ids["size"] != old_id
    assert objects.get(id=company.id).size == 1234
    assert _cost(session, lambda: objects.filter(size=1234).count()) == (1, 1)
