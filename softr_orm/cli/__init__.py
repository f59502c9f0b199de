"""The ``softr-orm`` command line: one sub-command per job, each defined in its own module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from softr_orm._version import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="softr-orm",
        description="Tools around softr-orm: a demo, a local Softr emulator, schema tools.",
    )
    parser.add_argument("--version", action="version", version=f"softr-orm {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Each sub-command lives beside what it drives; imports stay lazy so --help is quick and
    # the emulator's werkzeug is needed only by the commands that start it.
    demo = subparsers.add_parser(
        "demo",
        help="tour the ORM against the embedded emulator and its demo CRM",
        description=(
            "Start the embedded Softr emulator with the demo CRM (Companies, Contacts, Deals), "
            "declare models for it and walk through queries, a prefetch, an edit and a count."
        ),
    )
    demo.set_defaults(handler=_run_demo)
    from softr_orm.emulator.cli import add_parser as add_emulator

    add_emulator(subparsers)
    from softr_orm.cli.schema import add_parsers as add_schema_tools

    add_schema_tools(subparsers)
    from softr_orm.cli.shell import add_parser as add_shell

    add_shell(subparsers)
    return parser


def _run_demo(args: argparse.Namespace) -> int:
    from softr_orm.cli.demo import run

    return run()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    result: int = handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
