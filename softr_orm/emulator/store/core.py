"""The store: :class:`Store`, every change to the emulator's data, over SQLite and memory.

The store knows Softr's data model but not HTTP, so any API face can sit on it. All state
changes happen under ``Store.lock`` (one re-entrant lock): the in-memory objects and the SQLite
rows are changed in the same locked section, inside one SQLite transaction, which keeps them
coherent for a threaded server. Readers take the same lock while they assemble an answer.

:class:`Store` adds the changes of identities, databases, tables and views to the lookups of
:class:`~.catalog.Catalog`; field changes live in :mod:`.fieldops` (``store.fields``), record
writes in :mod:`.records` (``store.records``), reading in :mod:`.reader`, app end users in
:mod:`.appusers`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any

from .catalog import DEFAULT_APP_DOMAIN, Catalog
from .errors import StoreError, bad_request, not_found
from .fieldops import FieldOps
from .records import Records
from .state import (
    AppState,
    DatabaseState,
    TableState,
    TokenState,
    UserState,
    ViewState,
    WorkspaceState,
)

__all__ = ["DEFAULT_APP_DOMAIN", "Store"]

_NAME_MAX = 255


def _name(body: Mapping[str, Any], *, required: bool, what: str) -> str | None:
    value = body.get("name")
    if value is None:
        if required:
            raise bad_request(f"'name' is required to create a {what}")
        return None
    if not isinstance(value, str) or not value.strip():
        raise bad_request("'name' must be a non-empty string")
    if len(value) > _NAME_MAX:
        raise bad_request(f"'name' is longer than {_NAME_MAX} characters")
    return value.strip()


def _description(body: Mapping[str, Any]) -> str | None:
    value = body.get("description")
    if value is not None and not isinstance(value, str):
        raise bad_request("'description' must be a string")
    return value


class Store(Catalog):
    """All emulator data: ``Store(data)`` with a SQLite path (``":memory:"`` for tests); the
    arguments are :class:`~.catalog.Catalog`'s.

    Raises:
        DataFileError: the file exists but is no healthy emulator data file.
    """

    @cached_property
    def fields(self) -> FieldOps:
        """Adding, changing and deleting fields."""
        return FieldOps(self)

    @cached_property
    def records(self) -> Records:
        """Creating, updating and deleting records."""
        return Records(self)

    def reset(self) -> None:
        """Forget every database, table, record and app end user; keep tokens and workspaces."""
        with self.lock, self.persist.transaction():
            self.persist.wipe_content()
            self.databases.clear()
            for app in self.apps.values():
                app.users.clear()

    # --- identities -------------------------------------------------------------------------

    def create_token(
        self, workspace_ids: Iterable[str], *, name: str = "token", user_id: str | None = None
    ) -> TokenState:
        """A new API key reaching the given workspaces (owned by their first member)."""
        with self.lock:
            ids = list(workspace_ids)
            for ws_id in ids:
                if ws_id not in self.workspaces:
                    raise not_found("Workspace", ws_id)
            if user_id is None:
                members = [m for ws in ids for m in self.workspaces[ws].member_ids]
                user_id = members[0] if members else self.default_token.user_id
            with self.persist.transaction():
                return self._new_token(ids, name, user_id)

    def create_workspace(self, name: str, *, owner_id: str | None = None) -> WorkspaceState:
        """A new workspace; the default token's user becomes its first member."""
        with self.lock, self.persist.transaction():
            workspace = WorkspaceState(
                id=self.unique_id(self.ids.uuid4, self.workspaces), name=name, created_at=self.now()
            )
            workspace.member_ids.append(owner_id or self.default_token.user_id)
            self.workspaces[workspace.id] = workspace
            self.persist.save_workspace(workspace)
            return workspace

    def add_member(self, workspace_id: str, email: str, full_name: str) -> UserState:
        """Add (or find) a collaborator: USER fields accept workspace members only."""
        with self.lock:
            workspace = self.workspaces.get(workspace_id)
            if workspace is None:
                raise not_found("Workspace", workspace_id)
            user = next((u for u in self.users.values() if u.email.lower() == email.lower()), None)
            with self.persist.transaction():
                if user is None:
                    user = UserState(
                        id=self.unique_id(self.ids.uuid4, self.users),
                        email=email,
                        full_name=full_name,
                    )
                    self.users[user.id] = user
                    self.persist.save_user(user)
                if user.id not in workspace.member_ids:
                    workspace.member_ids.append(user.id)
                    self.persist.save_workspace(workspace)
            return user

    # --- databases --------------------------------------------------------------------------

    def create_database(
        self, body: Mapping[str, Any], *, database_id: str | None = None, seq: int | None = None
    ) -> DatabaseState:
        """Create a database from a createDatabase body (``workspaceId``, ``name``, ...).

        ``database_id`` and ``seq`` pin its id and its sequence number (the integer id the
        Baserow face shows) instead of drawing them."""
        with self.lock:
            name = _name(body, required=True, what="database") or ""
            workspace_id = body.get("workspaceId")
            if not isinstance(workspace_id, str) or not workspace_id:
                raise bad_request("'workspaceId' is required")
            if workspace_id not in self.workspaces:
                raise not_found("Workspace", workspace_id)
            if database_id is not None and database_id in self.databases:
                raise StoreError("CONSTRAINT_VIOLATION", f"database '{database_id}' already exists")
            now = self.now()
            db = DatabaseState(
                id=database_id or self.unique_id(self.ids.uuid4, self.databases),
                workspace_id=workspace_id,
                name=name,
                description=_description(body),
                created_at=now,
                updated_at=now,
                seq=self._pinned_seq(seq, (d.seq for d in self.databases.values())),
            )
            with self.persist.transaction():
                self.databases[db.id] = db
                self.persist.save_database(db)
            return db

    def _pinned_seq(self, seq: int | None, used: Iterable[int]) -> int:
        """``seq`` if given and free among ``used`` (the counter then stays above it), else the
        next number of the counter."""
        if seq is None:
            return self.next_seq()
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1 or seq in set(used):
            raise StoreError("CONSTRAINT_VIOLATION", f"sequence number {seq!r} is not free")
        self._seq = max(self._seq, seq)
        return seq

    def update_database(self, database_id: str, body: Mapping[str, Any]) -> DatabaseState:
        with self.lock:
            db = self.database(database_id)
            name = _name(body, required=False, what="database")
            if name is not None:
                db.name = name
            if "description" in body:
                db.description = _description(body)
            db.updated_at = self.now()
            with self.persist.transaction():
                self.persist.save_database(db)
            return db

    def delete_database(self, database_id: str, *, force: bool) -> None:
        with self.lock:
            db = self.database(database_id)
            if db.tables and not force:
                raise bad_request(
                    f"database '{database_id}' still has {len(db.tables)} table(s);"
                    " pass force=true to delete it with its tables"
                )
            with self.persist.transaction():
                self.persist.delete_database(db.id, list(db.tables))
                del self.databases[db.id]

    # --- tables -----------------------------------------------------------------------------

    def create_table(
        self,
        database_id: str,
        body: Mapping[str, Any],
        *,
        table_id: str | None = None,
        field_ids: Mapping[str, str] | None = None,
        seq: int | None = None,
    ) -> TableState:
        """Create a table from a createTable body; the first field (or ``primaryFieldName``)
        becomes the primary field. Fields are added one by one, so a failure leaves no table.

        ``table_id``, ``field_ids`` (field name -> id) and ``seq`` pin ids instead of drawing
        them, for tables that must match a model's declared ids (``Emulator.create_tables_for``).
        """
        with self.lock:
            db = self.database(database_id)
            name = _name(body, required=False, what="table") or "Untitled table"
            fields = body.get("fields") or []
            if not isinstance(fields, list):
                raise bad_request("'fields' must be an array")
            primary_name = body.get("primaryFieldName")
            if primary_name is not None and (
                not isinstance(primary_name, str) or not primary_name.strip()
            ):
                raise bad_request("'primaryFieldName' must be a non-empty string")
            definitions = [dict(f) if isinstance(f, Mapping) else f for f in fields]
            if primary_name is None and not definitions:
                primary_name = "Name"
            if primary_name is not None and not any(
                isinstance(d, dict) and d.get("name") == primary_name for d in definitions
            ):
                definitions.insert(0, {"name": primary_name, "type": "SINGLE_LINE_TEXT"})
            taken = {t for d in self.databases.values() for t in d.tables}
            if table_id is not None and table_id in taken:
                raise StoreError("CONSTRAINT_VIOLATION", f"table '{table_id}' already exists")
            now = self.now()
            table = TableState(
                id=table_id or self.unique_id(self.ids.table_id, taken),
                database_id=db.id,
                name=name,
                description=_description(body),
                primary_field_id="",
                default_view_id="",
                created_at=now,
                updated_at=now,
                seq=0,  # set below
                autonumber=0,
                records={},
            )
            table.seq = self._pinned_seq(
                seq, (t.seq for d in self.databases.values() for t in d.tables.values())
            )
            view = ViewState(
                id=self.ids.table_id(),
                table_id=table.id,
                name="All records",
                description=None,
                filter=None,
                sorting=[],
                created_at=now,
                updated_at=now,
            )
            table.views[view.id] = view
            table.default_view_id = view.id
            with self.persist.transaction():
                db.tables[table.id] = table
                try:
                    for definition in definitions:
                        pinned = None
                        if field_ids and isinstance(definition, dict):
                            pinned = field_ids.get(str(definition.get("name")))
                        created = self.fields.add(table, definition, save=False, field_id=pinned)
                        if not table.primary_field_id and (
                            primary_name is None or created["name"] == primary_name
                        ):
                            table.primary_field_id = created["id"]
                    self.persist.save_table(table)
                    db.updated_at = now
                    self.persist.save_database(db)
                except BaseException:
                    del db.tables[table.id]
                    raise
            return table

    def update_table(self, database_id: str, table_id: str, body: Mapping[str, Any]) -> TableState:
        with self.lock:
            table = self.table(database_id, table_id)
            name = _name(body, required=False, what="table")
            if name is not None:
                table.name = name
            if "description" in body:
                table.description = _description(body)
            table.updated_at = self.now()
            with self.persist.transaction():
                self.persist.save_table(table)
            return table

    def delete_table(self, database_id: str, table_id: str, *, force: bool) -> None:
        with self.lock:
            db = self.database(database_id)
            table = self.table(database_id, table_id)
            count = len(self.records_of(table)) + len(table.damaged)
            if count and not force:
                raise bad_request(
                    f"table '{table_id}' still has {count} record(s);"
                    " pass force=true to delete it with its records"
                )
            with self.persist.transaction():
                for other in db.tables.values():
                    if other is table:
                        continue
                    changed = False
                    for definition in other.fields.values():
                        options = definition["options"]
                        if (
                            definition["type"] == "LINKED_RECORD"
                            and options.get("linkedTableId") == table.id
                        ):
                            options["inverseLinkFieldId"] = None
                            options["isValid"] = False
                            changed = True
                    if changed:
                        self.persist.save_table(other)
                self.persist.delete_table(table.id)
                del db.tables[table.id]

    # --- views ------------------------------------------------------------------------------

    def add_view(
        self,
        table: TableState,
        name: str,
        *,
        filter: Any = None,
        sorting: list[Any] | None = None,
        description: str | None = None,
    ) -> ViewState:
        """A saved view (emulator-only: Softr's API cannot create views).

        ``filter`` is a search-body ``filter`` object (``{"condition": ...}``) and ``sorting``
        a search-body ``sorting`` list; GET records with ``viewId`` applies both.
        """
        with self.lock:
            now = self.now()
            view = ViewState(
                id=self.unique_id(self.ids.table_id, table.views),
                table_id=table.id,
                name=name,
                description=description,
                filter=filter,
                sorting=list(sorting or []),
                created_at=now,
                updated_at=now,
            )
            table.views[view.id] = view
            with self.persist.transaction():
                self.persist.save_table(table)
            return view

    # --- apps -------------------------------------------------------------------------------

    def create_app(self, domain: str, workspace_id: str | None = None) -> AppState:
        """Register a published app by domain (idempotent for the same workspace)."""
        with self.lock:
            domain = domain.strip().lower()
            if not domain:
                raise bad_request("an app needs a domain")
            workspace_id = workspace_id or self.default_token.workspace_ids[0]
            if workspace_id not in self.workspaces:
                raise not_found("Workspace", workspace_id)
            existing = self.apps.get(domain)
            if existing is not None:
                if existing.workspace_id != workspace_id:
                    raise StoreError(
                        "CONSTRAINT_VIOLATION", f"app domain '{domain}' is already taken"
                    )
                return existing
            app = AppState(domain=domain, workspace_id=workspace_id, created_at=self.now())
            with self.persist.transaction():
                self.apps[domain] = app
                self.persist.save_app(app)
            return app
