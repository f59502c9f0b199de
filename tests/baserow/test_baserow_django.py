"""settings.SOFTR aliases with "BACKEND": "baserow" (no server needed)."""

from __future__ import annotations

import pytest

django = pytest.importorskip("django")

from django.conf import settings  # noqa: E402

# As in tests/test_contrib_django.py: configure once per process, only if nobody did.
if not settings.configured:
    settings.configure(
        INSTALLED_APPS=["softr_orm.contrib.django"],
        DATABASES={},
        SECRET_KEY="softr-orm-tests",
        ALLOWED_HOSTS=["testserver"],
        USE_TZ=True,
    )
    django.setup()

from django.core.exceptions import ImproperlyConfigured  # noqa: E402
from django.test import override_settings  # noqa: E402

from softr_orm.backends.baserow import BaserowSession  # noqa: E402
from softr_orm.contrib import django as softr_django  # noqa: E402

pytestmark = pytest.mark.skipif(
    "softr_orm.contrib.django" not in settings.INSTALLED_APPS,
    reason="Django was configured without softr_orm.contrib.django in this process",
)
TOKEN = "t" * 32


def test_a_baserow_alias_builds_a_baserow_session() -> None:
    """BACKEND "baserow" with TOKEN and BASE_URL, beside a Softr alias."""
    config = {
        "default": {"API_KEY": "k" * 20, "BASE_URL": "http://127.0.0.1:9/api/v1"},
        "tasks": {"BACKEND": "baserow", "TOKEN": TOKEN, "BASE_URL": "http://127.0.0.1:9"},
    }
    with override_settings(SOFTR=config):
        session = softr_django.get_session("tasks")
        assert isinstance(session, BaserowSession)
        assert session.base_url == "http://127.0.0.1:9"
        assert not isinstance(softr_django.get_session("default"), BaserowSession)


@pytest.mark.parametrize(
    "config",
    [
        {"BACKEND": "airtable", "TOKEN": TOKEN},
        {"BACKEND": "baserow", "TOKEN": TOKEN, "USERS_BASE_URL": "http://127.0.0.1:9"},
    ],
)
def test_bad_baserow_settings_are_improperly_configured(config: dict[str, str]) -> None:
    """An unknown backend, or a Softr-only key on a Baserow alias, is refused clearly."""
    with override_settings(SOFTR=config), pytest.raises(ImproperlyConfigured):
        softr_django.get_session()
