"""Every ```python-norun block of the docs runs too, in the harness it was written for.

tests/test_docs.py runs the ```python blocks against a demo emulator in one plain namespace.
The ```python-norun blocks need something else around them: a Django project (settings
snippets, views, a pytest-django test), a Flask app, a pytest run with the softr_orm plugin
(through ``pytester``), or a key in the environment. Each test here takes its blocks from the
Markdown by index, so an edited example is what is tested, and
``test_every_norun_block_is_covered`` fails when a block is added that no test runs.

Parts that are not in a block (a ``crm.softr_models`` module, a template, a URLconf, an
``env()`` helper) are supplied by the harness, as the project around the example would.
"""

from __future__ import annotations

import logging
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest
from test_docs import ROOT, fenced_blocks

import softr_orm
from softr_orm import Session
from softr_orm.emulator import DEMO_DATABASE_ID, Emulator

pytest_plugins = ["pytester"]

# Which norun blocks each page has, and so which the tests below must cover.
COVERED = {
    "docs/baserow.md": 3,  # run against a real Baserow by tests/baserow/test_baserow_docs.py
    "docs/django.md": 6,
    "docs/flask.md": 6,
    "docs/schema.md": 1,
    "docs/testing.md": 5,
    "docs/users.md": 1,
    "docs/webapps.md": 1,
}

# A stand-in for the project's generated models module (``softr-orm inspect`` output,
# trimmed to what the examples use).
CRM_MODELS = f"""
from softr_orm import Model, fields


class Contact(Model):
    name = fields.SingleLineText("Full Name")

    class Meta:
        database = {DEMO_DATABASE_ID!r}
        table = "Contacts"
"""

BILLING_MODELS = f"""
from softr_orm import Model, fields


class Invoice(Model):
    number = fields.SingleLineText("Number")
    paid = fields.Checkbox("Paid")

    class Meta:
        database = {DEMO_DATABASE_ID!r}
        table = "Invoices"
"""


def norun(page: str) -> list[str]:
    """The code of each ```python-norun block of a page, in order."""
    return [code for _, code in fenced_blocks((ROOT / page).read_text("utf-8"), "python-norun")]


def run(code: str, name: str, namespace: dict[str, Any] | None = None) -> dict[str, Any]:
    """Exec one block in ``namespace`` (a fresh one by default) and return the namespace."""
    namespace = {"__name__": "docs_norun"} if namespace is None else namespace
    exec(compile(code, name, "exec"), namespace)
    return namespace


def test_every_norun_block_is_covered() -> None:
    """The pages and block counts the tests below know are exactly the docs' norun blocks."""
    pages = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
    found = {
        p.relative_to(ROOT).as_posix(): n
        for p in pages
        if (n := len(fenced_blocks(p.read_text("utf-8"), "python-norun")))
    }
    assert found == COVERED


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(seed="demo") as emulator:
        yield emulator


@pytest.fixture
def project_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    """``crm.softr_models`` and ``billing.softr_models``, importable for this test only."""
    for package, source in (("crm", CRM_MODELS), ("billing", BILLING_MODELS)):
        module = types.ModuleType(f"{package}.softr_models")
        exec(compile(source, f"<{package}/softr_models.py>", "exec"), module.__dict__)
        parent = types.ModuleType(package)
        parent.__path__ = []  # a package
        parent.softr_models = module  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, package, parent)
        monkeypatch.setitem(sys.modules, module.__name__, module)


@pytest.fixture(autouse=True)
def no_default_session() -> Iterator[None]:
    """Every test starts and ends without a default session."""
    softr_orm.configure(None)
    yield
    softr_orm.configure(None)


# --- docs/users.md ---------------------------------------------------------------------------


def test_users_from_env(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOFTR_API_KEY", emu.api_key)
    monkeypatch.setenv("SOFTR_USERS_BASE_URL", emu.users_base_url)
    monkeypatch.delenv("SOFTR_API_KEY_FILE", raising=False)
    (block,) = norun("docs/users.md")
    ns = run(block, "docs/users.md:norun0")
    users = ns["users"]
    assert users.domain == "myapp.softr.app"
    assert ns["session"].users_base_url == emu.users_base_url.rstrip("/")
    # The session reaches the users API it was pointed at: that app is not published there.
    from softr_orm.errors import Unauthorized

    with pytest.raises(Unauthorized):
        users.sync()
    ns["session"].close()


# --- docs/schema.md --------------------------------------------------------------------------


def test_generated_module_excerpt(emu: Emulator) -> None:
    """The excerpt is what ``softr-orm inspect`` writes for the demo, minus elided lines."""
    from softr_orm.schema import inspect_database

    (block,) = norun("docs/schema.md")
    session = Session(emu.api_key, base_url=emu.base_url, rate_limit=False)
    try:
        generated = inspect_database(session, DEMO_DATABASE_ID).splitlines()
        shown = [line for line in block.splitlines() if line.strip() != "..."]
        position = 0
        for line in shown:  # each shown line, in order, in the generated module
            assert line in generated[position:], f"not generated (in this order): {line!r}"
            position = generated.index(line, position) + 1
        ns = run(block, "docs/schema.md:norun0")
        assert ns["Companies"].check_schema(session) == []
    finally:
        session.close()


# --- docs/testing.md -------------------------------------------------------------------------

QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark")


def test_plugin_examples(pytester: pytest.Pytester) -> None:
    """The fixture, budget and marker examples, as one test module, pass with the plugin."""
    fixtures, _own, _conftest, budget, marker = norun("docs/testing.md")
    pytester.makepyfile(test_docs_examples="import pytest\n" + fixtures + budget + marker)
    result = pytester.runpytest_inprocess(*QUIET)
    result.assert_outcomes(passed=4)


def test_plugin_budget_fails_over_the_limit(pytester: pytest.Pytester) -> None:
    """The budget example with one request too few allowed fails, as the page shows."""
    fixtures, _own, _conftest, budget, _marker = norun("docs/testing.md")
    assert "softr_max_requests(3)" in budget
    tight = budget.replace("softr_max_requests(3)", "softr_max_requests(2)")
    pytester.makepyfile(test_docs_budget=fixtures.split("\n\n")[0] + "\n\n" + tight)
    result = pytester.runpytest_inprocess(*QUIET)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*3 Softr requests were made, more than the 2 allowed*"])


MYAPP_MODELS = """
from softr_orm import Model, fields

DB = "7a1e2b3c-4d5e-4f60-8a71-b2c3d4e5f601"


class Company(Model):
    name = fields.SingleLineText("Name", field_id="coNam")

    class Meta:
        database = DB
        table = "TbCompanies001"


class Contact(Model):
    full_name = fields.SingleLineText("Full Name")
    company = fields.LinkedRecord("Company", to=Company, multiple=False)

    class Meta:
        database = DB
        table = "Contacts"
"""


def test_plugin_create_tables_example(pytester: pytest.Pytester) -> None:
    """The softr_create_tables example passes against an app's own models with fixed ids."""
    _fixtures, own, _conftest, _budget, _marker = norun("docs/testing.md")
    assert "softr_create_tables(Contact, Company)" in own
    pytester.makepyfile(**{"myapp/__init__": "", "myapp/models": MYAPP_MODELS})
    pytester.syspathinsert()
    pytester.makepyfile(test_own_models=own)
    result = pytester.runpytest_inprocess(*QUIET)
    result.assert_outcomes(passed=1)


def test_plugin_conftest_override(pytester: pytest.Pytester) -> None:
    """The conftest.py example gives an empty emulator."""
    _fixtures, _own, conftest, _budget, _marker = norun("docs/testing.md")
    pytester.makeconftest(conftest)
    pytester.makepyfile(
        test_empty="""
        def test_empty(softr_session):
            assert softr_session.databases() == []
        """
    )
    result = pytester.runpytest_inprocess(*QUIET)
    result.assert_outcomes(passed=1)


# --- docs/flask.md ---------------------------------------------------------------------------


@pytest.fixture
def flask_env(emu: Emulator, monkeypatch: pytest.MonkeyPatch, project_modules: None) -> Emulator:
    pytest.importorskip("flask")
    monkeypatch.setenv("SOFTR_API_KEY", emu.api_key)
    monkeypatch.setenv("SOFTR_BASE_URL", emu.base_url)
    monkeypatch.delenv("SOFTR_API_KEY_FILE", raising=False)
    return emu


def test_flask_setup_and_view(flask_env: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    setup, _factory, view, _tenant, logs, _test = norun("docs/flask.md")
    ns = run(setup, "docs/flask.md:norun0", {"__name__": "docs_flask"})
    run(view, "docs/flask.md:norun2", ns)
    logger = logging.getLogger("softr_orm")
    level = logger.level
    try:
        run(logs, "docs/flask.md:norun4", ns)
        with caplog.at_level(logging.DEBUG, logger="softr_orm"):
            response = ns["app"].test_client().get("/contacts/count")
    finally:
        logger.setLevel(level)
    assert response.get_json() == {"contacts": 60}
    assert softr_orm.default_session() is ns["softr"].get_session(ns["app"])
    assert any(
        "GET /contacts/count:" in r.getMessage() and "Softr requests in" in r.getMessage()
        for r in caplog.records
    )


def test_flask_factory_and_its_test(flask_env: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app factory and the pytest example; the factory's app gets the view of the page."""
    monkeypatch.delenv("SOFTR_API_KEY")  # the test passes the key in the config
    monkeypatch.delenv("SOFTR_BASE_URL")
    _setup, factory, view, _tenant, _logs, test = norun("docs/flask.md")
    ns = run("from flask import Flask\nfrom softr_orm.contrib.flask import SoftrORM\n", "imports")
    ns["__name__"] = "docs_flask"
    run(factory, "docs/flask.md:norun1", ns)
    make_app = ns["create_app"]

    def create_app(config: dict[str, Any] | None = None) -> Any:
        app = make_app(config)
        run(view, "docs/flask.md:norun2", {"__name__": "docs_flask_views", "app": app})
        return app

    ns["create_app"] = create_app
    run(test, "docs/flask.md:norun5", ns)
    ns["test_count"](flask_env)


def test_flask_app_session_without_default(flask_env: Emulator) -> None:
    from flask import Flask

    from softr_orm.contrib.flask import SoftrORM
    from softr_orm.errors import ConfigurationError

    _setup, _factory, _view, tenant, _logs, _test = norun("docs/flask.md")
    app = Flask("docs_flask_tenant")
    app.config["SOFTR_CONFIGURE_DEFAULT"] = False
    softr = SoftrORM(app)
    from crm.softr_models import Contact  # type: ignore[import-not-found]

    run(tenant, "docs/flask.md:norun3", {"app": app, "softr": softr, "Contact": Contact})
    assert app.test_client().get("/contacts/count").get_json() == {"contacts": 60}
    with pytest.raises(ConfigurationError):
        softr_orm.default_session()


# --- docs/django.md --------------------------------------------------------------------------

django = pytest.importorskip("django")

from django.conf import settings  # noqa: E402

# As in tests/test_contrib_django.py: settings are configured once per process, by whichever
# module comes first, and SOFTR varies per test through override_settings.
if not settings.configured:
    settings.configure(
        INSTALLED_APPS=["softr_orm.contrib.django"],
        DATABASES={},
        SECRET_KEY="softr-orm-tests",
        ALLOWED_HOSTS=["testserver"],
        USE_TZ=True,
    )
    django.setup()

from django.test import Client, RequestFactory, override_settings  # noqa: E402

needs_app = pytest.mark.skipif(
    "softr_orm.contrib.django" not in settings.INSTALLED_APPS,
    reason="Django was configured without softr_orm.contrib.django in this process",
)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {
            "loaders": [
                (
                    "django.template.loaders.locmem.Loader",
                    {"contacts.html": "{% for c in contacts %}<li>{{ c.name }}</li>{% endfor %}"},
                )
            ]
        },
    }
]

URLCONF = "docs_norun_django_urls"


@pytest.fixture
def django_env(emu: Emulator, monkeypatch: pytest.MonkeyPatch, project_modules: None) -> Emulator:
    monkeypatch.setenv("SOFTR_API_KEY", emu.api_key)
    monkeypatch.setenv("SOFTR_BASE_URL", emu.base_url)
    monkeypatch.delenv("SOFTR_API_KEY_FILE", raising=False)
    return emu


def settings_snippet(code: str, name: str, **given: Any) -> dict[str, Any]:
    """A settings.py excerpt exec'd as a module would be: its UPPERCASE names."""
    ns = run(code, name, {"__name__": "docs_settings", **given})
    return {k: v for k, v in ns.items() if k.isupper()}


@needs_app
def test_django_flat_settings(django_env: Emulator) -> None:
    from django.core import checks

    from softr_orm.contrib.django import get_session

    block = norun("docs/django.md")[0]
    conf = settings_snippet(block, "docs/django.md:norun0")
    assert "softr_orm.contrib.django" in conf["INSTALLED_APPS"]
    with override_settings(SOFTR={**conf["SOFTR"], "CHECK_SCHEMA": True}):
        assert softr_orm.default_session() is get_session()
        assert get_session().base_url == django_env.base_url.rstrip("/")
        problems = [m for m in checks.run_checks(tags=["softr"]) if m.id.startswith("softr_orm.")]
    assert problems == []  # crm.softr_models matches the demo CRM


@needs_app
def test_django_aliases_and_get_session(django_env: Emulator) -> None:
    from django.core import checks

    from softr_orm.schema import create_table_for

    blocks = norun("docs/django.md")
    keys = {"SOFTR_CRM_KEY": django_env.api_key, "SOFTR_BILLING_KEY": django_env.api_key}
    conf = settings_snippet(blocks[1], "docs/django.md:norun1", env=keys.__getitem__)
    from billing.softr_models import Invoice  # type: ignore[import-not-found]

    with override_settings(SOFTR=conf["SOFTR"]):
        from softr_orm.contrib.django import get_session

        billing = get_session("billing")
        assert billing is not get_session("default")
        create_table_for(Invoice, billing)
        Invoice.objects.using(billing).create(number="INV-1", paid=True)
        Invoice.objects.using(billing).create(number="INV-2", paid=False)
        ns = run(blocks[3], "docs/django.md:norun3", {"Invoice": Invoice})
        assert [i.number for i in ns["invoices"]] == ["INV-2"]
        deploy = [
            m
            for m in checks.run_checks(tags=["softr"], include_deployment_checks=True)
            if m.id.startswith("softr_orm.")
        ]
        assert deploy == []  # both aliases' MODELS were checked against the live tables


@needs_app
def test_django_view_with_request_log(
    django_env: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    from django.shortcuts import render
    from django.utils.module_loading import import_string

    blocks = norun("docs/django.md")
    views = run(blocks[2], "docs/django.md:norun2", {"__name__": "docs_views", "render": render})
    conf = settings_snippet(blocks[4], "docs/django.md:norun4")
    assert conf["LOGGING"]["loggers"]["softr_orm"]["level"] == "DEBUG"
    middleware = [import_string(path) for path in conf["MIDDLEWARE"]]
    handler = views["contacts"]
    for factory in reversed(middleware):
        handler = factory(handler)
    request = RequestFactory().get("/contacts/")
    with (
        override_settings(SOFTR={}, TEMPLATES=TEMPLATES),
        caplog.at_level(logging.DEBUG, logger="softr_orm"),
    ):
        response = handler(request)
    assert response.status_code == 200
    assert response.content.decode().count("<li>") == 50
    assert request.softr_requests.count >= 1
    assert any("GET /contacts/:" in r.getMessage() for r in caplog.records)


@needs_app
def test_django_test_example(django_env: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pytest-django example, given Django's test client and a URLconf for the view."""
    from django.shortcuts import render
    from django.urls import path

    monkeypatch.delenv("SOFTR_API_KEY")  # the example passes the key in SOFTR
    monkeypatch.delenv("SOFTR_BASE_URL")
    blocks = norun("docs/django.md")
    views = run(blocks[2], "docs/django.md:norun2", {"__name__": "docs_views", "render": render})
    urls = types.ModuleType(URLCONF)
    urls.urlpatterns = [path("contacts/", views["contacts"])]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, URLCONF, urls)
    ns = run(blocks[5], "docs/django.md:norun5")
    with override_settings(ROOT_URLCONF=URLCONF, TEMPLATES=TEMPLATES):
        ns["test_contact_page"](Client(), django_env)


@needs_app
def test_webapps_django_views(django_env: Emulator) -> None:
    """The Django JSON views: filtering, Paginator paging, SoftrJSONEncoder, error statuses."""
    import json

    block = norun("docs/webapps.md")[0]
    views = run(block, "docs/webapps.md:norun0", {"__name__": "docs_webapp_views"})
    factory = RequestFactory()
    with override_settings(SOFTR={}):
        response = views["contacts"](factory.get("/contacts/", {"min_score": "50", "page": "2"}))
        assert response.status_code == 200
        data = json.loads(response.content)
        assert data["pages"] >= 2 and 0 < len(data["contacts"]) <= 10
        assert all(c["score"] >= 50 for c in data["contacts"])
        one = data["contacts"][0]
        detail = views["contact"](factory.get("/x"), one["id"])
        assert json.loads(detail.content) == one
        middleware = views["SoftrErrorsMiddleware"](views["contacts"])
        request = factory.get("/contacts/", {"min_score": "lots"})
        with pytest.raises(ValueError) as bad:
            views["contacts"](request)
        assert middleware.process_exception(request, bad.value).status_code == 400
        with pytest.raises(softr_orm.ObjectDoesNotExist) as missing:
            views["contact"](factory.get("/x"), "recNOTTHERE00000")
        assert views["error_response"](missing.value).status_code == 404
