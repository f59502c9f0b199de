"""Field kinds and the operators each kind accepts; the shapes of a condition.

A field's Softr type decides its *kind* (text, number, date, checkbox, select, link, user,
attachment, or "dynamic" for LOOKUP / FORMULA / ROLLUP values whose type is only known when
read), and the kind decides which operators apply (the "no" cells of softr-api.md §3.5 are
refused). Also :class:`FieldInfo`, what the search compiler knows of a field, and
:class:`FilterError`, its only exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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

from ..errors import StoreError

__all__ = [
    "ALLOWED",
    "ATTACHMENT",
    "BETWEEN",
    "CHECKBOX",
    "CONDITION_KEYS",
    "DATE",
    "DYNAMIC",
    "EQ",
    "HAS",
    "KEYS_BY_KIND",
    "LABEL_OPS",
    "LINK",
    "MULTI_KINDS",
    "NEGATIONS",
    "NUMBER",
    "ONE_OF",
    "OPERATOR_KIND",
    "ORDERING",
    "SELECT",
    "TEXT",
    "TEXT_OPS",
    "USER",
    "WITHIN",
    "FieldInfo",
    "FilterError",
    "kind_of_type",
    "validation_kind",
]


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


class FilterError(StoreError):
    """A search ``filter``/``sorting`` the emulator refuses.

    Attributes:
        code: ``"BAD_REQUEST"``, ``"UNKNOWN_FIELD"`` or ``"VALIDATION_ERROR"`` (the API errorCode).
        message: a human-readable explanation naming operator and field where relevant.
        details: JSON-able context, e.g. ``{"path": "filter.condition.conditions[1]"}``.
    """

    def __init__(self, code: str, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(code, message, dict(details or {}))


# ---------------------------------------------------------------------------------------------
# Field kinds and operator applicability

TEXT, NUMBER, DATE, CHECKBOX = "text", "number", "date", "checkbox"
SELECT, LINK, USER, ATTACHMENT, DYNAMIC = "select", "link", "user", "attachment", "dynamic"
MULTI_KINDS = (SELECT, LINK, USER, ATTACHMENT)

EQ = frozenset({"IS", "IS_NOT"})
ORDERING = frozenset({"GREATER_THAN", "GREATER_THAN_OR_EQUALS", "LESS_THAN", "LESS_THAN_OR_EQUALS"})
TEXT_OPS = frozenset(
    {
        "CONTAINS",
        "DOES_NOT_CONTAIN",
        "STARTS_WITH",
        "DOES_NOT_START_WITH",
        "ENDS_WITH",
        "DOES_NOT_END_WITH",
    }
)
ONE_OF = frozenset({"IS_ONE_OF", "IS_NOT_ONE_OF"})
HAS = frozenset({"HAS_ANY_OF", "HAS_ALL_OF", "HAS_NONE_OF"})
BETWEEN = frozenset({"IS_BETWEEN", "IS_NOT_BETWEEN"})
WITHIN = frozenset({"IS_WITHIN", "IS_NOT_WITHIN"})
LABEL_OPS = EQ | TEXT_OPS | ONE_OF | HAS

ALLOWED: dict[str, frozenset[str]] = {
    TEXT: LABEL_OPS,
    NUMBER: EQ | ORDERING | ONE_OF | BETWEEN,
    DATE: EQ | ORDERING | BETWEEN | WITHIN,
    CHECKBOX: EQ,
    SELECT: LABEL_OPS,
    LINK: LABEL_OPS,
    USER: LABEL_OPS,
    ATTACHMENT: LABEL_OPS,
    DYNAMIC: frozenset(BINARY_OPERATORS) | frozenset(RANGE_OPERATORS),
}

#: negated operator -> the positive operator it complements.
NEGATIONS = {
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

#: Softr's schema has one shape for every condition (softr-openapi.yaml, ``FilterCondition``):
#: these keys. A condition may carry the keys of another kind (an ``AND`` with a ``leftSide``);
#: its kind just does not use them. A key outside this shape is refused (a typo).
CONDITION_KEYS = frozenset(
    {"operator", "leftSide", "rightSide", "lowerBound", "upperBound", "conditions"}
)

#: The keys each kind of condition needs.
KEYS_BY_KIND = {
    "binary": frozenset({"operator", "leftSide", "rightSide"}),
    "unary": frozenset({"operator", "leftSide"}),
    "range": frozenset({"operator", "leftSide", "lowerBound", "upperBound"}),
    "compound": frozenset({"operator", "conditions"}),
}
OPERATOR_KIND = {
    **dict.fromkeys(BINARY_OPERATORS, "binary"),
    **dict.fromkeys(UNARY_OPERATORS, "unary"),
    **dict.fromkeys(RANGE_OPERATORS, "range"),
    **dict.fromkeys(COMPOUND_OPERATORS, "compound"),
}


def kind_of_type(type_: str, multiple: bool) -> tuple[str, bool]:
    if type_ in TEXT_TYPES or type_ == "RECORD_ID":
        return TEXT, False
    if type_ in NUMERIC_TYPES:
        return NUMBER, False
    if type_ in DATE_TYPES:
        return DATE, False
    if type_ == "CHECKBOX":
        return CHECKBOX, False
    if type_ == "SELECT":
        return SELECT, multiple
    if type_ == "LINKED_RECORD":
        return LINK, True
    if type_ in ("USER", "CREATED_BY", "UPDATED_BY"):
        return USER, True
    if type_ == "ATTACHMENT":
        return ATTACHMENT, True
    return DYNAMIC, True


def validation_kind(info: FieldInfo) -> str:
    """The kind whose operator list applies (a LOOKUP's looked-up type when known)."""
    if info.type == "LOOKUP":
        returned = info.options.get("returnedField") if isinstance(info.options, Mapping) else None
        if isinstance(returned, Mapping) and isinstance(returned.get("type"), str):
            kind, _ = kind_of_type(returned["type"], True)
            return SELECT if kind == SELECT else kind
    return kind_of_type(info.type, info.multiple)[0]
