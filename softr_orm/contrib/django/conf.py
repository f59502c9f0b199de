"""Reading ``settings.SOFTR``: one Softr connection per alias, like Django's ``DATABASES``.

Two forms are accepted. The flat one configures the ``"default"`` alias::

    SOFTR = {"API_KEY": env("SOFTR_API_KEY"), "BASE_URL": None, "CHECK_SCHEMA": False}

and the aliased one names several (a workspace per token, a tenant per alias)::

    SOFTR = {
        "default": {"API_KEY": "...", "MODELS": ["crm.softr_models"]},
        "billing": {"API_KEY": "...", "MODELS": ["billing.softr_models.Invoice"]},
        "CHECK_SCHEMA": True,
    }

Per alias: ``API_KEY``, ``BASE_URL``, ``USERS_BASE_URL``, ``TIMEOUT``, ``MAX_RETRIES``,
``RATE_LIMIT``, ``OPTIONS`` (more :class:`softr_orm.Session` keyword arguments) and ``MODELS``
(the models the schema check covers, as dotted paths of modules or classes) and ``DATABASES``
(``{"<id in Meta.database>": "<id to use>"}``: models used through this alias's session use
the mapped database, see :func:`softr_orm.query.databases.map_databases`). A value left out
falls back to the environment exactly as :meth:`softr_orm.Session.from_env` reads it
(``SOFTR_API_KEY``, ``SOFTR_API_KEY_FILE``, ``SOFTR_BASE_URL``, ``SOFTR_USERS_BASE_URL``), so
a key can stay out of ``settings.py``. Global: ``CHECK_SCHEMA`` (``False``, ``True`` or
``"deploy"``; see :mod:`softr_orm.contrib.django.checks`) and ``CONFIGURE_DEFAULT`` (``True``:
the default alias's session becomes :func:`softr_orm.default_session`).

An alias with ``"BACKEND": "baserow"`` gets a
:class:`~softr_orm.backends.baserow.BaserowSession` from ``TOKEN``, ``BASE_URL``, ``EMAIL``,
``PASSWORD`` (and ``TIMEOUT``, ``MAX_RETRIES``, ``OPTIONS``), the gaps filled from
``BASEROW_*`` as :meth:`BaserowSession.from_env` reads them.

A misspelt key raises ``ImproperlyConfigured`` naming the keys that exist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["ALIAS_KEYS", "GLOBAL_KEYS", "AliasConfig", "SoftrSettings", "load"]

DEFAULT_ALIAS = "default"
ALIAS_KEYS = frozenset(
    {
        "API_KEY",
        "BASE_URL",
        "USERS_BASE_URL",
        "TIMEOUT",
        "MAX_RETRIES",
        "RATE_LIMIT",
        "OPTIONS",
        "MODELS",
        "DATABASES",
        "BACKEND",
        "TOKEN",
        "EMAIL",
        "PASSWORD",
    }
)
#: ``BACKEND`` values: Softr (the default) or Baserow (``TOKEN``, ``BASE_URL``, and
#: ``EMAIL``/``PASSWORD`` for schema calls; the environment's ``BASEROW_*`` fill the gaps).
BACKENDS = ("softr", "baserow")
GLOBAL_KEYS = frozenset({"CHECK_SCHEMA", "CONFIGURE_DEFAULT"})
_SESSION_ARGS = {
    "API_KEY": "api_key",
    "BASE_URL": "base_url",
    "USERS_BASE_URL": "users_base_url",
    "TIMEOUT": "timeout",
    "MAX_RETRIES": "max_retries",
    "RATE_LIMIT": "rate_limit",
    "TOKEN": "token",
    "EMAIL": "email",
    "PASSWORD": "password",
}


@dataclass(frozen=True)
class AliasConfig:
    """One alias of ``settings.SOFTR``: how to build its session, which models it checks."""

    alias: str
    session_kwargs: Mapping[str, Any] = field(default_factory=dict)
    models: tuple[str | type, ...] = ()
    databases: Mapping[str, str] = field(default_factory=dict)
    backend: str = "softr"


@dataclass(frozen=True)
class SoftrSettings:
    """``settings.SOFTR``, validated.

    Attributes:
        aliases: alias name -> its configuration (``{"default": ...}`` in the flat form).
        check_schema: ``False``, ``True`` (every ``manage.py check``) or ``"deploy"``.
        configure_default: make the default alias's session the process default.
        explicit: whether ``settings.SOFTR`` is set at all.
    """

    aliases: Mapping[str, AliasConfig]
    check_schema: bool | str = False
    configure_default: bool = True
    explicit: bool = False


def _unknown(where: str, keys: Sequence[str], allowed: frozenset[str]) -> ImproperlyConfigured:
    return ImproperlyConfigured(
        f"{where}: unknown key(s) {', '.join(map(repr, keys))}; "
        f"the keys are {', '.join(sorted(allowed))}"
    )


def _alias(alias: str, raw: Mapping[str, Any], where: str) -> AliasConfig:
    unknown = [k for k in raw if k not in ALIAS_KEYS]
    if unknown:
        raise _unknown(where, unknown, ALIAS_KEYS)
    kwargs: dict[str, Any] = {}
    options = raw.get("OPTIONS") or {}
    if not isinstance(options, Mapping):
        raise ImproperlyConfigured(f"{where}['OPTIONS'] must be a dict of Session arguments")
    kwargs.update(options)
    for key, arg in _SESSION_ARGS.items():
        # None means "not set here": the environment (or Session's default) applies.
        if raw.get(key) is not None:
            kwargs[arg] = raw[key]
    models = raw.get("MODELS") or ()
    if isinstance(models, (str, type)):
        models = (models,)
    if not all(isinstance(m, (str, type)) for m in models):
        raise ImproperlyConfigured(
            f"{where}['MODELS'] must list dotted paths of modules or model classes"
        )
    databases = raw.get("DATABASES") or {}
    if not isinstance(databases, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and k and v for k, v in databases.items()
    ):
        raise ImproperlyConfigured(
            f"{where}['DATABASES'] must map database ids to database ids, e.g. "
            '{"<id in Meta.database>": "<id to use>"}'
        )
    backend = raw.get("BACKEND") or "softr"
    if backend not in BACKENDS:
        raise ImproperlyConfigured(f"{where}['BACKEND'] must be one of {BACKENDS}, not {backend!r}")
    return AliasConfig(
        alias=alias,
        session_kwargs=kwargs,
        models=tuple(models),
        databases=dict(databases),
        backend=backend,
    )


def load(raw: Any = None) -> SoftrSettings:
    """Validate ``settings.SOFTR`` (or ``raw``) into a :class:`SoftrSettings`.

    Raises:
        ImproperlyConfigured: not a dict, an unknown key, an alias that is not a dict, a bad
            ``CHECK_SCHEMA``.
    """
    explicit = True
    if raw is None:
        raw = getattr(settings, "SOFTR", None)
        explicit = raw is not None
        raw = raw or {}
    if not isinstance(raw, Mapping):
        raise ImproperlyConfigured("settings.SOFTR must be a dict")
    check = raw.get("CHECK_SCHEMA", False)
    if check not in (True, False, "deploy"):
        raise ImproperlyConfigured(
            f"settings.SOFTR['CHECK_SCHEMA'] must be True, False or 'deploy', not {check!r}"
        )
    configure_default = bool(raw.get("CONFIGURE_DEFAULT", True))
    rest = {k: v for k, v in raw.items() if k not in GLOBAL_KEYS}
    flat = not rest or any(k in ALIAS_KEYS for k in rest)
    aliases: dict[str, AliasConfig] = {}
    if flat:
        aliases[DEFAULT_ALIAS] = _alias(DEFAULT_ALIAS, rest, "settings.SOFTR")
    else:
        for alias, value in rest.items():
            where = f"settings.SOFTR[{alias!r}]"
            if not isinstance(value, Mapping):
                raise ImproperlyConfigured(
                    f"{where} must be a dict of connection settings (aliased form), or use "
                    f"the flat form; top-level keys are {', '.join(sorted(GLOBAL_KEYS))}"
                )
            aliases[str(alias)] = _alias(str(alias), value, where)
    return SoftrSettings(
        aliases=aliases,
        check_schema=check,
        configure_default=configure_default,
        explicit=explicit,
    )
