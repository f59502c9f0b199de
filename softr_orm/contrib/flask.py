"""Flask integration: ``SoftrORM(app)``, or ``softr = SoftrORM()`` then ``softr.init_app(app)``.

Each app gets its own :class:`softr_orm.Session`, built from its config (or, with
``SOFTR_BACKEND = "baserow"``, its own Baserow session: see below):

=============================  ===================================================
``SOFTR_BACKEND``              ``"softr"`` (the default) or ``"baserow"``
``SOFTR_API_KEY``              the API key (else ``$SOFTR_API_KEY`` / ``$SOFTR_API_KEY_FILE``)
``SOFTR_BASE_URL``             the Database API root (else ``$SOFTR_BASE_URL``, else Softr's)
``SOFTR_USERS_BASE_URL``       the Users API root (else ``$SOFTR_USERS_BASE_URL``)
``SOFTR_TIMEOUT``              read timeout in seconds, or ``(connect, read)``
``SOFTR_MAX_RETRIES``          retries of a failed attempt
``SOFTR_RATE_LIMIT``           ``True`` / ``False`` / a :class:`softr_orm.http.session.RateLimits`
``SOFTR_RATE_LIMIT_URL``       a Redis URL: one rate budget for every worker using the key
                               (else ``$SOFTR_RATE_LIMIT_URL``; wins over ``SOFTR_RATE_LIMIT``)
``SOFTR_SESSION_OPTIONS``      more :class:`softr_orm.Session` keyword arguments
``SOFTR_CONFIGURE_DEFAULT``    make it the process default session (default ``True``)
``SOFTR_LOG_REQUESTS``         log Softr requests per web request at DEBUG (default ``True``)
``SOFTR_MODELS``               modules / classes ``flask softr check`` checks by default
``SOFTR_JSON``                 use :class:`SoftrJSONProvider` for ``jsonify`` (default ``True``)
``SOFTR_DATABASES``            ``{"<id in Meta.database>": "<id to use>"}`` for this app's session
=============================  ===================================================

With ``SOFTR_BACKEND = "baserow"`` the app's session is a
:class:`~softr_orm.backends.baserow.BaserowSession` built from ``BASEROW_TOKEN``,
``BASEROW_URL``, ``BASEROW_EMAIL`` and ``BASEROW_PASSWORD`` (gaps filled from the environment's
``BASEROW_*``, as :meth:`BaserowSession.from_env` reads them), with ``SOFTR_TIMEOUT``,
``SOFTR_MAX_RETRIES``, ``SOFTR_RATE_LIMIT`` and ``SOFTR_SESSION_OPTIONS`` as for Softr; the
same models serve it, as ``BACKEND`` does in Django's ``settings.SOFTR``.

With ``SOFTR_JSON`` (and Flask's own JSON provider in place), views can return model
instances and querysets: ``jsonify(contact)``, ``return {"contacts": qs[:20]}``. Dates and
datetimes become ISO 8601 (not Flask's ``"Tue, 05 Mar 2024 00:00:00 GMT"``), decimals exact
strings, as in ``Model.to_dict(mode="json")``.

``softr.session`` is the current app's session (``Contact.objects.using(softr.session)``).
With ``SOFTR_CONFIGURE_DEFAULT`` it is also the default one, so ``Contact.objects`` works as
is; the last app initialised wins, which is right for one app per process (and for an app
factory called once per test). Serving several apps from one process (each with its own
token), set it to ``False`` and always go through ``softr.session``.

The CLI gets ``flask softr check [MODEL_PATH...]`` and ``flask softr inspect DATABASE_ID``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click
from flask import Flask, current_app, request
from flask.cli import AppGroup
from flask.json.provider import DefaultJSONProvider

from softr_orm.backends.base import BackendSession
from softr_orm.backends.defaults import configure
from softr_orm.backends.softr.session import Session
from softr_orm.contrib import RequestLog
from softr_orm.errors import ConfigurationError, SoftrError
from softr_orm.models.serialization import json_default
from softr_orm.query.databases import map_databases

if TYPE_CHECKING:
    pass

__all__ = ["SoftrJSONProvider", "SoftrORM", "get_session"]

EXTENSION = "softr_orm"
_SESSION_KEYS = {
    "SOFTR_API_KEY": "api_key",
    "SOFTR_BASE_URL": "base_url",
    "SOFTR_USERS_BASE_URL": "users_base_url",
    "SOFTR_TIMEOUT": "timeout",
    "SOFTR_MAX_RETRIES": "max_retries",
    "SOFTR_RATE_LIMIT": "rate_limit",
    "SOFTR_RATE_LIMIT_URL": "rate_limit",  # after SOFTR_RATE_LIMIT: the URL wins
}
_BASEROW_KEYS = {
    "BASEROW_TOKEN": "token",
    "BASEROW_URL": "base_url",
    "BASEROW_EMAIL": "email",
    "BASEROW_PASSWORD": "password",
    "SOFTR_TIMEOUT": "timeout",
    "SOFTR_MAX_RETRIES": "max_retries",
    "SOFTR_RATE_LIMIT": "rate_limit",
}
#: ``SOFTR_BACKEND`` values: Softr (the default) or Baserow.
BACKENDS = ("softr", "baserow")


@dataclass
class _AppState:
    """What ``init_app`` leaves in ``app.extensions["softr_orm"]``."""

    session: BackendSession
    extension: SoftrORM
    models: tuple[str | type, ...] = ()


def session_from_config(config: Any) -> BackendSession:
    """A session from a Flask config mapping (values left out come from the environment):
    Softr's, or Baserow's with ``SOFTR_BACKEND = "baserow"``.

    Raises:
        ConfigurationError: an unknown ``SOFTR_BACKEND``, no key or token, a bad URL...
    """
    backend = config.get("SOFTR_BACKEND") or "softr"
    if backend not in BACKENDS:
        raise ConfigurationError(f"SOFTR_BACKEND must be one of {BACKENDS}, not {backend!r}")
    kwargs: dict[str, Any] = dict(config.get("SOFTR_SESSION_OPTIONS") or {})
    for key, arg in (_BASEROW_KEYS if backend == "baserow" else _SESSION_KEYS).items():
        value = config.get(key)
        if value is not None and value != "":
            kwargs[arg] = value
    if backend == "baserow":
        from softr_orm.backends.baserow.session import BaserowSession

        return BaserowSession.from_env(**kwargs)
    return Session.from_env(**kwargs)


def get_session(app: Flask | None = None) -> BackendSession:
    """The session of ``app`` (default: the current app): a Softr ``Session``, or a
    ``BaserowSession`` with ``SOFTR_BACKEND = "baserow"``.

    Raises:
        RuntimeError: no app given and no app context.
        ConfigurationError: ``SoftrORM`` was not initialised on the app.
    """
    target = current_app if app is None else app
    state = target.extensions.get(EXTENSION)
    if state is None:
        raise ConfigurationError(
            f"softr_orm is not set up on Flask app {target.name!r}: call SoftrORM(app) or "
            "softr.init_app(app)"
        )
    session: BackendSession = state.session
    return session


class SoftrJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider that also writes model instances, querysets and their values.

    Instances become ``to_dict(mode="json")``, querysets lists of those; dates and datetimes
    ISO 8601, decimals exact strings, attachments and users plain objects. Anything else is
    left to Flask's provider. ``SoftrORM`` installs it unless the app has a provider of its
    own (then subclass this one, or call
    :func:`softr_orm.models.serialization.json_default` from yours).
    """

    @staticmethod
    def default(o: Any) -> Any:
        try:
            return json_default(o)
        except TypeError:
            return DefaultJSONProvider.default(o)


class SoftrORM:
    """The Flask extension. See the module docstring for the config keys.

    Args:
        app: the app to set up now; leave it out to call :meth:`init_app` later (factories).
    """

    def __init__(self, app: Flask | None = None) -> None:
        self.request_log = RequestLog()
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Build ``app``'s session from its config and register the hooks and CLI.

        Raises:
            ConfigurationError: no API key in the config or the environment, a bad URL...
        """
        config = app.config
        session = session_from_config(config)
        try:
            map_databases(session, config.get("SOFTR_DATABASES") or {})
        except TypeError as error:
            raise ConfigurationError(f"SOFTR_DATABASES: {error}") from None
        models = config.get("SOFTR_MODELS") or ()
        if isinstance(models, (str, type)):
            models = (models,)
        app.extensions[EXTENSION] = _AppState(session=session, extension=self, models=models)
        if config.get("SOFTR_CONFIGURE_DEFAULT", True):
            configure(session)
        if config.get("SOFTR_LOG_REQUESTS", True):
            self.request_log.watch(session)
            app.before_request(self._start_tally)
            app.teardown_request(self._finish_tally)
        if config.get("SOFTR_JSON", True) and type(app.json) is DefaultJSONProvider:
            app.json = SoftrJSONProvider(app)
        app.cli.add_command(_cli)

    @property
    def session(self) -> BackendSession:
        """The current app's session (needs an app context)."""
        return get_session()

    def get_session(self, app: Flask | None = None) -> BackendSession:
        """The session of ``app`` (default: the current app)."""
        return get_session(app)

    # --- request logging -------------------------------------------------------------------

    def _start_tally(self) -> None:
        from flask import g

        g._softr_tally = self.request_log.start(f"{request.method} {request.path}")

    def _finish_tally(self, exc: BaseException | None) -> None:
        from flask import g

        tally = g.pop("_softr_tally", None)
        if tally is not None:
            self.request_log.finish(tally)


# --- flask softr ... ---------------------------------------------------------------------------

_cli = AppGroup("softr", help="softr-orm: check models against Softr, generate models.")


@_cli.command("check")
@click.argument("paths", nargs=-1, metavar="[MODEL_PATH]...")
def check_command(paths: tuple[str, ...]) -> None:
    """Check models (modules or classes; default SOFTR_MODELS) against the live schema."""
    from softr_orm.schema.tools import check_models, import_models

    state: _AppState = current_app.extensions[EXTENSION]
    targets: Iterable[str | type] = paths or state.models
    try:
        models = import_models(targets)
    except ImportError as error:
        raise click.ClickException(f"cannot import models: {error}") from error
    except TypeError as error:
        raise click.ClickException(str(error)) from error
    if not models:
        raise click.ClickException(
            "no models to check: pass MODEL_PATH arguments or set SOFTR_MODELS in the config"
        )
    # Models pinned to a session of their own keep it; the others use the app's.
    report = check_models([m for m in models if m._meta.session is None], state.session)
    own = [m for m in models if m._meta.session is not None]
    if own:
        extra = check_models(own)
        report.checks.extend(extra.checks)
        report.skipped.extend(extra.skipped)
    click.echo(report.render())
    if not report.ok:
        sys.exit(1)


@_cli.command("inspect")
@click.argument("database_id")
@click.option("--table", "tables", multiple=True, help="only this table (name or id)")
@click.option("--no-views", is_flag=True, help="do not list saved views (one request each)")
def inspect_command(database_id: str, tables: tuple[str, ...], no_views: bool) -> None:
    """Print model classes for the tables of a live database."""
    from softr_orm.schema.tools import inspect_database

    try:
        source = inspect_database(
            get_session(),
            database_id,
            tables=tables or None,
            views=not no_views,
            command=f"flask softr inspect {database_id}",
        )
    except SoftrError as error:
        raise click.ClickException(str(error)) from error
    click.echo(source, nl=False)
