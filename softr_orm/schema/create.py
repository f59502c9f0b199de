"""Creating a Softr table from a model: :func:`create_table_for`, the reverse of inspect.

Kept apart from :mod:`softr_orm.schema.tools` (inspect and check) because it has rules of its
own: what each declared field becomes in a create-table body, which fields cannot be created
from a declaration alone, how the new table is named, and the RECORD_ID field it gets so that
``prefetch`` can load many records in one search.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from softr_orm.backends.base import BackendSession
from softr_orm.backends.baserow.schema import BaserowTable
from softr_orm.backends.baserow.session import BaserowSession
from softr_orm.backends.softr.session import Session
from softr_orm.constants import FIELD_TYPES
from softr_orm.errors import ConfigurationError, SchemaError
from softr_orm.fields import Field, LinkedRecord, Raw
from softr_orm.models.base import Model
from softr_orm.query.binding import _state, forget, resolve_table
from softr_orm.query.databases import effective_database
from softr_orm.schema.baserow import create_on_baserow

if TYPE_CHECKING:
    from softr_orm.backends.softr.resources import Table

__all__ = ["NOT_CREATED_TYPES", "create_table_for", "softr_session"]

logger = logging.getLogger("softr_orm.schema")

_TABLE_ID = re.compile(r"[A-Za-z0-9]{8,}")

#: Read-only types :func:`create_table_for` cannot define from a model alone: a formula needs
#: its expression, a lookup or rollup the link and source field it reads. Add them in Softr
#: (or with ``table.add_field``) after the table exists.
NOT_CREATED_TYPES: frozenset[str] = frozenset({"FORMULA", "LOOKUP", "ROLLUP"})


def softr_session(session: BackendSession, what: str) -> Session:
    """``session`` when it is Softr's; these tools speak Softr's schema endpoints.

    Raises:
        ConfigurationError: another backend's session.
    """
    if not isinstance(session, Session):
        raise ConfigurationError(
            f"{what} needs a softr_orm.Session; {type(session).__name__} is not one"
        )
    return session


def _field_type(declared: Field[Any]) -> str | None:
    if isinstance(declared, Raw):
        return declared.type_name if declared.type_name in FIELD_TYPES else None
    return declared.softr_type or None


def _link_target(
    declared: LinkedRecord[Any], model: type[Model], session: BackendSession, database_id: str
) -> str | None:
    """The table id a link points to; None for a link to the model itself (added later)."""
    try:
        target = declared.related_model()
    except ConfigurationError as error:
        raise SchemaError(
            f"{model.__name__}.{declared.attname}: the linked model is unknown ({error})"
        ) from None
    if target is model:
        return None
    meta = target._meta
    if meta.database is None or meta.table is None:
        raise SchemaError(
            f"{model.__name__}.{declared.attname}: the linked model {target.__name__} has no "
            "Meta.database / Meta.table; create its table first"
        )
    if effective_database(meta.database, session) != database_id:
        raise SchemaError(
            f"{model.__name__}.{declared.attname}: {target.__name__} lives in database "
            f"{meta.database}, and links cannot cross databases ({database_id})"
        )
    return resolve_table(session, database_id, meta.table).id


def _looks_like_id(table: str) -> bool:
    """Whether ``Meta.table`` reads as a pinned table id (``"Tq7LmN2pXc4RzA"``), not a name:
    one word of letters and digits, with at least one digit and both cases."""
    return (
        _TABLE_ID.fullmatch(table) is not None
        and any(c.isdigit() for c in table)
        and table.lower() != table
        and table.upper() != table
    )


def _table_name(model: type[Model]) -> str:
    """The name of the table made for ``model``: ``Meta.table`` when it is a name (the model
    finds its table by that name), else (a pinned id, or none) the class name."""
    table = model._meta.table
    return table if table and not _looks_like_id(table) else model.__name__


def _record_id_spec(declared: Iterable[Field[Any]]) -> dict[str, Any]:
    """A RECORD_ID field for the new table: with it, ``prefetch`` and ``in_bulk`` find many
    records in one search instead of one GET per record."""
    taken = {f.name for f in declared}
    name = next(n for n in ("Record ID", "Record ID (softr-orm)", "_record_id") if n not in taken)
    return {"name": name, "type": "RECORD_ID"}


def _spec(declared: Field[Any], name: str, softr_type: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name, "type": softr_type}
    options: dict[str, Any] = {}
    if softr_type == "SELECT":
        # A model declares no choices: let writes add them, as Softr's UI does by default.
        options = {"choices": [], "allowToAddNewChoice": True}
    elif softr_type == "RATING":
        limit = getattr(declared, "declared_max", None)
        if limit:
            options = {"max": limit}
    if options:
        spec["options"] = options
    if softr_type in ("SELECT", "USER", "LINKED_RECORD", "ATTACHMENT") and declared.multiple:
        spec["allowMultipleEntries"] = True
    if declared.required and not declared.read_only:
        spec["required"] = True
    if declared.help_text:
        spec["description"] = declared.help_text
    return spec


def create_table_for(
    model: type[Model],
    session: BackendSession | None = None,
    database_id: str | None = None,
    *,
    primary: str | None = None,
    description: str | None = None,
) -> Table | BaserowTable:
    """Create a table with the fields ``model`` declares (on Softr, or on Baserow through a
    ``BaserowSession`` with a JWT), and return it.

    The table is named ``Meta.table`` when that is a name, else (no ``Meta.table``, or a pinned
    table id, which Softr cannot reuse) after the class, in ``database_id`` (else
    ``Meta.database``, or what :func:`~softr_orm.override_database` maps it to). A RECORD_ID
    field ("Record ID") is added unless the model declares one: it lets ``prefetch`` and
    ``in_bulk`` load many records with one search instead of one GET each. A model without
    ``Meta.database`` / ``Meta.table`` gets them filled in from the new table, and the
    session's schema cache is refreshed, so the model binds to the new table on its next use.

    What is sent per field: its name and type; ``allowMultipleEntries`` for multiple selects,
    users, links and attachments; ``required`` and ``description`` (from ``help_text``);
    the declared ``max`` of a Rating; for a Select, no choices and ``allowToAddNewChoice``
    (fields carry no choice list); for a link, ``linkedTableId`` from the target model's
    table (which must exist already, in the same database; a link to the model itself is
    added once the table exists). Formula, Lookup and Rollup fields are **not** created
    (:data:`NOT_CREATED_TYPES`: the model does not know their expression or source); nor
    are ``Raw`` fields without a known ``type_name``. Both are logged as warnings, and
    ``check_schema()`` reports them as missing until they are added in Softr.

    Args:
        primary: the attribute of the primary (label) field; default the first
            SingleLineText field. It is sent as ``primaryFieldName`` (softr-api.md §2.2).
        description: the table's description.

    Raises:
        ConfigurationError: no database id (argument or ``Meta.database``).
        SchemaError: the table exists already, or a link target cannot be resolved.
    """
    meta = model._meta_or_fail()
    given = meta.get_session(session)
    baserow = given.backend if isinstance(given, BaserowSession) else None
    session = given if baserow is not None else softr_session(given, "create_table_for")
    database_id = database_id or effective_database(meta.database, session)
    if not database_id:
        raise ConfigurationError(
            f"create_table_for({model.__name__}): pass database_id or set Meta.database"
        )
    name = _table_name(model)
    existing: Iterable[Table | BaserowTable] = (
        baserow.list_tables(database_id)
        if baserow is not None
        else softr_session(session, "create_table_for").api.list_tables(database_id)
    )
    clash = next(
        (t for t in existing if name in (t.id, t.name) or meta.table in (t.id, t.name)), None
    )
    if clash is not None:
        raise SchemaError(
            f"database {database_id} already has a table {clash.name!r} ({clash.id}) for "
            f"{model.__name__}"
        )
    if primary is not None and primary not in meta.fields:
        raise SchemaError(f"{model.__name__} has no field {primary!r} to make primary")
    specs: list[dict[str, Any]] = []
    later: list[dict[str, Any]] = []
    skipped: list[str] = []
    primary_name: str | None = None
    for attname, declared in meta.fields.items():
        field_name = declared.name or attname
        softr_type = _field_type(declared)
        if softr_type is None or softr_type in NOT_CREATED_TYPES:
            skipped.append(f"{attname} ({softr_type or 'unknown type'})")
            continue
        spec = _spec(declared, field_name, softr_type)
        is_primary = attname == primary or (
            primary is None and primary_name is None and softr_type == "SINGLE_LINE_TEXT"
        )
        if is_primary:
            primary_name = field_name
            if spec == {"name": field_name, "type": "SINGLE_LINE_TEXT"}:
                # primaryFieldName alone creates it (a text field, softr-api.md §2.2); sent
                # twice, a Softr that reads it as "add a primary field" would see a clash.
                continue
        if isinstance(declared, LinkedRecord):
            target = _link_target(declared, model, session, database_id)
            if target is None:
                later.append(spec)
                continue
            spec["options"] = {"linkedTableId": target}
        specs.append(spec)
    table: Table | BaserowTable
    if baserow is not None:
        table = create_on_baserow(baserow, database_id, name, specs, later, primary_name)
    else:
        table = _create_on_softr(
            softr_session(session, "create_table_for"),
            model,
            database_id,
            name,
            specs,
            later,
            primary_name,
            description,
        )
    if skipped:
        logger.warning(
            "create_table_for(%s): not created (define them in Softr): %s",
            model.__name__,
            ", ".join(skipped),
        )
    if meta.database is None:
        meta.database = database_id
    if meta.table is None:
        meta.table = table.id
    forget(model, session)
    state = _state(session)
    with state.lock:
        state.table_lists.pop(database_id, None)
    return table


def _create_on_softr(
    session: Session,
    model: type[Model],
    database_id: str,
    name: str,
    specs: list[dict[str, Any]],
    later: list[dict[str, Any]],
    primary_name: str | None,
    description: str | None,
) -> Table:
    """The Softr side of :func:`create_table_for`: the table with its fields and a RECORD_ID
    field, then the links of the model to itself."""
    if not any(_field_type(f) == "RECORD_ID" for f in model._meta.fields.values()):
        specs = [*specs, _record_id_spec(model._meta.fields.values())]
    table = session.api.create_table(
        database_id,
        name,
        fields=specs,
        description=description,
        primary_field_name=primary_name,
    )
    for spec in later:  # links of the model to itself
        options: dict[str, Any] = {"linkedTableId": table.id}
        if spec.get("allowMultipleEntries"):
            options["allowMultipleEntries"] = True  # add-field has no top-level key for it
        session.api.add_field(database_id, table.id, spec["name"], spec["type"], options=options)
    if later:
        table = session.api.get_table(database_id, table.id)
    return table
