"""F1 (the fields of a table), T1 (the tables a token reaches) and K1 (token check).

Tables are listed per database in creation order with ``order`` counting from 1 (Baserow's
position of a table in its database); the token reaches every table of its workspaces.
"""

from __future__ import annotations

from typing import Any

from .context import Call
from .fields import field_object, visible_fields
from .ids import int_id

__all__ = ["all_tables", "check_token", "list_fields"]


def list_fields(call: Call, table_id: int) -> list[dict[str, Any]]:
    db, table = call.table(table_id)
    workspace = call.store.workspaces.get(db.workspace_id)
    members = [call.store.users.get(i) for i in (workspace.member_ids if workspace else [])]
    users = sorted((u for u in members if u is not None), key=lambda u: int_id(u.id))
    collaborators = [{"id": int_id(u.id), "name": u.full_name} for u in users]
    return [
        field_object(table, db, definition, order, collaborators)
        for order, definition in enumerate(visible_fields(table))
    ]


def all_tables(call: Call) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for db in call.store.databases.values():
        if db.workspace_id not in call.token.workspace_ids:
            continue
        for order, table in enumerate(db.tables.values(), start=1):
            out.append({"id": table.seq, "name": table.name, "order": order, "database_id": db.seq})
    return out


def check_token(call: Call) -> dict[str, str]:
    return {"token": "OK"}
