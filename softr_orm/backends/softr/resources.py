"""Plain data classes for what the Database API returns: databases, tables, fields, views.

Softr's schemas have changed several times (new keys, renamed option keys, types hidden from
the docs), so every ``from_api`` here reads leniently: unknown keys are ignored (and kept in
``raw``), missing keys get a neutral default, and timestamps of either precision are parsed.
A parser that crashed on a new key would break every model on that table.

:class:`Database` and :class:`Table` remember the
:class:`~softr_orm.backends.softr.endpoints.SoftrAPI` that fetched them, so that
``session.database(id).tables()`` and ``table.add_field(...)`` work without threading ids
around. That reference is left out of ``repr`` and ``==``.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from softr_orm import constants
from softr_orm.backends.softr.wire import (
    Record,
    RecordPage,
    UnexpectedResponse,
    as_bool,
    as_dict,
    as_mapping,
    as_str,
    opt_bool,
    opt_int,
    opt_str,
    parse_timestamp,
)
from softr_orm.errors import ConfigurationError

if TYPE_CHECKING:
    from softr_orm.backends.softr.endpoints import SoftrAPI

__all__ = [
    "AIOptions",
    "Database",
    "FieldSpec",
    "Record",
    "RecordPage",
    "Table",
    "TableField",
    "UnexpectedResponse",
    "View",
    "parse_timestamp",
]


# --- fields ------------------------------------------------------------------------------

_AI_KEYS = {
    "aiFillable": "ai_fillable",
    "aiOnly": "ai_only",
    "allowWebSearch": "allow_web_search",
    "aiModel": "ai_model",
    "prompt": "prompt",
    "canBeTriggeredManually": "can_be_triggered_manually",
    "runWhenRecordIsCreated": "run_when_record_is_created",
    "runWhenRecordIsUpdated": "run_when_record_is_updated",
}


@dataclass(slots=True)
class AIOptions:
    """A field's ``aiOptions``. Keys Softr adds later land in ``extra`` (and ``raw``)."""

    ai_fillable: bool | None = None
    ai_only: bool | None = None
    allow_web_search: bool | None = None
    ai_model: str | None = None
    prompt: str | None = None
    can_be_triggered_manually: bool | None = None
    run_when_record_is_created: bool | None = None
    run_when_record_is_updated: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: object) -> AIOptions | None:
        """Build from the API's ``aiOptions`` (``None`` for null or a non-object)."""
        if not isinstance(data, Mapping):
            return None
        return cls(
            ai_fillable=opt_bool(data.get("aiFillable")),
            ai_only=opt_bool(data.get("aiOnly")),
            allow_web_search=opt_bool(data.get("allowWebSearch")),
            ai_model=opt_str(data.get("aiModel")),
            prompt=opt_str(data.get("prompt")),
            can_be_triggered_manually=opt_bool(data.get("canBeTriggeredManually")),
            run_when_record_is_created=opt_bool(data.get("runWhenRecordIsCreated")),
            run_when_record_is_updated=opt_bool(data.get("runWhenRecordIsUpdated")),
            extra={k: v for k, v in data.items() if k not in _AI_KEYS},
            raw=dict(data),
        )

    def to_api(self) -> dict[str, Any]:
        """The camelCase object to send back; unset keys are left out, unknown ones kept."""
        out: dict[str, Any] = dict(self.extra)
        for api_key, attr in _AI_KEYS.items():
            value = getattr(self, attr)
            if value is not None:
                out[api_key] = value
        return out


@dataclass(slots=True)
class TableField:
    """A field definition as returned inside a table or by the field endpoints."""

    id: str
    name: str
    type: str
    options: dict[str, Any] = field(default_factory=dict)
    allow_multiple_entries: bool = False
    readonly: bool = False
    required: bool = False
    locked: bool = False
    default_value: Any = None
    ai_options: AIOptions | None = None
    description: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> TableField:
        """Build from a TableField object; tolerates unknown and missing keys."""
        data = as_mapping(data, "a table field")
        return cls(
            id=as_str(data.get("id")),
            name=as_str(data.get("name")),
            type=as_str(data.get("type")),
            options=copy.deepcopy(as_dict(data.get("options"))),
            allow_multiple_entries=as_bool(data.get("allowMultipleEntries")),
            readonly=as_bool(data.get("readonly")),
            required=as_bool(data.get("required")),
            locked=as_bool(data.get("locked")),
            default_value=data.get("defaultValue"),
            ai_options=AIOptions.from_api(data.get("aiOptions")),
            description=opt_str(data.get("description")),
            created_at=parse_timestamp(data.get("createdAt")),
            updated_at=parse_timestamp(data.get("updatedAt")),
            raw=dict(data),
        )

    @property
    def is_read_only(self) -> bool:
        """True for computed types (formula, lookup, ...) and fields flagged ``readonly``."""
        return self.type in constants.READ_ONLY_TYPES or self.readonly

    @property
    def is_valid(self) -> bool:
        """The computed-field validity flag: ``isValid`` now, ``valid`` in the legacy docs."""
        for key in ("isValid", "valid"):
            if key in self.options and self.options[key] is not None:
                return as_bool(self.options[key], True)
        return True

    @property
    def is_date_only(self) -> bool:
        """Whether values are dates without time (type DATE, or legacy ``precision: DATE``)."""
        return self.type == "DATE" or self.options.get("precision") == "DATE"

    @property
    def choice_labels(self) -> list[str]:
        """Labels of a SELECT field's choices, in the server's order (``[]`` otherwise)."""
        choices = self.options.get("choices")
        if not isinstance(choices, list):
            return []
        labels = []
        for choice in choices:
            if isinstance(choice, Mapping) and choice.get("label") is not None:
                labels.append(as_str(choice["label"]))
            elif isinstance(choice, str):
                labels.append(choice)
        return labels

    def definition(self) -> dict[str, Any]:
        """``{name, type, options}``: the body to re-create or fully update this field."""
        return {"name": self.name, "type": self.type, "options": copy.deepcopy(self.options)}


@dataclass(slots=True)
class View:
    """A saved table view (read-only through the API)."""

    id: str
    table_id: str
    name: str
    description: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> View:
        """Build from a TableView object; tolerates unknown and missing keys."""
        data = as_mapping(data, "a view")
        return cls(
            id=as_str(data.get("id")),
            table_id=as_str(data.get("tableId")),
            name=as_str(data.get("name")),
            description=opt_str(data.get("description")),
            created_at=parse_timestamp(data.get("createdAt")),
            updated_at=parse_timestamp(data.get("updatedAt")),
            raw=dict(data),
        )


#: What ``create_table(fields=...)`` accepts per field: a ``{name, type, options?}`` mapping or
#: a :class:`TableField` (e.g. copied from another table).
FieldSpec: TypeAlias = Mapping[str, Any] | TableField


def _bound(api: SoftrAPI | None, what: str) -> SoftrAPI:
    if api is None:
        raise ConfigurationError(f"this {what} was not fetched through a SoftrAPI; it cannot call")
    return api


@dataclass(slots=True)
class Table:
    """A table with its complete field list (the API's only way to list fields)."""

    id: str
    name: str
    database_id: str | None = None
    description: str | None = None
    primary_field_id: str | None = None
    default_view_id: str | None = None
    fields: list[TableField] = field(default_factory=list)
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    api: SoftrAPI | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_api(
        cls,
        data: Mapping[str, Any],
        *,
        api: SoftrAPI | None = None,
        database_id: str | None = None,
    ) -> Table:
        """Build from a Table object. The API omits the database id, so the caller passes it."""
        data = as_mapping(data, "a table")
        raw_fields = data.get("fields")
        fields = [
            TableField.from_api(f)
            for f in (raw_fields if isinstance(raw_fields, list) else [])
            if isinstance(f, Mapping)
        ]
        db = database_id if database_id is not None else opt_str(data.get("databaseId"))
        return cls(
            id=as_str(data.get("id")),
            name=as_str(data.get("name")),
            database_id=db,
            description=opt_str(data.get("description")),
            primary_field_id=opt_str(data.get("primaryFieldId")),
            default_view_id=opt_str(data.get("defaultViewId")),
            fields=fields,
            created_at=parse_timestamp(data.get("createdAt")),
            updated_at=parse_timestamp(data.get("updatedAt")),
            raw=dict(data),
            api=api,
        )

    @property
    def primary_field(self) -> TableField | None:
        """The field whose value labels records (``primaryFieldId``), if listed."""
        if self.primary_field_id is None:
            return None
        return next((f for f in self.fields if f.id == self.primary_field_id), None)

    def field(self, name_or_id: str) -> TableField:
        """The field with this id, else with exactly this name.

        Raises:
            KeyError: no such field, or several fields share the name (use the id then).
        """
        for f in self.fields:
            if f.id == name_or_id:
                return f
        named = [f for f in self.fields if f.name == name_or_id]
        if len(named) == 1:
            return named[0]
        if named:
            ids = ", ".join(f.id for f in named)
            raise KeyError(f"table {self.name!r} has several fields named {name_or_id!r}: {ids}")
        names = ", ".join(repr(f.name) for f in self.fields)
        raise KeyError(f"table {self.name!r} has no field {name_or_id!r}; fields: {names}")

    def has_field(self, name_or_id: str) -> bool:
        """Whether :meth:`field` would find exactly one field."""
        try:
            self.field(name_or_id)
        except KeyError:
            return False
        return True

    def _where(self) -> tuple[SoftrAPI, str]:
        api = _bound(self.api, "table")
        if not self.database_id:
            raise ConfigurationError(f"table {self.name!r} does not know its database id")
        return api, self.database_id

    def views(self) -> list[View]:
        """The table's saved views (one request)."""
        api, db = self._where()
        return api.list_views(db, self.id)

    def refresh(self) -> Table:
        """Re-read the table (fields included) in place, and return it."""
        api, db = self._where()
        fresh = api.get_table(db, self.id)
        for name in ("name", "description", "primary_field_id", "default_view_id", "fields"):
            setattr(self, name, getattr(fresh, name))
        self.created_at, self.updated_at, self.raw = fresh.created_at, fresh.updated_at, fresh.raw
        return self

    def add_field(
        self,
        name: str,
        type: str,
        *,
        options: Mapping[str, Any] | None = None,
        ai_options: Mapping[str, Any] | AIOptions | None = None,
    ) -> TableField:
        """Add a field (one request); it is appended to :attr:`fields` too."""
        api, db = self._where()
        new = api.add_field(db, self.id, name, type, options=options, ai_options=ai_options)
        self.fields.append(new)
        return new

    def update_field(
        self,
        name_or_id: str,
        *,
        name: str | None = None,
        options: Mapping[str, Any] | None = None,
        ai_options: Mapping[str, Any] | AIOptions | None = None,
    ) -> TableField:
        """Rename a field or replace its options, sending the full definition (one request).

        The current definition comes from :attr:`fields`, so no extra GET is made.
        """
        api, db = self._where()
        current = self.field(name_or_id)
        updated = api.update_field(
            db,
            self.id,
            current.id,
            name=current.name if name is None else name,
            type=current.type,
            options=current.options if options is None else options,
            ai_options=ai_options,
        )
        self.fields[self.fields.index(current)] = updated
        return updated

    def delete_field(self, name_or_id: str) -> None:
        """Delete a field (one request) and drop it from :attr:`fields`."""
        api, db = self._where()
        current = self.field(name_or_id)
        api.delete_field(db, self.id, current.id)
        self.fields.remove(current)

    def update(self, *, name: str | None = None, description: str | None = None) -> Table:
        """Rename or re-describe the table; returns the server's new version."""
        api, db = self._where()
        return api.update_table(db, self.id, name=name, description=description)

    def delete(self, *, force: bool | None = None) -> None:
        """Delete the table; a non-empty one needs ``force=True``."""
        api, db = self._where()
        api.delete_table(db, self.id, force=force)

    def iter_records(self, *, page_size: int = constants.MAX_PAGE_SIZE) -> Iterator[Record]:
        """Every record of the table, a page at a time (raw dicts keyed by field id)."""
        api, db = self._where()
        return api.iter_records(db, self.id, page_size=page_size)


@dataclass(slots=True)
class Database:
    """A Softr database (a container of tables in a workspace)."""

    id: str
    name: str
    description: str | None = None
    workspace_id: str | None = None
    tables_count: int | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    api: SoftrAPI | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any], *, api: SoftrAPI | None = None) -> Database:
        """Build from a Database object; tolerates unknown and missing keys."""
        data = as_mapping(data, "a database")
        return cls(
            id=as_str(data.get("id")),
            name=as_str(data.get("name")),
            description=opt_str(data.get("description")),
            workspace_id=opt_str(data.get("workspaceId")),
            tables_count=opt_int(data.get("tablesCount")),
            created_at=parse_timestamp(data.get("createdAt")),
            updated_at=parse_timestamp(data.get("updatedAt")),
            raw=dict(data),
            api=api,
        )

    def tables(self) -> list[Table]:
        """Every table of the database, each with its fields (one request)."""
        return _bound(self.api, "database").list_tables(self.id)

    def table(self, name_or_id: str) -> Table:
        """One table by id or exact name (one request: the table list).

        Raises:
            KeyError: no table has this id or name, or the name is ambiguous.
        """
        tables = self.tables()
        for t in tables:
            if t.id == name_or_id:
                return t
        named = [t for t in tables if t.name == name_or_id]
        if len(named) == 1:
            return named[0]
        if named:
            raise KeyError(f"database {self.name!r} has several tables named {name_or_id!r}")
        names = ", ".join(repr(t.name) for t in tables)
        raise KeyError(f"database {self.name!r} has no table {name_or_id!r}; tables: {names}")

    def create_table(
        self,
        name: str,
        *,
        fields: Iterable[FieldSpec] = (),
        description: str | None = None,
        primary_field_name: str | None = None,
    ) -> Table:
        """Create a table in this database; see :meth:`SoftrAPI.create_table`."""
        return _bound(self.api, "database").create_table(
            self.id,
            name,
            fields=fields,
            description=description,
            primary_field_name=primary_field_name,
        )

    def update(self, *, name: str | None = None, description: str | None = None) -> Database:
        """Rename or re-describe the database; returns the server's new version."""
        return _bound(self.api, "database").update_database(
            self.id, name=name, description=description
        )

    def delete(self, *, force: bool | None = None) -> None:
        """Delete the database; one that still has tables needs ``force=True``."""
        _bound(self.api, "database").delete_database(self.id, force=force)

    def refresh(self) -> Database:
        """Re-read the database in place, and return it."""
        fresh = _bound(self.api, "database").get_database(self.id)
        for name in ("name", "description", "workspace_id", "tables_count"):
            setattr(self, name, getattr(fresh, name))
        self.created_at, self.updated_at, self.raw = fresh.created_at, fresh.updated_at, fresh.raw
        return self
