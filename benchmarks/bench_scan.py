"""A full scan of a 10,000-record table through the ORM, beside a sequential raw loop.

Run ``python -m benchmarks.bench_scan`` (or ``python -m benchmarks --only scan``).

The emulator runs with 50 ms of latency and Softr's rate limits on (40 reads per second per
token, a sliding one-second window, 429 beyond). It runs in a child process, as the real API
is remote: in-process, its threads would share one GIL with the client and the benchmark would
time the two competing for it.

* ORM: ``list(Item.objects.using(session).all())`` with ``Session(rate_limit=True)`` (the
  default client-side limits): the first page reveals ``metadata.total``, the other 49 pages
  are fetched concurrently within the session's read token bucket. The session has already
  read the table schema, so the timed part is exactly the 50 page requests.
* Baseline: a plain ``requests`` loop POSTing the same search body (the ORM's, taken from
  ``explain()``) page after page, ``offset += 200`` until ``total``.
* View scan (for diagnosis): the same ORM scan through a saved view with no sorting, i.e. the
  same fetch code without the server sorting 10,000 records for every page.
* Ceiling (for diagnosis): the same 50 bodies sent by 16 raw threads with the emulator's rate
  limit switched off, i.e. how fast this emulator can serve those pages at all.

The variants run round robin, so that a machine whose load drifts affects them alike.
Targets: the ORM at least 3x faster than the sequential loop, and at least 90% of the
40 requests/s bound (50 requests / wall seconds >= 36/s). Every run checks that all 10,000 ids
come back exactly once. See docs/performance.md for results and their reading.
"""

from __future__ import annotations

import contextlib
import copy
import multiprocessing
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from benchmarks._util import print_table, row
from softr_orm import RequestEvent, Session, fields
from softr_orm.constants import READ_RATE_LIMIT
from softr_orm.models.base import Model
from softr_orm.query.binding import bind

RECORDS = 10_000
PAGE = 200
LATENCY_MS = 50
#: Seconds to wait before a timed scan, so the server's one-second window starts empty.
QUIET = 1.05

_FIELDS: list[dict[str, Any]] = [
    {"name": "Name", "type": "SINGLE_LINE_TEXT"},
    {"name": "Email", "type": "EMAIL"},
    {"name": "Score", "type": "NUMBER"},
    {"name": "Active", "type": "CHECKBOX"},
]


# --- the emulator, in a child process ---------------------------------------------------------

#: The emulator's worker threads: more than the client ever keeps in flight (16), so that a
#: latency of 250 ms (a sleep in a worker) does not bound the rate (8 threads did: 32 req/s).
SERVER_THREADS = 32


def _serve(conn: Connection, records: int, latency_ms: float) -> None:
    """Child process: build and fill an emulator, report its address, then obey commands."""
    from softr_orm.emulator import Emulator

    # Enough worker threads that the emulator's latency (a sleep in a worker) never caps the
    # rate: 8 threads at 250 ms serve at most 32 requests per second, 80% of Softr's 40.
    with Emulator(rate_limit=True, latency_ms=latency_ms, threads=SERVER_THREADS) as emu:
        db = emu.create_database("Bench")
        table = emu.create_table(db["id"], "Items", _FIELDS)
        f = {field["name"]: field["id"] for field in table["fields"]}
        ids = emu.insert_records(
            db["id"],
            table["id"],
            [
                {
                    f["Name"]: f"Item {i}",
                    f["Email"]: f"item{i}@example.com",
                    f["Score"]: i % 97,
                    f["Active"]: i % 2 == 0,
                }
                for i in range(records)
            ],
        )
        view = emu.add_view(db["id"], table["id"], "Everything")  # no filter, no sorting
        conn.send(
            {
                "base_url": emu.base_url,
                "api_key": emu.api_key,
                "database_id": db["id"],
                "table_id": table["id"],
                "view_id": view["id"],
                "ids": ids,
            }
        )
        while True:
            command, arg = conn.recv()
            if command == "stop":
                break
            if command == "rate_limit":
                emu.set_rate_limit(bool(arg))
            conn.send("ok")


class RemoteEmulator:
    """An :class:`~softr_orm.emulator.Emulator` running in a child process (spawned)."""

    def __init__(self, records: int = RECORDS, latency_ms: float = LATENCY_MS) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(
            target=_serve, args=(child, records, latency_ms), name="bench-emulator", daemon=True
        )
        self._process.start()
        child.close()
        self.info: dict[str, Any] = self._conn.recv()

    def set_rate_limit(self, enabled: bool) -> None:
        self._conn.send(("rate_limit", enabled))
        self._conn.recv()

    def close(self) -> None:
        with contextlib.suppress(OSError):  # the child may already be gone
            self._conn.send(("stop", None))
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()

    def __enter__(self) -> RemoteEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- the timed runs ---------------------------------------------------------------------------


def _model(database_id: str) -> type[Model]:
    class ScanItem(Model):
        name = fields.SingleLineText("Name")
        email = fields.Email("Email")
        score = fields.Number("Score")
        active = fields.Checkbox("Active")

        class Meta:
            database = database_id
            table = "Items"

    return ScanItem


def _check_ids(got: list[str], expected: set[str], who: str) -> None:
    if len(got) != len(expected) or set(got) != expected:
        dupes = len(got) - len(set(got))
        raise AssertionError(
            f"{who}: {len(got)} ids back ({dupes} duplicates), "
            f"{len(expected - set(got))} missing, expected {len(expected)}"
        )


def _orm_scan(
    model: type[Model], info: dict[str, Any], expected: set[str], view: bool = False
) -> dict[str, Any]:
    """One timed scan with a fresh default session whose schema is already known.

    With ``view=True`` the scan lists a saved view with no sorting instead of searching
    (same fetch path; the server then has no 10,000-record sort to do per page).
    """
    session = Session(info["api_key"], base_url=info["base_url"], rate_limit=True)
    bind(model, session)
    events: list[tuple[float, RequestEvent]] = []
    session.add_listener(lambda event: events.append((time.perf_counter(), event)))
    time.sleep(QUIET)
    before = session.request_count
    cpu = time.process_time()
    started = time.perf_counter()
    query = model.objects.using(session).all()
    if view:
        query = query.view(info["view_id"])
    items = list(query)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    session.close()
    _check_ids([item.id for item in items if item.id], expected, "ORM scan")
    ok_ends = [t for t, e in events if e.status == 200]
    # Steady state: from the first page's answer to the last one's, i.e. without the one
    # round trip that must come first (it reveals the total).
    steady = (len(ok_ends) - 1) / (ok_ends[-1] - ok_ends[0]) if len(ok_ends) > 2 else 0.0
    return {
        "seconds": seconds,
        "cpu": cpu,
        "requests": session.request_count - before,
        "throttled": sum(1 for _, e in events if e.status == 429),
        "steady_rate": steady,
    }


def _raw_scan(http: requests.Session, url: str, body: dict[str, Any], expected: set[str]) -> float:
    """The baseline: one page after another until ``total``; returns seconds."""
    time.sleep(QUIET)
    got: list[str] = []
    started = time.perf_counter()
    offset = 0
    while True:
        page_body = copy.deepcopy(body)
        page_body["paging"] = {"offset": offset, "limit": PAGE}
        response = http.post(url, json=page_body, timeout=30)
        response.raise_for_status()
        data = response.json()
        got.extend(record["id"] for record in data["data"])
        offset += PAGE
        if offset >= data["metadata"]["total"]:
            break
    seconds = time.perf_counter() - started
    _check_ids(got, expected, "raw loop")
    return seconds


def _ceiling(http: requests.Session, url: str, body: dict[str, Any], expected: set[str]) -> float:
    """The 50 pages with 16 raw threads and no limits anywhere: the server's own speed."""

    def page(offset: int) -> list[str]:
        page_body = copy.deepcopy(body)
        page_body["paging"] = {"offset": offset, "limit": PAGE}
        response = http.post(url, json=page_body, timeout=30)
        response.raise_for_status()
        return [record["id"] for record in response.json()["data"]]

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        pages = list(pool.map(page, range(0, len(expected), PAGE)))
    seconds = time.perf_counter() - started
    _check_ids([i for p in pages for i in p], expected, "ceiling")
    return seconds


def run(repeat: int = 3) -> list[dict[str, Any]]:
    """Time the ORM scan, the raw loop and the server ceiling; ``repeat`` runs each (medians)."""
    results: list[dict[str, Any]] = []
    with RemoteEmulator() as remote, requests.Session() as http:
        info = remote.info
        expected = set(info["ids"])
        model = _model(info["database_id"])
        http.headers["Softr-Api-Key"] = info["api_key"]
        http.mount("http://", HTTPAdapter(pool_maxsize=16))
        url = f"{info['base_url']}/databases/{info['database_id']}/tables/{info['table_id']}"
        url += "/records/search"
        probe = Session(info["api_key"], base_url=info["base_url"], rate_limit=True)
        body = model.objects.using(probe).all().explain()[0]  # exactly what the ORM sends
        probe.close()

        # Round robin, so that a machine whose load drifts affects every variant alike.
        orm_runs: list[dict[str, Any]] = []
        view_runs: list[dict[str, Any]] = []
        raw_runs: list[float] = []
        ceiling_runs: list[float] = []
        for _ in range(repeat):
            orm_runs.append(_orm_scan(model, info, expected))
            view_runs.append(_orm_scan(model, info, expected, view=True))
            raw_runs.append(_raw_scan(http, url, body, expected))
            remote.set_rate_limit(False)
            try:
                ceiling_runs.append(_ceiling(http, url, body, expected))
            finally:
                remote.set_rate_limit(True)

    pages = RECORDS // PAGE
    orm_s = statistics.median(r["seconds"] for r in orm_runs)
    view_s = statistics.median(r["seconds"] for r in view_runs)
    raw_s = statistics.median(raw_runs)
    ceiling_s = statistics.median(ceiling_runs)
    speedup = raw_s / orm_s
    sorting = body.get("sorting") or "none"
    results.append(
        row(
            "scan 10k: ORM list(all()) vs sequential raw loop",
            orm_s,
            "s",
            baseline=raw_s,
            target="ORM >= 3x faster (ratio <= 0.33)",
            met=speedup >= 3.0,
            note=(
                f"ORM {speedup:.2f}x faster; {_runs(orm_runs)}; raw loop "
                f"{pages / raw_s:.1f} req/s; both send the ORM's body (sorting {sorting})"
            ),
        )
    )
    results.append(_rate_row("scan 10k: ORM request rate (% of 40 req/s)", orm_runs, pages))
    results.append(
        _rate_row(
            "scan 10k via unsorted view: rate (% of 40 req/s)",
            view_runs,
            pages,
            extra=f"{view_s:.2f} s; same fetch path, no server-side sort",
        )
    )
    results.append(
        row(
            "scan 10k: emulator ceiling, 16 threads, no limits",
            ceiling_s,
            "s",
            note=(
                f"{pages / ceiling_s:.1f} req/s ({pages / ceiling_s / READ_RATE_LIMIT:.0%} of "
                "40/s): the fastest this emulator serves these sorted pages"
            ),
        )
    )
    return results


def _runs(runs: list[dict[str, Any]]) -> str:
    seconds = ", ".join(f"{r['seconds']:.2f}" for r in runs)
    cpu = statistics.median(r["cpu"] for r in runs)
    return (
        f"runs {seconds} s, requests {[r['requests'] for r in runs]}, "
        f"429s {[r['throttled'] for r in runs]}, client CPU {cpu:.2f} s"
    )


def _rate_row(name: str, runs: list[dict[str, Any]], pages: int, extra: str = "") -> dict[str, Any]:
    seconds = statistics.median(r["seconds"] for r in runs)
    rate = pages / seconds
    pct = rate / READ_RATE_LIMIT * 100
    steady = statistics.median(r["steady_rate"] for r in runs)
    note = (
        f"{pages} requests / {seconds:.2f} s = {rate:.1f} req/s; after the first page "
        f"{steady:.1f} req/s; {_runs(runs)}"
    )
    return row(
        name,
        pct,
        "%",
        target=">= 90% of 40 req/s",
        met=pct >= 90.0,
        note=f"{extra}; {note}" if extra else note,
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print_table(run(repeat=1 if "--quick" in args else 3))
    return 0


if __name__ == "__main__":
    sys.exit(main())
