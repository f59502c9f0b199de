"""The Baserow side of the schema tools (``create_table_for`` on a Baserow database).

The tools build field specs in the ORM's terms (type names such as ``"SELECT"``); this turns
them into Baserow field objects (:func:`~softr_orm.backends.baserow.schema.baserow_spec`) and
creates the table with the session's JWT.
"""

from __future__ import annotations

from typing import Any

from softr_orm.backends.baserow.backend import BaserowBackend
from softr_orm.backends.baserow.schema import BaserowTable, baserow_spec

__all__ = ["create_on_baserow"]


def create_on_baserow(
    backend: BaserowBackend,
    database_id: str,
    name: str,
    specs: list[dict[str, Any]],
    later: list[dict[str, Any]],
    primary_name: str | None,
) -> BaserowTable:
    """The Baserow side of :func:`create_table_for` (JWT): the same specs as Baserow field
    objects, the primary a text field, self-links added once the table exists."""
    fields = [{"name": primary_name or "Name", "type": "text"}]
    fields += [f for f in (baserow_spec(spec) for spec in specs) if f is not None]
    table = backend.create_table(database_id, name, fields)
    for spec in later:
        link = baserow_spec({**spec, "options": {"linkedTableId": table.id}})
        if link is not None:
            backend.add_field(table.id, link)
    return backend.get_table(database_id, table.id) if later else table
