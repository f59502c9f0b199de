"""Model code generation: Python source for the tables of a live Softr database.

``softr-orm inspect`` (see :mod:`softr_orm.schema.tools`) lists a database's tables and hands
them to :func:`generate_module`, which writes one :class:`~softr_orm.models.base.Model` per table.
The output is meant to be committed and then edited by hand, so it is written the way a person
would write it: readable Softr names as the first argument of each field, ``snake_case``
attributes, and PascalCase classes. Every field is also pinned by id (``field_id=``), so that
renaming a field in Softr never breaks the code (``softr-orm check`` reports the rename).

Nothing here talks to Softr: the input is plain
:class:`~softr_orm.backends.softr.resources.Table` objects, so the generator is tested without
a server.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from softr_orm._version import __version__
from softr_orm.constants import READ_ONLY_TYPES
from softr_orm.fields import FIELD_CLASSES, for_type
from softr_orm.models.base import Model
from softr_orm.models.declaration import model_attribute_names

if TYPE_CHECKING:
    from softr_orm.backends.softr.resources import Table, TableField, View

__all__ = [
    "FieldCode",
    "ModelCode",
    "attribute_names",
    "class_names",
    "generate_module",
    "model_code",
    "pascal_case",
    "snake_case",
]

#: Attribute names a generated field may never take: ``Model``'s own attributes (``id``,
#: ``save``, ``created_at``, ... read from the class, so new methods are covered too), and
#: ``fields``, which would shadow the module of that name in the class body for every field
#: declared after it.
RESERVED_ATTRIBUTES: frozenset[str] = model_attribute_names(Model) | {"fields"}
#: Module-level names a generated class may not take (they are imported by the module).
RESERVED_CLASSES: frozenset[str] = frozenset({"Model", "Meta"})

# Result types of Lookup/Rollup/Formula worth converting (scalar, not links or users).
_SCALAR_RESULTS = frozenset(
    {
        "SINGLE_LINE_TEXT",
        "LONG_TEXT",
        "EMAIL",
        "PHONE",
        "URL",
        "NUMBER",
        "CURRENCY",
        "PERCENT",
        "RATING",
        "DURATION",
        "CHECKBOX",
        "DATE",
        "DATETIME",
        "SELECT",
    }
)
_NUMERIC_ROLLUPS = frozenset({"SUM", "MIN", "MAX", "AVERAGE"})
_COUNT_ROLLUPS = frozenset({"COUNT", "COUNTA", "COUNTALL"})
_LINE_LIMIT = 100
#: Longer Softr names are cut (the readable name stays in full as the field's argument).
_NAME_LIMIT = 60


# --- names -------------------------------------------------------------------------------


# Letters NFKD does not decompose into ASCII.
_SPELLED = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "Ae",
        "ø": "o",
        "Ø": "O",
        "œ": "oe",
        "Œ": "Oe",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "þ": "th",
        "Þ": "Th",
    }
)


def _ascii_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.translate(_SPELLED))
    folded = folded.encode("ascii", "ignore").decode("ascii")
    # Split camelCase and acronyms too: "createdAt" -> created At, "CRMLeads" -> CRM Leads.
    folded = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", folded)
    folded = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", folded)
    return [w for w in re.split(r"[^A-Za-z0-9]+", folded) if w]


def snake_case(name: str) -> str:
    """A ``snake_case`` Python identifier for a Softr field name (``"Full Name"`` -> ``full_name``).

    Accents are folded to ASCII, other characters dropped and long names cut to 60
    characters; a name left empty becomes ``field`` and one starting with a digit gets a
    ``field_`` prefix. Python keywords and names reserved by :class:`~softr_orm.models.base.Model`
    get a trailing underscore.
    """
    words = _ascii_words(name)
    ident = "_".join(w.lower() for w in words)[:_NAME_LIMIT].rstrip("_") or "field"
    if ident[0].isdigit():
        ident = "field_" + ident
    if keyword.iskeyword(ident) or ident in RESERVED_ATTRIBUTES:
        ident += "_"
    return ident


def pascal_case(name: str) -> str:
    """A ``PascalCase`` class name for a Softr table name (``"Deal stages"`` -> ``DealStages``).

    Words keep their inner capitals (``"CRM leads"`` -> ``CRMLeads``); a name left empty
    becomes ``Table`` and one starting with a digit gets a ``Table`` prefix.
    """
    ident = "".join(w[0].upper() + w[1:] for w in _ascii_words(name))[:_NAME_LIMIT] or "Table"
    if ident[0].isdigit():
        ident = "Table" + ident
    if keyword.iskeyword(ident) or ident in RESERVED_CLASSES:
        ident += "_"
    return ident


def _dedupe(base: str, taken: set[str], sep: str) -> str:
    candidate, n = base, 2
    while candidate in taken:
        candidate = f"{base}{sep}{n}"
        n += 1
    taken.add(candidate)
    return candidate


def class_names(tables: Iterable[Table]) -> dict[str, str]:
    """Table id -> class name, PascalCase and unique (``Contacts``, ``Contacts2``, ...)."""
    taken: set[str] = set()
    return {t.id: _dedupe(pascal_case(t.name), taken, "") for t in tables}


def attribute_names(table_fields: Iterable[TableField]) -> dict[str, str]:
    """Field id -> attribute name, snake_case and unique within the table (``name_2``...)."""
    taken: set[str] = set()
    return {f.id: _dedupe(snake_case(f.name), taken, "_") for f in table_fields}


# --- literals ----------------------------------------------------------------------------


def _literal(text: str) -> str:
    """A Python string literal, double-quoted when that needs no escaping (as ruff writes)."""
    shown = repr(text)
    if shown.startswith("'") and '"' not in text and "'" not in text:
        return '"' + shown[1:-1] + '"'
    return shown


def _one_line(text: str) -> str:
    """Text safe for a ``#`` comment: one line, printable."""
    flat = " ".join(text.split())
    return "".join(c if c.isprintable() else "?" for c in flat)


def _doc(text: str) -> str:
    """Text safe inside a triple-quoted docstring."""
    return _one_line(text).replace("\\", "\\\\").replace('"', '\\"')


# --- fields ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldCode:
    """One generated field declaration.

    Attributes:
        attname: the attribute name on the model.
        class_name: the :mod:`softr_orm.fields` class, e.g. ``"Select"``.
        args: rendered arguments, the Softr name first (``['"Tags"', 'field_id="x1"', ...]``).
        comment: an end-of-line remark (primary field, read-only flag, ...), or ``""``.
    """

    attname: str
    class_name: str
    args: tuple[str, ...]
    comment: str = ""

    def render(self, indent: str = "    ") -> str:
        """The declaration as source lines (wrapped one argument per line when long)."""
        call = f"fields.{self.class_name}"
        comment = f"  # {self.comment}" if self.comment else ""
        line = f"{indent}{self.attname} = {call}({', '.join(self.args)}){comment}"
        if len(line) <= _LINE_LIMIT:
            return line
        inner = indent + "    "
        lines = [f"{indent}{self.attname} = {call}({comment}"]
        lines.extend(f"{inner}{arg}," for arg in self.args)
        lines.append(f"{indent})")
        return "\n".join(lines)


def _result_class(softr_type: str | None, options: Mapping[str, Any] | None = None) -> str | None:
    if softr_type not in _SCALAR_RESULTS:
        return None
    if softr_type == "DATETIME" and (options or {}).get("precision") == "DATE":
        return "Date"
    return FIELD_CLASSES[softr_type].__name__


class _Context:
    """Lookups across the whole database: fields by id, tables by id, class names."""

    def __init__(self, tables: Sequence[Table], names: Mapping[str, str]) -> None:
        self.tables = {t.id: t for t in tables}
        self.names = names
        self.fields: dict[tuple[str, str], TableField] = {}
        for table in tables:
            for each in table.fields:
                self.fields[(table.id, each.id)] = each

    def linked_field(self, table: Table, link_id: Any, target_id: Any) -> TableField | None:
        """The field ``target_id`` of the table that ``table``'s link ``link_id`` points to."""
        link = self.fields.get((table.id, link_id)) if isinstance(link_id, str) else None
        if link is None or not isinstance(target_id, str):
            return None
        linked_table = link.options.get("linkedTableId")
        if not isinstance(linked_table, str):
            return None
        return self.fields.get((linked_table, target_id))


def _computed_result(table: Table, live: TableField, ctx: _Context) -> tuple[str, str] | None:
    """``("of"|"returns", class name)`` for a Lookup/Rollup/Formula whose result is known."""
    options = live.options
    if live.type == "LOOKUP":
        source = ctx.linked_field(
            table, options.get("linkedRecordFieldId"), options.get("lookupFieldId")
        )
        if source is None or source.allow_multiple_entries:
            return None
        found = _result_class(source.type, source.options)
        return ("of", found) if found else None
    if live.type == "ROLLUP":
        function = str(options.get("function") or "").upper()
        if function in _COUNT_ROLLUPS:
            return ("returns", "Number")
        if function in _NUMERIC_ROLLUPS:
            source = ctx.linked_field(
                table, options.get("linkedRecordFieldId"), options.get("rollupFieldId")
            )
            if source is not None and source.type in ("NUMBER", "CURRENCY", "PERCENT", "DURATION"):
                return ("returns", FIELD_CLASSES[source.type].__name__)
        return None
    if live.type == "FORMULA":
        returned = options.get("returnedField")
        if isinstance(returned, Mapping):
            inner = returned.get("options")
            found = _result_class(
                returned.get("type"), inner if isinstance(inner, Mapping) else None
            )
            return ("returns", found) if found else None
    return None


def _field_code(table: Table, live: TableField, attname: str, ctx: _Context) -> FieldCode:
    args = [_literal(live.name), f"field_id={_literal(live.id)}"]
    notes: list[str] = []
    cls = for_type(live.type)
    class_name = cls.__name__
    if live.type == "DATETIME" and live.options.get("precision") == "DATE":
        class_name = "Date"  # legacy date-only fields (softr-api.md §8.15)
    if class_name == "Raw":
        args.append(f"type_name={_literal(live.type)}")
        notes.append(f"unknown Softr type {live.type}: values stay raw JSON")
    elif live.type == "LINKED_RECORD":
        target_id = live.options.get("linkedTableId")
        target = ctx.names.get(target_id) if isinstance(target_id, str) else None
        if target is None:
            class_name = "Raw"
            args.append(f"type_name={_literal(live.type)}")
            notes.append(f"links to a table not in this database ({target_id})")
        else:
            args.append(f"to={_literal(target)}")
            args.append(f"multiple={live.allow_multiple_entries}")
    elif live.type in ("SELECT", "USER") and live.allow_multiple_entries:
        args.append("multiple=True")
    elif live.type == "RATING":
        limit = live.options.get("max")
        if type(limit) is int and limit > 0:
            args.append(f"max={limit}")
    elif live.type in ("LOOKUP", "ROLLUP", "FORMULA"):
        result = _computed_result(table, live, ctx)
        if result is not None:
            args.append(f"{result[0]}=fields.{result[1]}")
    if live.required and live.type not in READ_ONLY_TYPES:
        args.append("required=True")
    if live.description:
        args.append(f"help_text={_literal(live.description)}")
    if live.id == table.primary_field_id:
        notes.insert(0, "primary field")
    if live.readonly and live.type not in READ_ONLY_TYPES:
        notes.append("read-only in Softr")
    return FieldCode(attname, class_name, tuple(args), "; ".join(notes))


# --- models ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelCode:
    """One generated model class (see :func:`model_code`)."""

    class_name: str
    table: Table
    database_id: str
    fields: tuple[FieldCode, ...]
    views: tuple[View, ...] = field(default=())

    def render(self) -> str:
        """The class as source code."""
        lines = [f"class {self.class_name}(Model):"]
        doc = f'    """The Softr table "{_doc(self.table.name)}".'
        if self.table.description:
            doc += f"\n\n    {_doc(self.table.description)}"
        if self.views:
            doc += "\n\n    Views (``objects.view(id)``):\n"
            doc += "\n".join(f'        - "{_doc(v.name)}": ``{_doc(v.id)}``' for v in self.views)
        lines.append(doc + ('\n    """' if "\n" in doc else '"""'))
        lines.append("")
        lines.extend(f.render() for f in self.fields)
        if self.fields:
            lines.append("")
        lines.append("    class Meta:")
        lines.append(f"        database = {_literal(self.database_id)}")
        lines.append(f"        table = {_literal(self.table.id)}  # {_one_line(self.table.name)}")
        return "\n".join(lines)


def model_code(
    table: Table,
    *,
    database_id: str,
    tables: Sequence[Table] | None = None,
    names: Mapping[str, str] | None = None,
    views: Sequence[View] = (),
) -> ModelCode:
    """The model for one table.

    Args:
        table: the live table, with its fields.
        database_id: the database the table belongs to (``Meta.database``).
        tables: every table of the database (to name link targets and type lookups);
            defaults to ``[table]``.
        names: table id -> class name; defaults to :func:`class_names` of ``tables``.
        views: the table's saved views, listed in the class docstring.
    """
    all_tables = list(tables) if tables is not None else [table]
    if all(t.id != table.id for t in all_tables):
        all_tables.append(table)
    names = names if names is not None else class_names(all_tables)
    ctx = _Context(all_tables, names)
    attnames = attribute_names(table.fields)
    declared = tuple(_field_code(table, f, attnames[f.id], ctx) for f in table.fields)
    return ModelCode(names[table.id], table, database_id, declared, tuple(views))


def generate_module(
    tables: Sequence[Table],
    *,
    database_id: str,
    database_name: str | None = None,
    only: Iterable[str] | None = None,
    views: Mapping[str, Sequence[View]] | None = None,
    command: str | None = None,
) -> str:
    """Python source of a module with one model per table.

    Args:
        tables: every table of the database (all are used to name classes and link
            targets, so a class keeps its name whether or not ``only`` selects it).
        database_id: the database's id, written into each ``Meta``.
        database_name: shown in the module docstring.
        only: table ids to generate (default: all), in the order of ``tables``.
        views: table id -> its saved views, listed in each class docstring.
        command: the command line that generated the module, for the docstring.

    Returns:
        The module's source, ending with a newline. It imports ``Model`` and ``fields``
        from :mod:`softr_orm` only, and passes ``mypy --strict``.
    """
    names = class_names(tables)
    wanted = None if only is None else set(only)
    selected = [t for t in tables if wanted is None or t.id in wanted]
    models = [
        model_code(
            t,
            database_id=database_id,
            tables=tables,
            names=names,
            views=(views or {}).get(t.id, ()),
        )
        for t in selected
    ]
    where = f'"{_doc(database_name)}" ({_doc(database_id)})' if database_name else _doc(database_id)
    out = [f'"""Models for the Softr database {where}.', ""]
    if command:
        out += [f"Generated by softr-orm {__version__}::", "", f"    {_doc(command)}", ""]
    else:
        out += [f"Generated by ``softr-orm inspect`` (softr-orm {__version__}).", ""]
    out += [
        "Each field is pinned by id (``field_id=``), so renaming it in Softr does not break",
        "this module; the first argument is its Softr name at generation time. Run",
        "``softr-orm check <this module>`` to compare the models with the live schema again.",
        '"""',
        "",
        "from softr_orm import Model, fields",
        "",
    ]
    exported = [_literal(m.class_name) for m in models]
    line = "__all__ = [" + ", ".join(exported) + "]"
    if not exported:
        line = "__all__: list[str] = []"
    elif len(line) > _LINE_LIMIT:
        line = "__all__ = [\n" + "".join(f"    {name},\n" for name in exported) + "]"
    out.append(line)
    for model in models:
        out.extend(["", "", model.render()])
    return "\n".join(out) + "\n"
