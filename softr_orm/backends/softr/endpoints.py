"""One method per Softr Database API endpoint (and, via :class:`UsersEndpoints`, the Users API).

This is the only layer that knows Softr's paths, envelopes and query parameters. It knows
nothing about models: records come and go as raw dicts keyed by field id. Paths are built as
tuples of raw segments and handed to :meth:`Session.request`, which percent-encodes each one,
so an id can never smuggle a ``/`` or ``..`` into the URL.

Every method is one HTTP request, except :meth:`SoftrAPI.update_field` (which may read the
field first, see there) and the ``iter_*`` paginators.

Longer than ~500 lines on purpose: one method per endpoint of the Database API, each with the
checks of its arguments, reads as the API's own table of contents; split, it would not.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from softr_orm import constants
from softr_orm.backends.softr import paging as pagination
from softr_orm.backends.softr.paging import check_offset, clamp_limit
from softr_orm.backends.softr.resources import (
    AIOptions,
    Database,
    FieldSpec,
    Table,
    TableField,
    View,
)
from softr_orm.backends.softr.users import AppUser, Users, UsersEndpoints
from softr_orm.backends.softr.wire import (
    Record,
    RecordPage,
    UnexpectedResponse,
    read_object,
    read_page,
    require_record,
    unwrap,
)
from softr_orm.errors import NotFound

if TYPE_CHECKING:
    from softr_orm.backends.softr.session import Session

__all__ = [
    "AIOptions",
    "AppUser",
    "Database",
    "FieldSpec",
    "Record",
    "RecordPage",
    "SoftrAPI",
    "Table",
    "TableField",
    "UnexpectedResponse",
    "Users",
    "View",
    "unwrap",
]

Kind = Literal["read", "write", "create"]
_OMIT: Any = object()


def _id(value: str, what: str) -> str:
    # An empty id would silently address another endpoint (GET /databases/ lists them all).
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    return value


def _field_spec(spec: FieldSpec) -> dict[str, Any]:
    if isinstance(spec, TableField):
        return spec.definition()
    if not isinstance(spec, Mapping) or not spec.get("name") or not spec.get("type"):
        raise ValueError(f"a field needs at least 'name' and 'type', got {spec!r}")
    return copy.deepcopy(dict(spec))


def _ai(ai_options: Mapping[str, Any] | AIOptions) -> dict[str, Any]:
    return ai_options.to_api() if isinstance(ai_options, AIOptions) else dict(ai_options)


def _changes(name: str | None, description: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if name is not None:
        body["name"] = name
    if description is not None:
        body["description"] = description
    if not body:
        raise ValueError("nothing to update: give name and/or description")
    return body


class SoftrAPI(UsersEndpoints):
    """The Softr REST endpoints as methods, over one :class:`~softr_orm.http.session.Session`.

    Returned :class:`Database` and :class:`Table` objects keep a reference to this object so
    that they can make follow-up calls (``database.tables()``, ``table.add_field(...)``).
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    def __repr__(self) -> str:
        return f"<SoftrAPI {self.session.base_url}>"

    def _call(
        self,
        method: str,
        path: Sequence[str],
        *,
        params: Mapping[str, str | int | bool | None] | None = None,
        body: Any = _OMIT,
        kind: Kind | None = None,
        expect: Callable[[Any], Any] | str | None = None,
        decode: Callable[[bytes], Any] | None = None,
    ) -> Any:
        if isinstance(expect, str):  # the name of the one object the answer must hold
            expect = functools.partial(read_object, what=expect)
        extra: dict[str, Any] = {} if body is _OMIT else {"json": body}
        return self.session.request(
            method, path, params=params, kind=kind, expect=expect, decode=decode, **extra
        )

    # --- databases ----------------------------------------------------------------------

    @staticmethod
    def _db(database_id: str) -> tuple[str, ...]:
        return ("databases", _id(database_id, "database_id"))

    def _list_all(self, path: Sequence[str], what: str) -> list[Mapping[str, Any]]:
        expect = functools.partial(pagination.list_page, what=what)  # see paging.list_all
        fetch = functools.partial(self._call, "GET", path, expect=expect)
        return pagination.list_all(lambda params: fetch(params=params), what)

    def list_databases(self) -> list[Database]:
        """``GET /databases``: every database the token can reach, through every page."""
        return [Database.from_api(d, api=self) for d in self._list_all(("databases",), "databases")]

    def create_database(
        self, workspace_id: str, name: str, *, description: str | None = None
    ) -> Database:
        """``POST /databases``: create an (empty) database in a workspace."""
        payload: dict[str, Any] = {"workspaceId": _id(workspace_id, "workspace_id"), "name": name}
        if description is not None:
            payload["description"] = description
        body = self._call("POST", ("databases",), body=payload, expect="a database")
        return Database.from_api(body, api=self)

    def get_database(self, database_id: str) -> Database:
        """``GET /databases/{databaseId}``."""
        body = self._call("GET", self._db(database_id), expect="a database")
        return Database.from_api(body, api=self)

    def update_database(
        self, database_id: str, *, name: str | None = None, description: str | None = None
    ) -> Database:
        """``PUT /databases/{databaseId}``: only the given keys are sent.

        Raises:
            ValueError: neither ``name`` nor ``description`` was given.
        """
        changes = _changes(name, description)
        body = self._call("PUT", self._db(database_id), body=changes, expect="a database")
        return Database.from_api(body, api=self)

    def delete_database(self, database_id: str, *, force: bool | None = None) -> None:
        """``DELETE /databases/{databaseId}``: ``force=true`` also drops its tables.

        ``force`` is sent as ``force=true``/``force=false`` when given and left out when
        ``None`` (Softr's default is ``false``: a database with tables answers 400).
        """
        self._call("DELETE", self._db(database_id), params={"force": force})

    # --- tables -------------------------------------------------------------------------

    @classmethod
    def _table(cls, database_id: str, table_id: str) -> tuple[str, ...]:
        return (*cls._db(database_id), "tables", _id(table_id, "table_id"))

    def list_tables(self, database_id: str) -> list[Table]:
        """``GET /databases/{databaseId}/tables``: every table with its fields, every page."""
        listed = self._list_all((*self._db(database_id), "tables"), "tables")
        return [Table.from_api(t, api=self, database_id=database_id) for t in listed]

    def create_table(
        self,
        database_id: str,
        name: str | None,
        *,
        fields: Iterable[FieldSpec] = (),
        description: str | None = None,
        primary_field_name: str | None = None,
    ) -> Table:
        """``POST /databases/{databaseId}/tables``.

        Args:
            fields: initial fields, each ``{"name", "type", "options"?}`` or a
                :class:`TableField` (its name, type and options are copied).
            primary_field_name: the name of the primary (label) field Softr creates.

        Returns:
            The new table; read its ``primary_field_id`` and field ids from it.
        """
        payload: dict[str, Any] = {}
        if name is not None:
            payload["name"] = name
        if description is not None:
            payload["description"] = description
        if primary_field_name is not None:
            payload["primaryFieldName"] = primary_field_name
        specs = [_field_spec(f) for f in fields]
        if specs:
            payload["fields"] = specs
        path = (*self._db(database_id), "tables")
        body = self._call("POST", path, body=payload, expect="a table")
        return Table.from_api(body, api=self, database_id=database_id)

    def get_table(self, database_id: str, table_id: str) -> Table:
        """``GET /databases/{databaseId}/tables/{tableId}``: the schema call worth caching."""
        body = self._call("GET", self._table(database_id, table_id), expect="a table")
        return Table.from_api(body, api=self, database_id=database_id)

    def update_table(
        self,
        database_id: str,
        table_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> Table:
        """``PUT .../tables/{tableId}``: name and description only (fields have own endpoints).

        Raises:
            ValueError: neither ``name`` nor ``description`` was given.
        """
        path = self._table(database_id, table_id)
        body = self._call("PUT", path, body=_changes(name, description), expect="a table")
        return Table.from_api(body, api=self, database_id=database_id)

    def delete_table(self, database_id: str, table_id: str, *, force: bool | None = None) -> None:
        """``DELETE .../tables/{tableId}``; ``force`` as in :meth:`delete_database`."""
        self._call("DELETE", self._table(database_id, table_id), params={"force": force})

    def list_views(self, database_id: str, table_id: str) -> list[View]:
        """``GET .../tables/{tableId}/views``: the saved views (read-only in the API), every
        page."""
        listed = self._list_all((*self._table(database_id, table_id), "views"), "views")
        return [View.from_api(v) for v in listed]

    # --- fields -------------------------------------------------------------------------

    @classmethod
    def _field(cls, database_id: str, table_id: str, field_id: str) -> tuple[str, ...]:
        return (*cls._table(database_id, table_id), "fields", _id(field_id, "field_id"))

    def add_field(
        self,
        database_id: str,
        table_id: str,
        name: str,
        type: str,
        *,
        options: Mapping[str, Any] | None = None,
        ai_options: Mapping[str, Any] | AIOptions | None = None,
    ) -> TableField:
        """``POST .../tables/{tableId}/fields``: add a field of a type from ``FIELD_TYPES``.

        ``ai_options`` is sent as ``aiOptions`` (documented in prose, not in the OpenAPI body).
        """
        payload: dict[str, Any] = {"name": name, "type": type}
        if options is not None:
            payload["options"] = copy.deepcopy(dict(options))
        if ai_options is not None:
            payload["aiOptions"] = _ai(ai_options)
        path = (*self._table(database_id, table_id), "fields")
        body = self._call("POST", path, body=payload, expect="a field")
        return TableField.from_api(body)

    def get_field(self, database_id: str, table_id: str, field_id: str) -> TableField:
        """``GET .../fields/{fieldId}``."""
        body = self._call("GET", self._field(database_id, table_id, field_id), expect="a field")
        return TableField.from_api(body)

    def update_field(
        self,
        database_id: str,
        table_id: str,
        field_id: str,
        *,
        name: str | None = None,
        type: str | None = None,
        options: Mapping[str, Any] | None = None,
        ai_options: Mapping[str, Any] | AIOptions | None = None,
    ) -> TableField:
        """``PUT .../fields/{fieldId}``, always with the full ``{name, type, options}``.

        The PUT may replace rather than merge, so a partial body could wipe options. When
        ``name``, ``type`` and ``options`` are not all given, the field is read first (one extra
        GET) and the missing parts are taken from it. ``options``, when given, is the complete
        new options object (it is not merged key by key; start from ``field.options``).
        ``ai_options`` is sent only when given.

        Raises:
            ValueError: ``type`` differs from the field's current type, when the field is read
                first (Softr cannot convert a field; delete and re-add it instead). With all
                three given nothing is read, and the caller vouches for the type.
        """
        path = self._field(database_id, table_id, field_id)
        if name is None or type is None or options is None:
            current = self.get_field(database_id, table_id, field_id)
            if type is not None and current.type and type != current.type:
                raise ValueError(
                    f"field {field_id!r} is {current.type}; its type cannot change to {type}"
                )
            name = current.name if name is None else name
            type = current.type
            options = current.options if options is None else options
        payload: dict[str, Any] = {
            "name": name,
            "type": type,
            "options": copy.deepcopy(dict(options)),
        }
        if ai_options is not None:
            payload["aiOptions"] = _ai(ai_options)
        body = self._call("PUT", path, body=payload, expect="a field")
        return TableField.from_api(body)

    def delete_field(self, database_id: str, table_id: str, field_id: str) -> None:
        """``DELETE .../fields/{fieldId}`` (no ``force`` parameter exists here)."""
        self._call("DELETE", self._field(database_id, table_id, field_id))

    # --- records ------------------------------------------------------------------------

    @classmethod
    def _records(cls, database_id: str, table_id: str) -> tuple[str, ...]:
        return (*cls._table(database_id, table_id), "records")

    def list_records(
        self,
        database_id: str,
        table_id: str,
        *,
        offset: int = 0,
        limit: int = constants.MAX_PAGE_SIZE,
        field_names: bool = False,
        view_id: str | None = None,
        decode: Callable[[bytes], Any] | None = None,
    ) -> RecordPage:
        """``GET .../records``: one page, optionally through a saved view.

        ``limit`` is always sent (the server default is documented as both 10 and 20) and is
        clamped to 200 here, because the server may clamp silently. ``decode``: see
        :meth:`search_records`.

        Raises:
            ValueError: ``limit`` below 1 or a negative ``offset``.
        """
        offset = check_offset(offset)
        limit = clamp_limit(limit)
        params: dict[str, str | int | bool | None] = {
            "offset": offset,
            "limit": limit,
            "fieldNames": field_names,
        }
        if view_id is not None:
            params["viewId"] = _id(view_id, "view_id")
        path = self._records(database_id, table_id)
        expect = lambda body: read_page(body, offset, limit)  # noqa: E731
        return self._call("GET", path, params=params, expect=expect, decode=decode)  # type: ignore[no-any-return]

    def create_record(
        self,
        database_id: str,
        table_id: str,
        fields: Mapping[str, Any],
        *,
        field_names: bool = False,
    ) -> Record:
        """``POST .../records`` with ``{"fields": {fieldId: value}}``; never retried blindly."""
        path = self._records(database_id, table_id)
        return self._call(  # type: ignore[no-any-return]
            "POST",
            path,
            params={"fieldNames": field_names},
            body={"fields": dict(fields)},
            expect=require_record,
        )

    def search_records(
        self,
        database_id: str,
        table_id: str,
        body: Mapping[str, Any] | None = None,
        *,
        field_names: bool = False,
        decode: Callable[[bytes], Any] | None = None,
    ) -> RecordPage:
        """``POST .../records/search`` (a read for rate limiting and retries).

        ``body`` is sent as given (``{}`` when ``None``), except that ``paging.limit`` above
        200 is lowered to 200 in a copy; the caller's dict is never changed. ``decode``: a
        typed decoder of the page (:mod:`softr_orm.backends.softr.typed_pages`).

        Raises:
            ValueError: ``paging.limit`` below 1 or a negative ``paging.offset``.
        """
        payload = dict(body or {})
        offset, limit = 0, constants.MAX_PAGE_SIZE
        paging = payload.get("paging")
        if isinstance(paging, Mapping):
            paging = dict(paging)
            if "offset" in paging:
                offset = paging["offset"] = check_offset(paging["offset"])
            if "limit" in paging:
                limit = paging["limit"] = clamp_limit(paging["limit"], "paging.limit")
            payload["paging"] = paging
        path = (*self._records(database_id, table_id), "search")
        return self._call(  # type: ignore[no-any-return]
            "POST",
            path,
            params={"fieldNames": field_names},
            body=payload,
            kind="read",
            expect=lambda answer: read_page(answer, offset, limit),
            decode=decode,
        )

    def get_record(
        self, database_id: str, table_id: str, record_id: str, *, field_names: bool = False
    ) -> Record:
        """``GET .../records/{recordId}``."""
        path = (*self._records(database_id, table_id), _id(record_id, "record_id"))
        expect = lambda body: require_record(body, record_id)  # noqa: E731
        return self._call("GET", path, params={"fieldNames": field_names}, expect=expect)  # type: ignore[no-any-return]

    def update_record(
        self,
        database_id: str,
        table_id: str,
        record_id: str,
        fields: Mapping[str, Any],
        *,
        field_names: bool = False,
    ) -> Record:
        """``PATCH .../records/{recordId}``: only the given fields change; returns the record."""
        path = (*self._records(database_id, table_id), _id(record_id, "record_id"))
        return self._call(  # type: ignore[no-any-return]
            "PATCH",
            path,
            params={"fieldNames": field_names},
            body={"fields": dict(fields)},
            expect=lambda body: require_record(body, record_id),
        )

    def delete_record(
        self, database_id: str, table_id: str, record_id: str, *, missing_ok: bool = False
    ) -> None:
        """``DELETE .../records/{recordId}``.

        Args:
            missing_ok: treat a 404 as "already deleted" (what Softr's own n8n node does),
                e.g. when a retried delete may have landed the first time.
        """
        path = (*self._records(database_id, table_id), _id(record_id, "record_id"))
        try:
            self._call("DELETE", path)
        except NotFound:
            if not missing_ok:
                raise

    # --- paginators ---------------------------------------------------------------------

    def iter_records(
        self,
        database_id: str,
        table_id: str,
        *,
        page_size: int = constants.MAX_PAGE_SIZE,
        view_id: str | None = None,
        field_names: bool = False,
        offset: int = 0,
    ) -> Iterator[Record]:
        """Every record from ``offset`` on, through the list endpoint, one page in memory.

        Without a view the order is the server's; concurrent inserts may shift pages.
        """
        clamp_limit(page_size, "page_size")
        check_offset(offset)

        def fetch(off: int, lim: int) -> RecordPage:
            return self.list_records(
                database_id,
                table_id,
                offset=off,
                limit=lim,
                field_names=field_names,
                view_id=view_id,
            )

        return pagination.iter_records(fetch, offset=offset, page_size=page_size)

    def iter_search(
        self,
        database_id: str,
        table_id: str,
        body: Mapping[str, Any] | None = None,
        *,
        page_size: int = constants.MAX_PAGE_SIZE,
        field_names: bool = False,
    ) -> Iterator[Record]:
        """Every record matching a search body, page by page.

        The body's ``filter`` and ``sorting`` are kept; ``paging.offset`` (default 0) is the
        starting point and ``paging.limit`` is replaced by ``page_size``. For a stable full
        scan, sort by ``created_at``.
        """
        clamp_limit(page_size, "page_size")
        base = dict(body or {})
        paging = base.get("paging")
        start = paging.get("offset", 0) if isinstance(paging, Mapping) else 0

        def fetch(off: int, lim: int) -> RecordPage:
            page_body = {**base, "paging": {"offset": off, "limit": lim}}
            return self.search_records(database_id, table_id, page_body, field_names=field_names)

        return pagination.iter_records(fetch, offset=check_offset(start), page_size=page_size)
