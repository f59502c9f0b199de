"""A local, Softr-compatible server: the Database API and the Users Management API.

It is a real server, not a mock: a WSGI app over SQLite, served by waitress, speaking the API
of ``softr-api.md`` (envelopes, status codes, error codes, paging, ``fieldNames``, the filter
grammar, computed fields, token auth and rate limits). It shares no code with the client side
apart from :mod:`softr_orm.constants`, so it can catch the client's mistakes.

Layers, top down (imports only run downwards; ``tests/emulator/test_layers.py`` checks it):

* this package's own modules: :mod:`.server` (``Emulator``, the in-process server),
  :mod:`.httpserver` (waitress with the emulator's limits and timeouts), :mod:`.cli`
  (``softr-orm emulator``), :mod:`.seeds` (the seeds' public address);
* :mod:`.softr`: Softr's HTTP face (``create_app``, ``EmulatorApp``);
* :mod:`.store`: the data store (``Store``), which knows nothing of HTTP.

See docs/emulator.md for the admin routes, fault injection and every known difference from
Softr. The names are imported lazily so that ``softr_orm.emulator.cli`` (and
``DEMO_DATABASE_ID``) work without the server's dependencies installed
(``pip install softr-orm[emulator]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .store.seeds import DEMO_DATABASE_ID

if TYPE_CHECKING:
    from .server import Emulator
    from .softr import EmulatorApp, create_app
    from .store import Store, StoreError
    from .store.datafile import DataFileError

__all__ = [
    "DEMO_DATABASE_ID",
    "DataFileError",
    "Emulator",
    "EmulatorApp",
    "Store",
    "StoreError",
    "create_app",
]

_LAZY = {
    "Emulator": ".server",
    "EmulatorApp": ".softr",
    "create_app": ".softr",
    "Store": ".store",
    "StoreError": ".store",
    "DataFileError": ".store.datafile",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value
    return value
