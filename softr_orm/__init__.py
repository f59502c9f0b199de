"""softr-orm: an ORM-style active-record mapper for the Softr Database API.

The names most code needs are importable from here::

    import softr_orm
    from softr_orm import Model, Q, Session, fields

    softr_orm.configure(Session.from_env())
"""

from __future__ import annotations

from softr_orm import errors, fields
from softr_orm.errors import *  # noqa: F403 - every exception is part of the public API
from softr_orm.model import Manager, Model, SaveResult
from softr_orm.query import Q, QuerySet
from softr_orm.session import Session, configure, default_session

__version__ = "0.1.0"

__all__ = [
    "Model",
    "Manager",
    "QuerySet",
    "Q",
    "SaveResult",
    "Session",
    "configure",
    "default_session",
    "errors",
    "fields",
    *errors.__all__,
]
