"""Softr's HTTP face of the emulator: the Database API and the Users Management API.

A WSGI app (:class:`EmulatorApp`, :func:`create_app`) over the store of
:mod:`softr_orm.emulator.store`, speaking softr-api.md byte for byte where Softr documents it.
Modules, bottom up:

* :mod:`.errors` (statuses, the error body), :mod:`.responses` (envelopes), :mod:`.shapes`
  (Database, Table, TableView and Record objects).
* :mod:`.faults`, :mod:`.ratelimit`, :mod:`.requestlog`, gathered in :mod:`.controls`.
* :mod:`.call` (one request: body, parameters, permission checks).
* :mod:`.routes_db`, :mod:`.routes_users`, :mod:`.admin`: the handlers.
* :mod:`.app`: routing and the per-request pipeline.
"""

from __future__ import annotations

from .app import EmulatorApp, create_app

__all__ = ["EmulatorApp", "create_app"]
