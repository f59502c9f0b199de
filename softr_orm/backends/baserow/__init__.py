"""Baserow as a second backend: the same models, queries and change tracking on Baserow tables.

``BaserowSession(token, base_url=...)`` is usable wherever a Softr ``Session`` is
(``Model.objects.using(s)``, ``softr_orm.configure(s)``); see ``docs/baserow.md``.
"""

from __future__ import annotations

from softr_orm.backends.baserow.backend import BaserowBackend, BaserowQuery
from softr_orm.backends.baserow.schema import BaserowField, BaserowTable
from softr_orm.backends.baserow.session import BaserowSession

__all__ = ["BaserowBackend", "BaserowField", "BaserowQuery", "BaserowSession", "BaserowTable"]
