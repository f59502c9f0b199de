"""What the emulator's filters and sorting know about fields and values.

The field kinds (text, number, date, select, link, ...) that decide which operators apply,
and the lenient readers that turn a stored value (in the API's read format) into something
comparable. Shared by :mod:`.filters` (conditions) and :mod:`.sorting`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from softr_orm.constants import (
    BINARY_OPERATORS,
    COMPOUND_OPERATORS,
    DATE_TYPES,
    NUMERIC_TYPES,
    RANGE_OPERATORS,
    TEXT_TYPES,
    UNARY_OPERATORS,
)
from softr_orm.emulator.dates import (
    iso_micros,
    value_micros,
)

__all__ = ["FieldInfo", "FilterError"]

Record = Mapping[str, Any]
Predicate = Callable[[Record], bool]
Test = Callable[[Any], bool]
Number = int | Decimal


@dataclass(frozen=True)
class FieldInfo:
    """What filters need to know about a field.

    Attributes:
        id: the field id (records are keyed by it; ``leftSide`` names it).
        name: the field name, used in error messages.
        type: the Softr field type, e.g. ``"SELECT"``.
        multiple: ``allowMultipleEntries`` (SELECT/USER; links and attachments are always lists).
        options: the field's options; only ``returnedField.type`` of a LOOKUP is read.
    """

    id: str
    name: str
    type: str
    multiple: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)


class FilterError(Exception):
    """A search ``filter``/``sorting`` the emulator refuses.

    Attributes:
        code: ``"BAD_REQUEST"``, ``"UNKNOWN_FIELD"`` or ``"VALIDATION_ERROR"`` (the API errorCode).
        message: a human-readable explanation naming operator and field where relevant.
        details: JSON-able context, e.g. ``{"path": "filter.condition.conditions[1]"}``.
    """

    def __init__(self, code: str, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details: dict[str, Any] = dict(details or {})


# ---------------------------------------------------------------------------------------------
# Field kinds and operator applicability

_TEXT, _NUMBER, _DATE, _CHECKBOX = "text", "number", "date", "checkbox"
_SELECT, _LINK, _USER, _ATTACHMENT, _DYNAMIC = "select", "link", "user", "attachment", "dynamic"
_MULTI_KINDS = (_SELECT, _LINK, _USER, _ATTACHMENT)

_EQ = frozenset({"IS", "IS_NOT"})
_ORDERING = frozenset(
    {"GREATER_THAN", "GREATER_THAN_OR_EQUALS", "LESS_THAN", "LESS_THAN_OR_EQUALS"}
)
_TEXT_OPS = frozenset(
    {
        "CONTAINS",
        "DOES_NOT_CONTAIN",
        "STARTS_WITH",
        "DOES_NOT_START_WITH",
        "ENDS_WITH",
        "DOES_NOT_END_WITH",
    }
)
_ONE_OF = frozenset({"IS_ONE_OF", "IS_NOT_ONE_OF"})
_HAS = frozenset({"HAS_ANY_OF", "HAS_ALL_OF", "HAS_NONE_OF"})
_BETWEEN = frozenset({"IS_BETWEEN", "IS_NOT_BETWEEN"})
_WITHIN = frozenset({"IS_WITHIN", "IS_NOT_WITHIN"})
_LABEL_OPS = _EQ | _TEXT_OPS | _ONE_OF | _HAS

_ALLOWED: dict[str, frozenset[str]] = {
    _TEXT: _LABEL_OPS,
    _NUMBER: _EQ | _ORDERING | _ONE_OF | _BETWEEN,
    _DATE: _EQ | _ORDERING | _BETWEEN | _WITHIN,
    _CHECKBOX: _EQ,
    _SELECT: _LABEL_OPS,
    _LINK: _LABEL_OPS,
    _USER: _LABEL_OPS,
    _ATTACHMENT: _LABEL_OPS,
    _DYNAMIC: frozenset(BINARY_OPERATORS) | frozenset(RANGE_OPERATORS),
}

#: negated operator -> the positive operator it complements.
_NEGATIONS = {
    "IS_NOT": "IS",
    "DOES_NOT_CONTAIN": "CONTAINS",
    "DOES_NOT_START_WITH": "STARTS_WITH",
    "DOES_NOT_END_WITH": "ENDS_WITH",
    "IS_NOT_ONE_OF": "IS_ONE_OF",
    "HAS_NONE_OF": "HAS_ANY_OF",
    "IS_NOT_BETWEEN": "IS_BETWEEN",
    "IS_NOT_WITHIN": "IS_WITHIN",
    "IS_NOT_EMPTY": "IS_EMPTY",
}

_KEYS_BY_KIND = {
    "binary": frozenset({"operator", "leftSide", "rightSide"}),
    "unary": frozenset({"operator", "leftSide"}),
    "range": frozenset({"operator", "leftSide", "lowerBound", "upperBound"}),
    "compound": frozenset({"operator", "conditions"}),
}
_OPERATOR_KIND = {
    **dict.fromkeys(BINARY_OPERATORS, "binary"),
    **dict.fromkeys(UNARY_OPERATORS, "unary"),
    **dict.fromkeys(RANGE_OPERATORS, "range"),
    **dict.fromkeys(COMPOUND_OPERATORS, "compound"),
}


def _kind_of_type(type_: str, multiple: bool) -> tuple[str, bool]:
    if type_ in TEXT_TYPES or type_ == "RECORD_ID":
        return _TEXT, False
    if type_ in NUMERIC_TYPES:
        return _NUMBER, False
    if type_ in DATE_TYPES:
        return _DATE, False
    if type_ == "CHECKBOX":
        return _CHECKBOX, False
    if type_ == "SELECT":
        return _SELECT, multiple
    if type_ == "LINKED_RECORD":
        return _LINK, True
    if type_ in ("USER", "CREATED_BY", "UPDATED_BY"):
        return _USER, True
    if type_ == "ATTACHMENT":
        return _ATTACHMENT, True
    return _DYNAMIC, True


def _validation_kind(info: FieldInfo) -> str:
    """The kind whose operator list applies (a LOOKUP's looked-up type when known)."""
    if info.type == "LOOKUP":
        returned = info.options.get("returnedField") if isinstance(info.options, Mapping) else None
        if isinstance(returned, Mapping) and isinstance(returned.get("type"), str):
            kind, _ = _kind_of_type(returned["type"], True)
            return _SELECT if kind == _SELECT else kind
    return _kind_of_type(info.type, info.multiple)[0]


# ---------------------------------------------------------------------------------------------
# Reading stored values (value -> normalized value, or None when empty)

_NUMERIC_RE = re.compile(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,6})?\s*")


def _parse_number(text: str) -> Number | None:
    """A numeric string as a number (None otherwise); cached, as records repeat their values."""
    return _parse_number_cached(text) if len(text) <= 100 else None


@lru_cache(maxsize=4096)
def _parse_number_cached(text: str) -> Number | None:
    if _NUMERIC_RE.fullmatch(text) is None:
        return None
    return _canonical(Decimal(text.strip()))


def _canonical(number: Decimal) -> Number:
    """Integral Decimals of sane size become ints, so int records compare at full speed."""
    if number == number.to_integral_value() and number.adjusted() < 30:
        return int(number)
    return number


def _num(value: Any) -> Number | None:
    kind = type(value)
    if kind is int:
        return value  # type: ignore[no-any-return]
    if kind is Decimal:
        return value if value.is_finite() else None
    if kind is float:
        return Decimal(repr(value)) if math.isfinite(value) else None
    if kind is str:
        return _parse_number(value)
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return _num(int(value) if isinstance(value, int) else Decimal(value))
    return None


def _text(value: Any) -> str | None:
    """Casefolded text of a single-valued text field (non-strings through their display)."""
    if type(value) is str:
        return value.casefold() or None
    shown = _display(value)
    return shown.casefold() if shown else None


def _date(value: Any) -> int | None:
    if type(value) is str:
        parsed = iso_micros(value)
        return None if parsed is None else parsed[0]
    return value_micros(value)


def _display(value: Any) -> str | None:
    """Human text of any stored value: labels of objects, joined lists, numbers as written."""
    if value is None or isinstance(value, bool):
        return None if value is None else ("true" if value else "false")
    if isinstance(value, str):
        return value or None
    if isinstance(value, Mapping):
        for key in ("label", "fullName", "name", "filename", "email", "url", "id"):
            item = value.get(key)
            if isinstance(item, str) and item:
                return item
        return None
    if isinstance(value, (list, tuple)):
        parts = [part for part in map(_display, value) if part]
        return ", ".join(parts) or None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _select_label(value: Any) -> str | None:
    """Casefolded label of a single SELECT value (an object, a bare label, or a list's first)."""
    if type(value) is dict or isinstance(value, Mapping):
        label = value.get("label")
        return label.casefold() or None if type(label) is str else None
    if isinstance(value, str):
        return value.casefold() or None
    if isinstance(value, (list, tuple)):
        for item in value:
            label_cf = _select_label(item)
            if label_cf is not None:
                return label_cf
    return None


@dataclass
class _Keys:
    """Match keys of a multi-valued value: exact ids, casefolded labels, casefolded texts."""

    exact: set[str]
    folded: set[str]
    texts: list[str]


# kind -> (exact attributes, casefolded attributes, text attributes, role of a bare string)
_ELEMENT_SPEC: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], str]] = {
    _SELECT: ((), ("label",), ("label",), "label"),
    _LINK: (("id",), ("label",), ("label",), "id"),
    _USER: (("id",), ("email",), ("fullName", "email"), "user"),
    _ATTACHMENT: (("id", "url"), ("filename",), ("filename", "url"), "url"),
}


def _keys_reader(kind: str) -> Callable[[Any], _Keys | None]:
    exact_attrs, folded_attrs, text_attrs, bare = _ELEMENT_SPEC[kind]

    def add(element: Any, keys: _Keys) -> None:
        if type(element) is dict or isinstance(element, Mapping):
            for attr in exact_attrs:
                item = element.get(attr)
                if isinstance(item, str) and item:
                    keys.exact.add(item)
            for attr in folded_attrs:
                item = element.get(attr)
                if isinstance(item, str) and item:
                    keys.folded.add(item.casefold())
            for attr in text_attrs:
                item = element.get(attr)
                if isinstance(item, str) and item:
                    keys.texts.append(item.casefold())
        elif isinstance(element, str) and element:
            role = ("email" if "@" in element else "id") if bare == "user" else bare
            if role == "label" or role == "email":
                keys.folded.add(element.casefold())
                keys.texts.append(element.casefold())
            else:
                keys.exact.add(element)
                keys.texts.append(element.casefold())

    def read(value: Any) -> _Keys | None:
        if value is None:
            return None
        keys = _Keys(set(), set(), [])
        if isinstance(value, (list, tuple)):
            for element in value:
                add(element, keys)
        else:
            add(value, keys)
        return keys if keys.exact or keys.folded or keys.texts else None

    return read


def _flatten(value: Any, depth: int = 0) -> list[Any]:
    if isinstance(value, (list, tuple)) and depth < 8:
        return [item for element in value for item in _flatten(element, depth + 1)]
    if value is None or value == "" or (isinstance(value, Mapping) and not value):
        return []
    return [value]


def _elements(value: Any) -> tuple[Any, ...] | None:
    """Non-empty elements of a dynamic (LOOKUP/FORMULA/ROLLUP) value, lists flattened."""
    if value is None:
        return None
    flat = _flatten(value)
    return tuple(flat) if flat else None


def _reader(kind: str, multiple: bool) -> Callable[[Any], Any]:
    if kind == _TEXT:
        return _text
    if kind == _NUMBER:
        return _num
    if kind == _DATE:
        return _date
    if kind == _SELECT and not multiple:
        return _select_label
    if kind in _MULTI_KINDS:
        return _keys_reader(kind)
    return _elements


def _short(value: Any) -> str:
    """A repr short enough for an error message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    return "object" if isinstance(value, Mapping) else type(value).__name__


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
