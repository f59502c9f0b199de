"""A fleet of worker processes sharing one API key: web-like traffic against an emulator.

``python -m benchmarks.fleet`` is one worker process: it reads its settings as JSON from
standard input (the key among them, so that it never shows in a process list), runs
``threads`` threads that each send ``ops`` requests one after another (reads and writes mixed
4:3, so that both budgets are in demand) through one ``Session`` limited per process
(``rate_limit=True``) or through Redis (``rate_limit="redis://..."``), and prints one JSON
line: requests done, user-visible errors, 429s met, each request's latency.

:func:`run_fleet` starts ``processes`` such workers at once and gathers their lines. Used by
``tests/shared_limit/test_fleet.py`` (4 processes) and ``benchmarks/bench_shared_limit.py``
(8 processes x 4 threads).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class FleetResult:
    """What a fleet's workers saw, summed up."""

    ops: int = 0
    errors: int = 0
    refused: int = 0
    attempts: int = 0
    elapsed: float = 0.0
    busy: float = 0.0
    window: tuple[float, float] = (0.0, 0.0)
    answered: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    error_kinds: list[str] = field(default_factory=list)

    def saturated_rate(self) -> float:
        """Requests answered with a 2xx per second while every process was running."""
        low, high = self.window
        inside = [t for t in self.answered if low <= t <= high]
        return len(inside) / (high - low) if high > low else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def prepare(emu: Any, records: int = 50) -> dict[str, Any]:
    """A table of ``records`` records on ``emu`` (an ``Emulator``); the workers' settings."""
    database = emu.create_database("Fleet")
    table = emu.create_table(
        database["id"],
        "Visits",
        [{"name": "Page", "type": "SINGLE_LINE_TEXT"}, {"name": "Hits", "type": "NUMBER"}],
    )
    page, hits = (
        next(f["id"] for f in table["fields"] if f["name"] == n) for n in ("Page", "Hits")
    )
    rows = [{page: f"/page/{n}", hits: n} for n in range(records)]
    return {
        "api_key": emu.api_key,
        "base_url": emu.base_url,
        "database": database["id"],
        "table": table["id"],
        "field": hits,
        "record_ids": emu.insert_records(database["id"], table["id"], rows),
    }


def run_fleet(settings: dict[str, Any], processes: int, timeout: float = 300.0) -> FleetResult:
    """Run ``processes`` workers with ``settings`` (each gets its own ``seed``)."""
    started = time.monotonic()
    workers = []
    for number in range(processes):
        worker = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.fleet"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert worker.stdin is not None
        worker.stdin.write(json.dumps({**settings, "seed": number}))
        worker.stdin.close()
        workers.append(worker)
    result = FleetResult()
    starts, ends = [], []
    for worker in workers:
        assert worker.stdout is not None
        output = worker.stdout.read()
        if worker.wait(timeout=timeout) != 0:
            raise RuntimeError(f"a fleet worker failed: {output[-2000:]}")
        line = json.loads(output.strip().splitlines()[-1])
        result.ops += line["ops"]
        result.errors += line["errors"]
        result.refused += line["refused"]
        result.attempts += line["attempts"]
        result.latencies.extend(line["latencies"])
        result.error_kinds.extend(line["error_kinds"])
        result.answered.extend(line["answered"])
        starts.append(line["start"])
        ends.append(line["end"])
    result.elapsed = time.monotonic() - started
    # from the first thread's start to the last one's end (wall clock: the processes')
    result.busy = max(ends) - min(starts)
    # while every process is running: the time demand is at its height
    result.window = (max(starts), min(ends))
    return result


def _worker(settings: dict[str, Any]) -> dict[str, Any]:
    from softr_orm import Session
    from softr_orm.http.util import RequestEvent

    session = Session(
        settings["api_key"], base_url=settings["base_url"], rate_limit=settings["rate_limit"]
    )
    records = ["databases", settings["database"], "tables", settings["table"], "records"]
    ids: list[str] = settings["record_ids"]
    lock = threading.Lock()
    latencies: list[float] = []
    error_kinds: list[str] = []
    counts = {"refused": 0, "attempts": 0}
    answered: list[float] = []

    def listen(event: RequestEvent) -> None:
        now = time.time()
        with lock:
            counts["attempts"] += 1
            counts["refused"] += event.status == 429
            if event.status is not None and 200 <= event.status < 300:
                answered.append(now)

    session.add_listener(listen)

    barrier = threading.Barrier(settings["threads"])

    def run(number: int) -> None:
        rng = random.Random(settings["seed"] * 1000 + number)
        barrier.wait()
        for _ in range(settings["ops"]):
            record = rng.choice(ids)
            started = time.monotonic()
            try:
                if rng.random() < 4 / 7:
                    session.request("GET", [*records, record])
                else:
                    body = {"fields": {settings["field"]: rng.randrange(1000)}}
                    session.request("PATCH", [*records, record], json=body)
            except Exception as exc:  # every failure the user would see
                with lock:
                    error_kinds.append(type(exc).__name__)
            finally:
                with lock:
                    latencies.append(time.monotonic() - started)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(settings["threads"])]
    start = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    end = time.time()
    session.close()
    return {
        "ops": len(latencies),
        "errors": len(error_kinds),
        "error_kinds": error_kinds,
        "latencies": latencies,
        "answered": answered,
        "start": start,
        "end": end,
        **counts,
    }


if __name__ == "__main__":
    print(json.dumps(_worker(json.loads(sys.stdin.read()))))
