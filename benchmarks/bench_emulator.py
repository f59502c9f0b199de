"""How fast the emulator serves pages and searches of big tables, over real HTTP.

Run ``python -m benchmarks.bench_emulator`` (or ``python -m benchmarks --only emulator``).

One table of ten mixed fields is filled with 1,000, 10,000 and then 100,000 records (the same
table grows). At each size, over one keep-alive connection (a ``requests.Session``):

* **sorted page**: a page of 200 of a search sorted by ``created_at`` ascending, the order of
  every softr-orm scan, at an offset that moves on with every request;
* **3-condition search**: ``Score >= 20 AND Stage IS_ONE_OF [Lead, Won] AND Name CONTAINS
  "smith"``, first page of 200;

each measured as **repeated** (the same kind of request again and again, as a client
paging through a table does) and **after a write** (an untimed PATCH of one record of the
table before every timed request: what the emulator kept about the table must follow that
write); the search also as **never asked before** (a threshold that changes with every
request, so nothing kept can serve it: the full evaluation over the table). Then **500
sequential GETs** of one record over one connection: the total time,
and how many TCP connections the client had to open (1 when the server keeps connections
alive).

Each case is timed beside a baseline: a trivial WSGI app answering a constant, pre-encoded
body of the same size, served the same way, so the ratio shows the emulator's own cost
(routing, auth, filtering, formatting, encoding) above HTTP's. Medians of ``ROUNDS`` requests.

Targets (issue 13): a sorted page of 200 on 100,000 records in <= 4 ms, a 3-condition search on
100,000 in <= 25 ms, both judged on the "after a write" case; "never asked before" shows what
a full pass over the table costs.
"""

from __future__ import annotations

import http.client
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import requests

from benchmarks._util import print_table, row
from softr_orm.emulator import Emulator

SIZES = (1_000, 10_000, 100_000)
ROUNDS = 30
WARMUP = 3
PAGE = 200
GETS = 500

_FIELDS: list[dict[str, Any]] = [
    {"name": "Name", "type": "SINGLE_LINE_TEXT"},
    {"name": "Email", "type": "EMAIL"},
    {"name": "Score", "type": "NUMBER"},
    {"name": "Budget", "type": "CURRENCY"},
    {
        "name": "Stage",
        "type": "SELECT",
        "options": {"choices": [{"label": s} for s in ("Lead", "Qualified", "Won", "Lost")]},
    },
    {
        "name": "Tags",
        "type": "SELECT",
        "allowMultipleEntries": True,
        "options": {"choices": [{"label": t} for t in ("vip", "lead", "partner")]},
    },
    {"name": "Joined", "type": "DATE"},
    {"name": "Active", "type": "CHECKBOX"},
    {"name": "Notes", "type": "LONG_TEXT"},
    {"name": "Created", "type": "CREATED_AT"},
]


def _rows(f: dict[str, str], start: int, stop: int) -> list[dict[str, Any]]:
    rng = random.Random(start)
    stages = ["Lead", "Qualified", "Won", "Lost"]
    return [
        {
            f["Name"]: f"Person {i} {rng.choice(['Smith', 'Jones', 'Brown', 'Taylor'])}",
            f["Email"]: f"person{i}@example.com",
            f["Score"]: rng.randrange(100),
            f["Budget"]: Decimal(rng.randrange(100_000)) / 100,
            f["Stage"]: rng.choice(stages),
            f["Tags"]: rng.sample(["vip", "lead", "partner"], rng.randint(0, 2)),
            f["Joined"]: f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            f["Active"]: rng.random() < 0.5,
            f["Notes"]: "Lorem ipsum dolor sit amet " * rng.randint(0, 3),
        }
        for i in range(start, stop)
    ]


def _median_ms(
    send: Callable[[], requests.Response], before: Callable[[], Any] | None = None
) -> tuple[float, int]:
    size = 0
    for _ in range(WARMUP):
        size = len(send().content)
    samples = []
    for _ in range(ROUNDS):
        if before is not None:
            before()
        started = time.perf_counter()
        response = send()
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text[:200]
    return statistics.median(samples), size


class _Baseline:
    """A trivial WSGI app answering ``body``, served like the emulator (what HTTP costs)."""

    def __init__(self) -> None:
        self.body = b"{}"

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            stream = environ["wsgi.input"]
            stream.read(int(environ.get("CONTENT_LENGTH") or 0))
            start_response(
                "200 OK",
                [("Content-Type", "application/json"), ("Content-Length", str(len(self.body)))],
            )
            return [self.body]

        self.server = _serve(app)
        self.url = self.server.url

    def close(self) -> None:
        self.server.close()


class _Served:
    def __init__(self, url: str, close: Callable[[], None]) -> None:
        self.url = url
        self.close = close


def _serve(app: Callable[..., Iterable[bytes]]) -> _Served:
    """Serve ``app`` with the emulator's own HTTP server (werkzeug's before issue 13)."""
    try:
        from softr_orm.emulator.server import HttpServer
    except ImportError:  # the emulator before issue 13: werkzeug's development server
        from werkzeug.serving import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):
            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                """No access log."""

        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()

        def close() -> None:
            server.shutdown()
            server.server_close()

        return _Served(f"http://127.0.0.1:{server.server_port}/", close)
    served = HttpServer(app, host="127.0.0.1", port=0).start()
    return _Served(f"http://127.0.0.1:{served.port}/", served.stop)


def _keep_alive(emu: Emulator, path: str) -> tuple[float, int]:
    """500 GETs one after another on one ``http.client`` connection: (ms, connections)."""
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=30)
    ports: set[int] = set()
    started = time.perf_counter()
    for _ in range(GETS):
        conn.request("GET", path, headers={"Softr-Api-Key": emu.api_key})
        if conn.sock is not None:  # (re)connected by request() when the last one was closed
            ports.add(conn.sock.getsockname()[1])
        answer = conn.getresponse()
        answer.read()
        assert answer.status == 200, answer.status
        if answer.getheader("Connection", "").lower() == "close":
            conn.close()  # the next request opens a new connection
    elapsed = (time.perf_counter() - started) * 1000
    conn.close()
    return elapsed, len(ports)


def _search_body(f: dict[str, str], score: float = 20) -> dict[str, Any]:
    conditions = [
        {"operator": "GREATER_THAN_OR_EQUALS", "leftSide": f["Score"], "rightSide": score},
        {"operator": "IS_ONE_OF", "leftSide": f["Stage"], "rightSide": ["Lead", "Won"]},
        {"operator": "CONTAINS", "leftSide": f["Name"], "rightSide": "smith"},
    ]
    return {
        "filter": {"condition": {"operator": "AND", "conditions": conditions}},
        "paging": {"offset": 0, "limit": PAGE},
    }


class _Bench:
    """The emulator with its growing table, a keep-alive client and the baseline server."""

    def __init__(self, emu: Emulator, http: requests.Session, baseline: _Baseline) -> None:
        self.emu, self.http, self.baseline = emu, http, baseline
        db = emu.create_database("Bench")
        table = emu.create_table(db["id"], "People", _FIELDS)
        self.db_id, self.table_id = db["id"], table["id"]
        self.f = {field["name"]: field["id"] for field in table["fields"]}
        self.base = f"{emu.base_url}/databases/{db['id']}/tables/{table['id']}/records"
        self.filled = 0
        self.first_id = ""
        self.offsets = iter(range(0, 10**12, PAGE))
        self.scores = iter(range(10**12))

    def fill(self, size: int) -> float:
        started = time.perf_counter()
        ids = self.emu.insert_records(self.db_id, self.table_id, _rows(self.f, self.filled, size))
        self.first_id = self.first_id or ids[0]
        self.filled = size
        return (time.perf_counter() - started) * 1000

    def sorted_page(self) -> requests.Response:
        body = {
            "sorting": [{"sortingField": "created_at", "sortType": "ASC"}],
            "paging": {"offset": next(self.offsets) % self.filled, "limit": PAGE},
        }
        return self.http.post(self.base + "/search", json=body)

    def search(self) -> requests.Response:
        return self.http.post(self.base + "/search", json=_search_body(self.f))

    def fresh_search(self) -> requests.Response:
        """The same search with a threshold never asked before: nothing kept can serve it."""
        score = 20 + next(self.scores) % 10**6 / 10**6  # 20.000001, 20.000002, ...
        body = _search_body(self.f, score=score)
        return self.http.post(self.base + "/search", json=body)

    def write(self) -> None:
        fields = {self.f["Score"]: next(self.scores) % 100}
        answer = self.http.patch(f"{self.base}/{self.first_id}", json={"fields": fields})
        assert answer.status_code == 200, answer.text[:200]

    def case(
        self,
        name: str,
        send: Callable[[], requests.Response],
        target: float,
        judged: bool,
        fresh: Callable[[], requests.Response] | None = None,
    ) -> list[dict[str, Any]]:
        warm, response_bytes = _median_ms(send)
        cold, _ = _median_ms(send, before=self.write)
        self.baseline.body = send().content
        base_ms, _ = _median_ms(lambda: self.http.post(self.baseline.url, data=b"{}"))
        note = f"response {response_bytes} bytes"
        rows = [
            row(name + ", repeated", warm, "ms", baseline=base_ms, note=note),
            row(
                name + ", after a write",
                cold,
                "ms",
                baseline=base_ms,
                target=f"<= {target:g} ms" if judged else "",
                met=(cold <= target) if judged else None,
                note=note,
            ),
        ]
        if fresh is not None:
            first, _ = _median_ms(fresh)
            rows.append(row(name + ", never asked before", first, "ms", baseline=base_ms))
        return rows


def run() -> list[dict[str, Any]]:
    """Fill the table size by size and time each case; one row per case."""
    results: list[dict[str, Any]] = []
    baseline = _Baseline()
    try:
        with Emulator() as emu, requests.Session() as http:
            http.headers["Softr-Api-Key"] = emu.api_key
            bench = _Bench(emu, http, baseline)
            for size in SIZES:
                insert_ms = bench.fill(size)
                label = f"{size // 1000}k"
                judged = size == SIZES[-1]
                results += bench.case(
                    f"sorted page of 200, {label} records", bench.sorted_page, 4.0, judged
                )
                results += bench.case(
                    f"3-condition search, {label} records",
                    bench.search,
                    25.0,
                    judged,
                    fresh=bench.fresh_search,
                )
                results.append(
                    row(f"insert_records, {label} (store helper, no HTTP)", insert_ms, "ms")
                )
            path = f"{bench.base}/{bench.first_id}".removeprefix(emu.root_url)
            total_ms, connections = _keep_alive(emu, path)
            results.append(
                row(
                    f"{GETS} sequential GETs on one connection ({bench.filled // 1000}k table)",
                    total_ms,
                    "ms",
                    target="one TCP connection",
                    met=connections == 1,
                    note=f"{connections} TCP connection(s), {total_ms / GETS:.2f} ms per GET",
                )
            )
    finally:
        baseline.close()
    return results


def main() -> int:
    results = run()
    print_table(results)
    return 0 if all(r["met"] is not False for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
