"""The emulator's store: identities, databases, tables and views over SQLite + memory.

The store knows Softr's data model but not HTTP, so another API face could sit on it. All state
changes happen under ``Store.lock`` (one re-entrant lock): the in-memory objects and the SQLite
rows are changed in the same locked section, inside one SQLite transaction, which keeps them
coherent for the threaded server. Reads take the same lock while they assemble an answer.

Field changes live in :mod:`.fieldops`, records in :mod:`.records`, computed values in
:mod:`.computed`, app end users in :mod:`.appusers`.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .errors import ApiError, bad_request, not_found
from .persist import SCHEMA_VERSION, Persistence
from .state import (
    AppState,
    DatabaseState,
    TableState,
    TokenState,
    UserState,
    ViewState,
    WorkspaceState,
)
from .wire import IdFactory, format_instant

__all__ = ["DEFAULT_APP_DOMAIN", "Store"]

#: The app every new store knows, so the Users API works out of the box.
DEFAULT_APP_DOMAIN = "demo.softr.app"
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


class Store:
    """All emulator data. Construct with a SQLite path (``":memory:"`` for tests).

    Args:
        data: SQLite file path, or ``":memory:"``.
        id_seed: seeds the id generator, making ids reproducible (new ids are still checked
            for uniqueness, so a re-seeded generator on an old file cannot collide).
        clock: returns the current time (aware); defaults to the system clock.
    """

    def __init__(
        self,
        data: str = ":memory:",
        *,
        id_seed: int | str | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.ids = IdFactory(id_seed)
        self.persist = Persistence(data)
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        #: Set by the admin "now" route: relative dates and new timestamps use it.
        self.now_override: dt.datetime | None = None
        self.users: dict[str, UserState] = {}
        self.workspaces: dict[str, WorkspaceState] = {}
        self.tokens: dict[str, TokenState] = {}
        self._tokens_by_secret: dict[str, TokenState] = {}
        self.databases: dict[str, DatabaseState] = {}
        self.apps: dict[str, AppState] = {}
        self._seq = 0
        with self.lock:
            self._load()
        from .fieldops import FieldOps
        from .records import Records

        self.fields = FieldOps(self)
        self.records = Records(self)

    # --- lifecycle --------------------------------------------------------------------------

    def _load(self) -> None:
        users, workspaces, tokens = self.persist.load_identities()
        self.users = {user.id: user for user in users}
        self.workspaces = {ws.id: ws for ws in workspaces}
        for token in tokens:
            self._index_token(token)
        self.databases = {db.id: db for db in self.persist.load_schema()}
        self._seq = max(
            [db.seq for db in self.databases.values()]
            + [t.seq for db in self.databases.values() for t in db.tables.values()]
            + [0]
        )
        self.apps = {app.domain: app for app in self.persist.load_apps()}
        if self.persist.get_meta("schema_version") is None:
            self._bootstrap()
        self.admin_token = self.persist.get_meta("admin_token") or ""
        self.default_token = self.tokens[self.persist.get_meta("default_token_id") or ""]
        self.jwt_secret = bytes.fromhex(self.persist.get_meta("jwt_secret") or "")

    def _bootstrap(self) -> None:
        now = self.now()
        with self.persist.transaction():
            owner = UserState(id=self.ids.uuid4(), email="owner@example.com", full_name="Emu Owner")
            self.users[owner.id] = owner
            self.persist.save_user(owner)
            workspace = WorkspaceState(
                id=self.ids.uuid4(), name="Emulator workspace", created_at=now
            )
            workspace.member_ids.append(owner.id)
            self.workspaces[workspace.id] = workspace
            self.persist.save_workspace(workspace)
            token = self._new_token([workspace.id], "default", owner.id)
            app = AppState(domain=DEFAULT_APP_DOMAIN, workspace_id=workspace.id, created_at=now)
            self.apps[app.domain] = app
            self.persist.save_app(app)
            self.persist.set_meta("default_token_id", token.id)
            self.persist.set_meta("admin_token", "emu_admin_" + secrets.token_urlsafe(24))
            self.persist.set_meta("jwt_secret", secrets.token_hex(32))
            self.persist.set_meta("schema_version", SCHEMA_VERSION)

    def close(self) -> None:
        with self.lock:
            self.persist.close()

    def reset(self) -> None:
        """Forget every database, table, record and app end user; keep tokens and workspaces."""
        with self.lock, self.persist.transaction():
            self.persist.wipe_content()
            self.databases.clear()
            for app in self.apps.values():
                app.users.clear()

    # --- time and ids -----------------------------------------------------------------------

    def now_dt(self) -> dt.datetime:
        return self.now_override or self._clock()

    def now(self) -> str:
        return format_instant(self.now_dt())

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def unique_id(self, make: Callable[[], str], taken: Iterable[str] | Mapping[str, Any]) -> str:
        """A fresh id from ``make`` that is not in ``taken``."""
        taken_set = taken if isinstance(taken, (set, dict)) else set(taken)
        while True:
            candidate = make()
            if candidate not in taken_set:
                return candidate

    # --- identities -------------------------------------------------------------------------

    def _index_token(self, token: TokenState) -> None:
        self.tokens[token.id] = token
        self._tokens_by_secret[token.secret] = token

    def _new_token(self, workspace_ids: Iterable[str], name: str, user_id: str) -> TokenState:
        token = TokenState(
            id=self.unique_id(lambda: "tok_" + self.ids.alnum(10), self.tokens),
            secret="emu_" + secrets.token_urlsafe(30),
            name=name,
            user_id=user_id,
            workspace_ids=tuple(workspace_ids),
            created_at=self.now(),
        )
        self._index_token(token)
        self.persist.save_token(token)
        return token

    def token_for_secret(self, secret: str) -> TokenState | None:
        return self._tokens_by_secret.get(secret)

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

    def members(self, workspace_id: str) -> list[UserState]:
        workspace = self.workspaces.get(workspace_id)
        if workspace is None:
            return []
        return [self.users[m] for m in workspace.member_ids if m in self.users]

    # --- databases --------------------------------------------------------------------------

    def database(self, database_id: str) -> DatabaseState:
        db = self.databases.get(database_id)
        if db is None:
            raise not_found("Database", database_id)
        return db

    def list_databases(self, workspace_ids: Iterable[str]) -> list[DatabaseState]:
        allowed = set(workspace_ids)
        return [db for db in self.databases.values() if db.workspace_id in allowed]

    def create_database(
        self, body: Mapping[str, Any], *, database_id: str | None = None
    ) -> DatabaseState:
        """Create a database from a createDatabase body (``workspaceId``, ``name``, ...)."""
        with self.lock:
            name = _name(body, required=True, what="database") or ""
            workspace_id = body.get("workspaceId")
            if not isinstance(workspace_id, str) or not workspace_id:
                raise bad_request("'workspaceId' is required")
            if workspace_id not in self.workspaces:
                raise not_found("Workspace", workspace_id)
            if database_id is not None and database_id in self.databases:
                raise ApiError("CONSTRAINT_VIOLATION", f"database '{database_id}' already exists")
            now = self.now()
            db = DatabaseState(
                id=database_id or self.unique_id(self.ids.uuid4, self.databases),
                workspace_id=workspace_id,
                name=name,
                description=_description(body),
                created_at=now,
                updated_at=now,
                seq=self.next_seq(),
            )
            with self.persist.transaction():
                self.databases[db.id] = db
                self.persist.save_database(db)
            return db

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

    def table(self, database_id: str, table_id: str) -> TableState:
        db = self.database(database_id)
        table = db.tables.get(table_id)
        if table is None:
            raise not_found("Table", table_id)
        return table

    def find_table(self, table_id: str) -> TableState | None:
        """A table by id in any database (link targets are resolved this way)."""
        for db in self.databases.values():
            if table_id in db.tables:
                return db.tables[table_id]
        return None

    def create_table(self, database_id: str, body: Mapping[str, Any]) -> TableState:
        """Create a table from a createTable body; the first field (or ``primaryFieldName``)
        becomes the primary field. Fields are added one by one, so a failure leaves no table.
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
            now = self.now()
            table = TableState(
                id=self.unique_id(self.ids.table_id, taken),
                database_id=db.id,
                name=name,
                description=_description(body),
                primary_field_id="",
                default_view_id="",
                created_at=now,
                updated_at=now,
                seq=self.next_seq(),
                autonumber=0,
                records={},
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
                        created = self.fields.add(table, definition, save=False)
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
            count = len(self.records.all(table))
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

    def view(self, table: TableState, view_id: str) -> ViewState:
        view = table.views.get(view_id)
        if view is None:
            raise not_found("View", view_id)
        return view

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
                    raise ApiError(
                        "CONSTRAINT_VIOLATION", f"app domain '{domain}' is already taken"
                    )
                return existing
            app = AppState(domain=domain, workspace_id=workspace_id, created_at=self.now())
            with self.persist.transaction():
                self.apps[domain] = app
                self.persist.save_app(app)
            return app
