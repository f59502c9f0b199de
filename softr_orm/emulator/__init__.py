"""A local, Softr-compatible server: the Database API and the Users Management API.

It is a real server, not a mock: a werkzeug WSGI app over SQLite, speaking the API of
``softr-api.md`` (envelopes, status codes, error codes, paging, ``fieldNames``, the filter
grammar, computed fields, token auth and rate limits). It shares no code with the client side
apart from :mod:`softr_orm.constants`, so it can catch the client's mistakes.

``Emulator`` serves it in-process; ``create_app`` builds the WSGI app alone. See
docs/emulator.md for the admin routes, fault injection and every known difference from Softr.

The names are imported lazily so that ``softr_orm.emulator.cli`` (and ``DEMO_DATABASE_ID``) work
without werkzeug installed; the server itself needs it (``pip install softr-orm[emulator]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .seeds import DEMO_DATABASE_ID

if TYPE_CHECKING:
    from .app import EmulatorApp, create_app
    from .server import Emulator
    from .store import Store

__all__ = ["DEMO_DATABASE_ID", "Emulator", "EmulatorApp", "Store", "create_app"]

_LAZY = {
    "Emulator": ".server",
    "EmulatorApp": ".app",
    "create_app": ".app",
    "Store": ".store",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value
    return value
