"""Many threads, one Session: no errors, a consistent end state, and Softr's rate limits kept.

Softr allows 40 reads/s and 30 writes/s per token and answers 429 beyond that. A session's
token buckets are meant to keep a whole pool of threads under those limits, so the emulator
here enforces them too (``rate_limit=True``), and the test checks both sides: the emulator
answered no 429, and its request log (arrival times) never holds more than 40 reads or 30
writes in any one-second window. Each thread writes only its own records, so each keeps an
exact ledger and can check every search and get against it while the others run.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from softr_orm import Model, Session, errors, fields
from softr_orm.constants import READ_RATE_LIMIT, WRITE_RATE_LIMIT
from softr_orm.emulator import Emulator
from softr_orm.http.ratelimit import RateLimiter, RateLimits
from softr_orm.http.retry import RetryPolicy

pytestmark = pytest.mark.integration

THREADS = 16
OPS_PER_THREAD = 20
SEEDED_PER_THREAD = 2
SEED = 20260521


@dataclass
class Shop:
    emu: Emulator
    database_id: str
    table_id: str
    item: type[Model]
    # owner -> {record id: score}, for the records seeded before the threads start
    seeded: dict[str, dict[str, int]] = field(default_factory=dict)


def _model(database_id: str) -> type[Model]:
    class Item(Model):
        key = fields.SingleLineText("Key")
        owner = fields.SingleLineText("Owner")
        score = fields.Number("Score")

        class Meta:
            database = database_id
            table = "Items"

    return Item


@pytest.fixture
def shop() -> Iterator[Shop]:
    """An emulator enforcing Softr's rate limits, with two records per thread."""
    with Emulator(rate_limit=True) as emu:
        database_id = str(emu.create_database("concurrency")["id"])
        table = emu.create_table(
            database_id,
            "Items",
            [
                {"name": "Key", "type": "SINGLE_LINE_TEXT"},
                {"name": "Owner", "type": "SINGLE_LINE_TEXT"},
                {"name": "Score", "type": "NUMBER", "options": {"precision": 0}},
                {"name": "Record ID", "type": "RECORD_ID"},
            ],
        )
        fid = {f["name"]: f["id"] for f in table["fields"]}
        rows = [
            (f"t{n}", f"t{n}-seed{k}", 10 * n + k)
            for n in range(THREADS)
            for k in range(SEEDED_PER_THREAD)
        ]
        ids = emu.insert_records(
            database_id,
            table["id"],
            [{fid["Owner"]: o, fid["Key"]: key, fid["Score"]: s} for o, key, s in rows],
        )
        shop = Shop(emu, database_id, table["id"], _model(database_id))
        for record_id, (owner, _, score) in zip(ids, rows, strict=True):
            shop.seeded.setdefault(owner, {})[record_id] = score
        emu.clear_request_log()
        yield shop


def _is_read(entry: dict[str, Any]) -> bool:
    """The emulator's (and Softr's) split: GET and record searches are reads."""
    return entry["method"] == "GET" or (
        entry["method"] == "POST" and entry["path"].endswith("/records/search")
    )


def _arrival(entry: dict[str, Any]) -> float:
    return dt.datetime.fromisoformat(entry["time"].replace("Z", "+00:00")).timestamp()


def busiest_second(times: list[float], window: float = 1.0) -> int:
    """The most timestamps found in any half-open window ``[t, t + window)``."""
    ordered = sorted(times)
    best = start = 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_busiest_second_counts_a_sliding_window() -> None:
    """The window helper itself: 3 events within a second, the 4th a full second after."""
    assert busiest_second([0.0, 0.5, 0.999, 1.0, 1.2]) == 4
    assert busiest_second([0.0, 1.0, 2.0]) == 1
    assert busiest_second([]) == 0


class Worker:
    """One thread's share: creates, saves, searches and gets on its own records."""

    def __init__(self, n: int, shop: Shop, session: Session) -> None:
        self.owner = f"t{n}"
        self.rng = random.Random(SEED + n)
        self.items = shop.item.objects.using(session)
        self.ledger: dict[str, int] = dict(shop.seeded[self.owner])  # id -> score
        self.held: dict[str, Model] = {}
        self.ops: list[str] = []

    def run(self) -> None:
        for i in range(OPS_PER_THREAD):
            op = self.rng.choices(("create", "save", "search", "get"), (3, 3, 2, 2))[0]
            getattr(self, op)(i)
            self.ops.append(op)

    def create(self, i: int) -> None:
        score = self.rng.randrange(1000)
        item = self.items.create(key=f"{self.owner}-{i}", owner=self.owner, score=score)
        assert item.id is not None and item.score == score
        self.ledger[item.id] = score
        self.held[item.id] = item

    def save(self, i: int) -> None:
        record_id = self.rng.choice(sorted(self.ledger))
        item = self.held.get(record_id) or self.items.get(id=record_id)
        item.score = self.rng.randrange(1000, 2000)
        item.save()
        self.ledger[record_id] = item.score
        self.held[record_id] = item

    def search(self, i: int) -> None:
        found = {item.id: item.score for item in self.items.filter(owner=self.owner)}
        assert found == self.ledger

    def get(self, i: int) -> None:
        record_id = self.rng.choice(sorted(self.ledger))
        assert self.items.get(id=record_id).score == self.ledger[record_id]


def test_sixteen_threads_share_one_session_within_rate_limits(shop: Shop) -> None:
    """16 threads x 20 mixed operations on one rate-limited session: no error, the final
    state is exactly what the threads wrote, no 429, and no one-second window of the
    emulator's log holds more than 40 reads or 30 writes."""
    session = Session(shop.emu.api_key, base_url=shop.emu.base_url, rate_limit=True)
    waits: list[float] = []
    waits_lock = threading.Lock()
    real_slot = session.rate_limiter.slot

    @contextmanager
    def spy(bucket: Any) -> Iterator[float]:
        with real_slot(bucket) as waited:
            with waits_lock:
                waits.append(waited)
            yield waited

    session.rate_limiter.slot = spy  # type: ignore[method-assign]
    workers = [Worker(n, shop, session) for n in range(THREADS)]
    failures: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def run(worker: Worker) -> None:
        try:
            barrier.wait()
            worker.run()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    elapsed = time.monotonic() - started
    assert not any(t.is_alive() for t in threads), "a worker hung"
    assert failures == []
    assert all(len(w.ops) == OPS_PER_THREAD for w in workers)
    log = shop.emu.request_log()
    sent = session.request_count
    session.close()

    # The emulator refused nothing, and no one-second window holds more than Softr allows.
    assert [e for e in log if e["status"] == 429] == []
    assert all(e["status"] is not None and e["status"] < 400 for e in log)
    reads = [_arrival(e) for e in log if _is_read(e)]
    writes = [_arrival(e) for e in log if not _is_read(e)]
    assert busiest_second(reads) <= READ_RATE_LIMIT, busiest_second(reads)
    assert busiest_second(writes) <= WRITE_RATE_LIMIT, busiest_second(writes)
    print(  # shown with pytest -s: the figures of this run
        f"concurrency: {THREADS} threads, {len(log)} requests in {elapsed:.1f} s, busiest "
        f"second {busiest_second(reads)} reads / {busiest_second(writes)} writes, "
        f"{sum(1 for w in waits if w > 0)} requests held back"
    )
    # Not vacuous: the threads asked faster than the limits and the buckets held them back.
    assert sum(1 for w in waits if w > 0) >= 50
    assert elapsed >= (len(writes) - 2 * WRITE_RATE_LIMIT) / WRITE_RATE_LIMIT
    # The session counted every request the emulator saw, across all threads.
    assert sent == len(log) == len(waits)

    # The final state is the union of the threads' ledgers, value for value.
    shop.emu.set_rate_limit(False)
    with Session(shop.emu.api_key, base_url=shop.emu.base_url, rate_limit=False) as clean:
        stored = {
            item.id: (item.owner, item.score) for item in shop.item.objects.using(clean).all()
        }
    expected = {
        record_id: (w.owner, score) for w in workers for record_id, score in w.ledger.items()
    }
    assert stored == expected
    creates = sum(w.ops.count("create") for w in workers)
    assert len(stored) == THREADS * SEEDED_PER_THREAD + creates
    assert creates >= 50 and sum(w.ops.count("save") for w in workers) >= 50


def test_default_burst_keeps_the_servers_seconds_within_the_limit(shop: Shop) -> None:
    """The burst's edge against a server: 20 threads ask for 60 reads at once through one
    default session, over 100 ms of latency. The first ``burst`` leave without waiting, the
    limits hold the rest back, and the emulator (which enforces 40 reads in any second)
    refuses none: its log never holds more than 40 arrivals in one second."""
    shop.emu.set_faults(rate=0.0, latency_ms=100)
    session = Session(shop.emu.api_key, base_url=shop.emu.base_url, rate_limit=True)
    record_ids = sorted(i for owned in shop.seeded.values() for i in owned)
    items = shop.item.objects.using(session)
    items.get(id=record_ids[0])  # the table's schema is read before the burst
    time.sleep(1.0 + RateLimits().margin + 0.05)  # a quiet period: the buckets are full again
    shop.emu.clear_request_log()
    waits: list[float] = []
    waits_lock = threading.Lock()
    real_slot = session.rate_limiter.slot

    @contextmanager
    def spy(bucket: Any) -> Iterator[float]:
        with real_slot(bucket) as waited:
            with waits_lock:
                waits.append(waited)
            yield waited

    session.rate_limiter.slot = spy  # type: ignore[method-assign]
    barrier = threading.Barrier(20)
    failures: list[BaseException] = []

    def read(n: int) -> None:
        try:
            barrier.wait()
            for k in range(3):
                record_id = record_ids[(3 * n + k) % len(record_ids)]
                assert items.get(id=record_id).id == record_id
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=read, args=(n,)) for n in range(20)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.monotonic() - started
    session.close()
    shop.emu.clear_faults()
    assert failures == []
    log = shop.emu.request_log()
    assert len(log) == len(waits) == 60
    assert [e for e in log if e["status"] == 429] == []
    reads = [_arrival(e) for e in log if _is_read(e)]
    assert len(reads) == 60
    assert busiest_second(reads) <= READ_RATE_LIMIT, busiest_second(reads)
    # Not vacuous: the burst left at once, the rest were held back, past the first second.
    assert sum(1 for w in waits if w == 0.0) >= RateLimits().burst
    assert sum(1 for w in waits if w > 0) >= 60 - 2 * RateLimits().burst
    assert elapsed >= 1.0


def test_request_count_equals_emulator_log() -> None:
    """Session.request_count counts every attempt that reached the server: successes, error
    answers, 429/503 retries and dropped connections, exactly as the emulator logs them."""
    with Emulator(seed="demo") as emu:
        from softr_orm.cli.demo import Contact

        session = Session(emu.api_key, base_url=emu.base_url, rate_limit=False)
        contacts = Contact.objects.using(session)
        first = contacts.order_by("name").first()
        assert first is not None
        assert contacts.filter(score__gte=50).count() >= 0
        list(contacts.filter(tags__has_any=["vip"])[:10])
        with pytest.raises(Contact.DoesNotExist):
            contacts.get(id="rNoSuchRecord00")
        with pytest.raises(errors.APIError):
            session.request("GET", ["databases", "no-such-database", "tables"])
        assert session.request_count == len(emu.request_log()) > 0

        # With faults on (none of them creates, so every call ends in success: a dropped
        # PATCH is proven by reading back, after a short settle delay, as the emulator has
        # applied or dropped it before closing the connection).
        emu.set_faults(rate=0.3, kinds=("429", "503", "drop_before", "drop_after"), seed=3)
        emu.clear_request_log()
        fast = Session(
            emu.api_key,
            base_url=emu.base_url,
            rate_limit=False,
            retry_policy=RetryPolicy(
                max_retries=12,
                backoff_base=0.001,
                backoff_cap=0.005,
                retry_after_cap=0.005,
                settle_delay=0.005,
            ),
        )
        for contact in Contact.objects.using(fast).order_by("name")[:40]:
            contact.score = (contact.score or 0) + 1
            contact.save()
        emu.clear_faults()
        log = emu.request_log()
        assert sum(1 for e in log if e["fault"]) >= 10
        assert {e["fault"] for e in log} >= {"429", "503", "drop_before", "drop_after"}
        assert fast.request_count == len(log)
        fast.close()
        session.close()


def test_session_buckets_never_put_more_than_the_limit_in_one_second() -> None:
    """The default buckets, hammered by 16 threads (fake clock), never schedule more than 40
    reads or 30 writes within any second, burst included; yet they keep up the rate."""

    class Clock:
        now = 0.0

        def __call__(self) -> float:
            return self.now

    clock = Clock()
    limiter = RateLimiter(RateLimits(), clock=clock, sleep=lambda s: None)
    slots: dict[str, list[float]] = {"read": [], "write": []}
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def hammer(n: int) -> None:
        barrier.wait()
        for k in range(50):
            bucket = "read" if (n + k) % 2 else "write"
            wait = limiter.buckets[bucket].reserve()
            with lock:
                slots[bucket].append(clock.now + wait)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reads, writes = slots["read"], slots["write"]
    assert len(reads) == len(writes) == THREADS * 25
    # The first `burst` go out at once (and no more)...
    burst = RateLimits().burst
    assert sorted(reads)[:burst] == [0.0] * burst
    assert sorted(reads)[burst] > 0.0
    # ...but no one-second window exceeds the limit (a plain 40/s bucket with a burst of 10
    # would have let 49 reads into the first second)...
    # (the window is shortened by a nanosecond so float rounding cannot count a slot twice)
    assert busiest_second(reads, 1.0 - 1e-9) == READ_RATE_LIMIT
    assert busiest_second(writes, 1.0 - 1e-9) == WRITE_RATE_LIMIT
    # ...and the rate is kept up: 400 reads in 10 s, 400 writes in 400/30 s (windows of
    # one second plus the margin).
    stretch = 1.0 + RateLimits().margin
    assert max(reads) < len(reads) / READ_RATE_LIMIT * stretch
    assert max(writes) < len(writes) / WRITE_RATE_LIMIT * stretch


class _FakeClock:
    """A clock that moves only when slept on (or set)."""

    now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _answered_after(limiter: RateLimiter, clock: _FakeClock, n: int, round_trip: float) -> None:
    """Send ``n`` reads through ``limiter`` one after another, each answered after
    ``round_trip`` seconds of ``clock``."""
    for _ in range(n):
        with limiter.slot("read"):
            clock.now += round_trip


def test_a_request_counts_from_its_send_when_round_trips_are_even() -> None:
    """At a steady latency a request counts from when it was sent, not until its answer:
    the window frees a second (plus the margin) after the send, so a scan keeps the whole
    budget however slow the network is."""

    clock = _FakeClock()
    limits = RateLimits(read=3, write=3, burst=3, margin=0.0)
    limiter = RateLimiter(limits, clock=clock, sleep=clock.sleep)
    _answered_after(limiter, clock, 3, 0.25)  # sent at 0, 0.25, 0.5; answered by 0.75
    with limiter.slot("read") as waited:
        assert waited == pytest.approx(0.25)  # at 1.0: a second after the first send
    # Writes have their own window.
    assert limiter.acquire("write") == 0.0


def test_a_slow_answer_counts_until_it_may_have_arrived() -> None:
    """A request whose round trip took longer than the fastest one may have reached the
    server late: it counts from its answer less the fastest round trip, so the next request
    over the limit waits a second after that."""

    clock = _FakeClock()
    limiter = RateLimiter(
        RateLimits(read=2, write=2, burst=2, margin=0.0), clock=clock, sleep=clock.sleep
    )
    _answered_after(limiter, clock, 1, 0.1)  # the fastest round trip: 0.1 s
    clock.now = 1.0
    held = [limiter.slot("read") for _ in range(2)]
    assert [h.__enter__() for h in held] == [0.0, 0.0]  # sent at 1.0
    clock.now = 1.6  # answered after 0.6 s: the server may have counted them at 1.5
    for h in held:
        h.__exit__(None, None, None)
    with limiter.slot("read") as waited:
        assert waited == pytest.approx(0.9)  # until 2.5 s (not 2.0 nor 2.6)
    assert clock.now == pytest.approx(2.5)


def test_a_request_in_flight_holds_its_place_in_the_window() -> None:
    """While a request has no answer it may still arrive: the next one over the limit waits
    for the answer (polling), not a second after the send."""

    clock = _FakeClock()
    limiter = RateLimiter(
        RateLimits(read=1, write=1, burst=1, margin=0.0), clock=clock, sleep=clock.sleep
    )
    held = limiter.slot("read")
    held.__enter__()
    bucket = limiter.buckets["read"]
    slept: list[float] = []

    def sleep_and_answer(seconds: float) -> None:
        slept.append(seconds)
        clock.sleep(seconds)
        if clock.now >= 2.0:
            held.__exit__(None, None, None)  # answered after 2 s

    bucket._sleep = sleep_and_answer
    waited, _ = bucket.take()
    assert waited >= 2.0  # not released at 1.0, a second after the send
    assert clock.now == pytest.approx(2.0, abs=0.02)
