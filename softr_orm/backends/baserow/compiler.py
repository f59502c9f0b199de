"""Condition tree -> Baserow's ``filters`` tree and ``order_by`` (baserow-api.md §5, §6.1).

Baserow's filter tree nests AND/OR groups to any depth, but has no NOT. As for Softr, a
negation is pushed down to the leaves and each leaf replaced by its exact complement with
Django's ``exclude`` semantics (records whose value is empty are kept): ``NOT(points > 5)`` is
``OR(points <= 5, points empty)``. The ``empty`` leaf is always sent explicitly, whatever
Baserow's negated filter types do with NULL themselves.

Composite lookups are first rewritten into primitive ones (``in`` -> OR of ``exact``, ``range``
-> AND of ``gte``/``lte``, ``has_all`` -> AND of ``has_any`` per item, ``has_none`` -> NOT
``has_any``), so only ``exact``, ``gt``/``gte``/``lt``/``lte``, ``contains``, ``has_any`` and
``isnull`` need a Baserow filter type per field family. What Baserow cannot say exactly fails
here, before any request: ``startswith``/``endswith`` (Baserow has no such filter), a
date-time compared at a finer grain than a day, a filter value with surrounding spaces (Baserow
trims them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, TypeAlias

from softr_orm.backends.baserow.schema import BaserowField, BaserowTable
from softr_orm.backends.tree import (
    FALSE,
    RECORD_ID_KEY,
    TRUE,
    And,
    Condition,
    Constant,
    Group,
    Node,
    Not,
    Or,
    RawCondition,
    _freeze,
    simplify,
)
from softr_orm.errors import QueryError, UnsupportedLookup

__all__ = ["compile_filters", "encode_filters", "family"]

#: The relative-date tokens (``PREDEFINED:...``) and Baserow's operator for each.
DATE_TOKENS: Final[Mapping[str, str]] = {
    "TODAY": "today",
    "YESTERDAY": "yesterday",
    "TOMORROW": "tomorrow",
    "THIS_WEEK": "this_week",
    "NEXT_WEEK": "next_week",
    "ONE_WEEK_AGO": "one_week_ago",
    "THIS_MONTH": "this_month",
    "NEXT_MONTH": "next_month",
    "ONE_MONTH_AGO": "one_month_ago",
    "THIS_YEAR": "this_year",
    "NEXT_YEAR": "next_year",
    "ONE_YEAR_AGO": "one_year_ago",
}

#: Which filter types a field family supports, per primitive lookup (for messages).
_FAMILY_LOOKUPS: Final[Mapping[str, frozenset[str]]] = {
    "text": frozenset({"exact", "contains", "in", "isnull"}),
    "number": frozenset({"exact", "gt", "gte", "lt", "lte", "in", "range", "isnull"}),
    "boolean": frozenset({"exact", "isnull"}),
    "date": frozenset({"exact", "gt", "gte", "lt", "lte", "range", "within", "isnull"}),
    "single_select": frozenset({"exact", "in", "isnull"}),
    "multiple_select": frozenset({"has_any", "has_all", "has_none", "isnull"}),
    "link_row": frozenset({"exact", "has_any", "has_all", "has_none", "isnull"}),
    "collaborators": frozenset({"exact", "has_any", "has_all", "has_none", "isnull"}),
    "user": frozenset({"exact", "in", "has_any", "has_none", "isnull"}),
    "file": frozenset({"isnull"}),
    "uuid": frozenset({"exact", "in"}),
    "array": frozenset({"exact", "contains", "has_any", "has_all", "has_none", "isnull"}),
}

_TEXT_TYPES = frozenset({"text", "long_text", "url", "email", "phone_number", "char"})
_NUMBER_TYPES = frozenset({"number", "rating", "autonumber", "duration", "count"})
_NEVER_EMPTY = frozenset({"autonumber", "count", "uuid", "created_by", "last_modified_by"})


def family(field: BaserowField) -> str | None:
    """The filter family of a field (its result type's, for formulas), or None."""
    kind = field.baserow_type
    if kind in ("formula", "rollup", "count", "lookup"):
        kind = "array" if kind == "lookup" else field.result_type
    if kind in _TEXT_TYPES:
        return "text"
    if kind in _NUMBER_TYPES:
        return "number"
    if kind in ("date", "created_on", "last_modified"):
        return "date"
    if kind in ("created_by", "last_modified_by"):
        return "user"
    if kind == "multiple_collaborators":
        return "collaborators"
    if kind in ("boolean", "single_select", "multiple_select", "link_row", "file", "uuid"):
        return kind
    if kind == "array":
        return "array"
    return None


# --- the Baserow-level tree --------------------------------------------------------------------


@dataclass(frozen=True)
class _Leaf:
    field: int
    type: str
    value: str = ""


@dataclass(frozen=True)
class _Raw:
    filter: Mapping[str, Any]

    def __hash__(self) -> int:
        return hash(_freeze(self.filter))


_BNode: TypeAlias = _Leaf | _Raw | Group | Constant


def _or(*children: _BNode) -> _BNode:
    return Group("OR", children)


def _and(*children: _BNode) -> _BNode:
    return Group("AND", children)


# --- composite lookups into primitive ones ---------------------------------------------------


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _expand(c: Condition) -> Node | None:
    """A composite lookup as a tree of primitive ones; None when ``c`` is primitive."""

    def sub(lookup: str, value: Any) -> Condition:
        return Condition(c.key, lookup, value, c.softr_type, c.multiple, c.label)

    lookup, value = c.lookup, c.value
    if lookup == "exact" and value is None:
        return sub("isnull", True)
    if lookup == "in":
        return Or(tuple(sub("exact", v) for v in _items(value)))
    if lookup == "range" or (lookup == "within" and isinstance(value, (list, tuple))):
        if not (isinstance(value, (list, tuple)) and len(value) == 2) or None in value:
            raise QueryError(f"{c.label or c.key}: {lookup} needs a (start, end) pair")
        return And((sub("gte", value[0]), sub("lte", value[1])))
    if lookup == "within":
        return sub("exact", value)
    if lookup == "has_all":
        return And(tuple(sub("has_any", (v,)) for v in _items(value)))
    if lookup == "has_none":
        return Not(sub("has_any", value))
    if lookup == "has_any" and not _items(value):
        return FALSE
    return None


# --- primitive lookups, per family -------------------------------------------------------------


class _Compiler:
    def __init__(self, table: BaserowTable) -> None:
        self.table = table

    def unsupported(self, c: Condition, supported: frozenset[str]) -> UnsupportedLookup:
        model, _, name = (c.label or c.key).rpartition(".")
        return UnsupportedLookup(model or "?", name, f"{c.lookup} (on Baserow)", sorted(supported))

    def lower(self, node: Node, negate: bool) -> _BNode:
        if isinstance(node, Constant):
            return TRUE if node.value != negate else FALSE
        if isinstance(node, Not):
            return self.lower(node.child, not negate)
        if isinstance(node, (And, Or)):
            is_and = isinstance(node, And)
            operator = "AND" if is_and != negate else "OR"
            return Group(operator, tuple(self.lower(child, negate) for child in node.children))
        if isinstance(node, RawCondition):
            if negate:
                raise QueryError(
                    "a raw condition cannot be negated (exclude() or ~Q); write the negated "
                    f"Baserow filter yourself: {dict(node.condition)!r}"
                )
            return _Raw(dict(node.condition))
        if isinstance(node, Condition):
            expanded = _expand(node)
            if expanded is not None:
                return self.lower(expanded, negate)
            return self.leaf(node, negate)
        raise TypeError(f"not a condition node: {node!r}")

    def leaf(self, c: Condition, negate: bool) -> _BNode:
        if c.key == RECORD_ID_KEY:
            raise QueryError(
                f"{c.label or 'id'}: Baserow's filter tree cannot name the row id; the QuerySet "
                "fetches such rows by id instead"
            )
        field = self.table.field(c.key)
        if field is None:
            raise QueryError(
                f"{c.label or c.key}: Baserow has no filter on {c.key!r} (the created/updated "
                "pseudo-fields need a created_on/last_modified field in the table)"
            )
        kind = family(field)
        if kind is None:
            raise QueryError(
                f"{c.label or c.key}: Baserow cannot filter a {field.baserow_type} field"
            )
        supported = _FAMILY_LOOKUPS[kind]
        if c.lookup not in supported:
            raise self.unsupported(c, supported)
        if c.lookup == "isnull":
            if not isinstance(c.value, bool):
                raise QueryError(f"{c.label or c.key}: isnull takes True or False")
            return self.isnull(field, kind, c.value != negate)
        handler = getattr(self, f"_{kind}")
        result: _BNode = handler(field, c, negate)
        return result

    def isnull(self, field: BaserowField, kind: str, empty: bool) -> _BNode:
        if kind == "boolean":  # unchecked is false is empty
            return _Leaf(field.number, "boolean", "0" if empty else "1")
        if field.baserow_type in _NEVER_EMPTY or kind in ("uuid", "user"):
            return FALSE if empty else TRUE
        return _Leaf(field.number, "empty" if empty else "not_empty")

    def _keep_empty(self, field: BaserowField, kind: str, leaf: _BNode) -> _BNode:
        """``leaf`` OR the field is empty (the complement keeps empty values)."""
        empty = self.isnull(field, kind, True)
        return leaf if empty == FALSE else _or(leaf, empty)

    # --- families ---

    def _text(self, field: BaserowField, c: Condition, negate: bool) -> _BNode:
        value = c.value
        if not isinstance(value, str):
            raise QueryError(f"{c.label}: a text filter takes a str, got {value!r}")
        if value != value.strip():
            raise QueryError(
                f"{c.label}: Baserow trims filter values, so {value!r} cannot be matched "
                "exactly; strip it"
            )
        if c.lookup == "exact":
            if value == "":
                return self.isnull(field, "text", not negate)
            if negate:
                return self._keep_empty(field, "text", _Leaf(field.number, "not_equal", value))
            return _Leaf(field.number, "equal", value)
        # contains
        if value == "":
            return FALSE if negate else TRUE
        if negate:
            return self._keep_empty(field, "text", _Leaf(field.number, "contains_not", value))
        return _Leaf(field.number, "contains", value)

    def _number(self, field: BaserowField, c: Condition, negate: bool) -> _BNode:
        text = _number_text(c)
        positive = {
            "exact": "equal",
            "gt": "higher_than",
            "gte": "higher_than_or_equal",
            "lt": "lower_than",
            "lte": "lower_than_or_equal",
        }
        complement = {
            "exact": "not_equal",
            "gt": "lower_than_or_equal",
            "gte": "lower_than",
            "lt": "higher_than_or_equal",
            "lte": "higher_than",
        }
        if not negate:
            return _Leaf(field.number, positive[c.lookup], text)
        return self._keep_empty(field, "number", _Leaf(field.number, complement[c.lookup], text))

    def _boolean(self, field: BaserowField, c: Condition, negate: bool) -> _BNode:
        if not isinstance(c.value, bool):
            raise QueryError(f"{c.label}: a checkbox filter takes True or False")
        return _Leaf(field.number, "boolean", "1" if c.value != negate else "0")

    def _date(self, field: BaserowField, c: Condition, negate: bool) -> _BNode:
        operand = _date_operand(c)
        n = field.number
        if c.lookup == "exact":
            if not negate:
                return _Leaf(n, "date_is", operand)
            outside = _or(_Leaf(n, "date_is_before", operand), _Leaf(n, "date_is_after", operand))
            return self._keep_empty(field, "date", outside)
        positive = {
            "gt": "date_is_after",
            "gte": "date_is_on_or_after",
            "lt": "date_is_before",
            "lte": "date_is_on_or_before",
        }
        complement = {
            "gt": "date_is_on_or_before",
            "gte": "date_is_before",
            "lt": "date_is_on_or_after",
            "lte": "date_is_after",
        }
        if not negate:
            return _Leaf(n, positive[c.lookup], operand)
        return self._keep_empty(field, "date", _Leaf(n, complement[c.lookup], operand))

    def _single_select(self, field: BaserowField, c: Condition, negate: bool) -> _BNode:
        option = field.option_ids().get(c.value) if isinstance(c.value, str) else None
        if option is None:
            return TRUE if negate else FALSE  # no such option: nothing has it
        if not negate:
            return _Leaf(field.number, "single_select_equal", str(option))
        leaf = _Leaf(field.number, "single_select_not_equal", str(option))
        return self._keep_empty(field, "single_select", leaf)

    def _multiple_select(self, field: BaserowField, c: Condition, negate: bool) -> _BNode:
        ids = field.option_ids()
        known = [str(ids[v]) for v in _items(c.value) if isinstance(v, str) and v in ids]
        if not known:
            return TRUE if negate else FALSE
        csv = ",".join(known)
        if not negate:
            return _Leaf(field.number, "multiple_select_has", csv)
        leaf = _Leaf(field.number, "multiple_select_has_not", csv)
        return self._keep_empty(field, "multiple_select", leaf)

    def _ids(self, c: Condition) -> list[str]:
        ids = []
        for item in _items(c.value):
            text = str(item) if isinstance(item, int) and not isinstance(item, bool) else item
            if isinstance(text, str) and text.isdigit():
                ids.append(str(int(text)))
        return ids

    def _link_row(self, field: BaserowField, c: Condition, negate: bool) -> _BNode:
        ids = self._ids(c)
        if not ids:
            return TRUE if negate else FALSE
        if not negate:
            return _Leaf(field.number, "link_row_has", ",".join(ids))
        lacks = _and(*(_Leaf(field.number, "link_row_has_not", i) for i in ids))
        return self._keep_empty(field, "link_row", lacks)

    def _collaborators(self, field: BaserowField, c: Condition, negate: bool) -> _BNode:
        ids = self._ids(c)
        if not ids:
            return TRUE if negate else FALSE
        n = field.number
        if not negate:
            return _or(*(_Leaf(n, "multiple_collaborators_has", i) for i in ids))
        lacks = _and(*(_Leaf(n, "multiple_collaborators_has_not", i) for i in ids))
        return self._keep_empty(field, "collaborators", lacks)

    def _user(self, field: BaserowField, c: Condition, negate: bool) -> _BNode:
        ids = self._ids(c)
        if not ids:
            return TRUE if negate else FALSE
        n = field.number
        if not negate:
            return _or(*(_Leaf(n, "user_is", i) for i in ids))
        return _and(*(_Leaf(n, "user_is_not", i) for i in ids))

    def _uuid(self, field: BaserowField, c: Condition, negate: bool) -> _BNode:
        if not isinstance(c.value, str) or not c.value:
            raise QueryError(f"{c.label}: a uuid filter takes a non-empty str")
        return _Leaf(field.number, "not_equal" if negate else "equal", c.value)

    def _array(self, field: BaserowField, c: Condition, negate: bool) -> _BNode:
        n = field.number
        if c.lookup == "contains":
            kind = "has_not_value_contains" if negate else "has_value_contains"
            return _Leaf(n, kind, _scalar_text(c, c.value))
        values = [_scalar_text(c, v) for v in _items(c.value)]
        if not values:
            return TRUE if negate else FALSE
        if not negate:
            return _or(*(_Leaf(n, "has_value_equal", v) for v in values))
        lacks = _and(*(_Leaf(n, "has_not_value_equal", v) for v in values))
        return self._keep_empty(field, "array", lacks)

    def _file(self, field: BaserowField, c: Condition, negate: bool) -> _BNode:
        raise self.unsupported(c, _FAMILY_LOOKUPS["file"])  # pragma: no cover - isnull only


def _scalar_text(c: Condition, value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return value
    raise QueryError(f"{c.label}: cannot filter by {value!r} on Baserow")


def _number_text(c: Condition) -> str:
    value = c.value
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise QueryError(f"{c.label}: a number filter takes a number, got {value!r}")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return str(value)


def _date_operand(c: Condition) -> str:
    """``"UTC?YYYY-MM-DD?exact_date"`` or ``"UTC??today"``: Baserow's three-part date value."""
    value = c.value
    if isinstance(value, str) and value.startswith("PREDEFINED:"):
        operator = DATE_TOKENS.get(value.split(":", 1)[1])
        if operator is None:
            raise QueryError(
                f"{c.label}: Baserow has no relative date for {value!r}; it knows "
                + ", ".join(f"PREDEFINED:{t}" for t in DATE_TOKENS)
            )
        return f"UTC??{operator}"
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return f"UTC?{value}?exact_date"
    raise QueryError(
        f"{c.label}: Baserow compares dates by day only; filter with a datetime.date "
        f"(the UTC day) rather than {value!r}"
    )


# --- simplification and emission -----------------------------------------------------------


def _identity(node: _BNode) -> Any:
    if isinstance(node, Group):
        return ("group", node.operator, tuple(_identity(c) for c in node.children))
    if isinstance(node, _Raw):
        return ("raw", _freeze(node.filter))
    return node


def _simplify(node: _BNode) -> _BNode:
    """Constants folded, groups flattened, duplicates dropped (see :func:`simplify`)."""
    simplified: _BNode = simplify(node, _identity)
    return simplified


def _emit(node: _BNode) -> dict[str, Any]:
    group = node if isinstance(node, Group) else Group("AND", (node,))
    filters: list[dict[str, Any]] = []
    groups: list[dict[str, Any]] = []
    for child in group.children:
        if isinstance(child, Group):
            groups.append(_emit(child))
        elif isinstance(child, _Leaf):
            filters.append({"field": child.field, "type": child.type, "value": child.value})
        elif isinstance(child, _Raw):
            raw = dict(child.filter)
            (groups if "filter_type" in raw else filters).append(raw)
    return {"filter_type": group.operator, "filters": filters, "groups": groups}


def compile_filters(node: Node, table: BaserowTable) -> dict[str, Any] | Constant | None:
    """Compile a condition tree into the value of Baserow's ``filters`` parameter.

    Returns:
        the tree as a dict (JSON-encode it into the query string); ``None`` when every row
        matches (send no ``filters``); :data:`~softr_orm.backends.tree.FALSE` when none can
        (send no request).

    Raises:
        QueryError: what Baserow cannot say exactly (see the module docstring).
        UnsupportedLookup: a lookup the field's Baserow type has no filter for.
    """
    lowered = _simplify(_Compiler(table).lower(node, False))
    if isinstance(lowered, Constant):
        return None if lowered.value else FALSE
    return _emit(lowered)


def encode_filters(filters: Mapping[str, Any]) -> str:
    """The ``filters`` query value: compact JSON."""
    return json.dumps(filters, separators=(",", ":"), ensure_ascii=False)
