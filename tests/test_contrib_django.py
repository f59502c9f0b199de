"""softr_orm.contrib.django: settings.SOFTR, sessions per alias, system checks, commands."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest

django = pytest.importorskip("django")

from django.conf import settings  # noqa: E402

# Django settings can be configured once per process (and an xdist worker may run any module):
# configure them here only if nobody did, without SOFTR, and vary SOFTR per test with
# override_settings, which the app follows (setting_changed rebuilds its sessions).
if not settings.configured:
    settings.configure(
        INSTALLED_APPS=["softr_orm.contrib.django"],
        DATABASES={},
        SECRET_KEY="softr-orm-tests",
        ALLOWED_HOSTS=["testserver"],
        USE_TZ=True,
    )
    django.setup()

from django.core import checks  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402
from django.core.management import CommandError, call_command  # noqa: E402
from django.test import RequestFactory, override_settings  # noqa: E402

import softr_orm  # noqa: E402
from softr_orm import Model, fields  # noqa: E402
from softr_orm.contrib import django as softr_django  # noqa: E402
from softr_orm.contrib.django.conf import load  # noqa: E402
from softr_orm.contrib.django.middleware import SoftrRequestLogMiddleware  # noqa: E402
from softr_orm.emulator import DEMO_DATABASE_ID, Emulator  # noqa: E402
from softr_orm.errors import ConfigurationError  # noqa: E402
from softr_orm.http.redis_limiter import SharedRateLimiter  # noqa: E402

pytestmark = pytest.mark.skipif(
    "softr_orm.contrib.django" not in settings.INSTALLED_APPS,
    reason="Django was configured without softr_orm.contrib.django in this process",
)


class DriftedContact(Model):
    """The demo Contacts table, declared with a field it does not have and a wrong type."""

    name = fields.SingleLineText("Full Name")
    nickname = fields.SingleLineText("Nickname")
    score = fields.Checkbox("Score")

    class Meta:
        database = DEMO_DATABASE_ID
        table = "Contacts"


DRIFTED = f"{__name__}.DriftedContact"


def softr_settings(emu: Emulator, **extra: Any) -> dict[str, Any]:
    return {"API_KEY": emu.api_key, "BASE_URL": emu.base_url, **extra}


def current_default() -> softr_orm.Session | None:
    try:
        return softr_orm.default_session()
    except ConfigurationError:
        return None


def softr_errors(include_deployment_checks: bool = False) -> list[Any]:
    return [
        m
        for m in checks.run_checks(
            tags=["softr"], include_deployment_checks=include_deployment_checks
        )
        if m.id and m.id.startswith("softr_orm.")
    ]


# --- settings ----------------------------------------------------------------------------------


def test_flat_settings_configure_the_default_alias() -> None:
    """The flat form is the "default" alias; values map to Session arguments."""
    config = load({"API_KEY": "k", "BASE_URL": "http://127.0.0.1:1/api/v1", "TIMEOUT": 5})
    assert list(config.aliases) == ["default"]
    assert config.aliases["default"].session_kwargs == {
        "api_key": "k",
        "base_url": "http://127.0.0.1:1/api/v1",
        "timeout": 5,
    }
    assert config.check_schema is False


def test_aliased_settings_and_global_keys() -> None:
    """Aliases sit beside the global keys; MODELS accepts a single path too."""
    config = load(
        {
            "default": {"API_KEY": "a"},
            "other": {"API_KEY": "b", "MODELS": "crm.models"},
            "CHECK_SCHEMA": "deploy",
        }
    )
    assert sorted(config.aliases) == ["default", "other"]
    assert config.aliases["other"].models == ("crm.models",)
    assert config.check_schema == "deploy"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"API_KEY": "k", "BASE_ULR": "x"}, "BASE_ULR"),
        ({"default": {"API_KEYS": "k"}}, "API_KEYS"),
        ({"default": "k"}, "must be a dict"),
        ({"CHECK_SCHEMA": "yes"}, "CHECK_SCHEMA"),
        ([("API_KEY", "k")], "must be a dict"),
    ],
)
def test_bad_settings_are_named(raw: Any, message: str) -> None:
    """A misspelt key or a wrong shape raises ImproperlyConfigured naming it."""
    with pytest.raises(ImproperlyConfigured, match=message):
        load(raw)


def test_sessions_per_alias_for_several_workspaces(softr_emulator: Emulator) -> None:
    """Each alias gets its own session, built once; each sees its own workspace."""
    workspace = softr_emulator.create_workspace("Billing")
    other_key = softr_emulator.create_token([workspace])
    with override_settings(
        SOFTR={
            "default": softr_settings(softr_emulator),
            "other": {"API_KEY": other_key, "BASE_URL": softr_emulator.base_url},
        }
    ):
        default = softr_django.get_session()
        other = softr_django.get_session("other")
        assert default is softr_django.get_session("default")
        assert other is not default
        assert other.base_url == softr_emulator.base_url
        assert DEMO_DATABASE_ID in [db.id for db in default.databases()]
        assert other.databases() == []
        assert softr_django.sessions() == {"default": default, "other": other}
        with pytest.raises(ImproperlyConfigured, match="no alias 'missing'"):
            softr_django.get_session("missing")


def test_rate_limit_per_alias_may_be_a_redis_url(softr_emulator: Emulator) -> None:
    """RATE_LIMIT="redis://..." on one alias shares that key's budget through Redis; another
    alias keeps its own per-process limiter."""
    url = "redis://127.0.0.1:6399/0"
    with override_settings(
        SOFTR={
            "default": {**softr_settings(softr_emulator), "RATE_LIMIT": url},
            "other": {"API_KEY": "other-key", "BASE_URL": softr_emulator.base_url},
            "CONFIGURE_DEFAULT": False,
        }
    ):
        shared = softr_django.get_session().rate_limiter
        assert isinstance(shared, SharedRateLimiter) and shared.url == url
        assert not isinstance(softr_django.get_session("other").rate_limiter, SharedRateLimiter)


def test_default_alias_becomes_the_default_session(softr_emulator: Emulator) -> None:
    """Models work without .using() under SOFTR; leaving the settings restores the default."""
    from softr_orm.cli.demo import Contact

    before = current_default()
    with override_settings(SOFTR=softr_settings(softr_emulator)):
        assert softr_orm.default_session() is softr_django.get_session()
        assert Contact.objects.count() == 60
    assert current_default() is before


def test_configure_default_can_be_switched_off(softr_emulator: Emulator) -> None:
    """CONFIGURE_DEFAULT=False leaves the process default alone."""
    before = current_default()
    with override_settings(SOFTR=softr_settings(softr_emulator, CONFIGURE_DEFAULT=False)):
        assert current_default() is before
        assert softr_django.get_session().base_url == softr_emulator.base_url


def test_missing_values_come_from_the_environment(
    softr_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys left out of settings.SOFTR are read as Session.from_env reads them."""
    monkeypatch.setenv("SOFTR_API_KEY", softr_emulator.api_key)
    monkeypatch.setenv("SOFTR_BASE_URL", softr_emulator.base_url)
    with override_settings(SOFTR={"CONFIGURE_DEFAULT": False}):
        session = softr_django.get_session()
        assert session.base_url == softr_emulator.base_url
        assert DEMO_DATABASE_ID in [db.id for db in session.databases()]


# --- system checks -----------------------------------------------------------------------------


def test_schema_check_finds_drift(softr_emulator: Emulator) -> None:
    """CHECK_SCHEMA=True: E001 per problem of the drifted model, nothing for correct ones."""
    config = softr_settings(
        softr_emulator, CHECK_SCHEMA=True, MODELS=["softr_orm.cli.demo", DRIFTED]
    )
    with override_settings(SOFTR=config):
        messages = softr_errors()
    assert {m.id for m in messages} == {"softr_orm.E001"}
    assert {m.obj for m in messages} == {DriftedContact}
    text = "\n".join(m.msg for m in messages)
    assert "Nickname" in text
    assert "DriftedContact.score" in text


def test_manage_py_check_fails_on_drift(softr_emulator: Emulator) -> None:
    """``manage.py check --tag softr`` stops on the drift, naming the check id."""
    from django.core.management.base import SystemCheckError

    config = softr_settings(softr_emulator, CHECK_SCHEMA=True, MODELS=[DRIFTED])
    with override_settings(SOFTR=config), pytest.raises(SystemCheckError) as caught:
        call_command("check", tag=["softr"], stdout=io.StringIO(), stderr=io.StringIO())
    assert "softr_orm.E001" in str(caught.value)
    assert "Nickname" in str(caught.value)


def test_schema_check_passes_on_correct_models(softr_emulator: Emulator) -> None:
    """The demo models match the demo tables: no message."""
    config = softr_settings(softr_emulator, CHECK_SCHEMA=True, MODELS=["softr_orm.cli.demo"])
    with override_settings(SOFTR=config):
        assert softr_errors() == []
        assert softr_django.get_session().request_count > 0


def test_schema_check_is_opt_in(softr_emulator: Emulator) -> None:
    """Without CHECK_SCHEMA no request is sent and drift goes unreported."""
    with override_settings(SOFTR=softr_settings(softr_emulator, MODELS=[DRIFTED])):
        assert softr_errors(include_deployment_checks=True) == []
        assert softr_django.get_session().request_count == 0


def test_schema_check_deploy_mode(softr_emulator: Emulator) -> None:
    """CHECK_SCHEMA="deploy" runs only with the deployment checks."""
    config = softr_settings(softr_emulator, CHECK_SCHEMA="deploy", MODELS=[DRIFTED])
    with override_settings(SOFTR=config):
        assert softr_errors() == []
        deploy = softr_errors(include_deployment_checks=True)
    assert deploy
    assert {m.id for m in deploy} == {"softr_orm.E001"}


def test_schema_check_uses_each_alias_session(softr_emulator: Emulator) -> None:
    """Per-alias MODELS are checked through that alias's token (here: it cannot read them),
    while the default alias's models pass."""
    workspace = softr_emulator.create_workspace("Elsewhere")
    other_key = softr_emulator.create_token([workspace])
    config = {
        "default": softr_settings(softr_emulator, MODELS=["softr_orm.cli.demo"]),
        "other": {"API_KEY": other_key, "BASE_URL": softr_emulator.base_url, "MODELS": [DRIFTED]},
        "CHECK_SCHEMA": True,
    }
    with override_settings(SOFTR=config):
        messages = softr_errors()
    assert len(messages) == 1
    assert messages[0].obj is DriftedContact
    assert "no access" in messages[0].msg


def test_bad_settings_are_a_system_check_error() -> None:
    """An unknown key is reported as softr_orm.E003, not a crash."""
    with override_settings(SOFTR={"API_KEY": "k", "BASE_ULR": "typo"}):
        messages = softr_errors()
    assert [m.id for m in messages] == ["softr_orm.E003"]
    assert "BASE_ULR" in messages[0].msg


# --- management commands -----------------------------------------------------------------------


def test_softr_inspect_prints_models(softr_emulator: Emulator) -> None:
    """manage.py softr_inspect prints a module with a model per selected table."""
    out = io.StringIO()
    with override_settings(SOFTR=softr_settings(softr_emulator)):
        call_command("softr_inspect", DEMO_DATABASE_ID, "--table", "Contacts", stdout=out)
    source = out.getvalue()
    assert "(Model):" in source
    assert '"Full Name"' in source
    assert "softr_inspect" in source
    assert '"Title"' not in source  # Deals was not selected
    compile(source, "<inspect>", "exec")


def test_softr_inspect_unknown_database_is_a_command_error(softr_emulator: Emulator) -> None:
    """An API error becomes a CommandError (exit status 1, a message, no traceback)."""
    with (
        override_settings(SOFTR=softr_settings(softr_emulator)),
        pytest.raises(CommandError, match="not found"),
    ):
        call_command("softr_inspect", "no-such-database", stdout=io.StringIO())


def test_softr_check_passes_on_correct_models(softr_emulator: Emulator) -> None:
    """softr_check with the settings' MODELS: a report, every model ok."""
    out = io.StringIO()
    with override_settings(SOFTR=softr_settings(softr_emulator, MODELS=["softr_orm.cli.demo"])):
        call_command("softr_check", stdout=out)
    report = out.getvalue()
    assert "Contact (table 'Contacts'" in report
    assert "no problems" in report


def test_softr_check_fails_on_drift(softr_emulator: Emulator) -> None:
    """softr_check with a path argument reports the drift and fails."""
    out = io.StringIO()
    with (
        override_settings(SOFTR=softr_settings(softr_emulator)),
        pytest.raises(CommandError, match="problems found"),
    ):
        call_command("softr_check", DRIFTED, stdout=out)
    assert "Nickname" in out.getvalue()


def test_softr_check_without_models_says_how_to_list_them(softr_emulator: Emulator) -> None:
    """No MODELS and no model defined in an installed app: a clear error."""
    with (
        override_settings(SOFTR=softr_settings(softr_emulator)),
        pytest.raises(CommandError, match="no models to check"),
    ):
        call_command("softr_check", stdout=io.StringIO())


# --- request logging ---------------------------------------------------------------------------


def test_middleware_logs_requests_per_web_request(
    softr_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """One DEBUG line per web request on the softr_orm logger, with the count."""
    from django.http import HttpResponse

    from softr_orm.cli.demo import Contact

    def view(request: Any) -> HttpResponse:
        return HttpResponse(str(Contact.objects.filter(score__gte=50).count()))

    caplog.set_level(logging.DEBUG, logger="softr_orm")
    with override_settings(SOFTR=softr_settings(softr_emulator)):
        middleware = SoftrRequestLogMiddleware(view)
        request = RequestFactory().get("/contacts/")
        response = middleware(request)
    assert response.status_code == 200
    tally = request.softr_requests
    assert tally.count == 2  # the table listing (schema), then the search
    lines = [r.getMessage() for r in caplog.records if r.name == "softr_orm"]
    assert any(line.startswith("GET /contacts/: 2 Softr requests in ") for line in lines)


def test_json_responses_take_instances_and_querysets(softr_session: softr_orm.Session) -> None:
    """JsonResponse(..., encoder=SoftrJSONEncoder) writes records as to_dict(mode="json")."""
    import json

    from django.http import JsonResponse

    from softr_orm.cli.demo import Contact
    from softr_orm.contrib.django.encoder import SoftrJSONEncoder

    qs = Contact.objects.filter(last_call__isnull=False).order_by("name")[:2]
    response = JsonResponse({"contacts": qs}, encoder=SoftrJSONEncoder)
    listed = json.loads(response.content)["contacts"]
    expected = [c.to_dict(mode="json") for c in qs]
    assert listed == expected and len(listed) == 2
    assert listed[0]["last_call"] == qs[0].last_call.isoformat()
    assert isinstance(listed[0]["budget"], (str, type(None)))


class StagedContact(Model):
    """Declared with a production database id that the emulator does not have."""

    name = fields.SingleLineText("Full Name")

    class Meta:
        database = "productionDatabaseId"
        table = "Contacts"


def test_an_alias_maps_database_ids(softr_emulator: Emulator) -> None:
    """DATABASES in an alias points models at another database through its session only."""
    staging = {
        **softr_settings(softr_emulator),
        "DATABASES": {"productionDatabaseId": DEMO_DATABASE_ID},
    }
    with override_settings(SOFTR={"default": softr_settings(softr_emulator), "staging": staging}):
        assert StagedContact.objects.using(softr_django.get_session("staging")).count() == 60
        with pytest.raises(softr_orm.SoftrError):
            StagedContact.objects.using(softr_django.get_session()).count()
    bad = {**staging, "DATABASES": {"productionDatabaseId": 7}}
    with pytest.raises(ImproperlyConfigured, match=r"\['DATABASES'\] must map"):
        load({"default": bad})
