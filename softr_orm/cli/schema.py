"""``softr-orm inspect`` and ``softr-orm check``: the command line of :mod:`.schema_tools`.

``add_parsers(subparsers)`` registers both sub-commands on the main parser of
:mod:`softr_orm.cli`; the work itself is done by :mod:`softr_orm.schema.tools`.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from softr_orm.backends.base import BackendSession
from softr_orm.backends.baserow.session import BaserowSession
from softr_orm.backends.softr.session import Session
from softr_orm.errors import ConfigurationError, SoftrError
from softr_orm.schema.tools import (
    check_models,
    find_models,
    inspect_database,
    load_module,
)

__all__ = ["add_parsers", "run_check", "run_inspect"]


def _add_session_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api-key",
        help="the Softr API key (default: $SOFTR_API_KEY or the file in $SOFTR_API_KEY_FILE; "
        "prefer those: a key on the command line shows in the process list)",
    )
    parser.add_argument(
        "--base-url", help="the Database API root (default: $SOFTR_BASE_URL, else Softr's)"
    )
    parser.add_argument(
        "--baserow",
        action="store_true",
        help="a Baserow database: $BASEROW_TOKEN, $BASEROW_URL (--base-url wins), and "
        "$BASEROW_EMAIL/$BASEROW_PASSWORD to list a database's tables (docs/baserow.md)",
    )


def _session(args: argparse.Namespace, required: bool = True) -> BackendSession | None:
    if getattr(args, "baserow", False):
        return BaserowSession.from_env(**({"base_url": args.base_url} if args.base_url else {}))
    overrides: dict[str, Any] = {}
    if args.api_key:
        overrides["api_key"] = args.api_key
    if args.base_url:
        overrides["base_url"] = args.base_url
    has_key = bool(
        overrides.get("api_key")
        or os.environ.get("SOFTR_API_KEY", "").strip()
        or os.environ.get("SOFTR_API_KEY_FILE", "").strip()
    )
    if not has_key and not required:
        return None  # the models' own session (Meta.session or the configured default)
    return Session.from_env(**overrides)


def add_parsers(subparsers: Any) -> None:
    """Register ``inspect`` and ``check`` on the ``softr-orm`` command line."""
    inspect = subparsers.add_parser(
        "inspect",
        help="print model classes for the tables of a live database",
        description=(
            "Print a Python module with one softr_orm Model per table of DATABASE_ID, fields "
            "pinned by id. Needs an API key ($SOFTR_API_KEY or --api-key)."
        ),
    )
    inspect.add_argument("database_id", metavar="DATABASE_ID")
    inspect.add_argument(
        "--table",
        action="append",
        metavar="NAME",
        help="only this table (name or id); repeat for several",
    )
    inspect.add_argument("--output", "-o", metavar="FILE", help="write to FILE, not stdout")
    inspect.add_argument(
        "--snapshot",
        nargs="?",
        const="",
        default=None,
        metavar="PATH",
        help="also write a schema snapshot (softr_schema.json) beside the models (default: "
        "the directory of --output, else the current one), so that Model.from_record() needs "
        "no request",
    )
    inspect.add_argument(
        "--no-views", action="store_true", help="do not list saved views (one request a table)"
    )
    inspect.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar on stderr (default: for many tables, on a terminal)",
    )
    _add_session_options(inspect)
    inspect.set_defaults(handler=run_inspect)

    check = subparsers.add_parser(
        "check",
        help="check every model of a module against the live schema",
        description=(
            "Import MODULE (a dotted name or a .py file), run check_schema() on every Model "
            "defined in it and print a report. Exit status: 0 no problems, 1 problems found, "
            "2 the check could not run (import error, no API key, Softr unreachable)."
        ),
    )
    check.add_argument("module", metavar="MODULE")
    _add_session_options(check)
    check.set_defaults(handler=run_check)


def _fail(message: str) -> int:
    print(f"softr-orm: {message}", file=sys.stderr)
    return 2


def run_inspect(args: argparse.Namespace) -> int:
    """``softr-orm inspect``: exit 0 on success, 2 on any error."""
    command = ["softr-orm inspect", args.database_id]
    command += [f"--table {shlex.quote(t)}" for t in args.table or ()]
    try:
        session = _session(args)
        assert session is not None
        snapshot: Path | None = None
        if args.snapshot is not None:
            beside = Path(args.output).parent if args.output else Path()
            snapshot = Path(args.snapshot) if args.snapshot else beside
        with session:
            source = inspect_database(
                session,
                args.database_id,
                tables=args.table,
                views=not args.no_views,
                progress=args.progress,
                command=" ".join(command),
                snapshot=snapshot,
            )
    except SoftrError as error:
        return _fail(str(error))
    if args.output:
        Path(args.output).write_text(source, encoding="utf-8")
        print(f"wrote {source.count('(Model):')} models to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(source)
    return 0


def run_check(args: argparse.Namespace) -> int:
    """``softr-orm check``: exit 0 when all models match, 1 on problems, 2 on errors."""
    try:
        module = load_module(args.module)
    except Exception as error:  # any import-time failure of the user's module
        return _fail(f"cannot import {args.module}: {type(error).__name__}: {error}")
    models = find_models(module)
    if not models:
        return _fail(f"{args.module} defines no Model subclasses")
    try:
        session = _session(args, required=False)
    except ConfigurationError as error:
        return _fail(str(error))
    report = check_models(models, session)
    print(report.render())
    if session is not None:
        session.close()
    if report.errors:
        return 2 if not report.problems else 1
    return 0 if report.ok else 1
