"""softr_orm.contrib.flask: SoftrORM(app) / init_app, a session per app, CLI, request logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

flask = pytest.importorskip("flask")

import softr_orm  # noqa: E402
from softr_orm import Session  # noqa: E402
from softr_orm.cli.demo import Contact  # noqa: E402
from softr_orm.contrib.flask import SoftrORM, get_session  # noqa: E402
from softr_orm.emulator import DEMO_DATABASE_ID, Emulator  # noqa: E402
from softr_orm.errors import ConfigurationError  # noqa: E402
from softr_orm.http.redis_limiter import SharedRateLimiter  # noqa: E402


@pytest.fixture(autouse=True)
def keep_default_session() -> Iterator[None]:
    """SoftrORM sets the process default session: put the previous one back."""
    try:
        before: Session | None = softr_orm.default_session()
    except ConfigurationError:
        before = None
    yield
    softr_orm.configure(before)


def make_app(emu: Emulator, softr: SoftrORM | None = None, **config: Any) -> flask.Flask:
    """An app factory: config first, then the extension (init_app form when given one)."""
    app = flask.Flask(f"app_{id(config)}")
    app.config.update(SOFTR_API_KEY=emu.api_key, SOFTR_BASE_URL=emu.base_url, **config)
    if softr is None:
        SoftrORM(app)
    else:
        softr.init_app(app)

    @app.get("/contacts/count")
    def contact_count() -> dict[str, Any]:
        session = get_session()
        return {"contacts": Contact.objects.using(session).count()}

    @app.get("/contacts/default")
    def contact_count_default() -> str:
        return str(Contact.objects.filter(score__gte=50).count())

    return app


def test_app_serves_a_page_that_queries_softr(softr_emulator: Emulator) -> None:
    """SoftrORM(app): a view counts the demo contacts through the app's session."""
    app = make_app(softr_emulator)
    response = app.test_client().get("/contacts/count")
    assert response.status_code == 200
    assert response.get_json() == {"contacts": 60}
    session = app.extensions["softr_orm"].session
    assert session.base_url == softr_emulator.base_url
    assert session.request_count == 2  # the schema once, then the count


def test_init_app_factory_form_and_default_session(softr_emulator: Emulator) -> None:
    """softr = SoftrORM(); softr.init_app(app): models work without .using()."""
    softr = SoftrORM()
    app = make_app(softr_emulator, softr)
    with app.app_context():
        assert softr.session is softr_orm.default_session()
        assert softr.get_session(app) is softr.session
    response = app.test_client().get("/contacts/default")
    assert response.status_code == 200
    assert int(response.get_data(as_text=True)) > 0


def test_two_apps_two_sessions(softr_emulator: Emulator) -> None:
    """One extension, two apps on two emulators: each page sees its own data."""
    softr = SoftrORM()
    with Emulator(seed="demo") as second:
        session = Session(second.api_key, base_url=second.base_url, rate_limit=False)
        Contact.objects.using(session).create(name="Extra", email="extra@example.com")
        first_app = make_app(softr_emulator, softr, SOFTR_CONFIGURE_DEFAULT=False)
        second_app = make_app(second, softr, SOFTR_CONFIGURE_DEFAULT=False)
        assert get_session(first_app) is not get_session(second_app)
        assert first_app.test_client().get("/contacts/count").get_json() == {"contacts": 60}
        assert second_app.test_client().get("/contacts/count").get_json() == {"contacts": 61}
        with first_app.app_context():
            assert softr.session.base_url == softr_emulator.base_url
        with second_app.app_context():
            assert softr.session.base_url == second.base_url


def test_configure_default_off_leaves_the_default_alone(softr_emulator: Emulator) -> None:
    """SOFTR_CONFIGURE_DEFAULT=False: the process default session is untouched."""
    softr_orm.configure(None)
    make_app(softr_emulator, SOFTR_CONFIGURE_DEFAULT=False)
    with pytest.raises(ConfigurationError):
        softr_orm.default_session()


def test_missing_key_fails_at_init(monkeypatch: pytest.MonkeyPatch) -> None:
    """No SOFTR_API_KEY in config or environment: a ConfigurationError at init_app."""
    monkeypatch.delenv("SOFTR_API_KEY", raising=False)
    monkeypatch.delenv("SOFTR_API_KEY_FILE", raising=False)
    app = flask.Flask("nokey")
    with pytest.raises(ConfigurationError, match="SOFTR_API_KEY"):
        SoftrORM(app)


def test_baserow_backend_gets_a_baserow_session(monkeypatch: pytest.MonkeyPatch) -> None:
    """SOFTR_BACKEND = "baserow": the app's session is Baserow's, from BASEROW_* keys (the
    environment fills gaps); an unknown backend fails at init_app. No request is made."""
    from softr_orm.backends.baserow import BaserowSession

    for name in ("BASEROW_TOKEN", "BASEROW_TOKEN_FILE", "BASEROW_URL", "BASEROW_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BASEROW_URL", "http://127.0.0.1:9")
    app = flask.Flask("baserow")
    app.config.update(
        SOFTR_BACKEND="baserow",
        BASEROW_TOKEN="t" * 32,
        SOFTR_MAX_RETRIES=2,
        SOFTR_CONFIGURE_DEFAULT=False,
    )
    SoftrORM(app)
    session = get_session(app)
    assert isinstance(session, BaserowSession)
    assert session.base_url == "http://127.0.0.1:9" and session.max_retries == 2
    assert "t" * 32 not in repr(session)
    other = flask.Flask("nobackend")
    other.config.update(SOFTR_BACKEND="airtable", SOFTR_API_KEY="k" * 32)
    with pytest.raises(ConfigurationError, match="SOFTR_BACKEND"):
        SoftrORM(other)
    bare = flask.Flask("notoken")
    bare.config.update(SOFTR_BACKEND="baserow")
    with pytest.raises(ConfigurationError, match="BASEROW_TOKEN"):
        SoftrORM(bare)


def test_environment_fills_what_the_config_leaves_out(
    softr_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Config keys left out are read from the environment (as Session.from_env does)."""
    monkeypatch.setenv("SOFTR_API_KEY", softr_emulator.api_key)
    monkeypatch.setenv("SOFTR_BASE_URL", softr_emulator.base_url)
    app = flask.Flask("fromenv")
    SoftrORM(app)
    assert get_session(app).base_url == softr_emulator.base_url


def test_rate_limit_url_shares_the_budget_through_redis(softr_emulator: Emulator) -> None:
    """SOFTR_RATE_LIMIT_URL gives the app's session the shared (Redis) limiter."""
    url = "redis://127.0.0.1:6399/0"
    shared = get_session(make_app(softr_emulator, SOFTR_RATE_LIMIT_URL=url))
    assert isinstance(shared.rate_limiter, SharedRateLimiter) and shared.rate_limiter.url == url
    alone = get_session(make_app(softr_emulator))
    assert not isinstance(alone.rate_limiter, SharedRateLimiter)


def test_session_outside_setup_is_a_clear_error() -> None:
    """get_session() on an app without the extension names the fix."""
    app = flask.Flask("bare")
    with pytest.raises(ConfigurationError, match="SoftrORM"):
        get_session(app)


def test_request_log_line_per_web_request(
    softr_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Each request logs its Softr request count on the softr_orm logger at DEBUG."""
    caplog.set_level(logging.DEBUG, logger="softr_orm")
    app = make_app(softr_emulator)
    client = app.test_client()
    client.get("/contacts/count")
    client.get("/contacts/count")
    lines = [r.getMessage() for r in caplog.records if r.name == "softr_orm"]
    assert lines[0].startswith("GET /contacts/count: 2 Softr requests in ")
    assert lines[1].startswith("GET /contacts/count: 1 Softr request in ")


def test_flask_softr_check(softr_emulator: Emulator) -> None:
    """``flask softr check`` with SOFTR_MODELS: a report, exit 0 when the models match."""
    app = make_app(softr_emulator, SOFTR_MODELS=["softr_orm.cli.demo"])
    result = app.test_cli_runner().invoke(args=["softr", "check"])
    assert result.exit_code == 0, result.output
    assert "Contact (table 'Contacts'" in result.output
    assert "no problems" in result.output


def test_flask_softr_check_fails_on_drift(softr_emulator: Emulator) -> None:
    """A model with a field its table lacks: exit status 1 and the problem printed."""
    app = make_app(softr_emulator)
    result = app.test_cli_runner().invoke(args=["softr", "check", f"{__name__}.Drifted"])
    assert result.exit_code == 1
    assert "Nickname" in result.output


def test_flask_softr_check_needs_models(softr_emulator: Emulator) -> None:
    """No argument and no SOFTR_MODELS: a usage message, not a traceback."""
    result = make_app(softr_emulator).test_cli_runner().invoke(args=["softr", "check"])
    assert result.exit_code == 1
    assert "no models to check" in result.output


def test_flask_softr_inspect(softr_emulator: Emulator) -> None:
    """``flask softr inspect DATABASE_ID`` prints models generated from the app's session."""
    app = make_app(softr_emulator)
    result = app.test_cli_runner().invoke(
        args=["softr", "inspect", DEMO_DATABASE_ID, "--table", "Deals", "--no-views"]
    )
    assert result.exit_code == 0, result.output
    assert '"Title"' in result.output
    assert '"Full Name"' not in result.output


class Drifted(softr_orm.Model):
    name = softr_orm.fields.SingleLineText("Full Name")
    nickname = softr_orm.fields.SingleLineText("Nickname")

    class Meta:
        database = DEMO_DATABASE_ID
        table = "Contacts"


def test_request_log_attributes_worker_thread_requests() -> None:
    """Attempts from threads without a tally go to the one web request in flight, or to each
    of several (marked shared); attempts outside any web request are not counted."""
    import threading

    from softr_orm import RequestEvent
    from softr_orm.contrib import RequestLog

    log = RequestLog()
    event = RequestEvent("GET", "/x", "database", None, 200, None, 1, 2.0)
    failed = RequestEvent("GET", "/x", "database", None, 503, None, 1, 1.0)

    def from_worker(e: RequestEvent) -> None:
        worker = threading.Thread(target=log._on_event, args=(e,))
        worker.start()
        worker.join()

    log._on_event(event)  # no web request: nobody's
    with log.track("GET /a") as first:
        log._on_event(event)
        from_worker(failed)
        assert (first.count, first.errors, first.shared) == (2, 1, 0)
        second = log.start("GET /b")
        from_worker(event)
        log.finish(second)
        assert (first.count, first.shared) == (3, 1)
        assert (second.count, second.shared) == (1, 1)
    assert first.summary().startswith("GET /a: 3 Softr requests in 5.0 ms, 1 failed")


def test_views_return_instances_and_querysets_as_json(softr_emulator: Emulator) -> None:
    """jsonify(instance) and a dict holding a queryset: ISO dates, exact decimal strings."""
    app = make_app(softr_emulator)

    @app.get("/contacts/<record_id>")
    def one(record_id: str) -> Any:
        return flask.jsonify(Contact.objects.get(id=record_id))

    @app.get("/contacts")
    def page() -> Any:
        return {"contacts": Contact.objects.filter(joined__isnull=False).order_by("name")[:3]}

    client = app.test_client()
    listed = client.get("/contacts").get_json()["contacts"]
    assert len(listed) == 3
    first = Contact.objects.get(id=listed[0]["id"])
    assert listed[0] == first.to_dict(mode="json")
    assert listed[0]["joined"] == first.joined.isoformat()  # not "Tue, 05 Mar 2024 ... GMT"
    assert client.get(f"/contacts/{first.id}").get_json() == first.to_dict(mode="json")
    assert client.get("/contacts/recNOPE").status_code == 500  # DoesNotExist: not JSON's job


def test_an_app_with_its_own_json_provider_keeps_it(softr_emulator: Emulator) -> None:
    """SoftrORM never replaces a provider the app chose."""

    class Mine(flask.json.provider.DefaultJSONProvider):
        pass

    app = flask.Flask("own_provider")
    app.json = Mine(app)
    app.config.update(SOFTR_API_KEY=softr_emulator.api_key, SOFTR_BASE_URL=softr_emulator.base_url)
    SoftrORM(app)
    assert type(app.json) is Mine


def test_an_app_maps_database_ids(softr_emulator: Emulator) -> None:
    """SOFTR_DATABASES points models declared with another database id at the emulator's."""
    from softr_orm import Model, fields

    class Staged(Model):
        name = fields.SingleLineText("Full Name")

        class Meta:
            database = "productionDatabaseId"
            table = "Contacts"

    app = make_app(softr_emulator, SOFTR_DATABASES={"productionDatabaseId": DEMO_DATABASE_ID})
    with app.app_context():
        assert Staged.objects.using(get_session()).count() == 60
    with pytest.raises(ConfigurationError, match="SOFTR_DATABASES"):
        make_app(softr_emulator, SOFTR_DATABASES={"productionDatabaseId": ""})
