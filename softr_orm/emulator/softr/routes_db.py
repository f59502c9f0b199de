"""Handlers of the 21 Database API endpoints (under ``/api/v1``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Response

from softr_orm.constants import DEFAULT_PAGE_SIZE

from ..store.errors import bad_request
from ..store.reader import Reader
from ..store.select import select_records
from .call import Call, clamp_limit
from .errors import HttpError
from .responses import no_content, ok, page_response
from .shapes import database_api, record_api, table_api, view_api

__all__ = ["ROUTES"]


def _user_id(call: Call) -> str | None:
    return call.token.user_id if call.token else None


# --- databases -------------------------------------------------------------------------------


def list_databases(call: Call) -> Response:
    assert call.token is not None
    with call.store.lock:
        return ok([database_api(db) for db in call.store.list_databases(call.token.workspace_ids)])


def create_database(call: Call) -> Response:
    assert call.token is not None
    body = call.json_object(required=True)
    workspace_id = body.get("workspaceId")
    if isinstance(workspace_id, str) and workspace_id not in call.token.workspace_ids:
        raise HttpError("FORBIDDEN", f"this API key has no access to workspace '{workspace_id}'")
    with call.store.lock:
        return ok(database_api(call.store.create_database(body)))


def get_database(call: Call, database_id: str) -> Response:
    with call.store.lock:
        return ok(database_api(call.database(database_id)))


def update_database(call: Call, database_id: str) -> Response:
    body = call.json_object(required=False)
    with call.store.lock:
        call.database(database_id)
        return ok(database_api(call.store.update_database(database_id, body)))


def delete_database(call: Call, database_id: str) -> Response:
    force = call.flag("force")
    with call.store.lock:
        call.database(database_id)
        call.store.delete_database(database_id, force=force)
    return no_content()


# --- tables ----------------------------------------------------------------------------------


def list_tables(call: Call, database_id: str) -> Response:
    with call.store.lock:
        db = call.database(database_id)
        return ok([table_api(table) for table in db.tables.values()])


def create_table(call: Call, database_id: str) -> Response:
    body = call.json_object(required=False)
    with call.store.lock:
        call.database(database_id)
        return ok(table_api(call.store.create_table(database_id, body)))


def get_table(call: Call, database_id: str, table_id: str) -> Response:
    with call.store.lock:
        return ok(table_api(call.table(database_id, table_id)))


def update_table(call: Call, database_id: str, table_id: str) -> Response:
    body = call.json_object(required=False)
    with call.store.lock:
        call.table(database_id, table_id)
        return ok(table_api(call.store.update_table(database_id, table_id, body)))


def delete_table(call: Call, database_id: str, table_id: str) -> Response:
    force = call.flag("force")
    with call.store.lock:
        call.table(database_id, table_id)
        call.store.delete_table(database_id, table_id, force=force)
    return no_content()


def list_views(call: Call, database_id: str, table_id: str) -> Response:
    with call.store.lock:
        table = call.table(database_id, table_id)
        return ok([view_api(view) for view in table.views.values()])


# --- fields ----------------------------------------------------------------------------------


def add_field(call: Call, database_id: str, table_id: str) -> Response:
    body = call.json_object(required=True)
    with call.store.lock:
        table = call.table(database_id, table_id)
        return ok(dict(call.store.fields.add(table, body)))


def get_field(call: Call, database_id: str, table_id: str, field_id: str) -> Response:
    with call.store.lock:
        table = call.table(database_id, table_id)
        return ok(call.store.fields.get(table, field_id))


def update_field(call: Call, database_id: str, table_id: str, field_id: str) -> Response:
    body = call.json_object(required=False)
    with call.store.lock:
        table = call.table(database_id, table_id)
        return ok(call.store.fields.update(table, field_id, body))


def delete_field(call: Call, database_id: str, table_id: str, field_id: str) -> Response:
    with call.store.lock:
        table = call.table(database_id, table_id)
        call.store.fields.delete(table, field_id)
    return no_content()


# --- records ---------------------------------------------------------------------------------


def _fields_body(call: Call) -> Any:
    body = call.json_object(required=True)
    if "fields" not in body:
        raise bad_request("the body needs a 'fields' object keyed by field id")
    return body["fields"]


def list_records(call: Call, database_id: str, table_id: str) -> Response:
    offset, limit = call.paging()
    by_name = call.flag("fieldNames")
    view_id = call.request.args.get("viewId")
    with call.store.lock:
        table = call.table(database_id, table_id)
        filter_obj: Any = None
        sorting: Any = None
        if view_id:
            view = call.store.view(table, view_id)
            filter_obj, sorting = view.filter, view.sorting
        reader = Reader(call.store)
        page, total = select_records(
            call.store, reader, table, filter_obj, sorting, offset=offset, limit=limit
        )
        data = [record_api(reader, table, rec, by_name=by_name) for rec in page]
    return page_response(data, offset, limit, total)


def _body_int(paging: dict[str, Any], key: str, default: int) -> int:
    value = paging.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise bad_request(f"'paging.{key}' must be a non-negative integer", parameter=key)
    return value


def search_records(call: Call, database_id: str, table_id: str) -> Response:
    by_name = call.flag("fieldNames")
    body = call.json_object(required=False)
    paging = body.get("paging")
    if paging is None:
        paging = {}
    if not isinstance(paging, dict):
        raise bad_request("'paging' must be an object with 'offset' and 'limit'")
    offset = _body_int(paging, "offset", 0)
    limit = clamp_limit(_body_int(paging, "limit", DEFAULT_PAGE_SIZE))
    # Softr's guide and n8n node send "sorting"; its OpenAPI file names it "sort".
    sorting = body["sorting"] if body.get("sorting") is not None else body.get("sort")
    if isinstance(sorting, dict):
        sorting = [sorting]
    with call.store.lock:
        table = call.table(database_id, table_id)
        reader = Reader(call.store)
        page, total = select_records(
            call.store, reader, table, body.get("filter"), sorting, offset=offset, limit=limit
        )
        data = [record_api(reader, table, rec, by_name=by_name) for rec in page]
    return page_response(data, offset, limit, total)


def create_record(call: Call, database_id: str, table_id: str) -> Response:
    by_name = call.flag("fieldNames")
    fields = _fields_body(call)
    with call.store.lock:
        table = call.table(database_id, table_id)
        rec = call.store.records.create(table, fields, user_id=_user_id(call), by_name=by_name)
        return ok(record_api(Reader(call.store), table, rec, by_name=by_name))


def get_record(call: Call, database_id: str, table_id: str, record_id: str) -> Response:
    by_name = call.flag("fieldNames")
    with call.store.lock:
        table = call.table(database_id, table_id)
        rec = call.store.records.get(table, record_id)
        return ok(record_api(Reader(call.store), table, rec, by_name=by_name))


def update_record(call: Call, database_id: str, table_id: str, record_id: str) -> Response:
    by_name = call.flag("fieldNames")
    fields = _fields_body(call)
    with call.store.lock:
        table = call.table(database_id, table_id)
        rec = call.store.records.update(
            table, record_id, fields, user_id=_user_id(call), by_name=by_name
        )
        return ok(record_api(Reader(call.store), table, rec, by_name=by_name))


def delete_record(call: Call, database_id: str, table_id: str, record_id: str) -> Response:
    with call.store.lock:
        table = call.table(database_id, table_id)
        call.store.records.delete(table, record_id)
    return no_content()


_DB = "/databases/<database_id>"
_TABLE = _DB + "/tables/<table_id>"

ROUTES: list[tuple[str, tuple[str, ...], Callable[..., Response]]] = [
    ("/databases", ("GET",), list_databases),
    ("/databases", ("POST",), create_database),
    (_DB, ("GET",), get_database),
    (_DB, ("PUT",), update_database),
    (_DB, ("DELETE",), delete_database),
    (_DB + "/tables", ("GET",), list_tables),
    (_DB + "/tables", ("POST",), create_table),
    (_TABLE, ("GET",), get_table),
    (_TABLE, ("PUT",), update_table),
    (_TABLE, ("DELETE",), delete_table),
    (_TABLE + "/views", ("GET",), list_views),
    (_TABLE + "/fields", ("POST",), add_field),
    (_TABLE + "/fields/<field_id>", ("GET",), get_field),
    (_TABLE + "/fields/<field_id>", ("PUT",), update_field),
    (_TABLE + "/fields/<field_id>", ("DELETE",), delete_field),
    (_TABLE + "/records", ("GET",), list_records),
    (_TABLE + "/records", ("POST",), create_record),
    (_TABLE + "/records/search", ("POST",), search_records),
    (_TABLE + "/records/<record_id>", ("GET",), get_record),
    (_TABLE + "/records/<record_id>", ("PATCH",), update_record),
    (_TABLE + "/records/<record_id>", ("DELETE",), delete_record),
]
