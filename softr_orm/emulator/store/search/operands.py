"""Readers that turn a value in the store's read format into something comparable.

Each reader takes one field value as the filter evaluator and the sorter see it (SELECT
``{"id","label","color"}``, links ``[{"id","label"}]``, ISO date strings, numbers as
int/Decimal/float...) and returns a normalized value (casefolded text, an exact number, epoch
microseconds, match keys) or None when the value is empty or unreadable for its kind.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ..dates import iso_micros, value_micros
from .kinds import ATTACHMENT, DATE, LINK, MULTI_KINDS, NUMBER, SELECT, TEXT, USER

__all__ = [
    "Keys",
    "Number",
    "canonical",
    "display",
    "is_number",
    "json_type",
    "keys_reader",
    "parse_number",
    "read_date",
    "read_elements",
    "read_number",
    "read_select_label",
    "read_text",
    "reader_for",
    "short_repr",
]

Number = int | Decimal

_NUMERIC_RE = re.compile(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,6})?\s*")


def parse_number(text: str) -> Number | None:
    """A numeric string as a number (None otherwise); cached, as records repeat their values."""
    return _parse_number_cached(text) if len(text) <= 100 else None


@lru_cache(maxsize=4096)
def _parse_number_cached(text: str) -> Number | None:
    if _NUMERIC_RE.fullmatch(text) is None:
        return None
    return canonical(Decimal(text.strip()))


def canonical(number: Decimal) -> Number:
    """Integral Decimals of sane size become ints, so int records compare at full speed."""
    if number == number.to_integral_value() and number.adjusted() < 30:
        return int(number)
    return number


def read_number(value: Any) -> Number | None:
    kind = type(value)
    if kind is int:
        return value  # type: ignore[no-any-return]
    if kind is Decimal:
        return value if value.is_finite() else None
    if kind is float:
        return Decimal(repr(value)) if math.isfinite(value) else None
    if kind is str:
        return parse_number(value)
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return read_number(int(value) if isinstance(value, int) else Decimal(value))
    return None


def read_text(value: Any) -> str | None:
    """Casefolded text of a single-valued text field (non-strings through their display)."""
    if type(value) is str:
        return value.casefold() or None
    shown = display(value)
    return shown.casefold() if shown else None


def read_date(value: Any) -> int | None:
    if type(value) is str:
        parsed = iso_micros(value)
        return None if parsed is None else parsed[0]
    return value_micros(value)


def display(value: Any) -> str | None:
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
        parts = [part for part in map(display, value) if part]
        return ", ".join(parts) or None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_select_label(value: Any) -> str | None:
    """Casefolded label of a single SELECT value (an object, a bare label, or a list's first)."""
    if type(value) is dict or isinstance(value, Mapping):
        label = value.get("label")
        return label.casefold() or None if type(label) is str else None
    if isinstance(value, str):
        return value.casefold() or None
    if isinstance(value, (list, tuple)):
        for item in value:
            label_cf = read_select_label(item)
            if label_cf is not None:
                return label_cf
    return None


@dataclass
class Keys:
    """Match keys of a multi-valued value: exact ids, casefolded labels, casefolded texts."""

    exact: set[str]
    folded: set[str]
    texts: list[str]


# kind -> (exact attributes, casefolded attributes, text attributes, role of a bare string)
_ELEMENT_SPEC: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], str]] = {
    SELECT: ((), ("label",), ("label",), "label"),
    LINK: (("id",), ("label",), ("label",), "id"),
    USER: (("id",), ("email",), ("fullName", "email"), "user"),
    ATTACHMENT: (("id", "url"), ("filename",), ("filename", "url"), "url"),
}


def keys_reader(kind: str) -> Callable[[Any], Keys | None]:
    exact_attrs, folded_attrs, text_attrs, bare = _ELEMENT_SPEC[kind]

    def add(element: Any, keys: Keys) -> None:
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

    def read(value: Any) -> Keys | None:
        if value is None:
            return None
        keys = Keys(set(), set(), [])
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


def read_elements(value: Any) -> tuple[Any, ...] | None:
    """Non-empty elements of a dynamic (LOOKUP/FORMULA/ROLLUP) value, lists flattened."""
    if value is None:
        return None
    flat = _flatten(value)
    return tuple(flat) if flat else None


def reader_for(kind: str, multiple: bool) -> Callable[[Any], Any]:
    if kind == TEXT:
        return read_text
    if kind == NUMBER:
        return read_number
    if kind == DATE:
        return read_date
    if kind == SELECT and not multiple:
        return read_select_label
    if kind in MULTI_KINDS:
        return keys_reader(kind)
    return read_elements


def short_repr(value: Any) -> str:
    """A repr short enough for an error message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    return "object" if isinstance(value, Mapping) else type(value).__name__


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
