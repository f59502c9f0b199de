"""softr-orm: an ORM-style active-record mapper for the Softr Database API.

The names most code needs are importable from here::

    import softr_orm
    from softr_orm import Model, Q, Session, fields

    softr_orm.configure(Session.from_env())

The package is layered (docs/architecture.md): ``http`` (transport) under ``backends``
(Softr's API behind a typed seam) under ``fields``, ``query`` and ``models`` (the ORM), under
``schema``, ``cli`` and ``contrib`` (tools and integrations). This module only gathers the
public names.
"""

from __future__ import annotations

from softr_orm import _compat, errors, fields
from softr_orm._version import __version__
from softr_orm.backends.defaults import configure, default_session
from softr_orm.backends.softr.session import Session
from softr_orm.errors import *  # noqa: F403 - every exception is part of the public API
from softr_orm.http.ratelimit import RateLimits
from softr_orm.http.retry import RetryPolicy
from softr_orm.http.util import RequestEvent
from softr_orm.models import Manager, Model, SaveResult
from softr_orm.query import Q, QuerySet
from softr_orm.query.databases import override_database

_compat.install()

__all__ = [
    "Manager",
    "Model",
    "Q",
    "QuerySet",
    "RateLimits",
    "RequestEvent",
    "RetryPolicy",
    "SaveResult",
    "Session",
    "__version__",
    "configure",
    "default_session",
    "errors",
    "fields",
    "override_database",
    *errors.__all__,
]
