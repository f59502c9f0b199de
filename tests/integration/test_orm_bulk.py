"""Bulk writes (``QuerySet.update`` / ``QuerySet.delete``) against the emulator.

Softr has no batch endpoint, so a bulk write is one request per record. These tests check that
every record is accounted for: the result lists what succeeded and what failed (with the
exception), and the emulator's state matches the result exactly, also when the emulator
injects failures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from softr_orm import Model, Session, errors, fields
from softr_orm.emulator import Emulator
from softr_orm.query.bulk import BulkError, BulkResult

pytestmark = pytest.mark.integration

N = 60


def _model(database_id: str) -> type[Model]:
    class Item(Model):
        name = fields.SingleLineText("Name")
        score = fields.Number("Score")
        stage = fields.Select("Stage")
        stars = fields.Rating("Stars")
        created = fields.CreatedAt("Created")

        class Meta:
            database = database_id
            table = "Items"

    return Item


@dataclass
class Items:
    emu: Emulator
    model: type[Model]
    table_id: str
    ids: list[str]  # in creation order

    def state(self, session: Session) -> dict[str, Any]:
        """id -> (score, stage) as stored, read through ``session``."""
        return {i.id: (i.score, i.stage) for i in self.model.objects.using(session).all()}


@pytest.fixture
def items(emu: Emulator, database: str) -> Iterator[Items]:
    """A fresh table of 60 records: score = n, stage a/b/c in turn."""
    table = emu.create_table(
        database,
        "Items",
        [
            {"name": "Name", "type": "SINGLE_LINE_TEXT"},
            {"name": "Score", "type": "NUMBER"},
            {
                "name": "Stage",
                "type": "SELECT",
                "options": {
                    "choices": [{"label": s} for s in ("a", "b", "c")],
                    "allowToAddNewChoice": False,
                },
            },
            {"name": "Stars", "type": "RATING", "options": {"max": 3}},
            {"name": "Created", "type": "CREATED_AT"},
        ],
    )
    fid = {f["name"]: f["id"] for f in table["fields"]}
    ids = emu.insert_records(
        database,
        table["id"],
        [{fid["Name"]: f"item {n}", fid["Score"]: n, fid["Stage"]: "abc"[n % 3]} for n in range(N)],
    )
    try:
        yield Items(emu, _model(database), table["id"], ids)
    finally:
        emu.clear_faults()


def _faults(items: Items, method: str) -> None:
    items.emu.set_faults(
        rate=0.3,
        kinds=("503",),
        methods=(method,),
        seed=20260521,
        only_paths=(f"/tables/{items.table_id}/records/",),
    )


def _check_accounting(result: BulkResult, matched: list[str]) -> None:
    assert sorted(result.succeeded + list(result.failed)) == sorted(matched)
    assert not set(result.succeeded) & set(result.failed)
    assert result.total == len(matched)
    assert len(result) == len(result.succeeded)


def test_update_all_succeed(items: Items, make_session: Callable[..., Session]) -> None:
    """update() PATCHes every matched record; the result lists them in query order."""
    session = make_session()
    qs = items.model.objects.using(session).filter(stage="b")
    matched = [i.id for i in qs]
    assert len(matched) == N // 3
    result = qs.update(score=-1, stage="c")
    assert result.ok and result.failed == {}
    assert result.succeeded == matched
    state = items.state(make_session())
    for record_id, n in zip(items.ids, range(N), strict=True):
        if record_id in matched:
            assert state[record_id] == (-1, "c")
        else:
            assert state[record_id] == (n, "abc"[n % 3])
    assert result.raise_for_failures() is result


def test_delete_all_succeed(items: Items, make_session: Callable[..., Session]) -> None:
    """delete() removes exactly the matched records."""
    session = make_session()
    qs = items.model.objects.using(session).filter(score__gte=45)
    matched = [i.id for i in qs]
    result = qs.delete()
    assert result.ok and result.succeeded == matched and len(matched) == 15
    assert set(items.state(make_session())) == set(items.ids) - set(matched)
    assert qs.all().count() == 0


def test_update_with_injected_failures(items: Items, make_session: Callable[..., Session]) -> None:
    """With 503s injected on PATCH and no retries, failures are reported and nothing is lost."""
    session = make_session(max_retries=0)
    qs = items.model.objects.using(session).all()
    matched = [i.id for i in qs]
    _faults(items, "PATCH")
    result = qs.update(score=1000)
    items.emu.clear_faults()

    _check_accounting(result, matched)
    assert result.failed and result.succeeded  # some of each (30 % fault rate, 60 records)
    for error in result.failed.values():
        assert isinstance(error, errors.ServiceUnavailable)
        assert error.status == 503
    with pytest.raises(BulkError, match=f"{len(result.failed)} of {N} records failed"):
        result.raise_for_failures()

    state = items.state(make_session())
    assert len(state) == N
    for n, record_id in enumerate(items.ids):
        expected = 1000 if record_id in result.succeeded else n
        assert state[record_id][0] == expected, (record_id, n)
    faulted = [e for e in items.emu.request_log() if e["fault"] == "503"]
    assert len(faulted) >= len(result.failed)


def test_delete_with_injected_failures(items: Items, make_session: Callable[..., Session]) -> None:
    """With 503s injected on DELETE, the failed records are exactly the ones still there."""
    session = make_session(max_retries=0)
    qs = items.model.objects.using(session).filter(stage__in=["a", "b"])
    matched = [i.id for i in qs]
    assert len(matched) == 40
    _faults(items, "DELETE")
    result = qs.delete()
    items.emu.clear_faults()

    _check_accounting(result, matched)
    assert result.failed and result.succeeded
    assert all(isinstance(e, errors.ServiceUnavailable) for e in result.failed.values())
    remaining = set(items.state(make_session()))
    assert remaining == (set(items.ids) - set(matched)) | set(result.failed)


def test_retries_absorb_the_faults(items: Items, make_session: Callable[..., Session]) -> None:
    """The same faults with retries enabled: every record succeeds."""
    session = make_session(max_retries=8)
    qs = items.model.objects.using(session).filter(stage="a")
    _faults(items, "PATCH")
    result = qs.update(name="retried")
    items.emu.clear_faults()
    assert result.ok and len(result.succeeded) == N // 3
    names = {i.name for i in items.model.objects.using(make_session()).filter(stage="a")}
    assert names == {"retried"}


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({"score": "ten"}, errors.InvalidValue),
        ({"score": float("nan")}, errors.InvalidValue),
        ({"stage": ["a"]}, errors.InvalidValue),
        ({"stage": "zzz"}, errors.InvalidValue),  # not a choice; new choices are not allowed
        ({"stars": 5}, errors.InvalidValue),  # the live maximum is 3
        ({"stars": 1.5}, errors.InvalidValue),
        ({"created": None}, errors.ReadOnlyField),
        ({"nope": 1}, errors.FieldError),
    ],
    ids=[
        "number-from-str",
        "number-nan",
        "single-select-list",
        "unknown-choice",
        "rating-above-live-max",
        "rating-fraction",
        "read-only",
        "unknown-field",
    ],
)
def test_bad_values_refused_before_any_write(
    items: Items, make_session: Callable[..., Session], values: dict[str, Any], error: type
) -> None:
    """A bad update value raises before any record is written (not once per record)."""
    session = make_session()
    qs = items.model.objects.using(session).all()
    qs.count()  # the schema is known: the live choices and maximum can be checked
    items.emu.clear_request_log()
    with pytest.raises(error):
        qs.update(**values)
    writes = [e for e in items.emu.request_log() if e["method"] in ("PATCH", "DELETE")]
    assert writes == []
    state = items.state(make_session())
    assert state == {rid: (n, "abc"[n % 3]) for n, rid in enumerate(items.ids)}


def test_update_nothing_matched(items: Items, make_session: Callable[..., Session]) -> None:
    """An update that matches nothing writes nothing and reports nothing."""
    session = make_session()
    result = items.model.objects.using(session).filter(score__gt=10_000).update(score=1)
    assert result.succeeded == [] and result.failed == {} and result.ok


@pytest.mark.parametrize("operation", ["update", "delete"])
def test_records_deleted_elsewhere_midway_never_make_one_skipped(
    emu: Emulator, database: str, make_session: Callable[..., Session], operation: str
) -> None:
    """update()/delete() fix the set of ids before writing: 40 records deleted elsewhere
    after the first page was read (which shifts every later offset by 40) make no record that
    matched throughout skipped, and none is written twice."""
    table = emu.create_table(database, "Many", [{"name": "Score", "type": "NUMBER"}])
    fid = table["fields"][0]["id"]
    ids = emu.insert_records(database, table["id"], [{fid: n} for n in range(450)])
    database_id = database

    class Many(Model):
        score = fields.Number("Score")

        class Meta:
            database = database_id
            table = "Many"

    session, other = make_session(), make_session()
    backend = session.backend
    search = backend.search
    gone = ids[100:140]

    def search_then_delete(query: Any, offset: int, limit: int) -> Any:
        page = search(query, offset, limit)
        if offset == 0 and gone[0] not in deleted:
            for record_id in gone:
                Many.objects.using(other).get(id=record_id).delete()
                deleted.append(record_id)
        return page

    deleted: list[str] = []
    backend.search = search_then_delete  # type: ignore[method-assign]
    emu.clear_request_log()
    qs = Many.objects.using(session).all()
    result = qs.update(score=-1) if operation == "update" else qs.delete()
    survivors = [i for i in ids if i not in gone]
    assert deleted == gone
    assert set(survivors) <= set(result.succeeded)
    assert len(result.succeeded) == len(set(result.succeeded))
    method = "PATCH" if operation == "update" else "DELETE"
    writes = Counter(e["path"] for e in emu.request_log() if e["method"] == method)
    gone_paths = {path for path in writes if path.rsplit("/", 1)[1] in gone}
    # Each record written once by us (a gone one also once by the other session).
    assert len(writes) >= len(survivors)
    assert all(
        n == (2 if path in gone_paths and method == "DELETE" else 1) for path, n in writes.items()
    )
    remaining = {i.id: i.score for i in Many.objects.using(other).all()}
    if operation == "update":
        assert remaining == dict.fromkeys(survivors, -1)
        assert set(result.failed) == set(gone)  # read before their deletion: 404 now
        assert all(isinstance(e, errors.NotFound) for e in result.failed.values())
    else:
        assert remaining == {}
