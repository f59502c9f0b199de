"""Run every benchmark and print one table: ``python -m benchmarks [--quick] [--only NAME]``.

Each ``benchmarks/bench_*.py`` module exposes ``run() -> list[dict]``; the rows (see
:func:`benchmarks._util.row`) are collected, printed as one table of medians, baselines and
ratios, and written to a JSON file together with the machine they ran on and the command, so
that numbers in ``docs/performance.md`` can be traced to a run.

``--quick`` passes ``repeat=1`` to the modules whose ``run()`` takes a ``repeat`` argument
(the others always run their own fixed repeats). ``--only`` selects modules by name, with or
without the ``bench_`` prefix (``--only scan --only prefetch`` or ``--only scan,prefetch``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import inspect
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from benchmarks._util import print_table, row

HERE = Path(__file__).resolve().parent
DEFAULT_JSON = HERE.parent / ".benchmarks" / "results.json"


def discover() -> list[str]:
    """Names of the benchmark modules (``bench_*.py`` beside this file), sorted."""
    return sorted(path.stem for path in HERE.glob("bench_*.py"))


def select(names: list[str], only: list[str] | None) -> list[str]:
    """The modules ``only`` asks for (all when None); unknown names raise ``SystemExit``."""
    if not only:
        return names
    wanted = [w.strip() for item in only for w in item.split(",") if w.strip()]
    chosen = []
    for want in wanted:
        name = want if want.startswith("bench_") else f"bench_{want}"
        name = name.removesuffix(".py")
        if name not in names:
            raise SystemExit(f"no benchmark {want!r}; there are: {', '.join(names)}")
        if name not in chosen:
            chosen.append(name)
    return chosen


def normalize(module: str, result: dict[str, Any]) -> dict[str, Any]:
    """A row in :func:`benchmarks._util.row`'s shape, plus the module it came from.

    Most modules return such rows already; ``bench_emulator`` returns its own shape
    (``name``, ``median_ms``, ``baseline_ms``, ``target_ms``, ``ok``), converted here.
    """
    if "benchmark" in result:
        out = dict(result)
    elif "median_ms" in result:
        target_ms = result.get("target_ms")
        extra = {
            key: value
            for key, value in result.items()
            if key not in {"name", "median_ms", "baseline_ms", "ratio", "target_ms", "ok"}
            and value is not None
        }
        out = row(
            str(result.get("name", module)),
            float(result["median_ms"]),
            "ms",
            baseline=result.get("baseline_ms"),
            target=f"<= {target_ms:g} ms" if target_ms is not None else "",
            met=bool(result["ok"]) if target_ms is not None else None,
            note=", ".join(f"{key} {value}" for key, value in extra.items()),
        )
    else:
        out = row(str(result), float("nan"), "?", note="unrecognised result shape")
    out["module"] = module
    return out


def run_module(name: str, quick: bool) -> tuple[list[dict[str, Any]], float, str | None]:
    """Import and run one module; ``(rows, seconds, error)``. A failure does not stop the rest."""
    started = time.perf_counter()
    try:
        module = importlib.import_module(f"benchmarks.{name}")
        runner = module.run
        kwargs: dict[str, Any] = {}
        if quick and "repeat" in inspect.signature(runner).parameters:
            kwargs["repeat"] = 1
        rows = [normalize(name, r) for r in runner(**kwargs)]
        return rows, time.perf_counter() - started, None
    except Exception:
        return [], time.perf_counter() - started, traceback.format_exc()


def machine() -> dict[str, Any]:
    """Where the numbers come from (shared CI machines are noisy: compare ratios, not times)."""
    load: list[float] | None = None
    if hasattr(os, "getloadavg"):
        try:
            load = [round(x, 2) for x in os.getloadavg()]
        except OSError:
            load = None
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "load_average": load,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="Run the softr-orm benchmarks."
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats (repeat=1)")
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="run only this module (e.g. scan or bench_scan); repeatable or comma-separated",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        metavar="PATH",
        help=f"where to write the results (default: {DEFAULT_JSON.relative_to(HERE.parent)})",
    )
    parser.add_argument("--no-json", action="store_true", help="do not write a JSON file")
    parser.add_argument("--list", action="store_true", help="list the modules and exit")
    args = parser.parse_args(argv)

    names = discover()
    if args.list:
        print("\n".join(names))
        return 0
    chosen = select(names, args.only)
    started_at = dt.datetime.now(dt.timezone.utc)
    load_before = machine()["load_average"]
    rows: list[dict[str, Any]] = []
    modules: list[dict[str, Any]] = []
    for name in chosen:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        found, seconds, error = run_module(name, args.quick)
        rows.extend(found)
        modules.append({"module": name, "seconds": round(seconds, 2), "error": error})
        if error:
            print(f"{name} FAILED:\n{error}", file=sys.stderr)

    print()
    print_table(rows)
    failed = [m["module"] for m in modules if m["error"]]
    missed = [r["benchmark"] for r in rows if r.get("met") is False]
    total = sum(m["seconds"] for m in modules)
    info = machine()
    info["load_average_before"] = load_before
    print()
    print(
        f"{len(rows)} rows from {len(chosen) - len(failed)}/{len(chosen)} modules in "
        f"{total:.0f} s on {info['machine']}, {info['cpu_count']} CPUs, Python {info['python']}"
        f", load average {load_before} -> {info['load_average']}; "
        f"targets not met: {len(missed)}"
    )
    if not args.no_json:
        report = {
            "started_at": started_at.isoformat(timespec="seconds"),
            "command": " ".join([Path(sys.executable).name, "-m", "benchmarks", *sys.argv[1:]])
            if argv is None
            else " ".join(["python", "-m", "benchmarks", *argv]),
            "quick": args.quick,
            "machine": info,
            "modules": modules,
            "results": rows,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"results written to {args.json}")
    # Benchmarks are not tests: a missed target is reported, not an error. A crash is.
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
