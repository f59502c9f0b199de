"""Timing helpers shared by the benchmarks: medians over repeats, and a result row."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def median_seconds(work: Callable[[], Any], repeat: int = 7, warmup: int = 1) -> float:
    """The median wall time of ``work()`` over ``repeat`` runs, after ``warmup`` runs."""
    for _ in range(warmup):
        work()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def row(
    name: str,
    value: float,
    unit: str,
    baseline: float | None = None,
    target: str = "",
    met: bool | None = None,
    note: str = "",
) -> dict[str, Any]:
    """One line of the report; ``ratio`` is value / baseline when there is a baseline."""
    return {
        "benchmark": name,
        "value": value,
        "unit": unit,
        "baseline": baseline,
        "ratio": (value / baseline) if baseline else None,
        "target": target,
        "met": met,
        "note": note,
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    header = f"{'benchmark':<52} {'median':>12} {'baseline':>12} {'ratio':>7}  target"
    print(header)
    print("-" * len(header))
    for r in rows:
        base = f"{r['baseline']:.3f}" if r["baseline"] is not None else "-"
        ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else "-"
        verdict = {True: "met", False: "NOT met", None: ""}[r["met"]]
        value = f"{r['value']:.3f} {r['unit']}"
        print(f"{r['benchmark']:<52} {value:>12} {base:>12} {ratio:>7}  {r['target']} {verdict}")
        if r["note"]:
            print(f"    {r['note']}")


def interleaved(
    works: dict[str, Callable[[], Any]],
    rounds: int = 7,
    warmup: int = 1,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, list[float]]:
    """Times of each ``work()``, run round robin (A B C A B C ...) ``rounds`` times.

    Timing competing paths one after another lets a shared machine's drifting load fall on
    one of them; interleaving spreads it over all, so their ratio holds still. Take medians.
    For single-threaded CPU work, ``clock=time.process_time`` leaves out the time other
    processes held the CPU (on a loaded machine the wall clock counts it too).
    """
    for _ in range(warmup):
        for work in works.values():
            work()
    times: dict[str, list[float]] = {name: [] for name in works}
    for _ in range(rounds):
        for name, work in works.items():
            start = clock()
            work()
            times[name].append(clock() - start)
    return times


def spread(values: list[float], scale: float = 1.0, digits: int = 2) -> str:
    """``min-max`` of ``values`` times ``scale``, for notes."""
    return f"{min(values) * scale:.{digits}f}-{max(values) * scale:.{digits}f}"
