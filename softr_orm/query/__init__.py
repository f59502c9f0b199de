"""The query layer: ``Q`` and the lookups, their resolution against a model's fields, the
binding of a model to a live table, the lazy :class:`QuerySet`, paging and scans, prefetching
and bulk writes. It speaks to a backend only through :mod:`softr_orm.backends.base`."""

from __future__ import annotations

from softr_orm.query.q import Q
from softr_orm.query.queryset import QuerySet

__all__ = ["Q", "QuerySet"]
