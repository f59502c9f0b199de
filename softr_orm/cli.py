"""The ``softr-orm`` command line: one sub-command per job, each defined in its own module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from softr_orm import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="softr-orm",
        description="Tools around softr-orm: a demo, a local Softr emulator, schema tools.",
    )
    parser.add_argument("--version", action="version", version=f"softr-orm {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


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
