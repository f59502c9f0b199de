"""``softr-orm emulator``: serve the emulator until Ctrl-C.

``add_parser(subparsers)`` registers the sub-command on the main parser of ``softr_orm.cli``.
The API key it prints lives in the data file, so it stays valid across restarts.
"""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType
from typing import Any

__all__ = ["add_parser", "run"]

_DEFAULT_KINDS = "429,503,drop_before,drop_after"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``emulator`` on an ``argparse`` sub-parsers object; returns its parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "emulator",
        help="run a local Softr-compatible server",
        description=(
            "Serve a local Softr-compatible Database API (/api/v1) and Users API (/v1/api), "
            "with admin routes under /_emulator. Prints the base URL, an API key and the "
            "admin token, then serves until Ctrl-C."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8787, help="port (0 = any free port)")
    parser.add_argument(
        "--data",
        default="softr-emulator.sqlite",
        metavar="FILE",
        help="SQLite file kept across restarts (':memory:' for a throwaway store)",
    )
    parser.add_argument("--seed", choices=["demo"], help="load a seed if its database is missing")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay every API request")
    parser.add_argument(
        "--rate-limit",
        dest="rate_limit",
        action="store_true",
        default=True,
        help="enforce Softr's rate limits, 40 reads/s and 30 writes/s per token (default)",
    )
    parser.add_argument(
        "--no-rate-limit", dest="rate_limit", action="store_false", help="switch rate limits off"
    )
    parser.add_argument(
        "--fault-rate", type=float, default=0.0, help="probability of an injected fault (0-1)"
    )
    parser.add_argument(
        "--fault-kinds",
        default=_DEFAULT_KINDS,
        help=f"comma-separated fault kinds (default {_DEFAULT_KINDS})",
    )
    parser.add_argument("--fault-seed", type=int, default=None, help="seed of the fault draws")
    parser.add_argument(
        "--threads", type=int, default=8, help="worker threads answering requests (default 8)"
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=100,
        help="open connections at most; more wait to be accepted (default 100)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=int,
        default=30,
        metavar="SECONDS",
        help="close a connection silent for this long (default 30)",
    )
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="drop a request whose headers and body take longer to arrive (default 60)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    parser.set_defaults(handler=run)
    return parser


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    """Start the emulator, print how to reach it, serve until interrupted."""
    try:
        from .server import Emulator
        from .store.datafile import DataFileError
    except ImportError as exc:  # pragma: no cover - depends on the installation
        print(
            f"the emulator needs werkzeug and waitress: pip install 'softr-orm[emulator]' ({exc})",
            file=sys.stderr,
        )
        return 2
    kinds = tuple(kind.strip() for kind in args.fault_kinds.split(",") if kind.strip())
    try:
        emulator = Emulator(
            data=args.data,
            seed=args.seed,
            rate_limit=args.rate_limit,
            latency_ms=args.latency_ms,
            fault_rate=args.fault_rate,
            fault_kinds=kinds,
            fault_seed=args.fault_seed,
            host=args.host,
            port=args.port,
            verbose=args.verbose,
            threads=args.threads,
            max_connections=args.max_connections,
            idle_timeout=args.idle_timeout,
            request_timeout=args.request_timeout,
        ).start()
    except (ValueError, OSError, DataFileError) as exc:
        print(f"softr-orm emulator: {exc}", file=sys.stderr)
        return 2
    lines = [
        f"Softr emulator listening on {emulator.root_url}",
        f"  Database API  {emulator.base_url}",
        f"  Users API     {emulator.users_base_url}  (Softr-Domain: {emulator.app_domain})",
        f"  API key       {emulator.api_key}",
        f"  Admin token   {emulator.admin_token}  (Authorization: Bearer ..., /_emulator/...)",
        f"  Workspace     {emulator.workspace_id}",
        f"  Data file     {args.data}",
        f"  Rate limits   {'on' if args.rate_limit else 'off'}",
        f"  Baserow API   {emulator.baserow_url}/api/database  (Authorization: Token <API key>)",
    ]
    if emulator.seed_summary is not None:
        lines.append(f"  Seed          {args.seed}: database {emulator.seed_summary['databaseId']}")
    if args.fault_rate or args.latency_ms:
        lines.append(
            f"  Faults        rate {args.fault_rate} ({', '.join(kinds)}),"
            f" latency {args.latency_ms} ms"
        )
    lines.append("Press Ctrl-C to stop.")
    # Install both handlers explicitly: a process started from one that ignores SIGINT
    # (a test runner's worker, nohup) inherits the ignore, and Ctrl-C would do nothing.
    # Before the banner: whoever reads it may interrupt at once, even while it is written.
    previous_term = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    previous_int = signal.signal(signal.SIGINT, _stop_on_sigterm)
    try:
        print("\n".join(lines), flush=True)
        emulator.serve_forever()
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        emulator.stop()
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGINT, previous_int)
    return 0
