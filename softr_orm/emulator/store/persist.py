"""SQLite persistence: the rows behind the store's in-memory state.

One connection, used only while the store's lock is held (so ``check_same_thread`` is off), in
autocommit mode with explicit ``BEGIN IMMEDIATE`` / ``COMMIT`` around each write. Files use WAL
so a crash mid-write leaves the previous state intact. JSON columns go through the emulator's
own codec so numbers keep their exact text.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, NoReturn

from .datafile import DataFileError, check_file, check_open, is_memory
from .errors import StorageError
from .jsoncodec import dumps, loads
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

__all__ = ["Persistence"]

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, email TEXT NOT NULL, full_name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS workspaces (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL, member_ids TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY, secret TEXT NOT NULL UNIQUE, name TEXT NOT NULL, user_id TEXT NOT NULL,
    workspace_ids TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS databases (
    id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, name TEXT NOT NULL, description TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tables (
    id TEXT PRIMARY KEY, database_id TEXT NOT NULL, name TEXT NOT NULL, description TEXT,
    primary_field_id TEXT NOT NULL, default_view_id TEXT NOT NULL, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, seq INTEGER NOT NULL, autonumber INTEGER NOT NULL,
    next_seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS fields (
    table_id TEXT NOT NULL, id TEXT NOT NULL, position INTEGER NOT NULL, definition TEXT NOT NULL,
    PRIMARY KEY (table_id, id));
CREATE TABLE IF NOT EXISTS views (
    table_id TEXT NOT NULL, id TEXT NOT NULL, position INTEGER NOT NULL, name TEXT NOT NULL,
    description TEXT, filter TEXT NOT NULL, sorting TEXT NOT NULL, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, PRIMARY KEY (table_id, id));
CREATE TABLE IF NOT EXISTS records (
    table_id TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, created_by TEXT, updated_by TEXT,
    autonumber INTEGER NOT NULL, PRIMARY KEY (table_id, id));
CREATE INDEX IF NOT EXISTS records_by_seq ON records (table_id, seq);
CREATE TABLE IF NOT EXISTS apps (
    domain TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS app_users (
    domain TEXT NOT NULL, email_key TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (domain, email_key));
"""


def _row_problem(row: tuple[Any, ...]) -> str | None:
    """What is wrong with the plain columns of a records row, if anything."""
    record_id, seq, data, created_at, updated_at, created_by, updated_by, autonumber = row
    if not isinstance(record_id, str) or not record_id:
        return "its id is not a string"
    if not isinstance(seq, int) or not isinstance(autonumber, int):
        return "its sequence number or autonumber is not an integer"
    if not isinstance(data, (str, bytes)):
        return "its data is not text"
    if not isinstance(created_at, str) or not isinstance(updated_at, str):
        return "its timestamps are not text"
    if not all(user is None or isinstance(user, str) for user in (created_by, updated_by)):
        return "its creator or last editor is not a user id"
    return None


def _json(value: Any) -> str:
    return dumps(value).decode("ascii")


class Persistence:
    """Row-level reads and writes; knows SQL, not Softr."""

    def __init__(
        self,
        path: str,
        *,
        on_failure: Callable[[], None] | None = None,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self.path = path
        #: Called after every committed transaction (the store counts its versions with it).
        self.on_commit = on_commit
        #: Called (with the transaction rolled back) when SQLite refuses a write; the store
        #: uses it to bring its memory back to what the file holds.
        self.on_failure = on_failure
        #: Whether the file existed (and passed :mod:`.datafile`'s checks) before this store.
        self.existed = check_file(path)
        try:
            self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            raise DataFileError(
                path, f"cannot be opened (sqlite: {exc})", "check that its folder exists"
            ) from exc
        try:
            if self.existed:
                check_open(self.conn, path)
            if not is_memory(path):
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA busy_timeout=5000")
            self.conn.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise DataFileError(path, f"is damaged or not a database (sqlite: {exc})") from exc
        except DataFileError:
            self.conn.close()
            raise
        self._depth = 0

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction; nested uses join the outer one.

        Raises:
            StorageError: SQLite refused a statement or the commit (disk full, I/O error...).
                The transaction is rolled back and ``on_failure`` has run, so memory and file
                agree again; the caller's change did not happen.
        """
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StorageError(str(exc)) from exc
        self._depth = 1
        try:
            try:
                yield
            except sqlite3.Error as exc:
                self._failed(exc)
            except BaseException:
                self._rollback()
                raise
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._failed(exc)
            if self.on_commit is not None:
                self.on_commit()
        finally:
            self._depth = 0

    def _rollback(self) -> None:
        # SQLite may already have rolled back by itself (it does for SQLITE_FULL, SQLITE_IOERR,
        # SQLITE_NOMEM); a ROLLBACK then fails harmlessly.
        if self.conn.in_transaction:
            with suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")

    def _failed(self, exc: sqlite3.Error) -> NoReturn:
        self._rollback()
        self._depth = 0
        if self.on_failure is not None:
            self.on_failure()
        raise StorageError(str(exc)) from exc

    # --- meta -------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # --- identities -------------------------------------------------------------------------

    def save_user(self, user: UserState) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO users (id, email, full_name) VALUES (?, ?, ?)",
            (user.id, user.email, user.full_name),
        )

    def save_workspace(self, workspace: WorkspaceState) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO workspaces (id, name, created_at, member_ids) VALUES (?,?,?,?)",
            (workspace.id, workspace.name, workspace.created_at, _json(workspace.member_ids)),
        )

    def save_token(self, token: TokenState) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO tokens (id, secret, name, user_id, workspace_ids, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                token.id,
                token.secret,
                token.name,
                token.user_id,
                _json(list(token.workspace_ids)),
                token.created_at,
            ),
        )

    def load_identities(
        self,
    ) -> tuple[list[UserState], list[WorkspaceState], list[TokenState]]:
        users = [
            UserState(id=row[0], email=row[1], full_name=row[2])
            for row in self.conn.execute("SELECT id, email, full_name FROM users ORDER BY rowid")
        ]
        workspaces = [
            WorkspaceState(id=row[0], name=row[1], created_at=row[2], member_ids=loads(row[3]))
            for row in self.conn.execute(
                "SELECT id, name, created_at, member_ids FROM workspaces ORDER BY rowid"
            )
        ]
        tokens = [
            TokenState(
                id=row[0],
                secret=row[1],
                name=row[2],
                user_id=row[3],
                workspace_ids=tuple(loads(row[4])),
                created_at=row[5],
            )
            for row in self.conn.execute(
                "SELECT id, secret, name, user_id, workspace_ids, created_at FROM tokens"
                " ORDER BY rowid"
            )
        ]
        return users, workspaces, tokens

    # --- schema -----------------------------------------------------------------------------

    def save_database(self, db: DatabaseState) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO databases"
            " (id, workspace_id, name, description, created_at, updated_at, seq)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (db.id, db.workspace_id, db.name, db.description, db.created_at, db.updated_at, db.seq),
        )

    def delete_database(self, database_id: str, table_ids: Iterable[str]) -> None:
        for table_id in table_ids:
            self.delete_table(table_id)
        self.conn.execute("DELETE FROM databases WHERE id = ?", (database_id,))

    def save_table(self, table: TableState) -> None:
        """Write a table row with all its fields and views (small; rewritten whole)."""
        self.conn.execute(
            "INSERT OR REPLACE INTO tables (id, database_id, name, description, primary_field_id,"
            " default_view_id, created_at, updated_at, seq, autonumber, next_seq)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                table.id,
                table.database_id,
                table.name,
                table.description,
                table.primary_field_id,
                table.default_view_id,
                table.created_at,
                table.updated_at,
                table.seq,
                table.autonumber,
                table.next_seq,
            ),
        )
        self.conn.execute("DELETE FROM fields WHERE table_id = ?", (table.id,))
        self.conn.executemany(
            "INSERT INTO fields (table_id, id, position, definition) VALUES (?, ?, ?, ?)",
            [
                (table.id, field_id, position, _json(definition))
                for position, (field_id, definition) in enumerate(table.fields.items())
            ],
        )
        self.conn.execute("DELETE FROM views WHERE table_id = ?", (table.id,))
        self.conn.executemany(
            "INSERT INTO views (table_id, id, position, name, description, filter, sorting,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    table.id,
                    view.id,
                    position,
                    view.name,
                    view.description,
                    _json(view.filter),
                    _json(view.sorting),
                    view.created_at,
                    view.updated_at,
                )
                for position, view in enumerate(table.views.values())
            ],
        )

    def save_table_counters(self, table: TableState) -> None:
        self.conn.execute(
            "UPDATE tables SET autonumber = ?, next_seq = ?, updated_at = ? WHERE id = ?",
            (table.autonumber, table.next_seq, table.updated_at, table.id),
        )

    def delete_table(self, table_id: str) -> None:
        for sql in (
            "DELETE FROM records WHERE table_id = ?",
            "DELETE FROM fields WHERE table_id = ?",
            "DELETE FROM views WHERE table_id = ?",
            "DELETE FROM tables WHERE id = ?",
        ):
            self.conn.execute(sql, (table_id,))

    def load_schema(self) -> list[DatabaseState]:
        """Every database with its tables, fields and views (records stay on disk)."""
        databases: dict[str, DatabaseState] = {}
        for row in self.conn.execute(
            "SELECT id, workspace_id, name, description, created_at, updated_at, seq"
            " FROM databases ORDER BY seq"
        ):
            databases[row[0]] = DatabaseState(*row)
        tables: dict[str, TableState] = {}
        for row in self.conn.execute(
            "SELECT id, database_id, name, description, primary_field_id, default_view_id,"
            " created_at, updated_at, seq, autonumber, next_seq FROM tables ORDER BY seq"
        ):
            table = TableState(
                id=row[0],
                database_id=row[1],
                name=row[2],
                description=row[3],
                primary_field_id=row[4],
                default_view_id=row[5],
                created_at=row[6],
                updated_at=row[7],
                seq=row[8],
                autonumber=row[9],
                next_seq=row[10],
            )
            tables[table.id] = table
            if table.database_id in databases:
                databases[table.database_id].tables[table.id] = table
        for row in self.conn.execute(
            "SELECT table_id, id, definition FROM fields ORDER BY table_id, position"
        ):
            if row[0] in tables:
                tables[row[0]].fields[row[1]] = loads(row[2])
        for row in self.conn.execute(
            "SELECT table_id, id, name, description, filter, sorting, created_at, updated_at"
            " FROM views ORDER BY table_id, position"
        ):
            if row[0] in tables:
                tables[row[0]].views[row[1]] = ViewState(
                    id=row[1],
                    table_id=row[0],
                    name=row[2],
                    description=row[3],
                    filter=loads(row[4]),
                    sorting=loads(row[5]),
                    created_at=row[6],
                    updated_at=row[7],
                )
        return list(databases.values())

    # --- records ----------------------------------------------------------------------------

    def load_records(self, table_id: str) -> tuple[dict[str, RecordState], dict[str, str]]:
        """The table's records in creation order, and the rows that could not be read.

        A row whose columns or JSON are malformed does not stop the others: it comes back in
        the second mapping (record id -> what is wrong), so the store can report it and serve
        the rest of the table.
        """
        records: dict[str, RecordState] = {}
        damaged: dict[str, str] = {}
        for row in self.conn.execute(
            "SELECT id, seq, data, created_at, updated_at, created_by, updated_by, autonumber"
            " FROM records WHERE table_id = ? ORDER BY seq",
            (table_id,),
        ):
            record_id = str(row[0])
            problem = _row_problem(row)
            if problem is None:
                try:
                    values = loads(row[2])
                except ValueError as exc:
                    problem = f"its data is not JSON ({exc})"
                else:
                    if not isinstance(values, dict):
                        problem = "its data is not a JSON object"
            if problem is not None:
                damaged[record_id] = problem
                continue
            records[record_id] = RecordState(
                id=record_id,
                seq=row[1],
                values=values,
                created_at=row[3],
                updated_at=row[4],
                created_by=row[5],
                updated_by=row[6],
                autonumber=row[7],
            )
        return records, damaged

    def save_records(self, table_id: str, records: Iterable[RecordState]) -> None:
        self.conn.executemany(
            "INSERT OR REPLACE INTO records (table_id, id, seq, data, created_at, updated_at,"
            " created_by, updated_by, autonumber) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    table_id,
                    rec.id,
                    rec.seq,
                    _json(rec.values),
                    rec.created_at,
                    rec.updated_at,
                    rec.created_by,
                    rec.updated_by,
                    rec.autonumber,
                )
                for rec in records
            ],
        )

    def delete_record(self, table_id: str, record_id: str) -> None:
        self.conn.execute(
            "DELETE FROM records WHERE table_id = ? AND id = ?", (table_id, record_id)
        )

    # --- apps -------------------------------------------------------------------------------

    def save_app(self, app: AppState) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO apps (domain, workspace_id, created_at) VALUES (?, ?, ?)",
            (app.domain, app.workspace_id, app.created_at),
        )

    def save_app_user(self, domain: str, email_key: str, user: dict[str, Any] | None) -> None:
        if user is None:
            self.conn.execute(
                "DELETE FROM app_users WHERE domain = ? AND email_key = ?", (domain, email_key)
            )
        else:
            self.conn.execute(
                "INSERT OR REPLACE INTO app_users (domain, email_key, data) VALUES (?, ?, ?)",
                (domain, email_key, _json(user)),
            )

    def load_apps(self) -> list[AppState]:
        apps: dict[str, AppState] = {}
        for row in self.conn.execute(
            "SELECT domain, workspace_id, created_at FROM apps ORDER BY rowid"
        ):
            apps[row[0]] = AppState(domain=row[0], workspace_id=row[1], created_at=row[2])
        for row in self.conn.execute(
            "SELECT domain, email_key, data FROM app_users ORDER BY rowid"
        ):
            if row[0] in apps:
                apps[row[0]].users[row[1]] = loads(row[2])
        return list(apps.values())

    def has_content(self) -> bool:
        """Whether any identity, database, record or app is stored (not just the schema)."""
        for table in ("users", "tokens", "workspaces", "databases", "tables", "records", "apps"):
            if self.conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None:
                return True
        return False

    def wipe_content(self) -> None:
        """Delete databases, tables, records and app users; keep identities and apps."""
        for sql in (
            "DELETE FROM records",
            "DELETE FROM fields",
            "DELETE FROM views",
            "DELETE FROM tables",
            "DELETE FROM databases",
            "DELETE FROM app_users",
        ):
            self.conn.execute(sql)
