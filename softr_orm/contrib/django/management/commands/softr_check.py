"""``manage.py softr_check [MODEL_PATH ...]``: compare models with the live Softr schema.

Without arguments it checks what the system check covers: each alias's ``MODELS`` in
``settings.SOFTR``, or every model defined in an installed app. Arguments are dotted paths of
modules (every model defined there) or of model classes, checked with ``--using``'s session
(a model's own ``Meta.session`` wins). Prints :meth:`CheckReport.render` per alias and fails
(exit status 1) when a model differs from its table or could not be checked.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Check softr_orm models against the live Softr schema (missing fields, types...)."
    requires_system_checks: list[str] = []  # this *is* the check; do not run it twice

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "models",
            nargs="*",
            metavar="MODEL_PATH",
            help="dotted path of a module or model class (default: from settings.SOFTR)",
        )
        parser.add_argument(
            "--using", default=None, help="the settings.SOFTR alias (default: every alias)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from softr_orm.contrib.django import import_models, models_for, session_for
        from softr_orm.schema.tools import CheckReport, check_models

        alias: str | None = options["using"]
        if options["models"]:
            pairs = [(alias or "default", m) for m in import_models(options["models"])]
        else:
            pairs = models_for(alias)
        if not pairs:
            raise CommandError(
                "no models to check: list them in settings.SOFTR['MODELS'] or pass "
                "dotted paths (e.g. crm.softr_models)"
            )
        by_alias: dict[str, CheckReport] = {}
        for model_alias, model in pairs:
            report = check_models([model], session_for(model_alias, model))
            merged = by_alias.setdefault(model_alias, CheckReport())
            merged.checks.extend(report.checks)
            merged.skipped.extend(report.skipped)
        failed = 0
        for model_alias, report in by_alias.items():
            if len(by_alias) > 1:
                self.stdout.write(f"[{model_alias}]")
            self.stdout.write(report.render())
            failed += len(report.problems) + len(report.errors)
        if failed:
            raise CommandError(f"softr_check: {failed} problem{'s' * (failed != 1)} found")
