"""``bulk_create`` and ``upsert`` on a real Baserow: batch endpoints, 200 rows a request, with
the outcomes of docs/reliability.md (a refused batch fails its rows only; a batch whose answer
is lost is proven through the key, or reported unknown, and never re-sent blindly)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from softr_orm import Model, RetryPolicy, errors, fields
from softr_orm.backends.baserow import BaserowSession
from softr_orm.http.util import RequestEvent
from softr_orm.query.binding import bind

pytestmark = pytest.mark.integration


class Item(Model):
    name = fields.SingleLineText("Name")
    budget = fields.Number("Budget")  # no negatives: Baserow refuses -1, the ORM does not know

    class Meta:
        database = 0
        table = 0


@pytest.fixture(scope="module")
def table_id(baserow: BaserowSession, baserow_server: Any) -> Iterator[str]:
    """One table for the module (tables are created rarely: other tests list the database)."""
    table = baserow.backend.create_table(
        baserow_server.database_id,
        f"Items {random.randrange(10**8)}",
        [{"name": "Name", "type": "text"}, {"name": "Budget", "type": "number"}],
    )
    try:
        yield table.id
    finally:
        baserow.backend.delete_table(table.id)


@pytest.fixture()
def session(baserow_server: Any, table_id: str) -> Iterator[BaserowSession]:
    """A session of its own (a short settle delay) on the module's table, emptied first."""
    fast = RetryPolicy(settle_delay=0.05, backoff_base=0.01, backoff_cap=0.02)
    # the token only (the table is made with the module's JWT session): nothing left to GC
    s = BaserowSession(baserow_server.token, base_url=baserow_server.url, retry_policy=fast)
    Item._meta.database, Item._meta.table = baserow_server.database_id, table_id
    bind(Item, s)  # the table's fields, read once: the tests count the writes' requests
    Item.objects.using(s).all().delete()
    assert Item.objects.using(s).count() == 0
    try:
        yield s
    finally:
        s.close()


@pytest.fixture()
def sent(session: BaserowSession) -> Iterator[list[RequestEvent]]:
    events: list[RequestEvent] = []
    session.add_listener(events.append)
    yield events
    session.remove_listener(events.append)


def _writes(events: list[RequestEvent]) -> list[tuple[str, str]]:
    """(method, last path segment) of every write, e.g. ("POST", "batch")."""
    return [(e.method, e.path.rstrip("/").rsplit("/", 1)[-1]) for e in events if e.method != "GET"]


def _stored(session: BaserowSession) -> dict[str, int | None]:
    return {i.name or "": i.budget for i in Item.objects.using(session).all()}


def test_bulk_create_sends_200_a_request_and_a_refused_batch_fails_its_rows_only(
    session: BaserowSession, sent: list[RequestEvent]
) -> None:
    items = [Item(name=f"n{i}", budget=-1 if i == 250 else i) for i in range(450)]
    sent.clear()
    result = Item.objects.using(session).bulk_create(items)
    assert _writes(sent) == [("POST", "batch")] * 3 and len(sent) == 3
    assert set(result.failed) == {f"#{i}" for i in range(200, 400)}
    assert all(isinstance(e, errors.FieldValidationError) for e in result.failed.values())
    assert not result.unknown
    kept = [*items[:200], *items[400:]]
    assert result.succeeded == [i.id for i in kept] and all(i.id for i in kept)
    assert all(i.id is None for i in items[200:400])
    assert _stored(session) == {i.name: i.budget for i in kept}


def test_upsert_of_1000_rows_into_600_takes_at_most_12_requests(
    session: BaserowSession, sent: list[RequestEvent]
) -> None:
    Item.objects.using(session).bulk_create([Item(name=f"k{i}", budget=i) for i in range(600)])
    rows = [{"name": f"k{i}", "budget": i + (1000 if i < 300 else 0)} for i in range(1000)]
    sent.clear()
    result = Item.objects.using(session).upsert(rows, key=("name",))
    writes = _writes(sent)
    # a count and 3 pages of 200 (cheaper than 10 searches of 100 keys), 2 + 2 batches
    assert len(sent) == 8 <= 12, [(e.method, e.path) for e in sent]
    assert sorted(writes) == [("PATCH", "batch")] * 2 + [("POST", "batch")] * 2
    assert (len(result.created), len(result.updated), len(result.unchanged)) == (400, 300, 300)
    assert not result.failed and not result.unknown and not result.duplicates
    assert _stored(session) == {r["name"]: r["budget"] for r in rows}


def test_a_refused_upsert_batch_fails_its_rows_only(
    session: BaserowSession, sent: list[RequestEvent]
) -> None:
    Item.objects.using(session).bulk_create([Item(name=f"k{i}", budget=i) for i in range(300)])
    rows = [{"name": f"k{i}", "budget": i + 1} for i in range(300)]  # 2 update batches
    rows[250]["budget"] = -1  # refused by Baserow: the second batch (rows 200-299)
    rows += [{"name": f"new{i}", "budget": i} for i in range(5)]  # 1 create batch
    result = Item.objects.using(session).upsert(rows, key=("name",))
    assert {r.index for r in result.rows if r.outcome == "failed"} == set(range(200, 300))
    assert len(result.updated) == 200 and len(result.created) == 5 and not result.unknown
    stored = _stored(session)
    assert [stored[f"k{i}"] for i in (0, 199, 200, 250, 299)] == [1, 200, 200, 250, 299]


def _lose_answers(
    monkeypatch: pytest.MonkeyPatch, session: BaserowSession, name: str, applied: bool
) -> list[int]:
    """Make the backend's next ``name`` batch lose its answer (after applying it, or not):
    what a dropped connection does. Returns the sizes of every such call."""
    backend = session.backend
    real: Callable[..., Any] = getattr(backend, name)
    calls: list[int] = []

    def lossy(database_id: str, table_id: str, rows: Any) -> Any:
        calls.append(len(rows))
        if len(calls) == 1:
            if applied:
                real(database_id, table_id, rows)
            raise errors.AmbiguousWriteError("connection dropped", method="POST")
        return real(database_id, table_id, rows)

    monkeypatch.setattr(backend, name, lossy)
    return calls


@pytest.mark.parametrize("applied", [True, False], ids=["landed", "never-landed"])
def test_a_lost_create_batch_is_proven_through_the_key(
    session: BaserowSession, monkeypatch: pytest.MonkeyPatch, applied: bool
) -> None:
    calls = _lose_answers(monkeypatch, session, "create_records", applied)
    rows = [{"name": f"c{i}", "budget": i} for i in range(250)]
    result = Item.objects.using(session).upsert(rows, key=("name",))
    assert len(result.created) == 250 and not result.unknown and not result.failed
    # landed: proven by reading back, nothing re-sent; not landed: re-sent once, after settling
    assert calls == ([200, 50] if applied else [200, 50, 200])
    assert Item.objects.using(session).count() == 250
    assert _stored(session) == {r["name"]: r["budget"] for r in rows}


@pytest.mark.parametrize("applied", [True, False], ids=["landed", "never-landed"])
def test_a_lost_update_batch_is_proven_by_reading_back(
    session: BaserowSession, monkeypatch: pytest.MonkeyPatch, applied: bool
) -> None:
    Item.objects.using(session).bulk_create([Item(name=f"u{i}", budget=i) for i in range(10)])
    calls = _lose_answers(monkeypatch, session, "update_records", applied)
    rows = [{"name": f"u{i}", "budget": 100 + i} for i in range(10)]
    result = Item.objects.using(session).upsert(rows, key=("name",))
    assert len(result.updated) == 10 and not result.unknown and not result.failed
    assert calls == ([10] if applied else [10, 10])
    assert _stored(session) == {r["name"]: r["budget"] for r in rows}


def test_a_lost_bulk_create_batch_is_unknown_and_never_resent(
    session: BaserowSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _lose_answers(monkeypatch, session, "create_records", True)
    items = [Item(name=f"b{i}", budget=i) for i in range(210)]
    result = Item.objects.using(session).bulk_create(items)
    assert calls == [200, 10]
    assert set(result.unknown) == {f"#{i}" for i in range(200)}
    assert len(result.succeeded) == 10 and not result.failed
    assert Item.objects.using(session).count() == 210  # landed once, never sent again
