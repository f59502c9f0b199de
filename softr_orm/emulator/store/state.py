"""The store's in-memory state: plain objects mirroring the SQLite rows, decoded once.

Every read is answered from these objects (so a search over 10,000 records never touches
SQLite); every write changes them and the SQLite rows in the same locked section, which keeps
the two coherent. How a face shows them (Softr's JSON objects) is the face's business; only the
read shape of a user, which record values embed, is defined here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AppState",
    "DatabaseState",
    "RecordState",
    "TableState",
    "TokenState",
    "UserState",
    "ViewState",
    "WorkspaceState",
]


@dataclass
class UserState:
    """A workspace member: what USER fields point at and what CREATED_BY reports."""

    id: str
    email: str
    full_name: str

    def as_api(self) -> dict[str, Any]:
        """The read shape of a USER / CREATED_BY value."""
        return {"id": self.id, "email": self.email, "fullName": self.full_name}


@dataclass
class WorkspaceState:
    id: str
    name: str
    created_at: str
    member_ids: list[str] = field(default_factory=list)


@dataclass
class TokenState:
    """A personal access token; ``id`` is what logs show, ``secret`` is what clients send."""

    id: str
    secret: str
    name: str
    user_id: str
    workspace_ids: tuple[str, ...]
    created_at: str


@dataclass(eq=False)
class RecordState:
    """One record. ``values`` holds stored forms keyed by field id, never empty values."""

    id: str
    seq: int
    values: dict[str, Any]
    created_at: str
    updated_at: str
    created_by: str | None
    updated_by: str | None
    autonumber: int


@dataclass
class ViewState:
    id: str
    table_id: str
    name: str
    description: str | None
    filter: Any
    sorting: list[Any]
    created_at: str
    updated_at: str


@dataclass(eq=False)
class TableState:
    id: str
    database_id: str
    name: str
    description: str | None
    primary_field_id: str
    default_view_id: str
    created_at: str
    updated_at: str
    seq: int
    autonumber: int
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    views: dict[str, ViewState] = field(default_factory=dict)
    #: Loaded from SQLite on first use; insertion order is creation order.
    records: dict[str, RecordState] | None = None
    #: Highest record ``seq`` ever issued for this table (persisted with the records).
    next_seq: int = 0
    #: Rows of the data file that could not be read as records: record id -> what is wrong.
    #: Their ids stay taken; they are reported, not served, and can be deleted.
    damaged: dict[str, str] = field(default_factory=dict)
    #: Whether ``records`` (in creation order) also stand in ``created_at`` order: only a clock
    #: set back breaks it. Pages sorted by ``created_at`` ascending are then plain slices.
    created_sorted: bool = True
    #: Selections kept for searches (see :mod:`.select`): request key -> ``select.Kept``.
    selections: dict[Any, Any] = field(default_factory=dict)

    def field_by_name(self, name: str) -> dict[str, Any] | None:
        for definition in self.fields.values():
            if definition["name"] == name:
                return definition
        return None


@dataclass(eq=False)
class DatabaseState:
    id: str
    workspace_id: str
    name: str
    description: str | None
    created_at: str
    updated_at: str
    seq: int
    tables: dict[str, TableState] = field(default_factory=dict)


@dataclass
class AppState:
    """A published Softr app, known by its domain; its end users live in ``users``."""

    domain: str
    workspace_id: str
    created_at: str
    #: lower-cased email -> user dict (``email``, ``full_name``, ``status``, timestamps).
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
