"""How fast the emulator serves pages and searches of a 10,000-record table, over real HTTP.

Run ``python benchmarks/bench_emulator.py``. Each case is timed beside a baseline, the two
alternately (A B A B ...), 40 rounds: the same
request to a trivial werkzeug endpoint (same server class, same loopback, same client) that
answers a constant, pre-encoded body of the same size, so the ratio shows the emulator's own
cost (routing, auth, filtering, formatting, encoding) above HTTP's.

Targets: a page of 200 records (GET records) in <= 20 ms, a 3-condition search in <= 50 ms
(medians). ``run()`` returns the results as dicts for ``benchmarks/run.py``.
"""

from __future__ import annotations

import random
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import requests
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from softr_orm.emulator import Emulator

RECORDS = 10_000
ROUNDS = 40
WARMUP = 5

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


def _populate(emu: Emulator) -> tuple[str, str, dict[str, str]]:
    db = emu.create_database("Bench")
    table = emu.create_table(db["id"], "People", _FIELDS)
    f = {field["name"]: field["id"] for field in table["fields"]}
    rng = random.Random(7)
    stages = ["Lead", "Qualified", "Won", "Lost"]
    rows = [
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
        for i in range(RECORDS)
    ]
    emu.insert_records(db["id"], table["id"], rows)
    return db["id"], table["id"], f


def _interleaved_ms(
    send: Callable[[], requests.Response],
    baseline: Callable[[], requests.Response],
    rounds: int = ROUNDS,
) -> tuple[float, float]:
    """Medians of ``send`` and ``baseline``, timed alternately (A B A B ...), so that a
    drifting machine load falls on both alike and their ratio holds still."""
    works = {"case": send, "baseline": baseline}
    for _ in range(WARMUP):
        for work in works.values():
            work()
    samples: dict[str, list[float]] = {name: [] for name in works}
    for _ in range(rounds):
        for name, work in works.items():
            started = time.perf_counter()
            response = work()
            samples[name].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text[:200]
    return statistics.median(samples["case"]), statistics.median(samples["baseline"])


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No access log: the emulator's handler does not log either."""


class _Baseline:
    """A trivial werkzeug server answering a constant body (what HTTP alone costs)."""

    def __init__(self) -> None:
        self.body = b"{}"

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            Request(environ).get_data()
            return Response(self.body, content_type="application/json")(environ, start_response)

        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def run() -> list[dict[str, Any]]:
    """Time the cases; one dict per case (name, medians, ratio, target, ok)."""
    results: list[dict[str, Any]] = []
    with Emulator() as emu, requests.Session() as http:
        started = time.perf_counter()
        db_id, table_id, f = _populate(emu)
        insert_s = time.perf_counter() - started
        http.headers["Softr-Api-Key"] = emu.api_key
        base = f"{emu.base_url}/databases/{db_id}/tables/{table_id}/records"
        search_body = {
            "filter": {
                "condition": {
                    "operator": "AND",
                    "conditions": [
                        {
                            "operator": "GREATER_THAN_OR_EQUALS",
                            "leftSide": f["Score"],
                            "rightSide": 20,
                        },
                        {
                            "operator": "IS_ONE_OF",
                            "leftSide": f["Stage"],
                            "rightSide": ["Lead", "Won"],
                        },
                        {"operator": "CONTAINS", "leftSide": f["Name"], "rightSide": "smith"},
                    ],
                }
            },
            "paging": {"offset": 0, "limit": 200},
        }
        offsets = iter(range(0, 10**9, 200))
        cases: list[tuple[str, Callable[[], requests.Response], float]] = [
            (
                "GET records, page of 200 (10k table)",
                lambda: http.get(base, params={"limit": 200, "offset": next(offsets) % RECORDS}),
                20.0,
            ),
            (
                "POST search, 3-condition AND (10k table)",
                lambda: http.post(base + "/search", json=search_body),
                50.0,
            ),
        ]
        baseline = _Baseline()
        try:
            for name, send, target in cases:
                baseline.body = send().content
                size = len(baseline.body)
                if "search" in name:
                    base_send = lambda: http.post(baseline.url, data=b"{}")  # noqa: E731
                else:
                    base_send = lambda: http.get(baseline.url)  # noqa: E731
                median, base_median = _interleaved_ms(send, base_send)
                results.append(
                    {
                        "name": name,
                        "median_ms": round(median, 2),
                        "baseline_ms": round(base_median, 2),
                        "ratio": round(median / base_median, 1) if base_median else None,
                        "target_ms": target,
                        "ok": median <= target,
                        "response_bytes": size,
                    }
                )
        finally:
            baseline.close()
        results.append(
            {
                "name": f"insert_records, {RECORDS} records (store helper, no HTTP)",
                "median_ms": round(insert_s * 1000, 1),
                "baseline_ms": None,
                "ratio": None,
                "target_ms": None,
                "ok": True,
                "response_bytes": None,
            }
        )
    return results


def main() -> int:
    results = run()
    header = f"{'case':<52} {'median':>9} {'baseline':>9} {'ratio':>6} {'target':>7}  ok"
    print(header)
    print("-" * len(header))
    for row in results:
        baseline = "-" if row["baseline_ms"] is None else f"{row['baseline_ms']:.2f}"
        ratio = "-" if row["ratio"] is None else f"{row['ratio']}x"
        target = "-" if row["target_ms"] is None else f"{row['target_ms']:.0f}"
        print(
            f"{row['name']:<52} {row['median_ms']:>7.2f}ms {baseline:>7}ms {ratio:>6} "
            f"{target:>5}ms  {'yes' if row['ok'] else 'NO'}"
        )
    return 0 if all(row["ok"] for row in results) else 1


if __name__ == "__main__":
    sys.exit(main())
