"""Pointing models at other databases for a block: ``override_database({...})``.

A model's ``Meta.database`` is fixed when its class is created, which is right for an app and
wrong for a test or a staging copy: there the same models must talk to another database with
the same tables. :func:`override_database` maps database ids to others for the duration of a
``with`` block. The map lives in a :class:`~contextvars.ContextVar`, so it holds for the thread
or asyncio task that entered the block and for nothing else: a web server's other requests go
on using the real ids.

A session can carry a map of its own (:func:`map_databases`; the Django and Flask settings
set it per alias / per app): then every query through that session uses it, e.g. a staging
alias whose databases are copies of production's. A ``with override_database`` block wins
over a session's map.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from softr_orm.backends.base import BackendSession

__all__ = [
    "current_overrides",
    "database_overrides",
    "effective_database",
    "map_databases",
    "override_database",
]

_EMPTY: Mapping[str, str] = MappingProxyType({})
_overrides: ContextVar[Mapping[str, str]] = ContextVar(
    "softr_orm_database_overrides", default=_EMPTY
)


@contextmanager
def override_database(mapping: Mapping[str, str]) -> Iterator[Mapping[str, str]]:
    """Inside the block, models declared with a database id in ``mapping`` use its value.

    Blocks nest (the inner map wins for the ids it names) and are local to the current
    thread or asyncio task. Bindings are cached per database, so leaving the block returns to
    the declared database without reading its schema again.

    Example::

        with softr_orm.override_database({"appDbId": "testDbId"}):
            Contact.objects.count()        # searches database testDbId

    Args:
        mapping: declared database id -> the id to use instead.

    Yields:
        The overrides in force inside the block.

    Raises:
        TypeError: a key or value that is not a non-empty string.
    """
    _check(mapping)
    merged = MappingProxyType({**_overrides.get(), **mapping})
    token = _overrides.set(merged)
    try:
        yield merged
    finally:
        _overrides.reset(token)


#: :func:`database_overrides` without the Python call (the hot path of ``from_record``).
current_overrides = _overrides.get


def database_overrides() -> Mapping[str, str]:
    """The overrides in force in the current context (empty outside any block)."""
    return _overrides.get()


def map_databases(session: BackendSession, mapping: Mapping[str, str]) -> None:
    """Models used through ``session`` whose database id is in ``mapping`` use its value.

    For the life of the session (set it once, when the session is built).

    Raises:
        TypeError: a key or value that is not a non-empty string.
    """
    _check(mapping)
    # The map lives with the session's schema state, which bind() reads anyway.
    from softr_orm.query.binding import update_database_map

    update_database_map(session, mapping)


def effective_database(declared: str | None, session: BackendSession | None = None) -> str | None:
    """The database id to use for a model declared with ``declared`` (through ``session``):
    an ``override_database`` block's, else the session's map's, else ``declared``."""
    if declared is None:
        return None
    overrides = _overrides.get()
    if overrides:
        found = overrides.get(declared)
        if found is not None:
            return found
    if session is not None:
        from softr_orm.query.binding import session_database_map

        return session_database_map(session).get(declared, declared)
    return declared


def _check(mapping: Mapping[str, str]) -> None:
    for source, target in mapping.items():
        if not isinstance(source, str) or not isinstance(target, str) or not source or not target:
            raise TypeError(
                "database maps take database ids (non-empty str) to database ids, "
                f"got {source!r}: {target!r}"
            )
