"""System checks, tagged ``softr``.

* ``softr_orm.E003`` (always, no request): ``settings.SOFTR`` is invalid or cannot build a
  session.
* ``softr_orm.E001`` / ``E002`` (opt-in, since it reads every checked table's schema from
  Softr): a model disagrees with its live table (a missing field, another type, a read-only
  field declared writable, a field renamed in Softr), or the check could not reach Softr.
  ``SOFTR["CHECK_SCHEMA"] = True`` runs it with every system check (``runserver``,
  ``migrate``, ``manage.py check``); ``"deploy"`` only with ``manage.py check --deploy``.
  ``manage.py check --tag softr`` runs the ``softr`` checks alone; ``manage.py softr_check``
  runs the schema check whatever the setting.

The models checked are each alias's ``MODELS``, or else every model defined in an installed
app (see :func:`softr_orm.contrib.django.models_for`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

__all__ = ["check_schema", "check_settings", "register_checks", "schema_messages"]

TAG = "softr"


def check_settings(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[Any]:
    """``settings.SOFTR`` is valid and every alias can build a session (no request is sent)."""
    from softr_orm.contrib.django import sessions

    try:
        sessions()
    except ImproperlyConfigured as error:
        return [
            checks.Error(
                str(error),
                hint="See softr_orm.contrib.django.conf for the keys of settings.SOFTR.",
                id="softr_orm.E003",
            )
        ]
    return []


def schema_messages(alias: str | None = None) -> list[Any]:
    """The schema check's messages for one alias (or all): E001 per problem, E002 per failure."""
    from softr_orm.contrib.django import models_for, session_for
    from softr_orm.schema.tools import check_models

    messages: list[Any] = []
    try:
        pairs = models_for(alias)
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="softr_orm.E003")]
    for model_alias, model in pairs:
        try:
            report = check_models([model], session_for(model_alias, model))
        except ImproperlyConfigured as error:
            report_error: str | None = str(error)
            problems: list[str] = []
        else:
            found = report.checks[0] if report.checks else None
            report_error = found.error if found else None
            problems = found.problems if found else []
        if report_error is not None:
            messages.append(
                checks.Error(
                    f"could not check {model.__name__} against Softr ({model_alias!r}): "
                    f"{report_error}",
                    hint="Is the API key right, and can this machine reach Softr?",
                    obj=model,
                    id="softr_orm.E002",
                )
            )
        messages.extend(
            checks.Error(
                problem,
                hint=(
                    "Update the model to match the table (manage.py softr_inspect prints the "
                    "current definition), or the table to match the model."
                ),
                obj=model,
                id="softr_orm.E001",
            )
            for problem in problems
        )
    return messages


def _mode() -> bool | str:
    from softr_orm.contrib.django.conf import load

    try:
        return load().check_schema
    except ImproperlyConfigured:
        return False  # check_settings reports it


def check_schema(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[Any]:
    """Schema drift, when ``SOFTR["CHECK_SCHEMA"]`` is ``True``."""
    return schema_messages() if _mode() is True else []


def check_schema_deploy(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[Any]:
    """Schema drift under ``check --deploy``, when ``SOFTR["CHECK_SCHEMA"]`` is ``"deploy"``."""
    return schema_messages() if _mode() == "deploy" else []


def register_checks() -> None:
    """Register the checks (idempotent: Django keeps a set)."""
    checks.register(check_settings, TAG)
    checks.register(check_schema, TAG)
    checks.register(check_schema_deploy, TAG, deploy=True)
