"""Writes by key against the emulator: bulk_create, upsert, update_or_create, dedupe."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from softr_orm import Model, RequestEvent, Session, errors, fields
from softr_orm.emulator import Emulator
from softr_orm.http.retry import RetryPolicy

pytestmark = pytest.mark.integration

FAST = RetryPolicy(
    max_retries=4, backoff_base=0.002, backoff_cap=0.01, retry_after_cap=0.01, settle_delay=0.3
)


@dataclass
class World:
    emu: Emulator
    model: type[Model]
    database_id: str
    table_id: str
    fid: dict[str, str]

    def session(self, make: Callable[..., Session], **options: Any) -> Session:
        options.setdefault("retry_policy", FAST)
        options.setdefault("timeout", 0.25)
        return make(**options)

    def emails(self, make: Callable[..., Session]) -> Counter[str]:
        return Counter(str(c.email) for c in self.model.objects.using(make()).all())


@pytest.fixture
def world(emu: Emulator, database: str) -> Iterator[World]:
    table = emu.create_table(
        database,
        "Contacts",
        [
            {"name": "Email", "type": "EMAIL"},
            {"name": "Name", "type": "SINGLE_LINE_TEXT"},
            {"name": "Score", "type": "NUMBER"},
            {"name": "Formula", "type": "FORMULA", "options": {"formula": "{Score} * 2"}},
        ],
    )
    database_id = database

    class Contact(Model):
        email = fields.Email("Email", required=True)
        name = fields.SingleLineText("Name")
        score = fields.Number("Score")
        doubled = fields.Formula("Formula")

        class Meta:
            database = database_id
            table = "Contacts"

    try:
        yield World(
            emu, Contact, database, table["id"], {f["name"]: f["id"] for f in table["fields"]}
        )
    finally:
        emu.clear_faults()


def _bodies(session: Session) -> list[RequestEvent]:
    events: list[RequestEvent] = []
    session.add_listener(events.append)
    return events


def test_bulk_create_creates_each_and_sets_ids(world: World, make_session: Any) -> None:
    """bulk_create() POSTs each instance once; each gets its id; the result counts them."""
    session = world.session(make_session)
    contacts = [world.model(email=f"b{n}@x.io", name=f"B {n}", score=n) for n in range(6)]
    result = world.model.objects.using(session).bulk_create(contacts)
    assert result.ok and int(result) == 6 and result.unknown == {} and result.failed == {}
    assert result.succeeded == [c.id for c in contacts]
    assert all(c.id and not c.is_dirty for c in contacts)
    assert world.emails(make_session) == Counter(f"b{n}@x.io" for n in range(6))


def test_bulk_create_checks_every_instance_before_any_request(
    world: World, make_session: Any
) -> None:
    """A missing required field fails the whole call, naming model and field, before any
    request is sent."""
    session = world.session(make_session)
    events = _bodies(session)
    with pytest.raises(errors.InvalidValue, match=r"Contact\.email"):
        world.model.objects.using(session).bulk_create(
            [world.model(email="ok@x.io"), world.model(name="no email")]
        )
    assert events == []


def test_bulk_create_reports_dropped_creates_unknown(world: World, make_session: Any) -> None:
    """Creates dropped after being applied are `unknown`, never `failed`, never re-sent."""
    session = world.session(make_session)
    world.emu.set_faults(rate=1.0, kinds=["drop_after"], methods=["POST"], only_paths=["records$"])
    result = world.model.objects.using(session).bulk_create(
        [world.model(email=f"u{n}@x.io") for n in range(3)]
    )
    world.emu.clear_faults()
    assert sorted(result.unknown) == ["#0", "#1", "#2"] and result.failed == {}
    assert not result.ok and int(result) == 0
    assert all(isinstance(e, errors.AmbiguousWriteError) for e in result.unknown.values())
    assert {e.fields["email"] for e in result.unknown.values()} == {"u0@x.io", "u1@x.io", "u2@x.io"}  # type: ignore[attr-defined]
    assert world.emails(make_session) == Counter({"u0@x.io": 1, "u1@x.io": 1, "u2@x.io": 1})


def test_upsert_creates_updates_and_skips_unchanged(world: World, make_session: Any) -> None:
    """Rows are created, updated (only the changed fields sent) or left alone (no request);
    keys match case-insensitively, as Softr's text matching does."""
    session = world.session(make_session)
    contacts = world.model.objects.using(session)
    first = contacts.upsert(
        [{"email": f"u{n}@x.io", "name": f"U {n}", "score": n} for n in range(5)], key=("email",)
    )
    assert (
        len(first.created) == 5 and first.ok and [r.outcome for r in first.rows] == ["created"] * 5
    )
    events = _bodies(session)
    rows = [
        {"email": "u0@x.io", "name": "U 0", "score": 0},  # unchanged
        {"email": "U1@X.io", "name": "U 1", "score": 10},  # score changed
        world.model(email="u5@x.io", name="U 5"),  # new, as an instance
    ]
    second = contacts.upsert(rows, key=("email",))
    assert [r.outcome for r in second.rows] == ["unchanged", "updated", "created"]
    assert second.unchanged == [first.rows[0].id] and second.updated == [first.rows[1].id]
    assert second.ok and int(second) == 3
    patches = [e for e in events if e.method == "PATCH"]
    assert len(patches) == 1 and patches[0].body == (
        b'{"fields":{"' + world.fid["Score"].encode() + b'":10}}'
    )
    assert [e.method for e in events].count("POST") == 2  # one key search, one create
    stored = {str(c.email): c for c in contacts.all()}
    assert stored["u1@x.io"].score == Decimal(10) and stored["u5@x.io"].name == "U 5"
    assert len(stored) == 6


def test_upsert_merges_rows_sharing_a_key(world: World, make_session: Any) -> None:
    """Two rows of one key in one call make one record holding the last values."""
    session = world.session(make_session)
    result = world.model.objects.using(session).upsert(
        [{"email": "m@x.io", "score": 1}, {"email": "m@x.io", "score": 2, "name": "M"}],
        key=("email",),
    )
    assert [r.outcome for r in result.rows] == ["created", "created"]
    assert result.rows[0].id == result.rows[1].id and result.created == [result.rows[0].id]
    (stored,) = list(world.model.objects.using(session).all())
    assert (stored.score, stored.name) == (2, "M")


def test_upsert_reports_keys_held_by_several_records(world: World, make_session: Any) -> None:
    """A key matching two records is `failed` with MultipleObjectsReturned, never merged."""
    session = world.session(make_session)
    ids = world.emu.insert_records(
        world.database_id,
        world.table_id,
        [{world.fid["Email"]: "d@x.io", world.fid["Score"]: n} for n in (1, 2)],
    )
    result = world.model.objects.using(session).upsert(
        [{"email": "d@x.io", "score": 3}, {"email": "e@x.io", "score": 4}], key=("email",)
    )
    assert [r.outcome for r in result.rows] == ["failed", "created"]
    assert result.duplicates == {("d@x.io",): ids}
    error = result.failed["email='d@x.io'"]
    assert isinstance(error, world.model.MultipleObjectsReturned)
    assert {c.score for c in world.model.objects.using(session).filter(email="d@x.io")} == {1, 2}


def test_upsert_refuses_bad_rows_before_any_request(world: World, make_session: Any) -> None:
    """An unknown field, a read-only field, a bad value or an empty key fail the whole call
    before any request, naming the model and field."""
    session = world.session(make_session)
    events = _bodies(session)
    contacts = world.model.objects.using(session)
    with pytest.raises(errors.FieldError, match="nope"):
        contacts.upsert([{"email": "a@x.io", "nope": 1}], key=("email",))
    with pytest.raises(errors.ReadOnlyField, match="doubled"):
        contacts.upsert([{"email": "a@x.io", "doubled": 1}], key=("email",))
    with pytest.raises(errors.InvalidValue, match="score"):
        contacts.upsert([{"email": "a@x.io", "score": "many"}], key=("email",))
    with pytest.raises(errors.InvalidValue, match=r"Contact\.email.*no value for the key"):
        contacts.upsert([{"email": "a@x.io"}, {"name": "no key"}], key=("email",))
    assert events == []


def test_upsert_late_creates_make_no_duplicate(world: World, make_session: Any) -> None:
    """Creates whose answers time out (latency past the timeout, cleared meanwhile) land late;
    upsert reconciles them through the key after the settle delay: 0 duplicates."""
    session = world.session(make_session)
    world.emu.set_faults(rate=0.0, latency_ms=400, methods=["POST"], only_paths=["records$"])
    clearing = threading.Timer(0.15, world.emu.clear_faults)
    clearing.start()
    rows = [{"email": f"l{n}@x.io", "score": n} for n in range(6)]
    world.emu.clear_request_log()
    result = world.model.objects.using(session).upsert(rows, key=("email",))
    clearing.join()
    creates = [
        e
        for e in world.emu.request_log()
        if e["method"] == "POST" and e["path"].endswith("records")
    ]
    assert len(creates) == 6  # none sent twice
    assert any(e["durationMs"] >= 400 for e in creates)  # some answered after the timeout
    assert result.ok, result
    assert len(result.created) == 6
    assert world.emails(make_session) == Counter(f"l{n}@x.io" for n in range(6))


def test_update_or_create(world: World, make_session: Any) -> None:
    """update_or_create creates, then updates with defaults, as in Django."""
    contacts = world.model.objects.using(world.session(make_session))
    created, was_created = contacts.update_or_create(defaults={"score": 1}, email="j@x.io")
    assert was_created and created.id and created.score == 1
    updated, was_created = contacts.update_or_create(defaults={"score": 2}, email="j@x.io")
    assert not was_created and updated.id == created.id and updated.score == 2
    with pytest.raises(TypeError, match="email__iexact"):
        contacts.update_or_create(defaults={}, email__iexact="j@x.io")


def test_dedupe_finds_and_removes_duplicates(world: World, make_session: Any) -> None:
    """dedupe() groups records by key (oldest first) and, on request, keeps only the oldest."""
    session = world.session(make_session)
    ids = world.emu.insert_records(
        world.database_id,
        world.table_id,
        [{world.fid["Email"]: e} for e in ("a@x.io", "b@x.io", "A@x.io", "a@x.io", "b@x.io")],
    )
    contacts = world.model.objects.using(session)
    found = contacts.dedupe(key=("email",))
    assert {k: [c.id for c in v] for k, v in found.items()} == {
        ("a@x.io",): [ids[0], ids[2], ids[3]],
        ("b@x.io",): [ids[1], ids[4]],
    }
    assert found.removed is None and sorted(found.extra_ids) == sorted([ids[2], ids[3], ids[4]])
    assert contacts.count() == 5
    removed = contacts.dedupe(key=("email",), delete=True).removed
    assert (
        removed is not None and removed.ok and sorted(removed.succeeded) == sorted(found.extra_ids)
    )
    assert sorted(c.id for c in contacts.all()) == sorted([ids[0], ids[1]])


def test_upsert_by_a_composite_key(world: World, make_session: Any) -> None:
    """A key of two fields matches records holding both values, and creates the others."""
    contacts = world.model.objects.using(world.session(make_session))
    contacts.create(email="k@x.io", name="A", score=1)
    contacts.create(email="k@x.io", name="B", score=2)
    result = contacts.upsert(
        [
            {"email": "k@x.io", "name": "A", "score": 10},
            {"email": "k@x.io", "name": "C", "score": 3},
        ],
        key=("email", "name"),
    )
    assert [r.outcome for r in result.rows] == ["updated", "created"]
    stored = {(c.email, c.name): c.score for c in contacts.all()}
    assert stored == {("k@x.io", "A"): 10, ("k@x.io", "B"): 2, ("k@x.io", "C"): 3}
    with pytest.raises(world.model.MultipleObjectsReturned, match=r"k@x\.io"):
        contacts.update_or_create(defaults={"score": 5}, email="k@x.io")


def test_upsert_progress_bar(
    world: World, make_session: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """progress=True shows a tqdm bar counting the keys done."""
    contacts = world.model.objects.using(world.session(make_session))
    rows = [{"email": f"p{n}@x.io"} for n in range(3)]
    assert contacts.upsert(rows, key=("email",), progress=True).ok
    err = capsys.readouterr().err
    assert "upsert Contact" in err and "3/3" in err


def test_upsert_create_missing_a_required_field_fails_without_a_request(
    emu: Emulator, database: str, make_session: Any
) -> None:
    """A row that would create a record without a required field is `failed` with
    InvalidValue naming model and field, and no create is sent for it."""
    emu.create_table(
        database,
        "Tickets",
        [
            {"name": "Key", "type": "SINGLE_LINE_TEXT"},
            {"name": "Title", "type": "SINGLE_LINE_TEXT"},
        ],
    )
    database_id = database

    class Ticket(Model):
        key = fields.SingleLineText("Key")
        title = fields.SingleLineText("Title", required=True)

        class Meta:
            database = database_id
            table = "Tickets"

    session = make_session()
    events = _bodies(session)
    result = Ticket.objects.using(session).upsert(
        [{"key": "t1", "title": "One"}, {"key": "t2"}], key=("key",)
    )
    assert [r.outcome for r in result.rows] == ["created", "failed"]
    error = result.rows[1].error
    assert isinstance(error, errors.InvalidValue) and error.field == "title"
    assert [e.method for e in events].count("POST") == 2  # the key search and one create
