"""``softr-orm shell``: an interactive Python shell with a session and models ready.

* ``--emulator`` starts the embedded emulator with the demo CRM and connects to it (offline);
  otherwise the session comes from the environment (``SOFTR_API_KEY``, ``SOFTR_BASE_URL``).
* Models come from ``--models MODULE`` (every model defined there); else, on the emulator,
  the demo's ``Company``, ``Contact`` and ``Deal``; else they are generated on the fly
  (:func:`softr_orm.schema.tools.inspect_database`) for ``--database ID`` or, without it,
  for every database the key can see (one request per database, plus one to list them).
* The session is the default session, so ``Contact.objects.count()`` works at once.
* IPython when installed (``--interface python`` forces the standard shell); ``-c CODE``
  runs CODE and exits, and so does code piped on stdin::

      echo 'print(Contact.objects.count())' | softr-orm shell --emulator
"""

from __future__ import annotations

import argparse
import code
import contextlib
import importlib
import sys
import types
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from softr_orm.backends.base import BackendSession
    from softr_orm.backends.softr.session import Session
    from softr_orm.models.base import Model

__all__ = ["add_parser", "build_namespace", "enable_completion", "interact", "run"]

Interact = Callable[[dict[str, Any], str], None]
_generated = 0


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``shell`` on the ``softr-orm`` sub-parsers; returns its parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "shell",
        help="a Python shell with a session and models ready",
        description=(
            "Start a Python shell (IPython if installed) with softr_orm imported, a default "
            "session configured and model classes defined. Code piped on stdin, or given "
            "with -c, is run instead of the interactive shell."
        ),
    )
    parser.add_argument(
        "--emulator",
        action="store_true",
        help="start the embedded emulator with the demo CRM and connect to it",
    )
    parser.add_argument(
        "--models", metavar="MODULE", help="import models from MODULE (dotted name or .py file)"
    )
    parser.add_argument(
        "--database",
        action="append",
        metavar="ID",
        help="generate models for this database (repeatable; default: every database)",
    )
    parser.add_argument("-c", "--command", metavar="CODE", help="run CODE and exit")
    parser.add_argument(
        "-i",
        "--interface",
        choices=["auto", "ipython", "python"],
        default="auto",
        help="which shell (auto: IPython if installed)",
    )
    parser.set_defaults(handler=run)
    return parser


@contextlib.contextmanager
def _session(emulator: bool) -> Iterator[tuple[Session, Any]]:
    from softr_orm.backends.softr.session import Session

    if not emulator:
        with Session.from_env() as session:
            yield session, None
        return
    from softr_orm.emulator import Emulator

    with (
        Emulator(seed="demo") as emu,
        Session(emu.api_key, base_url=emu.base_url, users_base_url=emu.users_base_url) as session,
    ):
        yield session, emu


def _generated_models(session: Session, database_ids: list[str] | None) -> dict[str, Any]:
    """Model classes generated from the live schema, by class name (first one wins)."""
    global _generated
    from softr_orm.schema.tools import find_models, inspect_database

    if database_ids is None:
        database_ids = [db.id for db in session.databases()]
    found: dict[str, Any] = {}
    for database_id in database_ids:
        source = inspect_database(session, database_id, views=False, progress=False)
        _generated += 1
        name = f"softr_orm_shell_models_{_generated}"
        module = types.ModuleType(name)
        sys.modules[name] = module  # generated classes look their module up (typing, pickle)
        exec(compile(source, f"<softr-orm inspect {database_id}>", "exec"), module.__dict__)
        for model in find_models(module):
            if model.__name__ in found:
                print(
                    f"# {model.__name__} of database {database_id} not loaded: the name is "
                    "taken (use --database to pick one)",
                    file=sys.stderr,
                )
                continue
            found[model.__name__] = model
    return found


def _models(args: argparse.Namespace, session: Session) -> dict[str, type[Model]]:
    from softr_orm.schema.tools import find_models, load_module

    if args.models:
        return {m.__name__: m for m in find_models(load_module(args.models))}
    if args.emulator and not args.database:
        from softr_orm.cli import demo

        return {"Company": demo.Company, "Contact": demo.Contact, "Deal": demo.Deal}
    return _generated_models(session, args.database)


def build_namespace(
    session: Session, models: dict[str, type[Model]], emulator: Any = None
) -> dict[str, Any]:
    """The names the shell starts with."""
    import softr_orm
    from softr_orm import Model, Q, Session, fields

    namespace: dict[str, Any] = {
        "softr_orm": softr_orm,
        "Model": Model,
        "Q": Q,
        "Session": Session,
        "fields": fields,
        "session": session,
        **models,
    }
    if emulator is not None:
        namespace["emulator"] = emulator
    return namespace


def _banner(session: Session, models: dict[str, Any], emulator: Any) -> str:
    where = "the embedded emulator (demo CRM)" if emulator is not None else session.base_url
    names = ", ".join(models) or "(none)"
    return (
        f"softr-orm shell: session on {where}, configured as the default session.\n"
        f"Models: {names}. Also: softr_orm, Model, Q, Session, fields, session"
        + (", emulator" if emulator is not None else "")
        + "."
    )


def interact(namespace: dict[str, Any], banner: str, interface: str = "auto") -> None:
    """Run an interactive shell on ``namespace``: IPython if available (and wanted)."""
    if interface in ("auto", "ipython"):
        try:
            ipython = importlib.import_module("IPython")  # optional, and untyped
        except ImportError:
            if interface == "ipython":
                raise SystemExit("softr-orm: IPython is not installed") from None
        else:
            print(banner)
            ipython.start_ipython(argv=[], user_ns=namespace, display_banner=False)
            return
    enable_completion(namespace)
    code.interact(banner=banner, local=namespace, exitmsg="")


def enable_completion(namespace: dict[str, Any]) -> bool:
    """Tab completion of the shell's names and attributes in the plain Python shell.

    ``code.interact`` has none of its own (unlike IPython): bind ``rlcompleter`` over
    ``namespace`` to the Tab key, in GNU readline's syntax or libedit's (macOS). Returns
    False where there is no ``readline`` (Windows without pyreadline).
    """
    try:
        import readline
        import rlcompleter
    except ImportError:
        return False
    readline.set_completer(rlcompleter.Completer(namespace).complete)
    if "libedit" in (readline.__doc__ or ""):
        readline.parse_and_bind("bind ^I rl_complete")
    else:
        readline.parse_and_bind("tab: complete")
    return True


def run(
    args: argparse.Namespace,
    *,
    interact_with: Interact | None = None,
    stdin: TextIO | None = None,
) -> int:
    """``softr-orm shell``. ``interact_with(namespace, banner)`` replaces the interactive
    shell (for tests and embedding); ``stdin`` replaces ``sys.stdin``."""
    from softr_orm.backends.defaults import configure, default_session
    from softr_orm.errors import SoftrError

    stdin = sys.stdin if stdin is None else stdin
    try:
        previous: BackendSession | None = default_session()
    except SoftrError:
        previous = None
    try:
        with _session(args.emulator) as (session, emu):
            models = _models(args, session)
            namespace = build_namespace(session, models, emu)
            configure(session)
            try:
                if args.command is not None:
                    exec(compile(args.command, "<softr-orm shell -c>", "exec"), namespace)
                elif interact_with is not None:
                    interact_with(namespace, _banner(session, models, emu))
                elif not stdin.isatty():
                    exec(compile(stdin.read(), "<stdin>", "exec"), namespace)
                else:
                    interact(namespace, _banner(session, models, emu), args.interface)
            finally:
                configure(previous)
    except (SoftrError, ImportError) as error:
        print(f"softr-orm shell: {error}", file=sys.stderr)
        return 2
    return 0
