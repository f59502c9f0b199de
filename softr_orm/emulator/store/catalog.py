"""What the store holds, and how to find it: :class:`Catalog`.

The catalog owns the in-memory state (identities, databases with their tables, fields and
views, apps, and each table's records once loaded), the SQLite persistence, the one re-entrant
lock every change and every read takes, the id generator and the clock. It answers lookups
(``database()``, ``table()``, ``records_of()``...) and loads or bootstraps the data file; the
changes themselves live above it (:mod:`.core`, :mod:`.records`, :mod:`.fieldops`,
:mod:`.appusers`), which is what lets those modules depend on it and not on each other.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .errors import not_found
from .ids import IdFactory
from .persist import SCHEMA_VERSION, Persistence
from .state import (
    AppState,
    DatabaseState,
    RecordState,
    TableState,
    TokenState,
    UserState,
    ViewState,
    WorkspaceState,
)
from .timestamps import format_instant

__all__ = ["DEFAULT_APP_DOMAIN", "Catalog"]

#: The app every new store knows, so the Users API works out of the box.
DEFAULT_APP_DOMAIN = "demo.softr.app"


class Catalog:
    """The store's state and lookups (see the module docstring).

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
        self.persist = Persistence(data, on_failure=self._reload)
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

    def _reload(self) -> None:
        """Forget memory and read the file again: after SQLite refused a change (disk full, I/O
        error), whatever the change had already done to the in-memory objects is undone, so
        that the store never shows what the file does not hold. Records are read back lazily.
        """
        with self.lock:
            self.users, self.workspaces, self.tokens, self._tokens_by_secret = {}, {}, {}, {}
            self.databases, self.apps = {}, {}
            self._load()

    def close(self) -> None:
        with self.lock:
            self.persist.close()

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

    def members(self, workspace_id: str) -> list[UserState]:
        workspace = self.workspaces.get(workspace_id)
        if workspace is None:
            return []
        return [self.users[m] for m in workspace.member_ids if m in self.users]

    # --- databases, tables, views, records --------------------------------------------------

    def database(self, database_id: str) -> DatabaseState:
        db = self.databases.get(database_id)
        if db is None:
            raise not_found("Database", database_id)
        return db

    def list_databases(self, workspace_ids: Iterable[str]) -> list[DatabaseState]:
        allowed = set(workspace_ids)
        return [db for db in self.databases.values() if db.workspace_id in allowed]

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

    def view(self, table: TableState, view_id: str) -> ViewState:
        view = table.views.get(view_id)
        if view is None:
            raise not_found("View", view_id)
        return view

    def records_of(self, table: TableState) -> dict[str, RecordState]:
        """The table's records in creation order (loaded from SQLite on first use)."""
        if table.records is None:
            with self.lock:
                if table.records is None:
                    table.records = self.persist.load_records(table.id)
        return table.records
