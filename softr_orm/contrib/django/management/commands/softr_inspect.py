"""``manage.py softr_inspect DATABASE_ID``: model classes for a live database, like inspectdb.

Uses the session of ``settings.SOFTR`` (``--using`` picks an alias) and
:func:`softr_orm.schema.tools.inspect_database`, exactly as ``softr-orm inspect`` does::

    python manage.py softr_inspect 3f6c2a9e-... --table Contacts > crm/softr_models.py
"""

from __future__ import annotations

import shlex
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from softr_orm.errors import SoftrError


class Command(BaseCommand):
    help = "Print softr_orm model classes for the tables of a live Softr database."
    requires_system_checks: list[str] = []  # the check may query Softr; inspect needs none

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("database_id", metavar="DATABASE_ID")
        parser.add_argument(
            "--table",
            action="append",
            metavar="NAME",
            help="only this table (name or id); repeat for several",
        )
        parser.add_argument(
            "--using", default="default", help="the settings.SOFTR alias (default: default)"
        )
        parser.add_argument(
            "--no-views", action="store_true", help="do not list saved views (one request each)"
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            default=None,
            help="show a progress bar on stderr while listing views (needs tqdm)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from softr_orm.contrib.django import get_session
        from softr_orm.schema.tools import inspect_database

        database_id: str = options["database_id"]
        command = ["python manage.py softr_inspect", shlex.quote(database_id)]
        command += [f"--table {shlex.quote(t)}" for t in options["table"] or ()]
        try:
            source = inspect_database(
                get_session(options["using"]),
                database_id,
                tables=options["table"],
                views=not options["no_views"],
                progress=options["progress"],
                command=" ".join(command),
                stream=self.stderr._out,
            )
        except SoftrError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(source, ending="")
