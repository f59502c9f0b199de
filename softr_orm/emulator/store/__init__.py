"""The emulator's data store: Softr's data model over SQLite, knowing nothing of HTTP.

Every face of the emulator (Softr's HTTP API in :mod:`softr_orm.emulator.softr`; later
Baserow's) sits on this package and on nothing else they could share. Modules, bottom up:

* :mod:`.errors` (:class:`StoreError`), :mod:`.state` (the in-memory objects),
  :mod:`.jsoncodec`, :mod:`.timestamps`, :mod:`.ids`: the vocabulary.
* :mod:`.dates`, :mod:`.formula`, :mod:`.rollup`, :mod:`.search`: pure evaluators (relative
  dates, FORMULA, ROLLUP, filters and sorting).
* :mod:`.values` (write validation), :mod:`.schema` (field definitions), :mod:`.persist`
  (SQLite rows).
* :mod:`.catalog` (state, lock, lookups, loading), then the changes and reads on it:
  :mod:`.reader`, :mod:`.records`, :mod:`.fieldops`, :mod:`.select`, :mod:`.appusers`.
* :mod:`.core` (:class:`Store`, which ties them together) and :mod:`.seeds` (data sets).
"""

from __future__ import annotations

from .catalog import DEFAULT_APP_DOMAIN
from .core import Store
from .errors import StoreError

__all__ = ["DEFAULT_APP_DOMAIN", "Store", "StoreError"]
