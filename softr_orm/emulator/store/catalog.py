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
import itertools
import logging
import secrets
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .datafile import DataFileError
from .errors import StoreError, not_found
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
from .values import stored_value_problem

__all__ = ["DEFAULT_APP_DOMAIN", "Catalog"]

#: The app every new store knows, so the Users API works out of the box.
DEFAULT_APP_DOMAIN = "demo.softr.app"

log = logging.getLogger("softr_orm.emulator")
#: How many committed changes the journal remembers (see :meth:`Catalog.changes_since`).
JOURNAL_LENGTH = 512
_META_KEYS = ("schema_version", "admin_token", "default_token_id", "jwt_secret")


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
        #: Moves on with every committed change (and every reload): what was computed from the
        #: data at one version is valid exactly as long as the version stays.
        self.version = 0
        #: (version, record ids changed by that commit per table id, or None when it may have
        #: changed anything: a schema change, a reload, a write that noted nothing).
        self._journal: deque[tuple[int, dict[str, set[str]] | None]] = deque(maxlen=JOURNAL_LENGTH)
        self._noted: dict[str, set[str]] = {}
        self._noted_all = False
        self.persist = Persistence(data, on_failure=self._reload, on_commit=self._committed)
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
        #: Every record row found damaged so far (tables are read lazily): table id, record
        #: id, what is wrong. Shown by the admin health route.
        self.damaged: list[dict[str, str]] = []
        with self.lock:
            try:
                self._load()
            except DataFileError:
                self.persist.close()
                raise
            except (sqlite3.DatabaseError, ValueError, TypeError, KeyError) as exc:
                self.persist.close()
                raise DataFileError(data, f"has a damaged row outside records ({exc!r})") from exc

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
        meta = {key: self.persist.get_meta(key) for key in _META_KEYS}
        if not any(meta.values()) and not self.persist.has_content():
            self._bootstrap()  # a new file (or one whose first start never finished)
            meta = {key: self.persist.get_meta(key) for key in _META_KEYS}
        self._check_meta(meta)
        self.admin_token = meta["admin_token"] or ""
        self.default_token = self.tokens[meta["default_token_id"] or ""]
        self.jwt_secret = bytes.fromhex(meta["jwt_secret"] or "")

    def _check_meta(self, meta: Mapping[str, str | None]) -> None:
        """Refuse a file whose metadata is missing or foreign: never bootstrap over data."""
        path = self.persist.path
        missing = [key for key, value in meta.items() if not value]
        if missing:
            raise DataFileError(
                path,
                f"holds data but its emulator metadata is missing or incomplete"
                f" ({', '.join(missing)} not in its meta table)",
            )
        if meta["schema_version"] != SCHEMA_VERSION:
            raise DataFileError(
                path,
                f"has schema version {meta['schema_version']!r}, which this emulator does not"
                f" know (it writes {SCHEMA_VERSION!r})",
                "open it with the softr-orm version that wrote it",
            )
        if meta["default_token_id"] not in self.tokens:
            raise DataFileError(path, "names a default API key that is not in its tokens table")
        try:
            bytes.fromhex(meta["jwt_secret"] or "")
        except ValueError:
            raise DataFileError(path, "has a JWT secret that is not hexadecimal") from None

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

    def _committed(self) -> None:
        self.version += 1
        noted = None if self._noted_all or not self._noted else self._noted
        self._journal.append((self.version, noted))
        self._noted, self._noted_all = {}, False

    def note_records(self, table_id: str, record_ids: Iterable[str]) -> None:
        """Record writes of the open transaction: only these records of the table changed."""
        self._noted.setdefault(table_id, set()).update(record_ids)

    def note_schema(self) -> None:
        """The open transaction changes more than records (a field's choices, say)."""
        self._noted_all = True

    def changes_since(self, version: int, table_id: str) -> set[str] | None:
        """The ids of the table's records that commits after ``version`` changed (created,
        updated, deleted), or None when that cannot be told: a commit changed something else,
        or the journal no longer reaches back that far."""
        if version == self.version:
            return set()
        if (
            not self._journal
            or self._journal[0][0] > version + 1
            or self._journal[-1][0] != self.version  # every version has its entry
        ):
            return None
        changed: set[str] = set()
        for committed, noted in self._journal:
            if committed <= version:
                continue
            if noted is None:
                return None
            changed |= noted.get(table_id, set())
        return changed

    def _reload(self) -> None:
        """Forget memory and read the file again: after SQLite refused a change (disk full, I/O
        error), whatever the change had already done to the in-memory objects is undone, so
        that the store never shows what the file does not hold. Records are read back lazily.
        """
        with self.lock:
            self.version += 1
            self._journal.append((self.version, None))
            self._noted, self._noted_all = {}, False
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
        """The table's records in creation order (loaded from SQLite on first use).

        Rows that cannot be read (malformed columns or JSON, a value of the wrong shape for its
        field) are kept aside in ``table.damaged`` and logged once, so that one bad row costs
        one record, not the table.
        """
        if table.records is None:
            with self.lock:
                if table.records is None:
                    records, damaged = self.persist.load_records(table.id)
                    for rec in list(records.values()):
                        for field_id, value in rec.values.items():
                            definition = table.fields.get(field_id)
                            problem = definition and stored_value_problem(definition, value)
                            if problem:
                                damaged[rec.id] = problem
                                del records[rec.id]
                                break
                    for record_id, problem in damaged.items():
                        self._report_damaged(table, record_id, problem)
                    table.damaged = damaged
                    stamps = [rec.created_at for rec in records.values()]
                    table.created_sorted = all(a <= b for a, b in itertools.pairwise(stamps))
                    table.records = records
        return table.records

    def _report_damaged(self, table: TableState, record_id: str, problem: str) -> None:
        self.damaged.append({"tableId": table.id, "recordId": record_id, "problem": problem})
        log.warning(
            "data file %r: record %r of table %r (%s) is damaged and not served: %s",
            self.persist.path,
            record_id,
            table.name,
            table.id,
            problem,
        )

    def damaged_record(self, table: TableState, record_id: str) -> StoreError:
        """The error for a request naming a record the store could not read."""
        return StoreError(
            "INTERNAL_SERVER_ERROR",
            f"record '{record_id}' is damaged in the emulator's data file and cannot be served"
            f" ({table.damaged[record_id]}); delete it, or repair the file",
            {"recordId": record_id, "damaged": True},
        )
