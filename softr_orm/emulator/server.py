"""``Emulator``: the emulator served in-process, by waitress, on loopback.

>>> from softr_orm.emulator import Emulator
>>> with Emulator() as emu:                      # doctest: +SKIP
...     db = emu.create_database("Test")
...     requests.get(emu.base_url + "/databases", headers={"Softr-Api-Key": emu.api_key})

The same object serves ``softr-orm emulator`` (:mod:`.cli`). The HTTP server, its limits and
timeouts are :mod:`.httpserver`'s.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any

from softr_orm.constants import MAX_BODY_BYTES

from .baserow import BaserowApp
from .baserow.auth import sign_in_email, sign_in_password
from .httpserver import HttpServer
from .modeltables import create_tables_for
from .softr import EmulatorApp
from .softr.errors import HttpError, error_body
from .softr.faults import FAULT_KINDS, DropConnection, FaultConfig, FaultInjector
from .softr.shapes import database_api, record_api, table_api, view_api
from .store import DEFAULT_APP_DOMAIN, Store
from .store.jsoncodec import dumps
from .store.reader import Reader
from .store.seeds import run_seed

__all__ = ["Emulator", "HttpServer"]


def _protocol_error(status: int, message: str) -> tuple[str, bytes]:
    """A refusal of the HTTP server itself (414, 431, a garbled request, a broken body) in the
    API's error shape, not a plain-text page: a client parses every answer the same way."""
    code = "PAYLOAD_TOO_LARGE" if status == 413 else "BAD_REQUEST"
    if status >= 500:
        code = "INTERNAL_SERVER_ERROR"
    error = HttpError(code, message, status=status)
    return "application/json", dumps(error_body(error, secrets.token_hex(8)))


class Emulator:
    """A Softr-compatible server for tests, demos and local development.

    Args:
        data: SQLite file (kept across restarts) or ``":memory:"``.
        seed: a seed to load when its database is missing (``"demo"``). With an in-memory
            store it also seeds the id generator, so later ids are reproducible too.
        rate_limit: enforce Softr's per-token rate limits (off by default in-process).
        latency_ms: delay added to every API request.
        fault_rate: probability of injecting one of ``fault_kinds`` into an API request.
        fault_kinds: among ``"429"``, ``"503"``, ``"drop_before"``, ``"drop_after"``.
        fault_seed: seeds the fault draws.
        host, port: where to listen (port 0 picks a free port).
        verbose: log each request to stderr.
        threads: worker threads answering requests.
        max_connections: open connections at most (more wait to be accepted).
        idle_timeout: seconds a connection may stay silent before it is closed.
        request_timeout: seconds a request may take to arrive whole (headers and body).
    """

    def __init__(
        self,
        *,
        data: str = ":memory:",
        seed: str | None = None,
        rate_limit: bool = False,
        latency_ms: float = 0,
        fault_rate: float = 0.0,
        fault_kinds: Sequence[str] = FAULT_KINDS,
        fault_seed: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        verbose: bool = False,
        threads: int = 8,
        max_connections: int = 100,
        idle_timeout: int = 30,
        request_timeout: float = 60.0,
    ) -> None:
        self.data = data
        self.host = host
        self.port = port
        self.verbose = verbose
        # A seeded session makes new ids reproducible too, but only in memory: a file store
        # replaying the same sequence after a restart would just skip its own old ids.
        id_seed = f"session:{seed}" if seed is not None and data == ":memory:" else None
        self.store = Store(data, id_seed=id_seed)
        faults = FaultInjector(
            FaultConfig(
                rate=fault_rate, kinds=tuple(fault_kinds), latency_ms=latency_ms, seed=fault_seed
            )
        )
        self.app = EmulatorApp(self.store, rate_limit=rate_limit, faults=faults)
        self._http = HttpServer(
            self.app,
            host=host,
            port=port,
            threads=threads,
            max_connections=max_connections,
            idle_timeout=idle_timeout,
            request_timeout=request_timeout,
            max_body_bytes=MAX_BODY_BYTES,
            protocol_error=_protocol_error,
            drop_errors=(DropConnection,),
            verbose=verbose,
        )
        #: Baserow's face on the same store, served on a port of its own once asked for
        #: (``baserow_url``), so an emulator nobody asks for Baserow costs nothing more.
        self.baserow_app = BaserowApp(self.store)
        self._baserow_http: HttpServer | None = None
        self._baserow_lock = threading.Lock()
        self._server_options = (threads, max_connections, idle_timeout, request_timeout)
        self._started = False
        self._closed = False
        self.seed_summary: dict[str, Any] | None = None
        if seed is not None:
            self.seed_summary = run_seed(self.store, seed, replace=False)

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> Emulator:
        """Start serving (idempotent); returns self."""
        if self._closed:
            raise RuntimeError("a stopped Emulator cannot restart; create a new one on its data")
        if not self._started:
            self._http.start()
            self.port = self._http.port
            self._started = True
        return self

    def stop(self) -> None:
        """Stop serving and close the store (a file store is then safe to reopen elsewhere)."""
        self._http.stop()
        if self._baserow_http is not None:
            self._baserow_http.stop()
        self._started = False
        if not self._closed:
            self._closed = True
            self.store.close()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (what the CLI does)."""
        self.start()
        try:
            while self._http.running:
                self._http.wait(timeout=0.5)
        finally:
            self.stop()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- addresses and credentials ----------------------------------------------------------

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:<port>``: the server's root (admin routes under ``/_emulator``)."""
        if not self._started:
            raise RuntimeError("the emulator is not running: call start() or use 'with'")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The Database API base URL (``.../api/v1``)."""
        return self.root_url + "/api/v1"

    @property
    def users_base_url(self) -> str:
        """The Users Management API base URL (``.../v1/api``)."""
        return self.root_url + "/v1/api"

    @property
    def baserow_url(self) -> str:
        """The Baserow face's base URL (``http://127.0.0.1:<port>``, serving ``/api/...``),
        for ``BaserowSession(emu.baserow_token, base_url=emu.baserow_url)``.

        The face runs on a port of its own, started on first use, over the same store as the
        Softr face (see docs/emulator.md, "Baserow face")."""
        root = self.root_url  # raises when not running
        with self._baserow_lock:
            if self._baserow_http is None:
                threads, connections, idle, request = self._server_options
                self._baserow_http = HttpServer(
                    self.baserow_app,
                    host=self.host,
                    port=0,
                    threads=threads,
                    max_connections=connections,
                    idle_timeout=idle,
                    request_timeout=request,
                    max_body_bytes=MAX_BODY_BYTES,
                    verbose=self.verbose,
                ).start()
            port = self._baserow_http.port
        return root.rsplit(":", 1)[0] + f":{port}"

    @property
    def baserow_token(self) -> str:
        """A database token of the Baserow face: the default API key (every store token works
        as a Baserow token reaching the same workspaces)."""
        return self.api_key

    @property
    def baserow_email(self) -> str:
        """The email of the Baserow face's user, for ``POST /api/user/token-auth/`` and
        ``BaserowSession(..., email=emu.baserow_email, password=emu.baserow_password)``: the
        default token's user (a member of the default workspace), whose JWTs reach the schema
        endpoints (listing, creating and deleting tables, creating fields)."""
        with self.store.lock:
            return sign_in_email(self.store)

    @property
    def baserow_password(self) -> str:
        """The password of :attr:`baserow_email` (derived from the store's secret: stable
        across restarts of a file store)."""
        return sign_in_password(self.store)

    @property
    def api_key(self) -> str:
        """The default API key (stored in the data file, so stable across restarts)."""
        return self.store.default_token.secret

    @property
    def admin_token(self) -> str:
        """The bearer token of the ``/_emulator/`` admin routes."""
        return self.store.admin_token

    @property
    def workspace_id(self) -> str:
        """The default token's workspace."""
        return self.store.default_token.workspace_ids[0]

    @property
    def app_domain(self) -> str:
        """The app domain every store knows (``demo.softr.app``) for the Users API."""
        return DEFAULT_APP_DOMAIN

    # --- store-level helpers (no HTTP) ------------------------------------------------------

    def create_database(
        self, name: str, workspace_id: str | None = None, *, description: str | None = None
    ) -> dict[str, Any]:
        """Create a database; returns it as the API shows it."""
        db = self.store.create_database(
            {
                "workspaceId": workspace_id or self.workspace_id,
                "name": name,
                "description": description,
            }
        )
        with self.store.lock:
            return database_api(db)

    def create_table(
        self,
        database_id: str,
        name: str,
        fields: Iterable[Mapping[str, Any]] = (),
        primary_field_name: str | None = None,
        *,
        description: str | None = None,
    ) -> dict[str, Any]:
        """Create a table; returns the Table object as the API would (with field ids)."""
        body: dict[str, Any] = {"name": name, "fields": [dict(f) for f in fields]}
        if primary_field_name is not None:
            body["primaryFieldName"] = primary_field_name
        if description is not None:
            body["description"] = description
        with self.store.lock:
            return table_api(self.store.create_table(database_id, body))

    def add_field(
        self, database_id: str, table_id: str, field: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Add a field (same body as the addTableField endpoint); returns its definition."""
        with self.store.lock:
            table = self.store.table(database_id, table_id)
            return dict(self.store.fields.add(table, field))

    def add_view(
        self,
        database_id: str,
        table_id: str,
        name: str,
        *,
        filter: Any = None,
        sorting: list[Any] | None = None,
    ) -> dict[str, Any]:
        """Save a view (emulator-only): a search ``filter`` object plus a ``sorting`` list."""
        with self.store.lock:
            table = self.store.table(database_id, table_id)
            return view_api(self.store.add_view(table, name, filter=filter, sorting=sorting))

    def insert_records(
        self,
        database_id: str,
        table_id: str,
        records: Iterable[Mapping[str, Any]],
        *,
        return_records: bool = False,
    ) -> list[Any]:
        """Bulk-create records from ``fields`` dicts keyed by field id, in one transaction.

        Emulator-only (Softr has no bulk endpoint): for fixtures and benchmarks. Values are
        validated exactly as on the API. Returns the new ids (or the records as the API shows
        them with ``return_records=True``).
        """
        with self.store.lock:
            table = self.store.table(database_id, table_id)
            created = self.store.records.create_many(
                table, list(records), user_id=self.store.default_token.user_id
            )
            if not return_records:
                return [rec.id for rec in created]
            reader = Reader(self.store)
            return [record_api(reader, table, rec) for rec in created]

    def create_tables_for(self, *models: Any) -> list[dict[str, Any]]:
        """Create the database and tables that model classes declare, with their own ids.

        ``Meta.database`` (created when missing), ``Meta.table`` (an id is kept, a name
        names the table), every field with its type and pinned ``field_id``, a RECORD_ID
        field, links to the linked models' tables (created too). Tables that exist already
        are completed, never duplicated. Models are read by duck typing: the emulator imports
        no client code. Returns the Table objects as the API shows them.
        See :mod:`softr_orm.emulator.modeltables`.
        """
        tables = create_tables_for(self.store, models, self.workspace_id)
        with self.store.lock:
            return [table_api(table) for table in tables]

    def create_workspace(self, name: str = "Workspace") -> str:
        """A new workspace (the default token does not reach it); returns its id."""
        return self.store.create_workspace(name).id

    def add_member(self, workspace_id: str, email: str, full_name: str) -> dict[str, Any]:
        """Add a collaborator to a workspace (USER fields accept members); returns the user."""
        return self.store.add_member(workspace_id, email, full_name).as_api()

    def create_token(self, workspaces: Iterable[str], *, name: str = "token") -> str:
        """A new API key reaching exactly ``workspaces``; returns the key."""
        return self.store.create_token(list(workspaces), name=name).secret

    def create_app(self, domain: str, workspace_id: str | None = None) -> str:
        """Register a published app for the Users API; returns its (normalised) domain."""
        return self.store.create_app(domain, workspace_id).domain

    def seed(self, name: str) -> dict[str, Any]:
        """(Re)load a seed, e.g. ``"demo"``; returns its database, table and field ids."""
        return run_seed(self.store, name, replace=True)

    def reset(self) -> None:
        """Drop all databases, records and app users; keep tokens, workspaces and apps."""
        self.store.reset()
        self.app.limiter.reset()
        self.app.clear_log()

    # --- behaviour switches -----------------------------------------------------------------

    def set_faults(
        self,
        rate: float = 0.2,
        kinds: Sequence[str] = FAULT_KINDS,
        latency_ms: float = 0,
        seed: int | None = 1,
        only_paths: Sequence[str] | None = None,
        methods: Sequence[str] | None = None,
    ) -> None:
        """Inject faults from now on (see :mod:`softr_orm.emulator.softr.faults`).

        ``only_paths`` are regular expressions searched in the request path (e.g.
        ``"/records"``); ``methods`` restricts faults to some HTTP methods.
        """
        self.app.faults.configure(
            FaultConfig(
                rate=rate,
                kinds=tuple(kinds),
                latency_ms=latency_ms,
                seed=seed,
                only_paths=None if only_paths is None else tuple(only_paths),
                methods=None if methods is None else tuple(methods),
            )
        )

    def clear_faults(self) -> None:
        self.app.faults.configure(FaultConfig())

    def set_rate_limit(self, enabled: bool) -> None:
        self.app.limiter.enabled = enabled
        self.app.limiter.reset()

    def set_now(self, moment: dt.datetime | None) -> None:
        """Pin the emulator's clock (relative dates, new timestamps); None = real time."""
        if moment is not None and moment.tzinfo is None:
            raise ValueError("set_now needs an aware datetime")
        self.store.now_override = moment

    def request_log(self) -> list[dict[str, Any]]:
        """API requests seen so far: method, path, status, tokenId, time, fault, applied..."""
        return self.app.log_entries()

    def clear_request_log(self) -> None:
        self.app.clear_log()
