"""One request to the Baserow face, as its handlers see it (:class:`Call`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from werkzeug.wrappers import Request

from ..store.core import Store
from ..store.state import DatabaseState, TableState, TokenState
from .errors import BaserowError
from .fields import baserow_type, visible_fields
from .ids import RowIndex, int_id
from .reading import RowReader
from .writing import Writer

__all__ = ["Call", "flag"]

_TRUTHY = {"y", "yes", "t", "true", "on", "1"}


def flag(request: Request, name: str) -> bool:
    """A boolean query flag as Baserow reads it: truthy words, or present with no value."""
    if name not in request.args:
        return False
    value = request.args.get(name, "").strip().lower()
    return value == "" or value in _TRUTHY


@dataclass
class Call:
    """The request, its token, and the store helpers (used under ``store.lock``)."""

    store: Store
    request: Request
    token: TokenState
    rows: RowIndex
    #: signed in with a JWT (the token is then the user's workspaces: :func:`.auth.user_scope`)
    jwt: bool = False

    @property
    def by_name(self) -> bool:
        return flag(self.request, "user_field_names")

    def reader(self) -> RowReader:
        return RowReader(self.store)

    def writer(self) -> Writer:
        return Writer(self.store, self.rows)

    def table(self, table_id: int) -> tuple[DatabaseState, TableState]:
        """The table by its integer id; 404, or 401 when the token's workspaces lack it (400
        ``ERROR_USER_NOT_IN_GROUP`` for a JWT's user)."""
        for db in self.store.databases.values():
            for table in db.tables.values():
                if table.seq == table_id:
                    if db.workspace_id not in self.token.workspace_ids and self.jwt:
                        raise BaserowError(
                            400,
                            "ERROR_USER_NOT_IN_GROUP",
                            "The user doesn't belong to the workspace.",
                        )
                    if db.workspace_id not in self.token.workspace_ids:
                        raise BaserowError(
                            401,
                            "ERROR_NO_PERMISSION_TO_TABLE",
                            "The token does not have permissions to the table.",
                        )
                    return db, table
        raise BaserowError(404, "ERROR_TABLE_DOES_NOT_EXIST", "The requested table does not exist.")

    def json_body(self) -> Any:
        """The JSON body (DRF's parsers: 415 for another type, 400 for malformed JSON)."""
        mimetype = self.request.mimetype
        raw = self.request.get_data(cache=True)
        if mimetype and mimetype != "application/json":
            raise BaserowError(415, None, f'Unsupported media type "{mimetype}" in request.')
        if not raw:
            return {}
        try:
            return json.loads(raw, parse_float=Decimal)
        except ValueError as error:
            raise BaserowError(400, None, f"JSON parse error - {error}") from None

    def field_for(self, table: TableState, ref: Any) -> tuple[dict[str, Any], str] | None:
        """A field named by a filter's ``field`` (an integer id, or a name with names on)."""
        for definition in visible_fields(table):
            if self.by_name:
                if definition["name"] == ref:
                    return definition, baserow_type(definition) or ""
            elif (
                isinstance(ref, int)
                and not isinstance(ref, bool)
                and int_id(definition["id"]) == ref
            ):
                return definition, baserow_type(definition) or ""
        return None
