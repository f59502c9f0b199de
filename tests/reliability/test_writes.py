"""The write rule against the emulator: no lost update, outcomes proven or reported unknown.

Each scenario of issue 11, with the emulator's latency and faults, scaled down in time (a
0.3 s client timeout instead of 1 s) so the suite stays fast; the proportions are the issue's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from softr_orm import Model, Session, errors, fields
from softr_orm.emulator import Emulator
from softr_orm.http.retry import RetryPolicy

pytestmark = pytest.mark.integration

TIMEOUT = 0.3
SETTLE = 0.35
FAST = RetryPolicy(
    max_retries=4, backoff_base=0.002, backoff_cap=0.01, retry_after_cap=0.01, settle_delay=SETTLE
)


@dataclass
class World:
    emu: Emulator
    model: type[Model]
    table_id: str
    ids: list[str]

    def session(self, **options: object) -> Session:
        options.setdefault("rate_limit", False)
        options.setdefault("retry_policy", FAST)
        options.setdefault("timeout", TIMEOUT)
        return Session(self.emu.api_key, base_url=self.emu.base_url, **options)  # type: ignore[arg-type]

    def stored(self) -> dict[str, int | None]:
        with Session(self.emu.api_key, base_url=self.emu.base_url, rate_limit=False) as clean:
            return {
                i.id: (None if i.score is None else int(i.score))
                for i in self.model.objects.using(clean).all()
                if i.id is not None
            }


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def world(emu: Emulator) -> Iterator[World]:
    """A fresh table of 12 records (score 0), faults cleared afterwards."""
    database_id = str(emu.create_database("writes")["id"])
    table = emu.create_table(
        database_id,
        "Items",
        [{"name": "Name", "type": "SINGLE_LINE_TEXT"}, {"name": "Score", "type": "NUMBER"}],
    )
    fid = {f["name"]: f["id"] for f in table["fields"]}
    ids = emu.insert_records(
        database_id,
        table["id"],
        [{fid["Name"]: f"item {n}", fid["Score"]: 0} for n in range(12)],
    )

    class Item(Model):
        name = fields.SingleLineText("Name")
        score = fields.Number("Score")

        class Meta:
            database = database_id
            table = "Items"

    try:
        yield World(emu, Item, table["id"], ids)
    finally:
        emu.clear_faults()


def _patches(emu: Emulator) -> list[dict[str, object]]:
    return [e for e in emu.request_log() if e["method"] == "PATCH"]


@pytest.mark.parametrize("trial", range(5))
def test_late_patch_never_overwrites_an_acknowledged_save(world: World, trial: int) -> None:
    """The issue's lost update, scaled: PATCH latency past the timeout, cleared meanwhile;
    save 1, save 2, wait for stragglers: the stored value is the last acknowledged save."""
    emu = world.emu
    session = world.session()
    item = world.model.objects.using(session).get(id=world.ids[trial])
    emu.clear_request_log()
    emu.set_faults(rate=0.0, latency_ms=TIMEOUT * 1600, methods=["PATCH"])
    clearing = threading.Timer(TIMEOUT / 2, emu.clear_faults)
    clearing.start()
    try:
        item.score = 1
        item.save()  # its first attempt times out and lands late
        item.score = 2
        item.save()
    finally:
        clearing.join()
    time.sleep(TIMEOUT * 1.6)  # any attempt still in flight has landed by now
    assert world.stored()[world.ids[trial]] == 2
    patches = _patches(emu)
    assert len(patches) == 2, patches  # the late one and save 2: save 1 was not re-sent
    assert item.score == 2 and not item.is_dirty
    session.close()


def test_a_save_waits_while_its_record_is_unsettled(world: World) -> None:
    """After an AmbiguousWriteError the record is unsettled: the next save of it waits for the
    settle delay, so the abandoned attempt cannot land after it."""
    emu = world.emu
    session = world.session(retry_policy=RetryPolicy(max_retries=0, settle_delay=SETTLE))
    item = world.model.objects.using(session).get(id=world.ids[0])
    # The PATCH lands late; the read-back is refused (and not retried): unknown.
    emu.set_faults(rate=0.0, latency_ms=TIMEOUT * 1500, methods=["PATCH"])
    emu_get_faults = threading.Timer(
        0.05,
        lambda: emu.set_faults(
            rate=1.0, kinds=["drop_before"], latency_ms=TIMEOUT * 1500, methods=["PATCH", "GET"]
        ),
    )
    emu_get_faults.start()
    item.score = 1
    with pytest.raises(errors.AmbiguousWriteError) as info:
        item.save()
    emu_get_faults.join()
    emu.clear_faults()
    error = info.value
    assert (error.method, error.record_id, error.fields) == ("PATCH", world.ids[0], {"score": 1})
    assert item.is_dirty  # the instance does not pretend the save happened
    item.score = 3
    item.save()
    time.sleep(TIMEOUT)
    assert world.stored()[world.ids[0]] == 3


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_applied_but_unanswered_write_is_proven_by_reading_back(
    world: World, method: str
) -> None:
    """A PATCH or DELETE applied but whose answer was lost is proven by a read after the
    settle delay: save() and delete() succeed, and the write was sent exactly once."""
    emu = world.emu
    session = world.session()
    item = world.model.objects.using(session).get(id=world.ids[1])
    emu.clear_request_log()
    emu.set_faults(rate=1.0, kinds=["drop_after"], methods=[method])
    if method == "PATCH":
        item.score = 7
        item.save()
        assert not item.is_dirty and item.score == 7
        assert world.stored()[world.ids[1]] == 7
    else:
        item.delete()
        assert item.id is None
        assert world.ids[1] not in world.stored()
    sent = [e for e in emu.request_log() if e["method"] == method]
    assert len(sent) == 1 and sent[0]["dropped"] == "after"


def test_unanswered_patch_not_applied_is_sent_again_after_settling(world: World) -> None:
    """A PATCH dropped before it was applied is found not applied, then sent again."""
    emu = world.emu
    session = world.session()
    item = world.model.objects.using(session).get(id=world.ids[2])
    emu.clear_request_log()
    emu.set_faults(rate=1.0, kinds=["drop_before"], methods=["PATCH"])
    clearing = threading.Timer(SETTLE / 2, emu.clear_faults)
    clearing.start()
    item.score = 5
    item.save()
    clearing.join()
    assert world.stored()[world.ids[2]] == 5
    assert [e["dropped"] for e in _patches(emu)] == ["before", None]


@pytest.mark.parametrize("operation", ["update", "delete"])
def test_bulk_writes_applied_but_unanswered_are_unknown_never_failed(
    world: World, operation: str
) -> None:
    """qs.update()/qs.delete(): every write applied but unanswered, and its proof impossible
    (reads dropped too, no retries): each record is `unknown`, none `failed`, and the store
    shows every one of them applied."""
    emu = world.emu
    session = world.session(retry_policy=RetryPolicy(max_retries=0, settle_delay=0.05))
    qs = world.model.objects.using(session).all()
    ids = [i.id for i in qs]
    method = "PATCH" if operation == "update" else "DELETE"
    emu.set_faults(
        rate=1.0, kinds=["drop_after"], methods=[method, "GET"], only_paths=["/records/"]
    )
    result = qs.update(score=9) if operation == "update" else qs.delete()
    emu.clear_faults()
    assert result.failed == {}
    assert sorted(result.unknown) == sorted(ids)
    assert result.succeeded == [] and int(result) == 0 and not result.ok
    for error in result.unknown.values():
        assert isinstance(error, errors.AmbiguousWriteError)
        assert error.method == method and error.record_id in ids
    stored = world.stored()
    if operation == "update":
        assert all(stored[i] == 9 for i in ids)
        assert all(result.unknown[i].fields == {"score": 9} for i in ids)
    else:
        assert stored == {}
    with pytest.raises(errors.BulkError, match="unknown outcome"):
        result.raise_for_failures()


def test_bulk_update_proves_dropped_patches(world: World) -> None:
    """With PATCHes dropped before or after being applied (reads fine), every record of
    qs.update() is proven: all succeeded, each value stored, no record written twice late."""
    emu = world.emu
    session = world.session()
    qs = world.model.objects.using(session).all()
    emu.set_faults(rate=0.4, kinds=["drop_before", "drop_after"], methods=["PATCH"], seed=11)
    result = qs.update(score=4)
    emu.clear_faults()
    assert result.ok and sorted(result.succeeded) == sorted(world.ids)
    assert result.unknown == {} and result.failed == {}
    assert set(world.stored().values()) == {4}
    assert any(e["dropped"] for e in _patches(emu))


@pytest.mark.slow
def test_late_patch_with_the_issues_figures_and_default_settle(world: World) -> None:
    """The issue's own figures, with the default settle delay (the read timeout): timeout 1 s,
    PATCH latency 1.6 s cleared after 0.5 s; save 1, save 2, wait 1.5 s, read: 2."""
    emu = world.emu
    session = world.session(timeout=1.0, retry_policy=RetryPolicy(max_retries=2))
    item = world.model.objects.using(session).get(id=world.ids[5])
    emu.clear_request_log()
    emu.set_faults(rate=0.0, latency_ms=1600, methods=["PATCH"])
    clearing = threading.Timer(0.5, emu.clear_faults)
    clearing.start()
    try:
        item.score = 1
        item.save()
        item.score = 2
        item.save()
    finally:
        clearing.join()
    time.sleep(1.5)
    assert world.stored()[world.ids[5]] == 2
    assert len(_patches(emu)) == 2
    session.close()
