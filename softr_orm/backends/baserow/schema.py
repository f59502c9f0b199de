"""Baserow's tables and fields as the seam's ``TableDefinition``/``FieldDefinition``.

Baserow's field types (baserow-api.md §4.4) are mapped onto the ORM's type names, so the same
field classes serve both backends:

===========================  ==========================================================
Baserow type                 ORM type name
===========================  ==========================================================
text                         SINGLE_LINE_TEXT
long_text                    LONG_TEXT
number (0 decimal places)    NUMBER
number (decimal places)      CURRENCY (an exact Decimal: Baserow stores fixed-point)
boolean                      CHECKBOX
date                         DATE, or DATETIME with ``date_include_time``
link_row                     LINKED_RECORD (multiple unless one relationship only)
single_select                SELECT
multiple_select              SELECT with ``allow_multiple_entries``
file                         ATTACHMENT
email / url / phone_number   EMAIL / URL / PHONE
rating / duration            RATING / DURATION
created_on / last_modified   CREATED_AT / UPDATED_AT
created_by / last_modified   CREATED_BY / UPDATED_BY
_by
multiple_collaborators       USER with ``allow_multiple_entries``
autonumber                   AUTONUMBER
formula / count              FORMULA (read-only)
lookup / rollup              LOOKUP / ROLLUP
uuid, password, ai, ...      the type in capitals (``UUID``: read with ``fields.Raw``)
===========================  ==========================================================

Field ids are Baserow's row keys, ``"field_<id>"``, so a row answered by Baserow is already
keyed the way the ORM reads records and needs no copy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = [
    "READ_ONLY_BASEROW_TYPES",
    "BaserowField",
    "BaserowTable",
    "baserow_spec",
    "field_key",
    "field_number",
    "orm_type",
]

READ_ONLY_BASEROW_TYPES: Final = frozenset(
    {
        "formula",
        "count",
        "rollup",
        "lookup",
        "created_on",
        "last_modified",
        "created_by",
        "last_modified_by",
        "uuid",
        "autonumber",
    }
)

_SIMPLE: Final[Mapping[str, str]] = {
    "text": "SINGLE_LINE_TEXT",
    "long_text": "LONG_TEXT",
    "boolean": "CHECKBOX",
    "link_row": "LINKED_RECORD",
    "single_select": "SELECT",
    "multiple_select": "SELECT",
    "file": "ATTACHMENT",
    "email": "EMAIL",
    "url": "URL",
    "phone_number": "PHONE",
    "rating": "RATING",
    "duration": "DURATION",
    "created_on": "CREATED_AT",
    "last_modified": "UPDATED_AT",
    "created_by": "CREATED_BY",
    "last_modified_by": "UPDATED_BY",
    "multiple_collaborators": "USER",
    "autonumber": "AUTONUMBER",
    "formula": "FORMULA",
    "count": "FORMULA",
    "lookup": "LOOKUP",
    "rollup": "ROLLUP",
}


def field_key(field_id: int) -> str:
    """The row key (and the ORM's field id) of a Baserow field id: ``12`` -> ``"field_12"``."""
    return f"field_{field_id}"


def field_number(key: str) -> int | None:
    """The Baserow field id in a row key (``"field_12"`` -> 12), or None."""
    if key.startswith("field_") and key[6:].isdigit():
        return int(key[6:])
    return None


def orm_type(raw: Mapping[str, Any]) -> str:
    """The ORM's type name of a Baserow field object (F1's answer)."""
    kind = str(raw.get("type") or "")
    if kind == "number":
        return "CURRENCY" if (raw.get("number_decimal_places") or 0) > 0 else "NUMBER"
    if kind == "date":
        return "DATETIME" if raw.get("date_include_time") else "DATE"
    return _SIMPLE.get(kind, kind.upper() or "UNKNOWN")


def _options(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The options the field classes read (``choices``, ``max``, ``linkedTableId``), plus
    Baserow's own keys for tools."""
    options: dict[str, Any] = {}
    kind = raw.get("type")
    select = raw.get("select_options")
    if isinstance(select, list):
        options["choices"] = [
            {"id": str(o.get("id")), "label": o.get("value"), "color": o.get("color")}
            for o in select
            if isinstance(o, Mapping)
        ]
        options["allowToAddNewChoice"] = False  # Baserow refuses values not among its options
    if kind == "rating" and isinstance(raw.get("max_value"), int):
        options["max"] = raw["max_value"]
    if kind == "link_row" and raw.get("link_row_table_id") is not None:
        options["linkedTableId"] = str(raw["link_row_table_id"])
    if kind == "number":
        options["precision"] = raw.get("number_decimal_places") or 0
    if kind == "duration":
        options["format"] = raw.get("duration_format")
    return options


@dataclass(frozen=True)
class BaserowField:
    """One live Baserow field (satisfies the seam's ``FieldDefinition``).

    Attributes:
        id: the ORM's field id, ``"field_<n>"``.
        number: Baserow's integer field id.
        baserow_type: Baserow's type name (``"single_select"``...).
        raw: the field object Baserow answered, for the compiler and the tools.
    """

    id: str
    number: int
    name: str
    type: str
    baserow_type: str
    options: dict[str, Any]
    allow_multiple_entries: bool
    readonly: bool
    primary: bool
    raw: Mapping[str, Any] = field(repr=False, compare=False)
    required: bool = False
    is_valid: bool = True
    description: str | None = None

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> BaserowField:
        """Build from one object of ``GET /database/fields/table/{id}/``."""
        number = int(raw["id"])
        kind = str(raw.get("type") or "")
        multiple = kind in ("multiple_select", "multiple_collaborators") or (
            kind == "link_row" and raw.get("link_row_multiple_relationships", True) is not False
        )
        return cls(
            id=field_key(number),
            number=number,
            name=str(raw.get("name") or ""),
            type=orm_type(raw),
            baserow_type=kind,
            options=_options(raw),
            allow_multiple_entries=multiple,
            readonly=bool(raw.get("read_only")) or kind in READ_ONLY_BASEROW_TYPES,
            primary=bool(raw.get("primary")),
            raw=raw,
            is_valid=not raw.get("error"),
            description=raw.get("description") or None,
        )

    @property
    def is_read_only(self) -> bool:
        return self.readonly

    @property
    def is_date_only(self) -> bool:
        return self.type == "DATE"

    @property
    def choice_labels(self) -> list[str]:
        choices = self.options.get("choices") or []
        return [c["label"] for c in choices if isinstance(c.get("label"), str)]

    def option_ids(self) -> dict[str, int]:
        """Select option value -> Baserow option id (the first of equal values, as Baserow)."""
        ids: dict[str, int] = {}
        for option in self.raw.get("select_options") or []:
            if isinstance(option, Mapping) and isinstance(option.get("value"), str):
                ids.setdefault(option["value"], int(option["id"]))
        return ids

    @property
    def result_type(self) -> str:
        """What a formula-family field computes (``"number"``, ``"text"``, ``"array"``...);
        the field's own Baserow type for other fields."""
        if self.baserow_type == "count":
            return "number"
        formula_type = self.raw.get("formula_type")
        return str(formula_type) if isinstance(formula_type, str) else self.baserow_type


@dataclass(frozen=True)
class BaserowTable:
    """One live Baserow table with its fields (satisfies the seam's ``TableDefinition``)."""

    id: str
    name: str
    database_id: str
    fields: Sequence[BaserowField]
    by_id: Mapping[str, BaserowField] = field(repr=False, compare=False, default_factory=dict)
    description: str | None = None

    @classmethod
    def build(
        cls, table_id: int | str, name: str, database_id: int | str, fields: Sequence[Any]
    ) -> BaserowTable:
        """A table from its id, name, database and the field objects Baserow answered."""
        parsed = [BaserowField.from_api(f) for f in fields if isinstance(f, Mapping)]
        return cls(
            id=str(table_id),
            name=name,
            database_id=str(database_id),
            fields=parsed,
            by_id={f.id: f for f in parsed},
        )

    @property
    def primary_field_id(self) -> str | None:
        return next((f.id for f in self.fields if f.primary), None)

    def field(self, key: str) -> BaserowField | None:
        """The field with ORM field id ``key`` (``"field_12"``), or None."""
        return self.by_id.get(key)


#: The ORM's type names -> the Baserow field object that creates such a field.
_CREATE: Final[Mapping[str, dict[str, Any]]] = {
    "SINGLE_LINE_TEXT": {"type": "text"},
    "LONG_TEXT": {"type": "long_text"},
    "EMAIL": {"type": "email"},
    "URL": {"type": "url"},
    "PHONE": {"type": "phone_number"},
    "NUMBER": {"type": "number", "number_decimal_places": 0, "number_negative": True},
    "CURRENCY": {"type": "number", "number_decimal_places": 2, "number_negative": True},
    "PERCENT": {"type": "number", "number_decimal_places": 2, "number_suffix": "%"},
    "RATING": {"type": "rating"},
    "DURATION": {"type": "duration", "duration_format": "h:mm:ss"},
    "CHECKBOX": {"type": "boolean"},
    "DATE": {"type": "date", "date_include_time": False, "date_format": "ISO"},
    "DATETIME": {"type": "date", "date_include_time": True, "date_format": "ISO"},
    "ATTACHMENT": {"type": "file"},
    "USER": {"type": "multiple_collaborators"},
    "CREATED_AT": {"type": "created_on", "date_include_time": True},
    "UPDATED_AT": {"type": "last_modified", "date_include_time": True},
    "CREATED_BY": {"type": "created_by"},
    "UPDATED_BY": {"type": "last_modified_by"},
    "AUTONUMBER": {"type": "autonumber"},
    "UUID": {"type": "uuid"},
}


def baserow_spec(spec: Mapping[str, Any]) -> dict[str, Any] | None:
    """A Baserow field object for a field spec in the ORM's terms (``{"name", "type",
    "options", "allowMultipleEntries", "description"}``), or None for a type Baserow cannot
    create from a spec alone (formulas, lookups, rollups: their expression is unknown).

    Selects get no options: add them in Baserow (it refuses values that are not options).
    """
    kind = str(spec.get("type"))
    options = spec.get("options") or {}
    multiple = bool(spec.get("allowMultipleEntries"))
    out: dict[str, Any]
    if kind == "SELECT":
        out = {"type": "multiple_select" if multiple else "single_select", "select_options": []}
    elif kind == "LINKED_RECORD":
        out = {
            "type": "link_row",
            "link_row_table_id": int(options["linkedTableId"]),
            "link_row_multiple_relationships": multiple,
        }
    elif kind in _CREATE:
        out = dict(_CREATE[kind])
        if kind == "RATING" and options.get("max"):
            out["max_value"] = options["max"]
    else:
        return None
    out["name"] = spec["name"]
    if spec.get("description"):
        out["description"] = spec["description"]
    return out
