"""The default connection: the session models use when none is given.

Set once at start-up (``softr_orm.configure(Session.from_env())``); any backend's session
will do. It lives at the backends layer so that models and queries can find it without
knowing which backend it belongs to.
"""

from __future__ import annotations

import threading

from softr_orm.backends.base import BackendSession
from softr_orm.errors import ConfigurationError

__all__ = ["EPOCH", "bump_epoch", "configure", "default_session"]

_default: BackendSession | None = None
_default_lock = threading.Lock()

#: ``EPOCH[0]`` changes whenever something that decides which table binding a model gets
#: changes: the default session, a model's ``Meta`` options, a binding forgotten, a session's
#: database map. Caches of bindings (``Model.from_record`` keeps one per model) are valid while
#: the epoch they saw is current; reading it is one list index, cheaper than asking again.
EPOCH = [0]
_epoch_lock = threading.Lock()


def bump_epoch() -> None:
    """Make every cache that saw the current :data:`EPOCH` stale (call after the change)."""
    with _epoch_lock:
        EPOCH[0] += 1


def configure(session: BackendSession | None) -> None:
    """Set the session models use when none is given (``None`` clears it).

    Raises:
        TypeError: ``session`` is not a backend's session (``softr_orm.Session`` or another
            backend's).
    """
    global _default
    if session is not None and not isinstance(session, BackendSession):
        raise TypeError(f"configure() needs a softr_orm.Session, got {type(session).__name__}")
    with _default_lock:
        _default = session
    bump_epoch()


def default_session() -> BackendSession:
    """The session set by :func:`configure`.

    Raises:
        ConfigurationError: when none was configured.
    """
    session = _default  # one global read, atomic; the lock orders configure() calls
    if session is None:
        raise ConfigurationError(
            "no default softr_orm Session is configured: call "
            "softr_orm.configure(Session(api_key=...)) or softr_orm.configure(Session.from_env()) "
            "at startup, or pass a session explicitly (e.g. Model.objects.using(session))"
        )
    return session
