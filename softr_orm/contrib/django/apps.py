"""The Django app: validates ``settings.SOFTR``, sets the default session, registers checks."""

from __future__ import annotations

import logging
from typing import Any

from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

__all__ = ["SoftrConfig"]


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "SOFTR":
        from softr_orm.contrib.django import configure_default, reset_sessions

        reset_sessions()
        try:
            configure_default()
        except ImproperlyConfigured as error:
            logging.getLogger("softr_orm").warning("softr_orm not configured: %s", error)


class SoftrConfig(AppConfig):
    """``softr_orm.contrib.django``; its label is ``softr_orm``."""

    name = "softr_orm.contrib.django"
    label = "softr_orm"
    verbose_name = "Softr ORM"

    def ready(self) -> None:
        from softr_orm.contrib.django import checks, configure_default

        checks.register_checks()
        setting_changed.connect(_on_setting_changed, dispatch_uid="softr_orm.setting_changed")
        try:
            configure_default()
        except ImproperlyConfigured as error:
            # Commands that never query Softr (collectstatic in a build without secrets)
            # must still run; the system check reports this as softr_orm.E003.
            logging.getLogger("softr_orm").warning("softr_orm not configured: %s", error)
