"""The ORM's ordering -> Baserow's ``order_by`` (baserow-api.md §6.1).

Baserow sorts by fields only (never by the row id); rows are finally ordered by ``order``,
then ``id``, which for rows added through the API is the order they were added.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from softr_orm.backends.baserow.schema import BaserowField, BaserowTable, field_number
from softr_orm.errors import QueryError

__all__ = ["compile_order_by"]

_UNSORTABLE = frozenset({"file", "password"})


_PSEUDO_SOURCES: Final[Mapping[str, tuple[str, ...]]] = {
    "created_at": ("autonumber", "created_on"),
    "updated_at": ("last_modified",),
}


def _pseudo_field(key: str, table: BaserowTable) -> BaserowField | None:
    """A field of the table that orders rows as the pseudo-field ``key`` would."""
    for kind in _PSEUDO_SOURCES.get(key, ()):
        found = next((f for f in table.fields if f.baserow_type == kind), None)
        if found is not None:
            return found
    return None


def compile_order_by(ordering: Sequence[tuple[str, bool]], table: BaserowTable) -> str | None:
    """``[(field id, descending)]`` -> ``"field_12,-field_13"`` (None for no ordering).

    ``created_at``/``updated_at`` (the ORM's default order is creation order) use an
    autonumber, created_on or last_modified field of the table; without one, ascending
    creation order as the last key is Baserow's own default order (``order``, then ``id``)
    and is left out.

    Raises:
        QueryError: a pseudo-field with no field to stand for it, or a field Baserow cannot
            sort by.
    """
    items: list[str] = []
    for position, (key, descending) in enumerate(ordering):
        field = table.field(key) if isinstance(key, str) else None
        if field is None and key in _PSEUDO_SOURCES:
            field = _pseudo_field(key, table)
            if field is None:
                if key == "created_at" and not descending and position == len(ordering) - 1:
                    continue  # Baserow's default order: rows as they were added
                raise QueryError(
                    f"Baserow cannot order by {key!r} in this table: add an autonumber, "
                    "created_on or last_modified field, or order by a field"
                )
        if field is None or field_number(field.id) is None:
            raise QueryError(f"Baserow cannot order by {key!r}: order by a field of the table")
        if field.baserow_type in _UNSORTABLE:
            raise QueryError(
                f"Baserow cannot order by the {field.baserow_type} field {field.name!r}"
            )
        items.append(("-" if descending else "") + field.id)
    return ",".join(items) or None
