"""Field ids known without a request: pinned ids, or a schema snapshot beside the models.

``Model.from_record(payload)`` turns a webhook body or a cached record into an instance. The
payload's fields are keyed by field id (or by name); reading them needs only the model's
attribute -> field id map. That map is known without asking the service when every field is
pinned (``field_id=...``), or when a **schema snapshot** lies beside the module that declares
the model: ``softr-orm inspect DATABASE_ID --snapshot`` writes one (a JSON file named
:data:`SNAPSHOT_FILENAME`, tables and fields with their ids and names, several databases
merged in one file).

A snapshot is only ever used to *read* payloads: queries and writes bind to the live schema
as always (a stale snapshot can then not send a wrong id).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from softr_orm.errors import ConfigurationError
from softr_orm.query.databases import database_overrides

if TYPE_CHECKING:
    from softr_orm.backends.base import TableDefinition

__all__ = [
    "SNAPSHOT_FILENAME",
    "SNAPSHOT_FORMAT",
    "OfflineSchema",
    "offline_schema",
    "snapshot_path_for",
    "write_snapshot",
]

#: The name of the snapshot file, looked for in the directory of a model's module.
SNAPSHOT_FILENAME = "softr_schema.json"
#: The version of the file's layout (the ``"format"`` key).
SNAPSHOT_FORMAT = 1


@dataclass(frozen=True)
class OfflineSchema:
    """A model's field ids, known without a request.

    Attributes:
        ids: attribute name -> field id.
        by_name: Softr field name -> field id (for payloads keyed by name).
    """

    ids: Mapping[str, str]
    by_name: Mapping[str, str]
    #: What the models layer derives from these ids once (the converters of a model).
    extra: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


def offline_schema(model: type[Any]) -> OfflineSchema | None:
    """The model's field ids from pinned ids or a snapshot, or None when neither knows them.

    Computed once per model and database and kept in the model's options: ``from_record``
    asks on every call, so a repeated answer costs two dictionary lookups. The snapshot file
    is read when a model first needs it; a snapshot written later is seen by the next
    process.
    """
    meta = model._meta
    declared = meta.database
    overrides = database_overrides()
    database_id = overrides.get(declared, declared) if overrides and declared else declared
    known: dict[str | None, OfflineSchema | None] = meta.offline_schemas
    try:
        return known[database_id]
    except KeyError:
        pass
    found = _from_pinned_ids(model) or _from_snapshot(model, database_id)
    known[database_id] = found  # the same answer whichever thread computes it
    return found


def _from_pinned_ids(model: type[Any]) -> OfflineSchema | None:
    declared = model._meta.fields
    if not declared or not all(f.field_id for f in declared.values()):
        return None
    return OfflineSchema(
        ids={attname: f.field_id for attname, f in declared.items()},
        by_name={f.name: f.field_id for f in declared.values() if f.name},
    )


def snapshot_path_for(model: type[Any]) -> Path | None:
    """Where a snapshot for ``model`` would lie: beside the file of its module."""
    module = sys.modules.get(model.__module__)
    filename = getattr(module, "__file__", None)
    return Path(filename).parent / SNAPSHOT_FILENAME if filename else None


def _from_snapshot(model: type[Any], database_id: str | None) -> OfflineSchema | None:
    meta = model._meta
    path = snapshot_path_for(model)
    if path is None or database_id is None or meta.table is None or not path.is_file():
        return None
    tables = _read(path).get("databases", {}).get(database_id, {}).get("tables", [])
    table = _match_table(tables, meta.table)
    if table is None:
        return None
    by_id = {f["id"]: f for f in table.get("fields", [])}
    by_name = {f["name"]: f["id"] for f in table.get("fields", [])}
    folded: dict[str, list[str]] = {}
    for name, fid in by_name.items():
        folded.setdefault(name.casefold(), []).append(fid)
    ids: dict[str, str] = {}
    for attname, declared in meta.fields.items():
        if declared.field_id:
            fid = declared.field_id if declared.field_id in by_id else None
        else:
            name = declared.name or attname
            candidates = folded.get(name.casefold(), [])
            fid = by_name.get(name) or (candidates[0] if len(candidates) == 1 else None)
        if fid is None:
            return None  # the snapshot does not match the model: ask the service instead
        ids[attname] = fid
    return OfflineSchema(ids=ids, by_name=by_name)


def _match_table(tables: Iterable[Mapping[str, Any]], wanted: str) -> Mapping[str, Any] | None:
    listed = list(tables)
    for key in ("id", "name"):
        found = next((t for t in listed if t.get(key) == wanted), None)
        if found is not None:
            return found
    folded = [t for t in listed if str(t.get("name", "")).casefold() == wanted.casefold()]
    return folded[0] if len(folded) == 1 else None


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigurationError(f"cannot read the schema snapshot {path}: {error}") from error
    if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
        raise ConfigurationError(
            f"{path} is not a softr-orm schema snapshot (format {SNAPSHOT_FORMAT}); "
            "write it again with `softr-orm inspect DATABASE_ID --snapshot`"
        )
    return data


def write_snapshot(path: str | Path, database_id: str, tables: Iterable[TableDefinition]) -> Path:
    """Write (or update) a snapshot of ``database_id``'s ``tables`` at ``path``.

    A directory gets a :data:`SNAPSHOT_FILENAME` in it. Other databases already in the file
    are kept, so one file can serve models of several databases.

    Returns:
        The file written.
    """
    target = Path(path)
    if target.is_dir():
        target = target / SNAPSHOT_FILENAME
    data: dict[str, Any] = {"format": SNAPSHOT_FORMAT, "databases": {}}
    if target.is_file():
        data = _read(target)
    data["databases"][database_id] = {
        "tables": [
            {
                "id": table.id,
                "name": table.name,
                "fields": [{"id": f.id, "name": f.name, "type": f.type} for f in table.fields],
            }
            for table in tables
        ]
    }
    target.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return target
