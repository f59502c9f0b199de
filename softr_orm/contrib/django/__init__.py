"""Django integration: ``INSTALLED_APPS = [..., "softr_orm.contrib.django"]``.

* ``settings.SOFTR`` configures one session per alias (see :mod:`.conf`);
  :func:`get_session` returns it, built once and shared by every thread.
* the default alias's session becomes :func:`softr_orm.default_session`, so models work
  without ``.using()`` (``SOFTR["CONFIGURE_DEFAULT"] = False`` to opt out);
* ``manage.py softr_inspect`` and ``manage.py softr_check``; an opt-in system check for schema
  drift (:mod:`.checks`);
* :class:`~softr_orm.contrib.django.middleware.SoftrRequestLogMiddleware` logs the Softr
  requests each web request makes.

Settings changed at run time (``override_settings`` in tests) rebuild the sessions.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from softr_orm.contrib import RequestLog

if TYPE_CHECKING:
    from softr_orm.backends.base import BackendSession
    from softr_orm.models.base import Model

__all__ = ["get_session", "models_for", "request_log", "reset_sessions", "sessions"]

#: Counts Softr requests per web request; every session built here is watched.
request_log = RequestLog()

_lock = threading.Lock()
_sessions: dict[str, BackendSession] = {}
_our_default: BackendSession | None = None


def get_session(alias: str = "default") -> BackendSession:
    """The session of ``settings.SOFTR[alias]`` (the flat form is ``"default"``).

    Built on first use and then shared. Values missing from the settings come from the
    environment, as in :meth:`softr_orm.Session.from_env`.

    Raises:
        ImproperlyConfigured: no such alias, or settings that cannot make a session.
    """
    with _lock:
        found = _sessions.get(alias)
        if found is not None:
            return found
        session = _build(alias)
        _sessions[alias] = session
    request_log.watch(session)
    return session


def _build(alias: str) -> BackendSession:
    from django.core.exceptions import ImproperlyConfigured

    from softr_orm.backends.softr.session import Session
    from softr_orm.contrib.django.conf import load
    from softr_orm.errors import ConfigurationError
    from softr_orm.query.databases import map_databases

    config = load()
    entry = config.aliases.get(alias)
    if entry is None:
        raise ImproperlyConfigured(
            f"settings.SOFTR has no alias {alias!r}; it has: {', '.join(config.aliases)}"
        )
    try:
        session: BackendSession
        if entry.backend == "baserow":
            from softr_orm.backends.baserow.session import BaserowSession

            session = BaserowSession.from_env(**dict(entry.session_kwargs))
        else:
            session = Session.from_env(**dict(entry.session_kwargs))
    except (ConfigurationError, TypeError) as error:  # TypeError: a key the backend lacks
        raise ImproperlyConfigured(f"settings.SOFTR[{alias!r}]: {error}") from error
    map_databases(session, entry.databases)
    return session


def sessions() -> dict[str, BackendSession]:
    """Every configured alias with its session (building those not built yet)."""
    from softr_orm.contrib.django.conf import load

    return {alias: get_session(alias) for alias in load().aliases}


def reset_sessions() -> None:
    """Forget the sessions built so far (closing them); the next use rebuilds from settings.

    Called when ``SOFTR`` changes (``override_settings``); the process default session is
    replaced too, but only if it is the one this app set.
    """
    global _our_default
    from softr_orm.backends.defaults import configure, default_session
    from softr_orm.errors import ConfigurationError

    with _lock:
        old = list(_sessions.values())
        _sessions.clear()
    for session in old:
        session.close()
    if _our_default is not None:
        try:
            current: BackendSession | None = default_session()
        except ConfigurationError:
            current = None
        if current is _our_default:
            configure(None)
        _our_default = None


def configure_default() -> BackendSession | None:
    """Make the default alias's session the process default, when the settings ask for it.

    Only when ``settings.SOFTR`` is set and has a ``"default"`` alias: without settings the
    app leaves the default session to the project (``softr_orm.configure(...)``).
    """
    global _our_default
    from softr_orm.backends.defaults import configure
    from softr_orm.contrib.django.conf import DEFAULT_ALIAS, load

    config = load()
    if not (config.explicit and config.configure_default and DEFAULT_ALIAS in config.aliases):
        return None
    session = get_session(DEFAULT_ALIAS)
    configure(session)
    _our_default = session
    return session


def import_models(paths: Iterable[str | type]) -> list[type[Model]]:
    """Model classes from dotted paths of modules (every model defined there) or classes.

    Raises:
        ImproperlyConfigured: a path that imports nothing, or a class that is no model.
    """
    from django.core.exceptions import ImproperlyConfigured

    from softr_orm.schema.tools import import_models as import_targets

    try:
        return import_targets(paths)
    except (ImportError, TypeError) as error:
        raise ImproperlyConfigured(f"SOFTR MODELS: {error}") from error


def _subclasses(cls: type[Model]) -> Iterator[type[Model]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def models_for(alias: str | None = None) -> list[tuple[str, type[Model]]]:
    """(alias, model) pairs the schema check covers.

    The ``MODELS`` of each alias when any alias lists some; otherwise every model class
    defined in an installed app's package (imported by then), checked with the default alias
    (or the model's own ``Meta.session``). ``alias`` restricts the result to one alias.
    """
    from django.apps import apps

    from softr_orm.contrib.django.conf import DEFAULT_ALIAS, load
    from softr_orm.models.base import Model

    config = load()
    wanted = [a for a in config.aliases.values() if alias is None or a.alias == alias]
    if any(a.models for a in config.aliases.values()):
        return [(a.alias, m) for a in wanted for m in import_models(a.models)]
    if alias not in (None, DEFAULT_ALIAS):
        return []
    names = [c.name for c in apps.get_app_configs() if c.name != "softr_orm.contrib.django"]
    prefixes = tuple(name + "." for name in names)
    found = [
        m
        for m in dict.fromkeys(_subclasses(Model))
        if (m.__module__ in names or m.__module__.startswith(prefixes))
        and getattr(m, "_meta", None) is not None
        and not m._meta.abstract
        and m._meta.database
        and m._meta.table
    ]
    return [(DEFAULT_ALIAS, m) for m in sorted(found, key=lambda m: (m.__module__, m.__name__))]


def session_for(alias: str, model: type[Model]) -> BackendSession:
    """The session checking ``model`` under ``alias``: its ``Meta.session`` wins."""
    own = model._meta.session
    return own if own is not None else get_session(alias)
