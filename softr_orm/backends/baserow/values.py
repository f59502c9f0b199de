"""Baserow rows to the ORM's read shapes, and the ORM's write forms to Baserow's.

Most Baserow values already are what the field classes read (text, booleans, ratings, ISO
dates, numbers as decimal strings, which ``Number`` and ``Currency`` parse exactly, durations
in seconds). Only objects whose keys differ are rewritten, in place and only for the fields
that need it, so hydrating a page costs one pass over a few columns (baserow-api.md §4.4):

* select options ``{"id", "value", "color"}`` -> ``{"id": "<id>", "label": value}``;
* link rows ``{"id", "value", "order"}`` -> ``{"id": "<row id>", "label": value}``;
* files -> the Attachment shape (``url``, ``filename``, ``type``, ``size``, ``id`` = the
  stored file's name, ``thumbnailUrl``);
* collaborators and created/last-modified-by ``{"id": 5, "name"}`` -> ``{"id": "5", "name"}``;
* lookups ``[{"id", "value"}]`` -> the list of values.

Record ids reach the ORM as strings of digits (``"3"``), as every id does; writes turn them
back into Baserow's integers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from softr_orm.backends.base import Record
from softr_orm.backends.baserow.schema import BaserowField, BaserowTable
from softr_orm.errors import InvalidValue

__all__ = [
    "Reader",
    "Writer",
    "row_id",
]

Convert = Callable[[Any], Any]


def row_id(record_id: Any) -> int:
    """Baserow's integer row id from the ORM's id (``"3"`` or ``3``).

    Raises:
        ValueError: not a positive whole number.
    """
    if isinstance(record_id, bool):
        raise ValueError(f"not a Baserow row id: {record_id!r}")
    if isinstance(record_id, int) and record_id > 0:
        return record_id
    if isinstance(record_id, str) and record_id.isdigit() and int(record_id) > 0:
        return int(record_id)
    raise ValueError(f"not a Baserow row id (a positive whole number): {record_id!r}")


# --- reads ----------------------------------------------------------------------------------


def _option(raw: Any) -> Any:
    # In place: the answer's own dict gains the key the field classes read (no copy).
    if type(raw) is dict and "value" in raw:
        raw["label"] = raw["value"]
    return raw


def _options(raw: Any) -> Any:
    if type(raw) is list:
        for item in raw:
            if type(item) is dict and "value" in item:
                item["label"] = item["value"]
    return raw


def _links(raw: Any) -> Any:
    if type(raw) is list:
        for item in raw:
            if type(item) is dict and "id" in item:
                item["id"] = str(item["id"])
                item["label"] = item.get("value")
    return raw


def _user(raw: Any) -> Any:
    if type(raw) is dict and "id" in raw:
        return {"id": str(raw["id"]), "name": raw.get("name")}
    return raw


def _users(raw: Any) -> Any:
    if type(raw) is list:
        return [_user(item) for item in raw]
    return raw


def _file(raw: Any) -> Any:
    if type(raw) is not dict:
        return raw
    thumbnails = raw.get("thumbnails")
    small = thumbnails.get("small") if isinstance(thumbnails, dict) else None
    return {
        "url": raw.get("url"),
        "filename": raw.get("visible_name") or raw.get("name"),
        "type": raw.get("mime_type"),
        "size": raw.get("size"),
        "id": raw.get("name"),
        "thumbnailUrl": small.get("url") if isinstance(small, dict) else None,
    }


def _files(raw: Any) -> Any:
    if type(raw) is list:
        return [_file(item) for item in raw]
    return raw


def _lookup(raw: Any) -> Any:
    if type(raw) is list:
        return [
            _option(item["value"]) if type(item) is dict and "value" in item else item
            for item in raw
        ]
    return raw


_READERS: Final[Mapping[str, Convert]] = {
    "single_select": _option,
    "multiple_select": _options,
    "link_row": _links,
    "file": _files,
    "multiple_collaborators": _users,
    "created_by": _user,
    "last_modified_by": _user,
    "lookup": _lookup,
}


def _formula_reader(field: BaserowField) -> Convert | None:
    result = field.result_type
    if result == "single_select":
        return _option
    if result in ("multiple_select",):
        return _options
    if result in ("array", "link"):
        return _lookup if result == "array" else None
    return None


class Reader:
    """Turns rows of one table into :class:`Record` dicts, converting only the columns whose
    shapes differ from the ORM's (the row dict itself becomes the record's ``fields``)."""

    def __init__(self, table: BaserowTable) -> None:
        converters: list[tuple[str, Convert]] = []
        for field in table.fields:
            if field.baserow_type in ("formula", "rollup"):
                convert = _formula_reader(field)
            else:
                convert = _READERS.get(field.baserow_type)
            if convert is not None:
                converters.append((field.id, convert))
        self.converters = tuple(converters)

    def record(self, row: dict[str, Any]) -> Record:
        """One row as a record (``row`` is changed in place and kept as ``fields``)."""
        for key, convert in self.converters:
            value = row.get(key)
            if value is not None:
                row[key] = convert(value)
        return {"id": str(row.get("id")), "fields": row}

    def records(self, rows: Sequence[Any]) -> list[Record]:
        """Every row of an answer as a record (non-objects are skipped). The hot path of
        hydration: each row is visited once, and gains one small dict around it."""
        return self._records(rows)

    @functools.cached_property
    def _records(self) -> Callable[[Sequence[Any]], list[Record]]:
        """:meth:`records` as code generated for this table's columns (compiled on first
        use), with the select rewrites inline: a call per column and row was most of the
        reader's cost. The same rewrites as :meth:`record`, value for value."""
        namespace: dict[str, Any] = {}
        body: list[str] = []
        for index, (key, convert) in enumerate(self.converters):
            k = repr(key)  # a literal, whatever the server named the field
            body.append(f"v = row.get({k})")
            if convert is _option:
                body += ["if v.__class__ is dict and 'value' in v:", "    v['label'] = v['value']"]
            elif convert is _options:
                body += [
                    "if v.__class__ is list:",
                    "    for item in v:",
                    "        if item.__class__ is dict and 'value' in item:",
                    "            item['label'] = item['value']",
                ]
            else:
                namespace[f"c{index}"] = convert
                body += ["if v is not None:", f"    row[{k}] = c{index}(v)"]
        lines = [
            "def records(rows):",
            "    out = []",
            "    append = out.append",
            "    for row in rows:",
            "        if row.__class__ is not dict:",
            "            continue",
            *("        " + line for line in body),
            "        append({'id': str(row.get('id')), 'fields': row})",
            "    return out",
        ]
        exec(compile("\n".join(lines) + "\n", "<softr_orm baserow reader>", "exec"), namespace)
        records: Callable[[Sequence[Any]], list[Record]] = namespace["records"]
        return records


# --- writes ---------------------------------------------------------------------------------


def _link_ids(value: Any) -> Any:
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    return [row_id(item.get("id") if isinstance(item, Mapping) else item) for item in items]


def _collaborators(value: Any) -> Any:
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        user_id = item.get("id") if isinstance(item, Mapping) else item
        if user_id is None:
            raise ValueError("a Baserow collaborator is given by user id; an email is not enough")
        out.append({"id": row_id(user_id)})
    return out


def _select_list(value: Any) -> Any:
    return [] if value is None else value


def _rating(value: Any) -> Any:
    return 0 if value is None else value  # Baserow's rating is never null: 0 is "no rating"


def file_name(url: str) -> str | None:
    """The stored file's name in a Baserow media URL (``.../user_files/<name>``), or None."""
    path = urlsplit(url).path
    if "/user_files/" not in path:
        return None
    name = unquote(path.rsplit("/", 1)[-1])
    return name or None


class Writer:
    """Turns ``{field id: ORM write form}`` into a Baserow body for one table.

    Args:
        table: the live table.
        upload: called with a URL that is not a Baserow file, returns the stored file's name
            (Baserow's ``upload-via-url``), or None to refuse such URLs.
    """

    def __init__(self, table: BaserowTable, upload: Callable[[str], str] | None = None) -> None:
        self.table = table
        self.upload = upload
        self._converters: dict[str, Convert] = {}
        for field in table.fields:
            kind = field.baserow_type
            if kind == "link_row":
                self._converters[field.id] = _link_ids
            elif kind == "multiple_collaborators":
                self._converters[field.id] = _collaborators
            elif kind == "multiple_select":
                self._converters[field.id] = _select_list
            elif kind == "rating":
                self._converters[field.id] = _rating
            elif kind == "file":
                self._converters[field.id] = self._files

    def _files(self, value: Any) -> Any:
        if value is None:
            return []
        out = []
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, str):
                item = {"url": item}
            if not isinstance(item, Mapping):
                raise ValueError(f"not a file: {item!r}")
            url = item.get("url")
            name = item.get("name") or (file_name(url) if isinstance(url, str) else None)
            if name is None:
                if self.upload is None or not isinstance(url, str):
                    raise ValueError(f"cannot store a file from {url!r}")
                name = self.upload(url)
            entry = {"name": name}
            if item.get("filename"):
                entry["visible_name"] = item["filename"]
            out.append(entry)
        return out

    def body(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """The Baserow body (a new dict; keys stay ``field_<id>``).

        Raises:
            InvalidValue: a value Baserow cannot take, naming the table and field.
        """
        converters = self._converters
        if not converters:
            return dict(fields)
        out: dict[str, Any] = {}
        for key, value in fields.items():
            convert = converters.get(key)
            try:
                out[key] = value if convert is None else convert(value)
            except ValueError as error:
                live = self.table.field(key)
                name = live.name if live is not None else key
                raise InvalidValue(
                    f"table {self.table.name or self.table.id}", name, value, str(error)
                ) from None
        return out
